"""Fixi exports into bronze: real shapes, bad input, quarantine, idempotency and minimisation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.bronze import landing
from pipelines.bronze.file_register import rejected_files
from pipelines.bronze.fixi import FIXI
from pipelines.bronze.ingest import ingest
from pipelines.run import _quarantined
from tests.bulk import read_both_ways
from tests.conftest import demo_reference, run_lakehouse

HEADER = "Meldingnummer;Categorie;Status;Omschrijving;Datum melding;Datum afgehandeld;Laatst gewijzigd;" \
         "Breedtegraad;Lengtegraad;Postcode;Naam melder"
LOG = logging.getLogger("test")


def csv_line(n: int, made: str = "02-06-2026 09:15", closed: str = "04-06-2026 11:00", extra: str = "") -> str:
    return (f"F-{n};Openbaar groen;afgehandeld;Tak op fietspad, groet Jan;{made};{closed};{closed};52,1301;6,2002;"
            f"7201 AB;Jan Jansen{extra}")


def write(settings, name: str, content: bytes | str) -> None:
    folder = settings.landing / "fixi"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def api_page(*issues: dict) -> str:
    return json.dumps({"count": len(issues), "next": None, "results": list(issues)})


def issue(public_id: str, created: str = "2026-06-02T09:15:00+02:00", **extra) -> dict:
    return {"publicID": public_id, "categoryName": "Afval / Zwerfafval", "status": "ontvangen", "created": created,
            "closed": None, "modified": created, "location": {"lat": 52.13, "lng": 6.2},
            "addressDetails": {"postcode": "7201 AB"}, "description": "Vuilniszakken, bel 0612345678",
            "attachments": [{"uri": "https://x/1.jpg"}], **extra}


def bronze(settings) -> list[dict]:
    with duckdb.connect() as db:
        return db.execute(f"select * from read_parquet('{settings.bronze}/fixi/melding/*.parquet', union_by_name=true)"
                          " order by bron_bestand, bron_record").df().to_dict("records")


def quarantine(settings) -> list[tuple]:
    with duckdb.connect() as db:
        return db.execute(f"select bron_bestand, bron_record, reden from "
                          f"read_parquet('{settings.quarantine}/records/fixi/*.parquet') order by all").fetchall()


def test_backoffice_csv_in_windows_1252_with_dutch_dates(settings):
    write(settings, "export.csv", "\r\n".join([HEADER, csv_line(1), csv_line(2)]).replace("Tak", "Tak café").encode("cp1252"))
    report = ingest(FIXI, settings, "run-1", LOG)
    rows = bronze(settings)
    assert report.rows["fixi_melding"] == 2 and report.files_new == 1
    assert rows[0]["melding_id"] == "F-1" and rows[0]["categorie_bron"] == "Openbaar groen"
    assert str(rows[0]["datum_melding"]) == "2026-06-02 09:15:00"
    assert rows[0]["breedtegraad"] == pytest.approx(52.1301) and rows[0]["postcode4"] == "7201"
    assert (rows[0]["bron_bestand"], rows[0]["bron_record"], rows[0]["bron_formaat"]) == ("export.csv", 2, "backoffice_csv")


def test_api_page_plain_and_double_encoded_with_time_zones(settings):
    write(settings, "p1.json", api_page(issue("A-1")))
    write(settings, "p2.json", json.dumps(api_page(issue("A-2", created="2026-01-15T08:00:00Z"))))
    ingest(FIXI, settings, "run-1", LOG)
    rows = {r["melding_id"]: r for r in bronze(settings)}
    assert str(rows["A-1"]["datum_melding"]) == "2026-06-02 09:15:00"  # summer time, as given
    assert str(rows["A-2"]["datum_melding"]) == "2026-01-15 09:00:00"  # UTC -> Amsterdam winter time


def test_cut_off_page_keeps_complete_records_and_quarantines_the_lost_tail(settings):
    text = api_page(issue("A-1"), issue("A-2"), issue("A-3"))
    write(settings, "cut.json", text[: text.index('"A-3"') + 10])
    ingest(FIXI, settings, "run-1", LOG)
    assert [r["melding_id"] for r in bronze(settings)] == ["A-1", "A-2"]
    assert quarantine(settings) == [
        ("cut.json", 3, "invalid JSON after record 2 (the page is cut off or corrupt); the rest of the page is lost")
    ]


def test_corruption_inside_a_page_keeps_the_records_before_it(settings):
    text = api_page(issue("A-1"), issue("A-2"))
    write(settings, "corrupt.json", text.replace('"A-2", "categoryName"', '"A-2" "categoryName"'))
    ingest(FIXI, settings, "run-1", LOG)
    assert [r["melding_id"] for r in bronze(settings)] == ["A-1"]
    assert [(f, n) for f, n, _ in quarantine(settings)] == [("corrupt.json", 2)]


def test_corrupt_records_inside_a_page_lose_only_themselves_and_are_counted(settings):
    """What the issue saw: 15 issues with a syntax error inside the 6th gave 5 in bronze and 9 nowhere."""
    text = api_page(*(issue(f"A-{n}") for n in range(1, 16)))
    write(settings, "corrupt.json", text.replace('"A-6", "categoryName"', '"A-6" "categoryName"'))
    second = api_page(*(issue(f"B-{n}") for n in range(1, 8)))
    broken = (second.replace('"B-3", "categoryName"', '"B-3" "categoryName"')
              .replace('"B-4", "categoryName"', '"B-4"; "categoryName"'))
    write(settings, "twee_fouten.json", json.dumps(broken))  # double-encoded, two corrupt records in a row
    report = ingest(FIXI, settings, "run-1", LOG)
    ids = [r["melding_id"] for r in bronze(settings)]
    assert ids == [f"A-{n}" for n in range(1, 16) if n != 6] + [f"B-{n}" for n in (1, 2, 5, 6, 7)]
    assert [r["bron_record"] for r in bronze(settings) if r["bron_bestand"] == "corrupt.json"][5:7] == [7, 8]
    lost = quarantine(settings)
    assert [(f, n) for f, n, _ in lost] == [("corrupt.json", 6), ("twee_fouten.json", 3), ("twee_fouten.json", 4)]
    assert lost[0][2].startswith("invalid JSON after record 5 (corrupt); 1 record(s) up to character")
    assert "the records after it were recovered" in lost[0][2] and "2 record(s)" in lost[1][2]
    assert report.notes["records lost in corrupt API pages"] == 3 and report.quarantined == 3
    register = {os.path.basename(e["bestand"]): e for e in pq.read_table(
        next((settings.file_register / "fixi").glob("*.parquet"))).to_pylist()}
    assert register["corrupt.json"]["quarantined"] == 1 and json.loads(register["corrupt.json"]["rows"]) == {"fixi_melding": 14}
    assert _quarantined(settings) == (3, 3)  # the run's summary: quarantined, of which lost in corrupt JSON


def test_impossible_dates_and_missing_ids_go_to_quarantine_with_file_and_line(settings):
    lines = [HEADER, csv_line(1), csv_line(2, made="31-02-2026 10:00"), csv_line(3, made="01-01-2099 10:00"),
             csv_line(4).replace("F-4", "", 1), "", csv_line(5)]
    write(settings, "dirty.csv", "\r\n".join(lines))
    report = ingest(FIXI, settings, "run-1", LOG)
    assert [r["melding_id"] for r in bronze(settings)] == ["F-1", "F-5"]
    reasons = quarantine(settings)
    assert [(f, n) for f, n, _ in reasons] == [("dirty.csv", 3), ("dirty.csv", 4), ("dirty.csv", 5)]
    assert "'31-02-2026 10:00' is not a valid date" in reasons[0][2]
    assert "2099-01-01 is impossible" in reasons[1][2]
    assert reasons[2][2] == "melding without a publicID / meldingnummer"
    assert report.notes["blank lines skipped"] == 1


def test_a_back_office_export_read_column_wise_equals_record_by_record(settings):
    """A regular export, Windows-1252 included, is read column-wise (`bulk`): exactly the rows, quarantine
    and notes of reading it record by record, with impossible dates and times, a missing id, a blank line,
    numbers written either way and a bad postcode."""
    lines = [HEADER + ";Extra", csv_line(1, extra=";x"), csv_line(2, made="31-02-2026 10:00", extra=";x"),
             csv_line(3, made="01-01-2099 10:00", extra=";x"), csv_line(4, extra=";x").replace("F-4", "", 1), "",
             csv_line(5, made="2-6-2026 9:05:07", closed="04-06-2026", extra=";x").replace("52,1301", "52.13"),
             csv_line(6, made="02-06-2026 24:15", extra=";x"), csv_line(7, extra=";Zoë").replace("7201 AB", "0201 AB"),
             csv_line(8, made="", extra=";x").replace("6,2002", "zes")]
    bulk, rows, quarantined = read_both_ways(FIXI, settings, "export.csv", "\r\n".join(lines).encode("cp1252"))
    assert bulk.rows["fixi_melding"].to_pylist() == rows["fixi_melding"]
    assert bulk.quarantined.to_pylist() == quarantined
    assert [r["melding_id"] for r in rows["fixi_melding"]] == ["F-1", "F-5", "F-7"]
    assert [(r["bron_record"], r["reden"]) for r in quarantined] == [
        (3, "datum_melding '31-02-2026 10:00' is not a valid date (expected dd-mm-jjjj hh:mm)"),
        (4, "datum_melding 2099-01-01 is impossible (before 2000 or after the peildatum 2026-06-30)"),
        (5, "melding without a publicID / meldingnummer"),
        (8, "datum_melding '02-06-2026 24:15' is not a valid date (expected dd-mm-jjjj hh:mm)"),
        (10, "lengtegraad 'zes' is not a number")]


def test_an_api_page_read_column_wise_equals_record_by_record(settings):
    """A complete API page is read column-wise: exactly the rows, quarantine and notes of reading it record by
    record, with summer and winter offsets, UTC, local time without offset, impossible and unreadable dates,
    a missing id or creation date, numbers as text and a bad postcode."""
    issues = [
        issue("A-1"), issue("A-2", created="2026-01-15T08:00:00+01:00", closed="2026-01-20T16:30:00Z"),
        issue("A-3", created="2026-03-29T01:30:00Z"), issue("A-4", created="2026-06-02T09:15:00"),
        issue("A-5", created="2099-01-01T10:00:00+01:00"), issue("A-6", created="2026-02-30T10:00:00+01:00"),
        issue("", created="2026-06-01T10:00:00+02:00"), issue("A-8", created=None), issue("A-9", created=""),
        issue("A-10", location={"lat": "52,13", "lng": "zes"}), issue("A-11", addressDetails={"postcode": "0201 AB"}),
        {"publicID": "A-12", "categoryName": "Afval / Zwerfafval", "status": "ontvangen",
         "created": "2026-06-02T09:15:00+02:00"},
    ]
    page = json.dumps(api_page(*issues))  # double-encoded, as some exports are
    bulk, rows, quarantined = read_both_ways(FIXI, settings, "page.json", page.encode("utf-8"))
    assert bulk.rows["fixi_melding"].to_pylist() == rows["fixi_melding"]
    assert bulk.quarantined.to_pylist() == quarantined
    by_id = {r["melding_id"]: r for r in rows["fixi_melding"]}
    assert sorted(by_id) == ["A-1", "A-11", "A-12", "A-2", "A-3", "A-4"]
    assert (by_id["A-2"]["datum_melding"], by_id["A-2"]["datum_afgehandeld"]) == (
        dt.datetime(2026, 1, 15, 8), dt.datetime(2026, 1, 20, 17, 30))
    assert by_id["A-3"]["datum_melding"] == dt.datetime(2026, 3, 29, 3, 30)  # just after the clocks went forward
    assert (by_id["A-4"]["datum_melding"], by_id["A-11"]["postcode4"], by_id["A-1"]["postcode4"]) == (
        dt.datetime(2026, 6, 2, 9, 15), None, "7201")
    assert [(r["bron_record"], r["reden"]) for r in quarantined] == [
        (5, "created 2099-01-01 is impossible (before 2000 or after the peildatum 2026-06-30)"),
        (6, "created '2026-02-30T10:00:00+01:00' is not a valid ISO 8601 date"),
        (7, "melding without a publicID / meldingnummer"),
        (8, "melding without a creation date"), (9, "melding without a creation date"),
        (10, "location.lng 'zes' is not a number")]
    assert json.loads(quarantined[0]["record"])["publicID"] == "A-5"


def test_back_office_timestamps_with_seconds_without_time_or_with_an_impossible_time(settings):
    lines = [HEADER, csv_line(1, made="02-06-2026 09:15:42", closed="04-06-2026"),
             csv_line(2, made="02-06-2026 24:15"), csv_line(3, made="2-6-2026 9:05")]
    write(settings, "tijden.csv", "\r\n".join(lines))
    ingest(FIXI, settings, "run-1", LOG)
    rows = {r["melding_id"]: r for r in bronze(settings)}
    assert rows["F-1"]["datum_melding"] == dt.datetime(2026, 6, 2, 9, 15, 42)
    assert rows["F-1"]["datum_afgehandeld"] == dt.datetime(2026, 6, 4)
    assert rows["F-3"]["datum_melding"] == dt.datetime(2026, 6, 2, 9, 5)
    [(file, line, reason)] = quarantine(settings)
    assert (file, line) == ("tijden.csv", 3) and "'02-06-2026 24:15' is not a valid date" in reason


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("kapot.json", b'{"count": 3, "resu', "invalid JSON and no results[] list"),
        ("utf16.csv", HEADER.encode("utf-16"), "UTF-16 or binary"),
        ("kolommen.csv", b"Meldingnummer;Status\r\nF-1;open", "required columns missing: categorie_bron, datum_melding"),
        ("geen_export.txt", b"hallo wereld", "not a Fixi export"),
        ("ander.json", b'{"data": []}', "without a results[] list"),
    ],
)
def test_unreadable_files_are_set_aside_with_a_clear_error_and_the_rest_still_runs(settings, name, content, error):
    write(settings, name, content)
    write(settings, "goed.csv", "\r\n".join([HEADER, csv_line(1)]))
    report = ingest(FIXI, settings, "run-1", LOG)
    assert report.rows["fixi_melding"] == 1
    assert len(report.files_rejected) == 1 and report.files_rejected[0].startswith(name)
    [entry] = rejected_files(settings)
    assert error in entry["error"] and entry["bestand"].endswith(name)
    assert len(list((settings.quarantine / "bestanden" / "fixi").glob(f"*_{name}"))) == 1
    assert (settings.landing / "fixi" / name).read_bytes() == content  # landing is never edited


def test_extra_columns_are_not_read_and_are_reported(settings):
    write(settings, "extra.csv", "\r\n".join([HEADER + ";Kenteken", csv_line(1, extra=";AB-123-C")]))
    report = ingest(FIXI, settings, "run-1", LOG)
    assert report.rows["fixi_melding"] == 1
    assert report.notes["column not read: Kenteken"] == 1 and report.notes["column not read: Naam melder"] == 1
    assert "AB-123-C" not in json.dumps(bronze(settings), default=str)


def test_a_row_with_too_many_fields_is_quarantined(settings):
    write(settings, "velden.csv", "\r\n".join([HEADER, csv_line(1), csv_line(2) + ";te;veel"]))
    ingest(FIXI, settings, "run-1", LOG)
    assert quarantine(settings) == [("velden.csv", 3, "line 3: 13 fields where the header has 11")]


def test_the_same_file_twice_or_under_another_name_adds_nothing(settings):
    content = "\r\n".join([HEADER, csv_line(1), csv_line(2)])
    write(settings, "a.csv", content)
    assert ingest(FIXI, settings, "run-1", LOG).rows["fixi_melding"] == 2
    write(settings, "a_opnieuw.csv", content)
    again = ingest(FIXI, settings, "run-2", LOG)
    assert (again.rows["fixi_melding"], again.files_new, again.files_known) == (0, 0, 2)
    assert len(bronze(settings)) == 2


def test_files_asked_for_ahead_keep_their_own_records(settings):
    """A chunk asks the kernel for all its files before parsing the first; each file's records stay with that
    file, whatever order the disk serves them in."""
    for n in range(40):
        write(settings, f"pagina_{n:02d}.json", api_page(*(issue(f"P{n}-{i}") for i in range(1 + (n % 7) * 40))))

    report = ingest(FIXI, settings, "run-1", LOG)

    rows = bronze(settings)
    assert report.files_new == 40 and len(rows) == sum(1 + (n % 7) * 40 for n in range(40))
    assert all(r["bron_bestand"] == f"pagina_{r['melding_id'].split('-')[0][1:]:0>2}.json" for r in rows)


def test_a_first_delivery_is_read_once_and_a_copy_in_another_chunk_adds_nothing(settings, monkeypatch):
    """Each file is read once, hashed as it is parsed; a copy whose original another chunk holds is taken out
    of its chunk before that chunk reaches bronze, and registered as a duplicate."""
    from pipelines.bronze import ingest as ingest_module

    for name, public_id in (("a.json", "A-1"), ("b.json", "B-1"), ("c_kopie.json", "A-1")):
        write(settings, name, api_page(issue(public_id)))
    monkeypatch.setattr(ingest_module, "CHUNK_FILES", 1)
    reads = []
    monkeypatch.setattr(ingest_module, "_read", lambda path: reads.append(Path(path).name) or Path(path).read_bytes())

    report = ingest(FIXI, settings, "run-1", LOG)

    assert sorted(reads) == ["a.json", "b.json", "c_kopie.json"]
    assert sorted(r["melding_id"] for r in bronze(settings)) == ["A-1", "B-1"]
    assert (report.files_new, report.files_known, report.rows["fixi_melding"]) == (2, 1, 2)
    assert sorted((Path(e["bestand"]).name, e["status"]) for e in report.register_table().to_pylist()) == [
        ("a.json", "ingested"), ("b.json", "ingested"), ("c_kopie.json", "duplicate")]
    assert report.folders == {str(settings.landing / "fixi")}
    assert not list(settings.bronze.rglob("*.staged"))
    reads.clear()
    assert (ingest(FIXI, settings, "run-2", LOG).files_known, reads) == (3, [])  # the copy is registered too


def test_parts_an_interrupted_run_left_unpublished_are_removed_and_their_files_read_again(settings, monkeypatch):
    from pipelines.bronze import ingest as ingest_module

    write(settings, "a.json", api_page(issue("A-1")))
    monkeypatch.setattr(ingest_module, "_publish", lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        ingest(FIXI, settings, "run-1", LOG)
    assert [p.name for p in settings.bronze.rglob("*.staged")] == ["run-1-0000-0000.parquet.staged"]
    assert not list(settings.bronze.rglob("*.parquet"))
    monkeypatch.undo()

    report = ingest(FIXI, settings, "run-2", LOG)
    assert (report.files_new, [r["melding_id"] for r in bronze(settings)]) == (1, ["A-1"])
    assert not list(settings.bronze.rglob("*.staged"))


def test_free_text_reporter_and_address_never_reach_bronze(settings):
    write(settings, "p.json", api_page(issue("A-1", address="Stationsplein 1, Zutphen")))
    write(settings, "e.csv", "\r\n".join([HEADER, csv_line(1)]))
    ingest(FIXI, settings, "run-1", LOG)
    stored = json.dumps(bronze(settings), default=str)
    for personal in ("0612345678", "Vuilniszakken", "Stationsplein", "Jan Jansen", "groet Jan", "7201 AB", "1.jpg"):
        assert personal not in stored


def test_a_full_run_with_bad_files_completes_and_reports_them(settings):
    demo_reference(settings)
    good = "\r\n".join([HEADER] + [csv_line(n) for n in range(1, 60)])
    write(settings, "goed.csv", good.encode("cp1252"))
    write(settings, "goed_nogmaals.csv", good.encode("cp1252"))
    write(settings, "kapot.json", b'{"count": 3, "resu')
    write(settings, "utf16.csv", good.encode("utf-16"))
    write(settings, "datums.csv", "\r\n".join([HEADER, csv_line(900, made="30-02-2026 12:00")]))
    write(settings, "status.csv", "\r\n".join([HEADER, csv_line(901).replace(";afgehandeld;", ";Vervallen;")]))

    result = run_lakehouse()

    assert result.success
    with duckdb.connect(str(settings.build_db), read_only=True) as db:  # an unknown status is flagged, not hidden
        assert db.execute("select melding_id, status_bron, status, status_bekend from silver.fixi_melding "
                          "where not status_bekend").fetchall() == [("F-901", "Vervallen", "afgehandeld", False)]
    assert sorted(e["bestand"].rsplit("/", 1)[1] for e in rejected_files(settings)) == ["kapot.json", "utf16.csv"]
    assert [(f, n) for f, n, _ in quarantine(settings)] == [("datums.csv", 2)]
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        assert db.execute("select sum(aantal_meldingen) from fixi_meldingen_week").fetchone()[0] == 60
        assert db.execute("select geslaagd, aantal_onverwacht from dq_resultaten where tabel = 'silver.fixi_melding' "
                          "and kolom = 'status_bekend'").fetchall() == [(True, 1)]  # 1 of 60: within the 2%


def test_a_registered_file_untouched_since_is_not_read_again_and_a_touched_one_is_recognised(settings, monkeypatch):
    write(settings, "export.csv", "\r\n".join([HEADER, csv_line(1)]).encode("cp1252"))
    assert ingest(FIXI, settings, "run-1", LOG).files_new == 1
    with monkeypatch.context() as m:
        m.setattr("pipelines.bronze.ingest._read", lambda path: pytest.fail(f"{path} was read again"))
        m.setattr("pipelines.bronze.file_register.known_hashes", lambda *_: pytest.fail("bronze's hashes were read"))
        again = ingest(FIXI, settings, "run-2", LOG)
    assert (again.files_new, again.files_known) == (0, 1)

    path = settings.landing / "fixi" / "export.csv"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # copied or touched
    touched = ingest(FIXI, settings, "run-3", LOG)
    assert (touched.files_new, touched.files_known, len(bronze(settings))) == (0, 1, 1)  # known by its content
    with monkeypatch.context() as m:  # and registered as such: the next run does not read it either
        m.setattr("pipelines.bronze.ingest._read", lambda path: pytest.fail(f"{path} was read again"))
        assert ingest(FIXI, settings, "run-4", LOG).files_known == 1


def settled(folder: Path) -> None:
    """Give a folder the time of a delivery that arrived an hour ago."""
    os.utime(folder, ns=(folder.stat().st_atime_ns, folder.stat().st_mtime_ns - 3600 * 10**9))


def ingest_listing_nothing(source, settings, run_id: str, monkeypatch):
    """An ingest that fails the test if it lists a folder."""
    with monkeypatch.context() as m:
        m.setattr(landing, "_entries", lambda folder: pytest.fail(f"{folder} was listed again"))
        return ingest(source, settings, run_id, LOG)


def test_a_large_folder_unchanged_since_the_last_run_is_not_listed_again(settings, monkeypatch):
    monkeypatch.setattr(landing, "LIST_ALWAYS_BELOW_FILES", 2)
    folder = settings.landing / "fixi"
    for n in (1, 2):
        write(settings, f"export{n}.csv", "\r\n".join([HEADER, csv_line(n)]))
    settled(folder)
    assert ingest(FIXI, settings, "run-1", LOG).files_new == 2
    again = ingest_listing_nothing(FIXI, settings, "run-2", monkeypatch)
    assert (again.files_new, again.files_known) == (0, 2)

    write(settings, "export3.csv", "\r\n".join([HEADER, csv_line(3)]))  # the folder changes: listed again
    settled(folder)
    third = ingest(FIXI, settings, "run-3", LOG)
    assert (third.files_new, third.files_known, len(bronze(settings))) == (1, 2, 3)

    # Rewritten in place, the folder keeps its time: seen when the folder changes, or with a full refresh.
    write(settings, "export1.csv", "\r\n".join([HEADER, csv_line(1, closed="05-06-2026 11:00")]))
    assert ingest(FIXI, settings, "run-4", LOG).files_new == 0
    full = ingest(FIXI, dataclasses.replace(settings, full_refresh=True), "run-5", LOG)
    assert (full.files_new, full.files_known, len(bronze(settings))) == (1, 2, 4)


@pytest.mark.parametrize("never_rewritten", [False, True])
def test_a_source_whose_files_are_never_rewritten_has_its_large_folders_listed_by_name(settings, monkeypatch,
                                                                                     never_rewritten):
    """Like iWmo, one file per bericht: in a large folder that changed, only names not registered are looked at."""
    source = dataclasses.replace(FIXI, files_never_rewritten=never_rewritten)
    monkeypatch.setattr(landing, "LIST_ALWAYS_BELOW_FILES", 2)
    for n in (1, 2):
        write(settings, f"export{n}.csv", "\r\n".join([HEADER, csv_line(n)]))
    settled(settings.landing / "fixi")
    assert ingest(source, settings, "run-1", LOG).files_new == 2

    write(settings, "export1.csv", "\r\n".join([HEADER, csv_line(1, closed="05-06-2026 11:00")]))  # in place
    write(settings, "export3.csv", "\r\n".join([HEADER, csv_line(3)]))  # the folder changes
    listing = landing.landing_listing(settings, "fixi", never_rewritten=never_rewritten)
    assert listing.files.num_rows == 3 and listing.files["bytes"].null_count == (3 if never_rewritten else 0)
    second = ingest(source, settings, "run-2", LOG)
    assert (second.files_new, second.files_known) == ((1, 2) if never_rewritten else (2, 1))
    assert sorted(r["melding_id"] for r in bronze(settings)) == \
        (["F-1", "F-2", "F-3"] if never_rewritten else ["F-1", "F-1", "F-2", "F-3"])
    [register] = [p for p in (settings.file_register / "fixi").iterdir() if p.stem == "run-2"]
    new = pq.read_table(register).to_pylist()
    assert all((e["bytes"], e["mtime_ns"]) == (os.stat(e["bestand"]).st_size, os.stat(e["bestand"]).st_mtime_ns)
               for e in new)  # a file listed by name is registered with its size and time, for the next run


def test_a_folder_that_changed_just_before_it_was_listed_is_listed_again(settings, monkeypatch):
    """A file could arrive within the same tick of the file system's clock, leaving the folder's time as read."""
    monkeypatch.setattr(landing, "LIST_ALWAYS_BELOW_FILES", 1)
    monkeypatch.setattr(landing, "UNSETTLED_NS", 600 * 10**9)  # however slow this machine, the write is that recent
    write(settings, "export1.csv", "\r\n".join([HEADER, csv_line(1)]))
    assert ingest(FIXI, settings, "run-1", LOG).files_new == 1
    listing = landing.landing_listing(settings, "fixi")
    assert (listing.files.num_rows, listing.not_listed) == (1, 0)
    settled(settings.landing / "fixi")
    ingest(FIXI, settings, "run-2", LOG)
    listing = landing.landing_listing(settings, "fixi")
    assert (listing.files.num_rows, listing.not_listed) == (0, 1)


def test_a_small_folder_is_listed_every_run_so_a_file_rewritten_in_place_is_read(settings):
    write(settings, "brp_export.csv", "\r\n".join([HEADER, csv_line(1)]))
    settled(settings.landing / "fixi")
    assert ingest(FIXI, settings, "run-1", LOG).files_new == 1
    write(settings, "brp_export.csv", "\r\n".join([HEADER, csv_line(1, closed="05-06-2026 11:00")]))
    assert ingest(FIXI, settings, "run-2", LOG).files_new == 1


def test_a_small_folder_of_a_source_whose_files_are_never_rewritten_is_listed_only_when_it_changes(settings,
                                                                                                  monkeypatch):
    source = dataclasses.replace(FIXI, files_never_rewritten=True)
    folder = settings.landing / "fixi"
    write(settings, "export1.csv", "\r\n".join([HEADER, csv_line(1)]))
    settled(folder)
    assert ingest(source, settings, "run-1", LOG).files_new == 1
    again = ingest_listing_nothing(source, settings, "run-2", monkeypatch)
    assert (again.files_new, again.files_known) == (0, 1)

    write(settings, "export2.csv", "\r\n".join([HEADER, csv_line(2)]))
    settled(folder)
    third = ingest(source, settings, "run-3", LOG)
    assert (third.files_new, third.files_known, sorted(r["melding_id"] for r in bronze(settings))) == \
        (1, 1, ["F-1", "F-2"])


def test_a_register_an_earlier_version_wrote_as_json_is_read_and_rewritten_as_parquet(settings, monkeypatch):
    write(settings, "export.csv", "\r\n".join([HEADER, csv_line(1)]).encode("cp1252"))
    write(settings, "kapot.json", b'{"count": 3, "resu')
    ingest(FIXI, settings, "run-1", LOG)
    [register] = (settings.file_register / "fixi").iterdir()
    entries = [{k: json.loads(v) if k == "rows" else v for k, v in e.items() if v is not None}
               for e in pq.read_table(register).to_pylist()]
    earlier = {"run_id": "run-1", "geregistreerd_op": "2026-11-30T01:00:00+00:00", "bestanden": entries}
    register.with_suffix(".json").write_text(json.dumps(earlier), encoding="utf-8")  # as written before
    register.unlink()

    with monkeypatch.context() as m:
        m.setattr("pipelines.bronze.ingest._read", lambda path: pytest.fail(f"{path} was read again"))
        again = ingest(FIXI, settings, "run-2", LOG)

    assert (again.files_new, again.files_known) == (0, 2)
    assert [p.name for p in (settings.file_register / "fixi").iterdir()] == ["run-1.parquet"]
    upgraded = pq.read_table(settings.file_register / "fixi" / "run-1.parquet")
    assert upgraded.schema.metadata[b"geregistreerd_op"] == b"2026-11-30T01:00:00+00:00"
    assert sorted(e["status"] for e in upgraded.to_pylist()) == ["ingested", "rejected"]
    assert [e["bestand"].rsplit("/", 1)[1] for e in rejected_files(settings)] == ["kapot.json"]


def test_files_in_a_municipality_drop_folder_carry_that_gemeentecode(settings):
    write(settings, "eigen.csv", "\r\n".join([HEADER, csv_line(1)]).encode("cp1252"))
    other = settings.landing / "GM0363" / "fixi"
    other.mkdir(parents=True)
    (other / "amsterdam.json").write_text(api_page(issue("A-1"), issue("A-2")), encoding="utf-8")
    (settings.landing / "GM03XX" / "fixi").mkdir(parents=True)  # not a CBS code: not a drop folder
    (settings.landing / "GM03XX" / "fixi" / "x.json").write_text(api_page(issue("X-1")), encoding="utf-8")

    ingest(FIXI, settings, "run-1", LOG)

    assert sorted((r["gemeentecode"], r["melding_id"]) for r in bronze(settings)) == [
        ("GM0301", "F-1"), ("GM0363", "A-1"), ("GM0363", "A-2")]


def test_progress_is_logged_at_intervals_and_once_at_the_end(settings, monkeypatch, caplog):
    for n in range(3):
        write(settings, f"p{n}.json", api_page(issue(f"A-{n}")))
    monkeypatch.setattr("pipelines.bronze.ingest.CHUNK_FILES", 1)  # three chunks, read in this process

    def progress_lines(run_id: str) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="test"):
            ingest(FIXI, settings, run_id, LOG)
        return [r.getMessage() for r in caplog.records if "new files read" in r.getMessage()]

    assert progress_lines("run-1") == ["fixi: 3/3 new files read, 3 rows, 0 quarantined"]
    write(settings, "p3.json", api_page(issue("A-3")))
    write(settings, "p4.json", api_page(issue("A-4")))
    monkeypatch.setattr("pipelines.bronze.ingest.PROGRESS_SECONDS", 0)  # every chunk is past the interval
    assert progress_lines("run-2") == ["fixi: 1/2 new files read, 1 rows, 0 quarantined",
                                       "fixi: 2/2 new files read, 2 rows, 0 quarantined"]
    assert progress_lines("run-3") == []  # nothing new, nothing to report


def test_postcodes_read_column_wise_equal_python_stdnum_per_value():
    """The column-wise four digits equal `_postcode4` (python-stdnum's compact and validation) for postcodes as
    written and as mistyped, the excluded letter pairs included."""
    import pyarrow as pa

    from pipelines.bronze.fixi import _postcode4, postcodes4

    values = ["1234 AB", "1234AB", "9999 ZZ", "1234 SA", "1234SD", "1234 SS", "1234 SB", "1234 AS", "1234 sa",
              "1234 ab", "0123 AB", " 1234AB", "1234AB ", "NL-1234 AB", "nl 1234ab", "1234-AB", "1234  AB", "12345AB",
              "1234 A", "1234 ÄB", "", None, "1234 AB"]
    assert postcodes4(pa.array(values, pa.string())).to_pylist() == [_postcode4(v or "") for v in values]
    assert postcodes4(pa.array(values[:3], pa.string())).to_pylist() == ["1234", "1234", "9999"]
