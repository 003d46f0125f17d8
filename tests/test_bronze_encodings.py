"""The encodings municipal exports come in, detected by charset-normalizer on a sample of each file: UTF-8 with
and without BOM, Windows-1252 and latin-1, an accent that first appears beyond the sample, and a file in none
of them, set aside with the byte that gives it away."""

from __future__ import annotations

import logging

import charset_normalizer
import pytest

from pipelines.bronze.file_register import rejected_files
from pipelines.bronze.fixi import FIXI
from pipelines.bronze.formats import ENCODINGS, SAMPLE_BYTES, decode_text
from pipelines.bronze.ingest import ingest
from tests.bulk import read_both_ways
from tests.test_bronze_fixi import HEADER, bronze, csv_line, write

LOG = logging.getLogger("test")
WINDOWS_1252 = "Overlast café – 5 € ’s avonds"  # an en dash, the euro sign and a curly quote: not latin-1
LATIN_1 = "Overlast café, één keer"


def export(categorie: str, lines: int = 2) -> str:
    return "\r\n".join([HEADER] + [csv_line(n).replace("Openbaar groen", categorie) for n in range(1, lines + 1)])


@pytest.mark.parametrize(("encoding", "categorie"), [
    ("utf-8", WINDOWS_1252), ("utf-8-sig", WINDOWS_1252), ("cp1252", WINDOWS_1252), ("latin-1", LATIN_1)])
def test_an_export_in_each_encoding_municipalities_use_is_read_to_the_same_text(settings, encoding, categorie):
    bulk, rows, quarantined = read_both_ways(FIXI, settings, "export.csv", export(categorie).encode(encoding))
    assert [r["categorie_bron"] for r in rows["fixi_melding"]] == [categorie, categorie]
    assert bulk.rows["fixi_melding"]["categorie_bron"].to_pylist() == [categorie, categorie] and not quarantined


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_an_accent_first_appearing_beyond_the_sample_is_read_in_the_files_encoding(settings, encoding):
    """The sample is plain ASCII, which both encodings read alike: where the first other byte lies decides."""
    lines = export("Openbaar groen", lines=SAMPLE_BYTES // 100).split("\r\n")
    text = "\r\n".join(lines + [csv_line(len(lines)).replace("Openbaar groen", WINDOWS_1252)])
    assert text.encode(encoding)[:SAMPLE_BYTES].isascii()

    bulk, rows, _ = read_both_ways(FIXI, settings, "export.csv", text.encode(encoding))

    assert rows["fixi_melding"][-1]["categorie_bron"] == WINDOWS_1252
    assert bulk.rows["fixi_melding"]["categorie_bron"].to_pylist()[-1] == WINDOWS_1252


def test_a_file_in_no_encoding_exports_use_is_set_aside_naming_the_byte_and_the_rest_is_read(settings):
    # 0x81 and 0x8d are undefined in Windows-1252 and cannot start a UTF-8 character
    content = export("Openbaar groen").encode("cp1252").replace(b"Openbaar groen", b"Openbaar \x81\x8d groen", 1)
    write(settings, "onbekend.csv", content)
    write(settings, "goed.csv", export(LATIN_1).encode("latin-1"))

    report = ingest(FIXI, settings, "run-1", LOG)

    [entry] = rejected_files(settings)
    position = content.index(b"\x81")
    assert entry["bestand"].endswith("onbekend.csv") and entry["error"] == (
        f"the file is neither UTF-8 nor Windows-1252 (byte 0x81 at {position})")
    assert report.files_rejected == [f"onbekend.csv: {entry['error']}"]
    assert [r["categorie_bron"] for r in bronze(settings)] == [LATIN_1, LATIN_1]


def test_utf8_with_few_accents_among_much_punctuation_is_read_as_utf8():
    """charset-normalizer ranks Windows-1252 first for this text (one "á" after forty lines of pipes, backticks
    and digits), which would read "Ciarán" as "CiarÃ¡n": UTF-8 is taken whenever it reads the sample."""
    rows = [f"| `knmi/etmgeg_{n}.txt` | KNMI daily station data ({n}) | GitHub x/y, `etmgeg_{n}.txt` (commit "
            f"9ecc1a67) | data: KNMI |" for n in range(40)]
    content = "\n".join([*rows, "| storm Ciarán (2 Nov 2023) |", ""]).encode("utf-8")
    assert charset_normalizer.from_bytes(content, cp_isolation=ENCODINGS).best().encoding == "cp1252"
    assert decode_text(content) == content.decode("utf-8")
