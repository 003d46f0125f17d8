"""The pandas baseline: gold `fixi_meldingen_week` the way a municipal BI team would script it.

`python -m benchmarks.pandas_fixi DATA_ROOT PEILDATUM OUT_PARQUET` reads the same bronze Parquet and
seeds as the pipeline, applies the same rules (latest state per melding, conformed categorie and status,
wijk by location then postcode, working days without weekends and holidays) with plain pandas, and
writes the gold table. It loads everything into memory, as such scripts do.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "fixi"
KEY = ["gemeentecode", "melding_id"]


def latest(frame: pd.DataFrame, key: list[str], prefer: list[str] | None = None) -> pd.DataFrame:
    order = (prefer or []) + ["geladen_op", "bron_bestand", "bron_record"]
    ranked = frame.sort_values(key + order, ascending=[True] * len(key) + [False] * len(order), na_position="last")
    return ranked.drop_duplicates(key, keep="first")


def buurten(bronze: Path) -> pd.DataFrame:
    frame = pd.read_parquet(bronze / "referentie" / "wijk_buurt")
    for column in ("gemeentecode", "wijkcode", "buurtcode"):
        frame[column] = frame[column].str.strip()
    return latest(frame, ["buurtcode"])


def working_day_numbers(bronze: Path, peildatum: dt.date) -> pd.Series:
    days = pd.date_range("2000-01-01", pd.Timestamp(peildatum) + pd.DateOffset(years=11))
    holidays = set(pd.to_datetime(pd.read_parquet(bronze / "referentie" / "feestdag")["datum"]))
    working = (days.day_of_week < 5) & ~days.isin(holidays)
    return pd.Series(working.cumsum(), index=days)


def meldingen(bronze: Path, peildatum: dt.date) -> pd.DataFrame:
    deliveries = pd.read_parquet(bronze / "fixi" / "melding")
    m = latest(deliveries, KEY, ["datum_gewijzigd"]).merge(
        deliveries.groupby(KEY)["geladen_op"].max().rename("laatst_geladen_op").reset_index(), on=KEY)
    categories = pd.read_csv(SEEDS / "fixi_categorie_bron.csv")
    statuses = pd.read_csv(SEEDS / "fixi_status.csv")
    m["categorie"] = m["categorie_bron"].str.strip().str.lower().map(
        dict(zip(categories["categorie_bron"], categories["categorie"]))).fillna("Onbekend")
    status = m["status_bron"].str.strip().str.lower().map(dict(zip(statuses["status_bron"], statuses["status"])))
    m["status"] = status.fillna(m["datum_afgehandeld"].notna().map({True: "afgehandeld", False: "in behandeling"}))

    b = buurten(bronze)
    inside = m[KEY + ["breedtegraad", "lengtegraad"]].merge(b, on="gemeentecode")
    inside = inside[inside["breedtegraad"].between(inside["min_breedtegraad"], inside["max_breedtegraad"])
                    & inside["lengtegraad"].between(inside["min_lengtegraad"], inside["max_lengtegraad"])]
    by_location = inside.groupby(KEY)["buurtcode"].min().rename("buurtcode").reset_index()
    m = m.merge(by_location, on=KEY, how="left").merge(b[["buurtcode", "wijkcode"]], on="buurtcode", how="left")
    by_postcode = b.groupby(["gemeentecode", "postcode4"])["wijkcode"].min().rename("wijk_postcode").reset_index()
    m = m.merge(by_postcode, on=["gemeentecode", "postcode4"], how="left")
    m["wijkcode"] = m["wijkcode"].fillna(m["wijk_postcode"])
    names = b[["gemeentecode", "wijkcode", "wijknaam"]].drop_duplicates()
    m = m.merge(names, on=["gemeentecode", "wijkcode"], how="left")

    valid = m["datum_afgehandeld"].isna() | (m["datum_afgehandeld"] >= m["datum_melding"])
    measured = (m["status"] == "afgehandeld") & valid & m["datum_afgehandeld"].notna()
    made, closed = m["datum_melding"].dt.normalize(), m["datum_afgehandeld"].dt.normalize()
    numbers = working_day_numbers(bronze, peildatum)
    m["doorlooptijd_dagen"] = ((closed - made).dt.days).where(measured)
    m["doorlooptijd_werkdagen"] = (closed.map(numbers) - made.map(numbers)).where(measured)
    m["dag"] = made
    return m


def per_week(m: pd.DataFrame) -> pd.DataFrame:
    iso = m["dag"].dt.isocalendar()
    m = m.assign(iso_jaar=iso["year"].astype("int32"), iso_week=iso["week"].astype("int32"),
                 week_start=(m["dag"] - pd.to_timedelta(m["dag"].dt.day_of_week, unit="D")).dt.date,
                 wijknaam=m["wijknaam"].fillna("Onbekend"), afgehandeld=(m["status"] == "afgehandeld").astype(int))
    groups = m.groupby(["gemeentecode", "iso_jaar", "iso_week", "week_start", "categorie", "wijkcode", "wijknaam"],
                       dropna=False)
    result = groups.agg(
        aantal_meldingen=("melding_id", "size"),
        aantal_afgehandeld=("afgehandeld", "sum"),
        doorlooptijd_werkdagen_mediaan=("doorlooptijd_werkdagen", lambda s: s.quantile(0.5)),
        doorlooptijd_werkdagen_p90=("doorlooptijd_werkdagen", lambda s: s.quantile(0.9)),
        doorlooptijd_dagen_mediaan=("doorlooptijd_dagen", lambda s: s.quantile(0.5)),
        doorlooptijd_dagen_p90=("doorlooptijd_dagen", lambda s: s.quantile(0.9)),
        laatst_geladen_op=("laatst_geladen_op", "max"),
    )
    return result.reset_index()


if __name__ == "__main__":
    root, peildatum, out = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]), Path(sys.argv[3])
    per_week(meldingen(root / "bronze", peildatum)).to_parquet(out, index=False)
