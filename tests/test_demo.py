"""The demo municipality: deterministic, in the real export formats, with realistic patterns and faults."""

import datetime as dt
import hashlib
import json
from collections import Counter

import pytest

from tests import ground_truth as gt
from tests.conftest import demo_landing, use_data_root


def digest(folder) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def one_year(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        settings = use_data_root(mp, tmp_path_factory.mktemp("demo1"))
        demo_landing(settings, years=1)
        yield settings


def test_same_seed_gives_identical_files(one_year, tmp_path, monkeypatch):
    again = use_data_root(monkeypatch, tmp_path)
    demo_landing(again, years=1)
    assert digest(again.landing) == digest(one_year.landing)
    assert len(digest(one_year.landing)) > 20


def test_both_real_fixi_shapes_are_written(one_year):
    files = sorted((one_year.landing / "fixi").iterdir())
    csvs = [f for f in files if f.suffix == ".csv"]
    pages = [f for f in files if f.suffix == ".json"]
    assert csvs and pages
    header = csvs[0].read_bytes().split(b"\r\n", 1)[0].decode("cp1252")
    assert header.startswith("Meldingnummer;Categorie;Status;") and "Datum melding" in header
    texts = [p.read_text(encoding="utf-8") for p in pages]
    assert any(t.startswith('"') for t in texts)  # double-encoded pages
    page = json.loads(next(t for t in texts if t.startswith("{")))
    assert {"publicID", "categoryName", "status", "created", "closed", "location", "attachments"} <= set(page["results"][0])


def test_reference_table_has_cbs_codes(one_year):
    lines = (one_year.landing / "referentie" / "cbs_wijken_buurten.csv").read_text(encoding="utf-8").splitlines()
    first = lines[1].split(";")
    assert first[0].strip() == "GM0301" and first[2].strip().startswith("WK0301") and first[4].strip().startswith("BU0301")
    assert len(lines) - 1 == 24


def test_seasonality_weekdays_and_new_year(one_year):
    meldingen = gt.latest_state(gt.read_landing(one_year.landing / "fixi")).values()
    per_weekday = Counter(m.created.weekday() for m in meldingen)
    assert per_weekday[0] > 1.8 * per_weekday[6]  # Mondays busy, Sundays quiet
    groen = Counter(m.created.month for m in meldingen if m.categorie == "Openbaar groen")
    assert groen[10] > 1.8 * groen[2]  # autumn leaves
    new_year = [m for m in meldingen if m.categorie == "Afval en zwerfafval" and m.created.date() == dt.date(2026, 1, 1)]
    usual = [m for m in meldingen if m.categorie == "Afval en zwerfafval" and m.created.date() == dt.date(2026, 1, 14)]
    assert len(new_year) > 3 * len(usual)


def test_about_two_percent_of_records_are_dirty(one_year):
    meldingen = list(gt.latest_state(gt.read_landing(one_year.landing / "fixi")).values())
    dirty = sum(1 for m in meldingen if m.categorie == "Onbekend" or (m.closed and m.closed < m.created)
                or (m.status == "afgehandeld" and m.closed is None))
    assert 0.007 < dirty / len(meldingen) < 0.03


def test_the_brp_delivery_has_shared_numbers_persons_without_documents_and_the_v2_shape(one_year):
    """As real deliveries: a few numbers given to two holders in the extract, and a Haal Centraal v2 answer about
    a sample of inhabitants, person-based (those without a document appear with only `houder`), without issue dates."""
    import csv
    import logging

    from pipelines.bronze.brp import BRP
    from pipelines.bronze.ingest import ingest

    folder = one_year.landing / "brp"
    with (folder / "brp_reisdocumenten_gba.csv").open(encoding="utf-8-sig", newline="") as handle:
        holders, bsn = {}, None
        for row in csv.DictReader(handle, delimiter=";"):
            bsn = row["01.01.20"] or bsn
            holders.setdefault(row["12.35.20"], set()).add(bsn)
    assert 3 <= sum(len(h) > 1 for h in holders.values()) <= 20
    answer = json.loads((folder / "haalcentraal_reisdocumenten_personen.json").read_text(encoding="utf-8"))
    without = [e for e in answer if set(e) == {"houder"}]
    documents = [e for e in answer if "reisdocumentnummer" in e]
    assert len(without) > 100 and len(documents) > 1000 and len(without) + len(documents) == len(answer)
    assert all("soort" in e and "datumUitgifte" not in e and e["datumEindeGeldigheid"]["type"] == "Datum"
               for e in documents)
    assert any("inhoudingOfVermissing" in e for e in documents)
    report = ingest(BRP, one_year, "run-1", logging.getLogger("test"))
    assert report.quarantined == 0 and report.notes["persons without a reisdocument"] == len(without)


def test_reports_respond_to_the_weather_in_the_station_file(one_year):
    from pipelines.bronze.referentie import parse_knmi
    files = sorted((one_year.landing / "referentie").glob("etmgeg_*.txt"))
    assert [f.name for f in files] == ["etmgeg_275.txt"]  # Zutphen's nearest station, Deelen (seed)
    days = {p.row["datum"]: p.row for p in parse_knmi(files[0].read_text(encoding="ascii"))}
    assert all(p.error is None for p in parse_knmi(files[0].read_text(encoding="ascii")))
    meldingen = gt.latest_state(gt.read_landing(one_year.landing / "fixi")).values()
    per_day = Counter((m.created.date(), m.categorie) for m in meldingen)

    def mean(categorie, selected):
        chosen = [d for d, w in days.items() if selected(w) and d.weekday() < 5]
        return sum(per_day[(d, categorie)] for d in chosen) / max(1, len(chosen)), len(chosen)

    winter = lambda w: w["datum"].month in (10, 11, 12, 1, 2, 3)  # noqa: E731
    storm, storms = mean("Openbaar groen", lambda w: w["fxx"] >= 208)
    calm, _ = mean("Openbaar groen", lambda w: winter(w) and w["fxx"] < 150)
    assert storms >= 2 and storm > 3 * calm
    frost, frosts = mean("Wegen en trottoirs", lambda w: w["tn"] <= -30)
    mild, _ = mean("Wegen en trottoirs", lambda w: winter(w) and w["tn"] > 20 and w["fxx"] < 208)
    assert frosts >= 3 and frost > 1.5 * mild
    wet, downpours = mean("Watergangen en beschoeiingen", lambda w: w["rh"] >= 150)
    dry, _ = mean("Watergangen en beschoeiingen", lambda w: w["rh"] < 10)
    assert downpours >= 1 and wet > 2.5 * dry


def test_jeugd_clients_are_young_inhabitants_of_the_brp(one_year):
    """The case export's Jeugd clients are the BRP's own young inhabitants: 0-23 at their melding, and where the
    BRP extract holds them (those with a reisdocument), with the BRP's birth date."""
    import csv

    with (one_year.landing / "brp" / "brp_reisdocumenten_gba.csv").open(encoding="utf-8-sig", newline="") as handle:
        births = {row["01.01.20"]: row["01.03.10"] for row in csv.DictReader(handle, delimiter=";") if row["01.01.20"]}
    clients = {}
    for path in sorted((one_year.landing / "zorgned").glob("*.csv")):
        for row in csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"):
            if row["Regeling"] == "JEUGD":
                birth = dt.datetime.strptime(row["Geboortedatum"], "%d-%m-%Y").date()
                melding = dt.datetime.strptime(row["Datum melding"], "%d-%m-%Y").date()
                assert 0 <= (melding - birth).days < 23 * 366, row["Meldingnummer"]
                clients[row["BSN"]] = birth.strftime("%Y%m%d")
    in_extract = {bsn: birth for bsn, birth in clients.items() if bsn in births}
    assert len(clients) > 500 and len(in_extract) > len(clients) / 3
    assert {bsn: births[bsn] for bsn in in_extract} == in_extract
