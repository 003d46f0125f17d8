"""Fixi exports -> bronze `fixi_melding`: issues API pages (JSON) and back-office CSV exports.

The format is recognised from the content. API pages may be double-encoded (a JSON string holding the
JSON), cut off or corrupt; the records JSON still allows to read are kept, also after a corrupt stretch,
and what is lost is quarantined and counted. Only the
fields the analyses need are read: free text, attachments, addresses and reporter details never are.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc
from stdnum.nl import postcode as nl_postcode

from pipelines.bronze.contract import Bulk, ParseContext, Parsed, RecordError, Source, UnreadableFile
from pipelines.bronze.formats import (
    FIELD_COUNT_ERROR,
    decimal,
    decode_text,
    dutch_timestamp,
    dutch_timestamps,
    header_line,
    iso_timestamp,
    iso_timestamps,
    looks_delimited,
    per_value,
    plausible,
    read_csv,
    read_csv_columns,
    through_distinct,
    without_failed,
)
from pipelines.bronze.tables import FIXI_MELDING

CSV_ALIASES = {
    "melding_id": ("Meldingnummer", "Meldingsnummer", "publicID", "Nummer", "ID"),
    "categorie_bron": ("Categorie", "Hoofdcategorie", "categoryName"),
    "status_bron": ("Status",),
    "datum_melding": ("Datum melding", "Gemeld op", "Aangemaakt", "created"),
    "datum_afgehandeld": ("Datum afgehandeld", "Afgehandeld op", "Datum afgerond", "closed"),
    "datum_gewijzigd": ("Laatst gewijzigd", "Gewijzigd op", "modified"),
    "breedtegraad": ("Breedtegraad", "Latitude", "lat"),
    "lengtegraad": ("Lengtegraad", "Longitude", "lng", "lon"),
    "postcode": ("Postcode",),
}
CSV_REQUIRED = ("melding_id", "categorie_bron", "status_bron", "datum_melding")
QUARANTINE_KEEPS = {
    "publicID", "categoryName", "status", "created", "closed", "modified",
    "melding_id", "categorie_bron", "status_bron", "datum_melding", "datum_afgehandeld", "datum_gewijzigd",
}


def parse(context: ParseContext) -> Iterator[Parsed]:
    text = decode_text(context.file.content).lstrip()
    if text.startswith(("{", '"')):
        context.notes["format: api_json"] += 1
        yield from _parse_api_page(text, context)
    elif text and looks_delimited(text):
        context.notes["format: backoffice_csv"] += 1
        yield from _parse_csv(text, context)
    else:
        raise UnreadableFile("not a Fixi export: neither an issues API page (JSON) nor a back-office CSV export")


def _parse_api_page(text: str, context: ParseContext) -> Iterator[Parsed]:
    for number, issue, lost in _api_results(text, context.notes):
        yield _record(number, issue, _api_fields, context) if lost is None else Parsed(number, error=lost)


def _api_results(text: str, notes: Counter) -> list[tuple[int, dict | None, str | None]]:
    """The `results[]` of a page, numbered by their place in it; of a page that is not valid JSON the records
    recovered and, with the reason, those that cannot be (`_salvage`)."""
    try:
        page = json.loads(text)
        if isinstance(page, str):
            notes["double-encoded API pages"] += 1
            page = json.loads(page)
    except json.JSONDecodeError:
        return _salvage(text, notes)
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise UnreadableFile("JSON without a results[] list: not a Fixi issues API page")
    return [(number, issue, None) for number, issue in enumerate(page["results"], start=1)]


LOST_KEY = '"publicID"'  # each record of a page has one: how many records a corrupt stretch held


def _salvage(text: str, notes: Counter) -> list[tuple[int, dict | None, str | None]]:
    """Every record of an invalid page that JSON still allows to read: those before a corrupt stretch, and
    those after it, from the next place a complete issue starts. What a stretch held is lost, counted by the
    issue ids in it (at least one); records are never lost silently."""
    if text.startswith('"'):
        notes["double-encoded API pages"] += 1
        text = _unwrap_cut_string(text)
    start = text.find('"results"')
    bracket = text.find("[", start)
    if start < 0 or bracket < 0:
        raise UnreadableFile("invalid JSON and no results[] list to recover records from")
    decoder, position, results = json.JSONDecoder(), bracket + 1, []
    while True:
        position = _skip(text, position, " \t\r\n,")
        if position >= len(text) or text[position] == "]":
            return results
        try:
            record, position = decoder.raw_decode(text, position)
            results.append((len(results) + 1, record, None))
            continue
        except json.JSONDecodeError:
            pass
        resume = _next_issue(text, position, decoder)
        stretch = text[position:resume]
        lost = max(1, stretch.count(LOST_KEY))
        notes["records lost in corrupt API pages"] += lost
        if resume is None:
            notes["truncated API pages"] += 1
            reason = (f"invalid JSON after record {len(results)} (the page is cut off or corrupt); the rest of the "
                      "page is lost")
        else:
            notes["corrupt API pages recovered after the error"] += 1
            reason = (f"invalid JSON after record {len(results)} (corrupt); {lost} record(s) up to character "
                      f"{resume} cannot be read, the records after it were recovered")
        results += [(len(results) + 1 + i, None, reason) for i in range(lost)]
        if resume is None:
            return results
        position = resume


def _next_issue(text: str, position: int, decoder: json.JSONDecoder) -> int | None:
    """Where the next complete issue of the results list starts after `position`: an object that follows a
    comma, holds an issue id and is followed by a comma or the list's end (a nested object is none of these)."""
    start = position
    while (start := text.find("{", start + 1)) >= 0:
        before = start - 1
        while before >= 0 and text[before] in " \t\r\n":
            before -= 1
        if before < 0 or text[before] != ",":
            continue
        try:
            record, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "publicID" in record and text[_skip(text, end, " \t\r\n"):][:1] in (",", "]"):
            return start
    return None


