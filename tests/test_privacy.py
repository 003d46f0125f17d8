"""No personal data past bronze: the demo's names, e-mails, phones, addresses and BSNs are looked for everywhere."""

from __future__ import annotations

import duckdb

from tests import ground_truth as gt
from tests.conftest import all_stored_strings


def _personal_data_in_landing(folder) -> set[str]:
    """Reporter names, e-mail addresses, phone numbers, free text, streets and full postcodes in the exports."""
    values = set()
    for path in folder.iterdir():
        if path.suffix == ".csv":
            for row in gt.csv.DictReader(gt.io.StringIO(path.read_bytes().decode("cp1252")), delimiter=";"):
                values |= {row[c] for c in ("Naam melder", "E-mail melder", "Telefoon melder", "Omschrijving", "Adres",
                                            "Postcode")}
        else:
            for issue in gt.api_issues(path.read_text(encoding="utf-8")):
                details = issue["addressDetails"]
                values |= {issue["description"], issue["address"], details["postcode"],
                           f"{details['street']} {details['houseNumber']}"}
    return {v for v in values if v}


def test_no_personal_data_or_free_text_in_bronze_silver_or_gold(demo_run):
    settings, _ = demo_run
    personal = _personal_data_in_landing(settings.landing / "fixi")
    assert len(personal) > 10_000  # the demo exports really do carry names, e-mails, phones and text
    stored = all_stored_strings(settings)
    assert personal & stored == set()
    assert not [s for s in stored if "@" in s or "Bel mij" in s]


def test_no_bsn_name_address_or_email_of_wmo_or_jeugd_clients_in_any_zone(demo_run):
    from tests import wmo_truth

    settings, _ = demo_run
    landing = settings.landing
    personal = wmo_truth.personal_data(landing / "zorgned", landing / "iwmo", landing / "ijw")
    assert len(personal) > 5_000
    assert personal & all_stored_strings(settings) == set()


def test_no_bsn_or_name_anywhere_and_no_document_number_in_gold(demo_run):
    settings, _ = demo_run
    gba, applications = gt.gba_rows(settings.landing), gt.counter_applications(settings.landing)
    bsns = {r["01.01.20"] for r in gba if r["01.01.20"]} | {r["BSN"] for r in applications}
    names = {r["01.02.40"] for r in gba if r["01.02.40"]}
    numbers = {r["12.35.20"] for r in gba}
    assert len(bsns) > 30_000 and len(numbers) > 50_000
    stored = all_stored_strings(settings)
    assert bsns & stored == set()
    full_names = {f"{r['01.02.10']} {r['01.02.40']}" for r in gba if r["01.02.40"]}
    assert full_names & stored == set() and len(names) > 100
    with duckdb.connect() as db:
        gold_strings = set()
        for path in settings.gold.glob("*.parquet"):
            for (name,) in db.execute(f"select column_name from (describe select * from read_parquet('{path}')) "
                                      "where column_type = 'VARCHAR'").fetchall():
                gold_strings |= {v for (v,) in db.execute(f'select distinct "{name}" from read_parquet(\'{path}\')').fetchall()}
    assert numbers & gold_strings == set()


def test_bsns_pseudonymised_column_wise_equal_the_calls_per_value():
    """The bulk readers' column-wise pseudonyms and elfproef equal `pseudonym` and `bsn_is_valid` called per value,
    for real BSNs and odd values alike, each repeated value included; and `pseudonym` is HMAC-SHA256 as Python's
    `hmac` computes it, with the key absorbed once."""
    import hashlib
    import hmac
    import random

    import pyarrow as pa

    from pipelines.privacy import bsn_columns, bsn_is_valid, pseudonym

    rng = random.Random(7)
    odd = ["", None, " 123456782", "12345678", "0", "000000000", "1234567890", "+12345678", "12.34.56.782", "١٢٣",
           "abc", "\\x41", "123456782 ", "\t111222333", "BSN 111222333"]
    values = [str(rng.randrange(10**9)) for _ in range(20_000)] + odd
    values += rng.sample(values, 2_000)
    small = values[:300] + odd + values[:30]  # as a monthly counter export is
    for key in (b"a municipality's key", b"k" * 100):  # longer than SHA-256's block: hashed first, as RFC 2104 says
        for column in (values, small):
            pseudoniem, geldig = bsn_columns(pa.array(column, pa.string()), key)
            assert pseudoniem.to_pylist() == [pseudonym(v, key) if v else None for v in column]
            assert geldig.to_pylist() == [bsn_is_valid(v) if v else None for v in column]
        for v in small:
            if v:
                message = f"bsn:{v.strip().zfill(9)}".encode()
                assert pseudonym(v, key) == hmac.digest(key, message, hashlib.sha256).hex()[:32]
        assert pseudonym("123", key, kind="client") == hmac.digest(key, b"client:123", hashlib.sha256).hex()[:32]
    assert 1_000 < sum(1 for v in values if v and bsn_is_valid(v)) < 3_000  # about one in eleven passes


def test_age_bands_column_wise_equal_the_band_of_each_age():
    """Every age from before birth to past the last band's start, and an unknown one, banded as `band_of_age`
    bands it one at a time."""
    import pyarrow as pa

    from pipelines.privacy import age_bands, band_of_age

    ages = [*range(-2, 111), None]
    assert age_bands(pa.array(ages, pa.int64())).to_pylist() == [
        band_of_age(age) if age is not None else None for age in ages]
