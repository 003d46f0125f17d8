"""The ingest floor: a bare read of the same landing files with the fastest tool for each format.

`python -m benchmarks.ingest_floor` reads every file of every source's drop folders (those its bronze step reads,
in the landing the settings name) into rows without any of the product's checks (no quarantine, pseudonyms,
lineage, register or Parquet): CSV with DuckDB's reader, JSON documents with Python's C parser (the exports are
many small documents, for which DuckDB's per-file start costs more than the parse), XML with lxml, the JSON and
XML files spread over as many processes as the machine has cores. Each source's product step reads the same
folders, so its seconds divided by the floor's is the ingest overhead the bench reports. Prints per source system
the files, rows and seconds as JSON.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
from lxml import etree

from pipelines.bronze.iwmo import NAMESPACE, PRODUCT_LINES, RETOUR
from pipelines.bronze.landing import drop_folders
from pipelines.bronze.sources import SOURCES
from pipelines.settings import Settings, load_settings

SAMPLE = 64 * 1024  # bytes read to tell a file's format and encoding
CHUNK = 2_000  # files per task handed to a worker process
# The product reads each bericht without resolving entities or the network; so does the floor.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def floor(settings: Settings, processes: int = os.cpu_count() or 1) -> dict[str, dict]:
    """Per source system (the product's bronze step of the same name): files, rows and seconds of a bare read."""
    result = {}
    for source in SOURCES:
        started = time.perf_counter()
        files = [path for _, folder in drop_folders(settings, source.system) for path in _files(Path(folder))]
        document_rows, csv_files = _read_documents(files, processes)
        rows = document_rows + _read_csv(csv_files)
        result[source.system] = {"files": len(files), "rows": rows, "seconds": time.perf_counter() - started}
    return result


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _read_csv(files) -> int:
    """Rows in these CSV files, read by DuckDB, one call per group of files that share their encoding and header
    (the monthly exports of one system); a group its sniffer cannot read (KNMI's commented header, a ragged export)
    by Python's csv module, as the product reads such a file record by record."""
    groups = defaultdict(list)
    for path in files:
        groups[_encoding_and_header(path)].append(path)
    rows = 0
    with duckdb.connect() as db:
        for (encoding, _), paths in groups.items():
            try:
                rows += db.sql("select * from read_csv(?, all_varchar = true, header = true, encoding = ?)",
                               params=[[str(p) for p in paths], encoding]).to_arrow_table().num_rows
            except duckdb.Error:
                rows += sum(_read_csv_by_record(path, encoding) for path in paths)
    return rows


def _read_csv_by_record(path: Path, encoding: str) -> int:
    with path.open(encoding=encoding, newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def _encoding_and_header(path: Path) -> tuple[str, bytes]:
    with path.open("rb") as f:
        sample = f.read(SAMPLE)
    return ("utf-8" if _is_utf8(sample) else "latin-1"), sample.split(b"\n", 1)[0]


def _is_utf8(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start > len(sample) - 4  # a character cut off by the sample's end
    return True


def _read_documents(files: list[Path], processes: int) -> tuple[int, list[Path]]:
    """The rows of the JSON and XML files, read in worker processes, and the CSV files left for DuckDB."""
    chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)]
    if processes <= 1 or len(chunks) <= 1:
        read = list(map(_read_chunk, chunks))
    else:
        with ProcessPoolExecutor(processes) as pool:
            read = list(pool.map(_read_chunk, chunks))
    return sum(rows for rows, _ in read), [path for _, csv_files in read for path in csv_files]


def _read_chunk(files: list[Path]) -> tuple[int, list[Path]]:
    """Rows in the JSON and XML files of a chunk, each file opened once: its start tells the format, a document is
    then read whole. A JSON document gives its records; a bericht the bericht and its product lines (as bronze has
    them: none of a retour), with every element's text taken. A file that does not parse (the demo delivers a
    few, as real landing folders hold them) gives none. The chunk's CSV files are returned unread."""
    rows, csv_files = 0, []
    for path in files:
        with path.open("rb") as f:
            start = f.read(SAMPLE)
            kind = _format(start)
            content = start + f.read() if kind != "csv" else b""
        try:
            if kind == "xml":
                rows += _bericht_rows(etree.fromstring(content, XML_PARSER))
            elif kind == "json":
                rows += _records(json.loads(content))
            else:
                csv_files.append(path)
        except (ValueError, etree.XMLSyntaxError):
            continue
    return rows, csv_files


def _format(start: bytes) -> str:
    start = start.removeprefix(b"\xef\xbb\xbf").lstrip()
    return "xml" if start.startswith(b"<") else "json" if start[:1] in (b"{", b"[", b'"') else "csv"


def _bericht_rows(root) -> int:
    values = [(element.tag, element.text) for element in root.iter()]
    match = NAMESPACE.match(etree.QName(root).namespace or "")
    number = match.group(5) if match else None
    if number in RETOUR or number not in PRODUCT_LINES:
        return 1
    lines = {f"{{{match.group(0)}}}{line}" for _, line, _ in PRODUCT_LINES[number]}
    return 1 + sum(1 for tag, _ in values if tag in lines)


def _records(document) -> int:
    """The records of a JSON export: the longest list in it (API pages: `results`, ZorgNed `_embedded.aanvraag`,
    Haal Centraal `reisdocumenten` or a list of persons); a document double-encoded as a string is decoded again."""
    if isinstance(document, str):
        return _records(json.loads(document))
    if isinstance(document, list):
        return len(document)
    if isinstance(document, dict):
        return max((_records(value) for value in document.values() if isinstance(value, (dict, list))), default=1)
    return 0


if __name__ == "__main__":
    print(json.dumps(floor(load_settings())))