def _skip(text: str, position: int, characters: str) -> int:
    while position < len(text) and text[position] in characters:
        position += 1
    return position


def _unwrap_cut_string(text: str) -> str:
    """Decode a cut-off JSON string literal, dropping a half-written escape at its end."""
    for cut in range(8):
        try:
            return json.loads(text[: len(text) - cut] + '"')
        except json.JSONDecodeError:
            continue
    raise UnreadableFile("double-encoded JSON that cannot be decoded")


def _api_fields(issue: dict, context: ParseContext) -> dict:
    location = issue.get("location") or {}
    details = issue.get("addressDetails") or {}
    peildatum = context.settings.peildatum
    return {
        "melding_id": issue.get("publicID"),
        "categorie_bron": issue.get("categoryName"),
        "status_bron": issue.get("status"),
        "datum_melding": plausible(iso_timestamp(issue.get("created"), "created"), "created", peildatum),
        "datum_afgehandeld": plausible(iso_timestamp(issue.get("closed"), "closed"), "closed", peildatum),
        "datum_gewijzigd": plausible(iso_timestamp(issue.get("modified"), "modified"), "modified", peildatum),
        "breedtegraad": decimal(location.get("lat"), "location.lat"),
        "lengtegraad": decimal(location.get("lng"), "location.lng"),
        "postcode": details.get("postcode"),
        "bron_formaat": "api_json",
    }


def _parse_csv(text: str, context: ParseContext) -> Iterator[Parsed]:
    for line, record in read_csv(text, CSV_ALIASES, CSV_REQUIRED, context.notes):
        if FIELD_COUNT_ERROR in record:
            yield Parsed(line, error=f"line {line}: {record[FIELD_COUNT_ERROR]}")
            continue
        yield _record(line, record, _csv_fields, context)


def _csv_fields(record: dict, context: ParseContext) -> dict:
    peildatum = context.settings.peildatum
    fields = {
        name: plausible(dutch_timestamp(record.get(name, ""), name), name, peildatum)
        for name in ("datum_melding", "datum_afgehandeld", "datum_gewijzigd")
    }
    return {
        "melding_id": record["melding_id"],
        "categorie_bron": record["categorie_bron"],
        "status_bron": record["status_bron"],
        **fields,
        "breedtegraad": decimal(record.get("breedtegraad"), "breedtegraad"),
        "lengtegraad": decimal(record.get("lengtegraad"), "lengtegraad"),
        "postcode": record.get("postcode"),
        "bron_formaat": "backoffice_csv",
    }


