"""Demo KNMI daily station data, written in KNMI's etmgeg format, and the weather the demo's reports respond to.

A station's weather is drawn year by year from a seed of its own (station number and year), so every
municipality that shares a station writes the same file and a nightly demo day sees the same weather as the
history. Dutch climate in broad strokes: a seasonal temperature with spells (autocorrelated noise), rain on
about half the days with now and then a downpour, wind with two or three storms each winter half-year.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

SEED_CSV = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "referentie" / "gemeente_weerstation.csv"
DEFAULT_STATION = 260  # De Bilt: the station of a municipality the seed does not list (macro default_weerstation)
COLUMNS = ("STN,YYYYMMDD,DDVEC,FHVEC,FG,FHX,FHXH,FHN,FHNH,FXX,FXXH,TG,TN,TNH,TX,TXH,T10N,T10NH,SQ,SP,Q,DR,RH,RHX,"
           "RHXH,PG,PX,PXH,PN,PNH,VVN,VVNH,VVX,VVXH,NG,UG,UX,UXH,UN,UNH,EV24").split(",")
HEADER = """BRON: KONINKLIJK NEDERLANDS METEOROLOGISCH INSTITUUT (KNMI) -- DEMO: gegenereerde gegevens in KNMI-formaat
SOURCE: ROYAL NETHERLANDS METEOROLOGICAL INSTITUTE (KNMI) -- DEMO: generated data in KNMI's format

YYYYMMDD  = Datum (YYYY=jaar MM=maand DD=dag) / Date (YYYY=year MM=month DD=day)
FG        = Etmaalgemiddelde windsnelheid (in 0.1 m/s) / Daily mean windspeed (in 0.1 m/s)
FHX       = Hoogste uurgemiddelde windsnelheid (in 0.1 m/s) / Maximum hourly mean windspeed (in 0.1 m/s)
FXX       = Hoogste windstoot (in 0.1 m/s) / Maximum wind gust (in 0.1 m/s)
TG        = Etmaalgemiddelde temperatuur (in 0.1 graden Celsius) / Daily mean temperature in (0.1 degrees Celsius)
TN        = Minimum temperatuur (in 0.1 graden Celsius) / Minimum temperature (in 0.1 degrees Celsius)
TX        = Maximum temperatuur (in 0.1 graden Celsius) / Maximum temperature (in 0.1 degrees Celsius)
SQ        = Zonneschijnduur (in 0.1 uur) berekend uit de globale straling (-1 voor <0.05 uur) / Sunshine duration (in 0.1 hour) calculated from global radiation (-1 for <0.05 hour)
DR        = Duur van de neerslag (in 0.1 uur) / Precipitation duration (in 0.1 hour)
RH        = Etmaalsom van de neerslag (in 0.1 mm) (-1 voor <0.05 mm) / Daily precipitation amount (in 0.1 mm) (-1 for <0.05 mm)
"""


@dataclass(frozen=True)
class Day:
    gust: float  # FXX, m/s
    wind: float  # FG, m/s
    t_min: float
    t_mean: float
    t_max: float
    rain: float  # mm; 0.02 stands for a trace (KNMI -1)
    sun: float  # hours

    @property
    def storm(self) -> bool:
        return self.gust >= 20.8

    @property
    def frost(self) -> bool:
        return self.t_min < 0


def station_of(gemeentecode: str) -> int:
    """The municipality's KNMI station, as the seed gemeente_weerstation says (De Bilt when it does not list it)."""
    with SEED_CSV.open(encoding="utf-8") as f:
        return next((int(r["stn"]) for r in csv.DictReader(f) if r["gemeentecode"] == gemeentecode), DEFAULT_STATION)


def weather(stn: int, start: dt.date, end: dt.date) -> dict[dt.date, Day]:
    days = {}
    for year in range(start.year, end.year + 1):
        days.update(_year(stn, year))
    return {d: w for d, w in days.items() if start <= d <= end}


@cache
def _year(stn: int, year: int) -> dict[dt.date, Day]:
    rng = np.random.default_rng([stn, year])
    first = dt.date(year, 1, 1)
    n = (dt.date(year + 1, 1, 1) - first).days
    doy = np.arange(n)
    spell = np.zeros(n)  # warm and cold spells: noise that lasts a week or so
    for i in range(1, n):
        spell[i] = 0.85 * spell[i - 1] + rng.normal(0, 1.3)
    t_mean = 10.3 - 7.3 * np.cos(2 * np.pi * (doy - 15) / 365.25) + spell
    t_min = t_mean - rng.uniform(2.0, 5.5, n)
    t_max = t_mean + rng.uniform(2.5, 7.0, n)
    winter = np.cos(2 * np.pi * (doy - 15) / 365.25) > 0  # October .. March, roughly
    wind = rng.gamma(4.0, 0.7 + 0.25 * winter, n)
    gust = wind * rng.uniform(1.9, 2.4, n)
    for i in rng.choice(np.flatnonzero(winter), size=int(rng.integers(4, 7)), replace=False):
        gust[i] = rng.uniform(22, 31)  # a storm day
        wind[i] = gust[i] / 2.1
    wet = rng.random(n) < 0.5
    rain = np.where(wet, rng.exponential(3.5, n), 0.02 * (rng.random(n) < 0.3))
    for i in rng.choice(n, size=int(rng.integers(2, 5)), replace=False):
        rain[i] = rng.uniform(18, 45)  # a downpour
    sun = np.clip(rng.normal(4.5 - 2.5 * winter, 2.5, n) - 0.3 * rain, 0, 15)
    return {first + dt.timedelta(int(i)): Day(float(gust[i]), float(wind[i]), float(t_min[i]), float(t_mean[i]),
                                              float(t_max[i]), float(rain[i]), float(sun[i])) for i in range(n)}


def write_station(stn: int, start: dt.date, end: dt.date, folder: Path) -> Path:
    """The station's days from `start` to `end` as KNMI publishes them: comment header, the column line, then one
    space-padded line per day in tenths of the unit; columns the demo does not draw are left blank."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [HEADER, "# " + ",".join(f"{c:>5}" if i > 1 else c for i, c in enumerate(COLUMNS)), ""]
    for day, w in weather(stn, start, end).items():
        values = {"STN": stn, "YYYYMMDD": f"{day:%Y%m%d}", "FG": _tenths(w.wind), "FHX": _tenths(w.wind * 1.4),
                  "FXX": _tenths(w.gust), "TG": _tenths(w.t_mean), "TN": _tenths(w.t_min), "TX": _tenths(w.t_max),
                  "SQ": _tenths(w.sun), "DR": _tenths(min(24.0, w.rain * 0.8)) if w.rain >= 0.05 else 0,
                  "RH": -1 if 0 < w.rain < 0.05 else _tenths(w.rain)}
        lines.append(",".join(f"{values.get(c, ''):>5}" if i > 1 else f"{values[c]:>5}" if i == 0 else values[c]
                              for i, c in enumerate(COLUMNS)))
    path = folder / f"etmgeg_{stn}.txt"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
    return path


def _tenths(value: float) -> int:
    return int(round(value * 10))
