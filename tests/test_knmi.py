"""KNMI daily station data (etmgeg) as a reference source: the reader is exact on a real published file, and
bad lines go to quarantine with file and line while the rest of the file is read."""

from __future__ import annotations

import datetime as dt
import logging
import shutil

import duckdb
import pandas as pd

from pipelines.bronze.ingest import ingest
from pipelines.bronze.referentie import CBS
from tests.conftest import FIXTURES

LOG = logging.getLogger("test")
REAL_FILE = FIXTURES / "knmi" / "etmgeg_283.txt"


def bronze(settings) -> dict[dt.date, dict]:
    with duckdb.connect() as db:
        rows = db.execute(f"select * from read_parquet('{settings.bronze}/referentie/knmi_daggegevens/*.parquet')"
                          " order by datum").df().to_dict("records")
    return {row["datum"].date(): row for row in rows}


def quarantine(settings) -> list[tuple]:
    with duckdb.connect() as db:
        return db.execute(f"select bron_tabel, bron_bestand, bron_record, reden from "
                          f"read_parquet('{settings.quarantine}/records/referentie/*.parquet') order by all").fetchall()


def land(settings, name: str, content: bytes) -> None:
    folder = settings.landing / "referentie"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


def test_a_real_knmi_file_is_read_exactly(settings):
    # Hupsel (283), November 2023 - January 2024, as KNMI publishes it (full header, CRLF, padded columns).
    land(settings, REAL_FILE.name, REAL_FILE.read_bytes())
    report = ingest(CBS, settings, "run-1", LOG)
    rows = bronze(settings)
    assert report.rows["knmi_daggegevens"] == 92 and report.quarantined == 0
    assert min(rows) == dt.date(2023, 11, 1) and max(rows) == dt.date(2024, 1, 31)
    # Values read by hand from the file's lines (tenths of their unit, as delivered).
    ciaran = rows[dt.date(2023, 11, 2)]  # storm Ciarán: "283,20231102,176,77,81,110,15,40,1,210,13,119,81,..."
    assert (ciaran["stn"], ciaran["ddvec"], ciaran["fg"], ciaran["fhx"], ciaran["fxx"]) == (283, 176, 81, 110, 210)
    assert (ciaran["tg"], ciaran["tn"], ciaran["tx"], ciaran["sq"], ciaran["dr"], ciaran["rh"], ciaran["rhx"]) == \
        (119, 81, 149, 21, 23, 42, 16)
    pia = rows[dt.date(2023, 12, 21)]  # storm Pia: gust 26.0 m/s, 11.9 mm of rain
    assert (pia["fxx"], pia["rh"], pia["dr"]) == (260, 119, 147)
    frost = rows[dt.date(2024, 1, 11)]  # frost, and a trace of rain (RH -1: < 0.05 mm)
    assert (frost["tn"], frost["tx"], frost["rh"], frost["rhx"]) == (-86, -6, -1, -1)
    assert (frost["bron_bestand"], frost["bron_record"]) == ("etmgeg_283.txt", 125)


def test_a_copy_without_its_header_block_and_with_bad_lines_loses_only_those(settings):
    lines = REAL_FILE.read_bytes().decode().split("\r\n")
    header = next(i for i, line in enumerate(lines) if line.startswith("# STN"))
    body = lines[header:header + 6]  # the column line, a blank line and four days
    body[3] = body[3].replace("20231102", "20231131")  # an impossible date
    body[4] = body[4].replace("  160,", "  1x0,")  # a gust that is not a number
    body[5] = body[5].rsplit(",", 3)[0]  # a line cut short
    body[2] = body[2].replace("   70,", "     ,", 1)  # FHX not measured: blank
    land(settings, "etmgeg_283_kort.txt", "\n".join(body).encode())
    ingest(CBS, settings, "run-1", LOG)
    rows = bronze(settings)
    assert list(rows) == [dt.date(2023, 11, 1)] and pd.isna(rows[dt.date(2023, 11, 1)]["fhx"])
    assert rows[dt.date(2023, 11, 1)]["fxx"] == 130
    reasons = quarantine(settings)
    assert [(t, f, n) for t, f, n, _ in reasons] == [("knmi_daggegevens", "etmgeg_283_kort.txt", n) for n in (4, 5, 6)]
    assert "YYYYMMDD '20231131' is not a date" in reasons[0][3]
    assert "FXX '1x0' is not a whole number" in reasons[1][3]
    assert "38 fields, the column line has 41" in reasons[2][3]


def test_knmi_files_beside_the_cbs_wijken_each_go_to_their_own_table(settings):
    from tests.conftest import demo_reference
    demo_reference(settings)
    shutil.copy(REAL_FILE, settings.landing / "referentie" / REAL_FILE.name)
    report = ingest(CBS, settings, "run-1", LOG)
    assert report.rows["knmi_daggegevens"] == 92 and report.rows["cbs_wijk_buurt"] > 0
    assert report.quarantined == 0