def bulk(context: ParseContext) -> Bulk | None:
    """A complete API page or a plain back-office CSV export read column-wise, to the same rows and quarantine
    as `parse` gives record by record. Cut-off pages and irregular exports are left to `parse`."""
    if header_line(context.file.content).startswith((b"{", b'"')):
        return _api_page_columns(context)
    columns = read_csv_columns(context.file.content, CSV_ALIASES, CSV_REQUIRED, context.notes)
    if columns is None:
        return None
    context.notes["format: backoffice_csv"] += 1
    record, lines = columns
    rows = len(lines)
    absent, empty = pa.nulls(rows, pa.string()), pa.repeat("", rows)
    peildatum = context.settings.peildatum
    fields, errors = {}, []
    for name in ("datum_melding", "datum_afgehandeld", "datum_gewijzigd"):
        fields[name], error = dutch_timestamps(record.get(name, empty), name, peildatum)
        errors.append(error)
    for name in ("breedtegraad", "lengtegraad"):
        fields[name], error = _decimals(record.get(name, absent), name)
        errors.append(error)
    kept = {name: column for name, column in record.items() if name in QUARANTINE_KEEPS}

    def quarantined_record(failed: pa.Array) -> list[str]:
        values = {name: pc.filter(column, failed).to_pylist() for name, column in kept.items()}
        return [json.dumps({name: v[i] for name, v in values.items()}, ensure_ascii=False)
                for i in range(pc.sum(failed).as_py() or 0)]

    return _melding_columns(context, record["melding_id"], record["categorie_bron"], record["status_bron"], fields,
                            errors, record.get("postcode", absent), lines, "backoffice_csv", quarantined_record)


def _api_page_columns(context: ParseContext) -> Bulk | None:
    """A complete API page, field by field into columns. Its records must be objects with text where text
    belongs; anything else is left to `parse`, which says what is wrong record by record."""
    notes = Counter()
    try:
        results = _api_results(decode_text(context.file.content).lstrip(), notes)
    except UnreadableFile:
        return None
    issues = [issue for _, issue, _ in results]
    if any(lost is not None for *_, lost in results) or not all(isinstance(issue, dict) for issue in issues):
        return None
    details = [issue.get("addressDetails") or {} for issue in issues]
    location = [issue.get("location") or {} for issue in issues]
    text = {name: [issue.get(name) for issue in issues] for name in ("publicID", "categoryName", "status")}
    text["postcode"] = [d.get("postcode") for d in details]
    if not all(v is None or isinstance(v, str) for values in text.values() for v in values):
        return None
    context.notes.update(notes)
    context.notes["format: api_json"] += 1
    peildatum = context.settings.peildatum
    fields, errors = {}, []
    for name, key in (("datum_melding", "created"), ("datum_afgehandeld", "closed"), ("datum_gewijzigd", "modified")):
        fields[name], error = iso_timestamps([issue.get(key) for issue in issues], key, peildatum)
        errors.append(error)
    for name, key in (("breedtegraad", "lat"), ("lengtegraad", "lng")):
        fields[name], error = _numbers([place.get(key) for place in location], f"location.{key}")
        errors.append(error)

    def quarantined_record(failed: pa.Array) -> list[str | None]:
        return [json.dumps(raw, ensure_ascii=False, default=str) if (raw := _minimised(issues[i])) else None
                for i in pc.indices_nonzero(failed).to_pylist()]

    return _melding_columns(context, *(pa.array(text[n], pa.string()) for n in ("publicID", "categoryName", "status")),
                            fields, errors, pa.array(text["postcode"], pa.string()),
                            pa.array(range(1, len(issues) + 1), pa.int64()), "api_json", quarantined_record)


