"""The demo municipality's geography: wijken and buurten with CBS codes, postcode areas and extents.

Real CBS buurten are polygons; without DuckDB's spatial extension the product works with each buurt's
bounding box, so the demo lays its buurten out as a grid of boxes inside the municipality's extent.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GEMEENTENAAM = "Zutphen"
EXTENT = {"lat": (52.105, 52.165), "lon": (6.165, 6.265)}
# (wijknaam, postcode4): each wijk is one postcode area, so a postcode alone still places a melding in a wijk.
WIJKEN = [
    ("Binnenstad", "7201"),
    ("Noordveen", "7202"),
    ("Waterkwartier", "7203"),
    ("De Hoven", "7204"),
    ("Leesten", "7205"),
    ("Zuidwijken", "7206"),
    ("Warnsveld", "7231"),
    ("Eefde", "7211"),
]
BUURTEN_PER_WIJK = 3
WIJK_GRID = (2, 4)  # rows (latitude) x columns (longitude)


@dataclass(frozen=True)
class Buurt:
    gemeentecode: str
    wijkcode: str
    wijknaam: str
    buurtcode: str
    buurtnaam: str
    postcode4: str
    lat: tuple[float, float]
    lon: tuple[float, float]
    weight: float  # share of inhabitants, drives where reports come from


def buurten(gemeentecode: str, rng: np.random.Generator) -> list[Buurt]:
    """Lay the wijken out as a grid over the extent and cut each wijk into buurt strips."""
    digits = gemeentecode[2:]
    rows, cols = WIJK_GRID
    lat_step = (EXTENT["lat"][1] - EXTENT["lat"][0]) / rows
    lon_step = (EXTENT["lon"][1] - EXTENT["lon"][0]) / cols
    result = []
    for w, (wijknaam, postcode4) in enumerate(WIJKEN):
        lat0 = EXTENT["lat"][0] + (w // cols) * lat_step
        lon0 = EXTENT["lon"][0] + (w % cols) * lon_step
        strip = lon_step / BUURTEN_PER_WIJK
        for b in range(BUURTEN_PER_WIJK):
            result.append(
                Buurt(
                    gemeentecode=gemeentecode,
                    wijkcode=f"WK{digits}{w:02d}",
                    wijknaam=wijknaam,
                    buurtcode=f"BU{digits}{w:02d}{b:02d}",
                    buurtnaam=f"{wijknaam} {'Noord Midden Zuid'.split()[b]}",
                    postcode4=postcode4,
                    lat=(round(lat0, 6), round(lat0 + lat_step, 6)),
                    lon=(round(lon0 + b * strip, 6), round(lon0 + (b + 1) * strip, 6)),
                    weight=float(rng.uniform(0.5, 1.5)),
                )
            )
    return result


def write_wijken_buurten(buurten: list[Buurt], folder: Path) -> Path:
    """Write the reference table the way CBS OData serves it: codes padded with spaces."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cbs_wijken_buurten.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(
            ["gemeentecode", "gemeentenaam", "wijkcode", "wijknaam", "buurtcode", "buurtnaam", "postcode4",
             "min_breedtegraad", "max_breedtegraad", "min_lengtegraad", "max_lengtegraad"]
        )
        for b in buurten:
            writer.writerow(
                [f"{b.gemeentecode}  ", GEMEENTENAAM, f"{b.wijkcode}  ", b.wijknaam, f"{b.buurtcode}  ",
                 b.buurtnaam, b.postcode4, b.lat[0], b.lat[1], b.lon[0], b.lon[1]]
            )
    return path


def valid_bsn(rng: np.random.Generator) -> str:
    """A random BSN that passes the elfproef."""
    while True:
        digits = [int(d) for d in rng.integers(0, 10, size=8)]
        digits[0] = int(rng.integers(1, 7))
        check = sum(w * d for w, d in zip(range(9, 1, -1), digits)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def unique_bsns(count: int, rng: np.random.Generator) -> list[str]:
    """`count` different BSNs: drawn at random, tens of thousands would otherwise share a few."""
    found: dict[str, None] = {}
    while len(found) < count:
        found[valid_bsn(rng)] = None
    return list(found)