def _melding_columns(context: ParseContext, melding_id: pa.Array, categorie_bron: pa.Array, status_bron: pa.Array,
                     fields: dict[str, pa.Array], errors: list[pa.Array], postcode: pa.Array, numbers: pa.Array,
                     bron_formaat: str, quarantined_record: Callable[[pa.Array], list]) -> Bulk:
    """The bronze rows of one export read column-wise, and its quarantine: a record's first error (its fields'
    in order, then the must-have rules, as `_record` finds them) sends it to quarantine."""
    rows = len(numbers)
    errors = [*errors, pc.if_else(pc.fill_null(pc.equal(melding_id, ""), True),
                                  "melding without a publicID / meldingnummer", None),
              pc.if_else(pc.is_null(fields["datum_melding"]), "melding without a creation date", None)]
    table = pa.table({
        "melding_id": melding_id,
        "categorie_bron": categorie_bron,
        "status_bron": status_bron,
        **fields,
        "postcode4": postcodes4(postcode),
        "bron_formaat": pa.repeat(bron_formaat, rows),
        "gemeentecode": pa.repeat(context.gemeentecode, rows),
        "bron_record": numbers,
    })
    error = pc.coalesce(*errors)
    failed = pc.is_valid(error)
    quarantined = [{"bron_tabel": FIXI_MELDING.name, "reden": reason, "bron_record": number, "record": record}
                   for number, reason, record in zip(pc.filter(numbers, failed).to_pylist(),
                                                     pc.filter(error, failed).to_pylist(),
                                                     quarantined_record(failed), strict=True)]
    return Bulk.of({FIXI_MELDING.name: without_failed(table, failed)}, quarantined)


def _numbers(values: list, field: str) -> tuple[pa.Array, pa.Array]:
    """`decimal` over a JSON field: numbers as they are, anything else value by value."""
    try:
        return pa.array(values, pa.float64()), pa.nulls(len(values), pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return per_value(values, lambda v: decimal(v, field), pa.float64())


def _decimals(values: pa.Array, field: str) -> tuple[pa.Array, pa.Array]:
    """`decimal` over a column: cast in C++ where every value is a number, else value by value."""
    try:
        numbers = pc.cast(pc.replace_substring(pc.if_else(pc.equal(values, ""), None, values), ",", "."), pa.float64())
        return numbers, pa.nulls(len(values), pa.string())
    except pa.ArrowInvalid:
        return through_distinct(values, lambda v: decimal(v, field), pa.float64())


def _record(number: int, source_record: dict, read_fields, context: ParseContext) -> Parsed:
    """Apply the must-have rules; a record that breaks one is quarantined with the reason."""
    if not isinstance(source_record, dict):
        return Parsed(number, error=f"record {number} is not a JSON object")
    try:
        fields = read_fields(source_record, context)
        if not fields["melding_id"]:
            raise RecordError("melding without a publicID / meldingnummer")
        if fields["datum_melding"] is None:
            raise RecordError("melding without a creation date")
    except RecordError as err:
        return Parsed(number, error=str(err), raw=_minimised(source_record))
    fields["postcode4"] = _postcode4(fields.pop("postcode") or "")
    fields["gemeentecode"] = context.gemeentecode
    return Parsed(number, row=fields)


def postcodes4(postcodes: pa.Array) -> pa.Array:
    """`_postcode4` over a column. A postcode written as nearly all are (`1234 AB`, `1234AB`) is judged by Arrow:
    valid unless its letters are SA, SD or SS, which python-stdnum's validation excludes; any other value by
    `_postcode4` once per distinct value. A national Fixi export holds millions of postcodes."""
    plain = pc.fill_null(pc.match_substring_regex(postcodes, "^[1-9][0-9]{3} ?[A-Z]{2}$"), False)
    excluded = pc.match_substring_regex(postcodes, "S[ADS]$")
    result = pc.if_else(pc.and_not(plain, excluded), pc.utf8_slice_codeunits(postcodes, 0, 4), None)
    others = pc.invert(plain)
    if pc.any(others).as_py():
        read = through_distinct(pc.filter(postcodes, others), lambda v: _postcode4(v or ""), pa.string())[0]
        result = pc.replace_with_mask(result, others, read)
    return result


@lru_cache(maxsize=1 << 16)
def _postcode4(postcode: str) -> str | None:
    """The four digits of a valid postcode. Cached: a municipality has a few thousand postcodes, and
    validating each record's was a quarter of reading a Fixi export."""
    return nl_postcode.compact(postcode)[:4] if nl_postcode.is_valid(postcode) else None


def _minimised(record: dict) -> dict:
    """What of a quarantined record is kept: identifiers, codes and dates, never text or personal data."""
    return {k: v for k, v in record.items() if k in QUARANTINE_KEEPS}


FIXI = Source(system="fixi", tables=(FIXI_MELDING,), parse=parse, bulk=bulk)
