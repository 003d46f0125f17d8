"""BRP reisdocumenten -> bronze `brp_reisdocument`: LO GBA extracts (CSV) and Haal Centraal JSON.

A GBA-V style extract has one column per element number (`12.35.10` ...), `;`-separated, UTF-8 with BOM; a
person's first row names the person in its first column, and further documents follow on continuation rows
whose first column is empty. The Haal Centraal Reisdocumenten API comes in two versions (specifications in
BRP-API/Haal-Centraal-Reisdocumenten-bevragen: v1 `specificatie/openapi.yaml` at tag v1.0.0, v2
`specificatie/reisdocument.yaml` and `datum.yaml`): v1 serves one document (HAL) or a list, v2 answers a query
with `{"type": ..., "reisdocumenten": [...]}`, and its GBA variant (and the API's mock data) a person-based list in
which persons without a document appear with only their `houder`. The holder's BSN is in `houder` or at the end
of the v1 `ingeschrevenPersoon` link. Only the BSN (pseudonymised at once) and the birth date (as an age) are
read of the person.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.bronze.contract import Bulk, ParseContext, Parsed, RecordError, Source, UnreadableFile
from pipelines.bronze.formats import (
    ISO_BASIC_DATE,
    any_of,
    count,
    csv_columns,
    dates_through_distinct,
    decode_text,
    dutch_or_iso_date,
    header_line,
    none_when_empty,
    stripped,
    without_failed,
)
from pipelines.bronze.tables import BRP_REISDOCUMENT
from pipelines.privacy import age_band, age_bands, age_on, ages_on, bsn_columns, bsn_is_valid, pseudonym

GBA = {"soort": "12.35.10", "nummer": "12.35.20", "uitgifte": "12.35.30", "autoriteit": "12.35.40",
       "einde": "12.35.50", "inhouding": "12.35.60", "aanduiding": "12.35.70", "bsn": "01.01.20",
       "geboortedatum": "01.03.10"}
# 12.35.70 (LO GBA Tabel 48, as v2 delivers it: `.` is the standard value "onbekend", the document is not in the
# holder's possession either way) and the v1 enum (AanduidingInhoudingVermissingReisdocumentEnum) naming the codes.
INHOUDING = {"I": "I", "R": "R", "V": "V", "N": "N", ".": ".", "ingehouden_of_ingeleverd": "I", "rechtswege": "R",
             "vermist": "V", "niet_in_bezit_van": "N"}
DOCUMENT_FIELDS = {"soort", "soortReisdocument", "datumEindeGeldigheid", "datumUitgifte", "autoriteitAfgifte",
                   "inhoudingOfVermissing", "aanduidingInhoudingOfVermissing", "datumInhoudingOfVermissing"}
GBA_DATES = ("uitgifte", "einde", "inhouding")
# An LO GBA date with `00` for an unknown month or day (`00000000`: wholly unknown).
GBA_PARTLY_UNKNOWN = re.compile(r"\d{4}(?:00\d{2}|\d{2}00)")
ITEM_ERRORS = (RecordError, AttributeError, TypeError, KeyError, ValueError)  # an entry that is no document
# `_haal_centraal_document`'s fields, as columns
HAAL_CENTRAAL_COLUMNS = {"bsn": pa.string(), "birth": pa.date32(), "nummer": pa.string(), "soort": pa.string(),
                         "uitgifte": pa.date32(), "autoriteit": pa.string(), "einde": pa.date32(),
                         "inhouding": pa.date32(), "aanduiding": pa.string()}
BSN_IN_LINK = re.compile(r"/ingeschrevenpersonen/(\d{9})(?:\D|$)")


def parse(context: ParseContext) -> Iterator[Parsed]:
    text = decode_text(context.file.content).lstrip()
    if text.startswith(("{", "[")):
        context.notes["format: haalcentraal_json"] += 1
        yield from _parse_haal_centraal(text, context)
    elif GBA["nummer"] in text.split("\n", 1)[0]:
        context.notes["format: gba_csv"] += 1
        yield from _parse_gba(text, context)
    else:
        raise UnreadableFile("not a BRP extract: neither LO GBA CSV (column 12.35.20) nor Haal Centraal JSON")


def _parse_gba(text: str, context: ParseContext) -> Iterator[Parsed]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = next(reader)
    position = {name: header.index(element) for name, element in GBA.items() if element in header}
    category_12 = [i for i, element in enumerate(header) if element.startswith("12.")]
    person = None
    for values in reader:
        line = reader.line_num
        if not "".join(values).strip():
            continue
        field = {name: values[i].strip() if i < len(values) else "" for name, i in position.items()}
        nummer = field.get("nummer", "")
        if values[0].strip():
            person = {"bsn": field.get("bsn", ""), "geboortedatum": field.get("geboortedatum", "")}
        if not nummer:
            if any(i < len(values) and values[i].strip() for i in category_12):
                context.notes["category 12 rows without a reisdocument (12.35.20 empty)"] += 1
            continue
        if person is None:
            yield Parsed(line, error=f"line {line}: reisdocument on a continuation row before any person")
            continue
        try:
            dates = {name: _gba_date(field.get(name, ""), GBA[name]) for name in GBA_DATES}
            row = _row(context, person["bsn"], _gba_birth(person["geboortedatum"]), "gba_csv", nummer=nummer,
                       soort=field.get("soort"), autoriteit=field.get("autoriteit"),
                       aanduiding=field.get("aanduiding"), **dates)
        except RecordError as err:
            yield Parsed(line, error=f"line {line}: {err}", raw={"reisdocumentnummer": nummer})
            continue
        for name in GBA_DATES:
            if GBA_PARTLY_UNKNOWN.fullmatch(field.get(name, "")):
                context.notes[f"partly unknown {GBA[name]} read as unknown"] += 1
        yield Parsed(line, row=row)


def _gba_date(value: str, element: str) -> dt.date | None:
    """A document's date is an exact day or unknown: a partly unknown LO GBA date is read as unknown (counted)."""
    return None if GBA_PARTLY_UNKNOWN.fullmatch(value) else dutch_or_iso_date(value, element)


def bulk(context: ParseContext) -> Bulk | None:
    """A Haal Centraal answer or a plain GBA extract read column-wise, to the same rows and quarantine as `parse`
    gives record by record. A national extract holds millions of documents; irregular extracts are left to
    `parse`."""
    first_line = header_line(context.file.content).lstrip()
    if first_line.startswith((b"{", b"[")):
        return _haal_centraal_columns(decode_text(context.file.content).lstrip(), context)
    if GBA["nummer"].encode() in first_line:
        return _gba_columns(context)
    return None


def _gba_columns(context: ParseContext) -> Bulk | None:
    if not (columns := csv_columns(context.file.content, ";")):
        return None
    context.notes["format: gba_csv"] += 1
    header, values = columns
    rows = len(values[0])
    in_category_12 = [i for i, element in enumerate(header) if element.startswith("12.")]
    # Each column read is stripped once; the extract's names and addresses are not read.
    read = {i: stripped(values[i])
            for i in {0, *in_category_12, *(header.index(e) for e in GBA.values() if e in header)}}
    field = {name: read[header.index(element)] if element in header else pa.repeat("", rows)
             for name, element in GBA.items()}
    person_named = pc.not_equal(read[0], "")
    has_document = pc.not_equal(field["nummer"], "")
    category_12 = [pc.not_equal(read[i], "") for i in in_category_12]
    no_document = pc.and_not(any_of(category_12), has_document)
    count(context.notes, "category 12 rows without a reisdocument (12.35.20 empty)", pc.sum(no_document).as_py())
    # A person's first row names the person in its first column; their further documents follow on rows whose
    # first column is empty, so each row's person is the last one named above it.
    person_number = pc.cumulative_sum(pc.cast(person_named, pa.int64()))
    birth, _ = dates_through_distinct(pc.filter(field["geboortedatum"], person_named), _gba_birth,
                                      shapes=(ISO_BASIC_DATE,))
    persons = _persons(pc.filter(field["bsn"], person_named), birth, context)
    lines = pc.add(pc.indices_nonzero(has_document), 2)
    document = {name: pc.filter(column, has_document) for name, column in field.items()}
    person = pc.subtract(pc.filter(person_number, has_document), 1)
    person = pc.if_else(pc.less(person, 0), pa.scalar(None, pa.int64()), person)
    dates, errors = {}, [pc.if_else(pc.is_null(person), "reisdocument on a continuation row before any person", None)]
    for name in GBA_DATES:
        dates[name], error = dates_through_distinct(document[name], lambda v, e=GBA[name]: _gba_date(v, e))
        errors.append(error)
    holder = {name: column.take(person) for name, column in persons.items()}
    table = _documents_table(context, {**document, **dates}, holder, "gba_csv", lines)
    error = pc.coalesce(*errors)
    failed = pc.is_valid(error)
    for name in GBA_DATES:
        # `_gba_date` reads a filled value as no date, without error, only when it is partly unknown.
        partly_unknown = pc.and_(pc.not_equal(document[name], ""), pc.is_null(dates[name]))
        count(context.notes, f"partly unknown {GBA[name]} read as unknown", pc.sum(pc.and_not(partly_unknown, failed)).as_py())
    return Bulk.of({BRP_REISDOCUMENT.name: without_failed(table, failed)},
                   _quarantined(*(pc.filter(column, failed) for column in (lines, error, document["nummer"], person))))


def _persons(bsn: pa.Array, birth: pa.Array, context: ParseContext) -> dict[str, pa.Array]:
    """Per person: pseudonym, elfproef, birth date and age band, each computed once per value."""
    pseudoniem, bsn_geldig = bsn_columns(bsn, context.settings.pseudonym_key)
    return {
        "pseudoniem": pseudoniem,
        "bsn_geldig": bsn_geldig,
        "geboortedatum": birth,
        "leeftijdsklasse": age_bands(ages_on(birth, pa.scalar(context.settings.peildatum, pa.date32()))),
    }


def _documents_table(context: ParseContext, document: dict[str, pa.Array], holder: dict[str, pa.Array],
                     formaat: str, lines: pa.Array) -> pa.Table:
    """Bronze rows of documents read column-wise (`_persons` for their holders), as `_row` makes each."""
    return pa.table({
        "reisdocumentnummer": document["nummer"],
        "gemeentecode": pa.repeat(context.gemeentecode, len(lines)),
        "soort": none_when_empty(document["soort"]),
        "datum_uitgifte": document["uitgifte"],
        "autoriteit": none_when_empty(document["autoriteit"]),
        "datum_einde_geldigheid": document["einde"],
        "datum_inhouding_vermissing": document["inhouding"],
        "aanduiding_inhouding_vermissing": none_when_empty(document["aanduiding"]),
        "persoon_pseudoniem": holder["pseudoniem"],
        "bsn_geldig": holder["bsn_geldig"],
        "leeftijd_bij_uitgifte": ages_on(holder["geboortedatum"], document["uitgifte"]),
        "leeftijdsklasse": holder["leeftijdsklasse"],
        "bron_formaat": pa.repeat(formaat, len(lines)),
        "bron_record": lines,
    })


def _quarantined(lines: pa.Array, errors: pa.Array, nummers: pa.Array, persons: pa.Array) -> list[dict]:
    """Quarantined documents as `_parse_gba` words them: a date error keeps the document's number."""
    return [{"bron_tabel": BRP_REISDOCUMENT.name, "reden": f"line {line}: {error}", "bron_record": line,
             "record": json.dumps({"reisdocumentnummer": nummer}, ensure_ascii=False) if person is not None else None}
            for line, error, nummer, person in zip(lines.to_pylist(), errors.to_pylist(), nummers.to_pylist(),
                                                   persons.to_pylist(), strict=True)]


def _gba_birth(value: str) -> dt.date | None:
    """Birth dates may be partly unknown in the BRP (JJJJ0000): the middle of the year then stands in."""
    if not value or not value.isdigit() or len(value) != 8 or value[:4] == "0000":
        return None
    year, month, day = int(value[:4]), int(value[4:6]) or 7, int(value[6:]) or 1
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _parse_haal_centraal(text: str, context: ParseContext) -> Iterator[Parsed]:
    for entry in _haal_centraal_entries(text, context):
        if entry.row is not None:
            entry.row = _row(context, formaat="haalcentraal_json", **entry.row)
        yield entry


def _haal_centraal_columns(text: str, context: ParseContext) -> Bulk:
    """`_parse_haal_centraal` with the holders' pseudonyms, elfproef and ages computed column-wise."""
    context.notes["format: haalcentraal_json"] += 1
    entries = list(_haal_centraal_entries(text, context))
    documents = [entry for entry in entries if entry.row is not None]
    quarantined = [{"bron_tabel": BRP_REISDOCUMENT.name, "reden": entry.error, "bron_record": entry.record_number,
                    "record": json.dumps(entry.raw, ensure_ascii=False)} for entry in entries if entry.row is None]
    column = {name: pa.array([entry.row[name] for entry in documents], type)
              for name, type in HAAL_CENTRAAL_COLUMNS.items()}
    holder = _persons(column["bsn"], column["birth"], context)
    lines = pa.array([entry.record_number for entry in documents], pa.int64())
    return Bulk.of({BRP_REISDOCUMENT.name: _documents_table(context, column, holder, "haalcentraal_json", lines)},
                   quarantined)


def _haal_centraal_entries(text: str, context: ParseContext) -> Iterator[Parsed]:
    """Each document of an answer with its fields (`_haal_centraal_document`) as its row, or why it is
    quarantined, keeping only its number."""
    for number, item in enumerate(_haal_centraal_items(text), start=1):
        try:
            if document := _haal_centraal_document(item, context):
                yield Parsed(number, row=document)
        except ITEM_ERRORS as err:
            yield Parsed(number, error=f"reisdocument {number}: {err}", raw={
                "reisdocumentnummer": item.get("reisdocumentnummer") if isinstance(item, dict) else None})


def _haal_centraal_items(text: str) -> list:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise UnreadableFile(f"invalid JSON: {err}") from None
    if isinstance(document, dict) and "reisdocumentnummer" in document:
        return [document]
    if isinstance(document, dict):
        # v2 answers a query with `{"type": ..., "reisdocumenten": [...]}`, v1 lists under `_embedded`. An empty
        # list is an answer too: no document changed in the period asked for, or a person holds none.
        document = document["reisdocumenten"] if "reisdocumenten" in document else (
            (document.get("_embedded") or {}).get("reisdocumenten"))
    if not isinstance(document, list):
        raise UnreadableFile("JSON without reisdocumenten: not a Haal Centraal Reisdocumenten response")
    return document


def _haal_centraal_document(item: dict, context: ParseContext) -> dict | None:
    """The fields of one reisdocument, as `_row` takes them, in v1 (`soortReisdocument`, `datumUitgifte`,
    `autoriteitAfgifte`, the enum `aanduidingInhoudingOfVermissing`, `datumInhoudingOfVermissing`) or v2 (`soort`,
    `inhoudingOfVermissing {datum, aanduiding}`, no issue date nor authority). None for an entry that is no
    document: a person without one (only `houder`), or a document whose number has the standard value, which v2
    leaves out (an entry without number, `{}` when only the number was asked for)."""
    nummer = item.get("reisdocumentnummer")
    if not nummer:
        if "houder" in item and DOCUMENT_FIELDS.isdisjoint(item):
            context.notes["persons without a reisdocument"] += 1
        else:
            context.notes["reisdocumenten without a reisdocumentnummer (standard value, not delivered)"] += 1
        return None
    _text(nummer, "reisdocumentnummer")
    houder = item.get("houder") or {}
    _note_other_municipality(houder, context)
    inhouding = item.get("inhoudingOfVermissing") or {}
    soort = item.get("soort") or item.get("soortReisdocument") or {}
    return dict(bsn=_text(houder.get("burgerservicenummer"), "houder.burgerservicenummer") or _bsn_from_link(item) or "",
                birth=_hc_date(houder.get("geboortedatum"), "houder.geboortedatum", context),
                nummer=nummer, soort=_text(soort.get("code"), "soort.code"),
                uitgifte=_hc_date(item.get("datumUitgifte"), "datumUitgifte", context),
                autoriteit=_text((item.get("autoriteitAfgifte") or {}).get("code"), "autoriteitAfgifte.code"),
                einde=_hc_date(item.get("datumEindeGeldigheid"), "datumEindeGeldigheid", context),
                inhouding=_hc_date(inhouding.get("datum", item.get("datumInhoudingOfVermissing")),
                                   "datum inhouding of vermissing", context),
                aanduiding=_aanduiding(inhouding.get("aanduiding", item.get("aanduidingInhoudingOfVermissing"))))


def _aanduiding(value) -> str | None:
    """v2 gives the LO GBA code (`{code, omschrijving}`), v1 an enum name; both become the code."""
    if isinstance(value, dict):
        value = value.get("code")
    # An unknown code is kept as delivered: silver flags it.
    return _text(INHOUDING.get(value, value), "aanduiding inhouding of vermissing") if value else None


def _text(value, field: str) -> str | None:
    """A code or number the API gives as a string; any other JSON value makes the entry unreadable."""
    if value is not None and not isinstance(value, str):
        raise RecordError(f"{field} {value!r} is not a string")
    return value


def _note_other_municipality(houder: dict, context: ParseContext) -> None:
    """Rows belong to the drop folder's municipality; a holder registered elsewhere is worth a finding."""
    code = (houder.get("gemeenteVanInschrijving") or {}).get("code")
    if code and f"GM{code.zfill(4)}" != context.gemeentecode:
        context.notes[f"holders registered in another municipality than {context.gemeentecode}"] += 1


def _bsn_from_link(item: dict) -> str | None:
    href = ((item.get("_links") or {}).get("ingeschrevenPersoon") or {}).get("href") or ""
    match = BSN_IN_LINK.search(href)
    return match.group(1) if match else None


def _hc_date(value, field: str, context: ParseContext) -> dt.date | None:
    """A date in any of the API's shapes: v2 `{"type": "Datum", "datum": "JJJJ-MM-DD"}` (or, partly unknown,
    `JaarMaandDatum`, `JaarDatum`, `DatumOnbekend`), the GBA variant's `JJJJMMDD` string (`00` for an unknown
    month or day), v1 `{datum, jaar, maand, dag}` (only `jaar` and `maand` when partly unknown). A partly unknown
    date is read as unknown and counted: a document's dates are exact days or nothing."""
    if isinstance(value, dict):
        value = value.get("datum") or (f"{value['jaar']:04d}{value['maand']:02d}{value['dag']:02d}"
                                       if {"jaar", "maand", "dag"} <= set(value) else None) or (
            _partly_unknown(field, context) if value else None)
    elif isinstance(value, str) and GBA_PARTLY_UNKNOWN.fullmatch(value):
        value = _partly_unknown(field, context)
    return dutch_or_iso_date(value, field)


def _partly_unknown(field: str, context: ParseContext) -> None:
    context.notes[f"partly unknown {field} read as unknown"] += 1


def _row(context: ParseContext, bsn: str, birth: dt.date | None, formaat: str, *, nummer: str, soort, uitgifte,
         autoriteit, einde, inhouding, aanduiding) -> dict:
    key = context.settings.pseudonym_key
    return {
        "reisdocumentnummer": nummer,
        "gemeentecode": context.gemeentecode,
        "soort": soort or None,
        "datum_uitgifte": uitgifte,
        "autoriteit": autoriteit or None,
        "datum_einde_geldigheid": einde,
        "datum_inhouding_vermissing": inhouding,
        "aanduiding_inhouding_vermissing": aanduiding or None,
        "persoon_pseudoniem": pseudonym(bsn, key) if bsn else None,
        "bsn_geldig": bsn_is_valid(bsn) if bsn else None,
        "leeftijd_bij_uitgifte": age_on(birth, uitgifte) if birth and uitgifte else None,
        "leeftijdsklasse": age_band(birth, context.settings.peildatum),
        "bron_formaat": formaat,
    }


BRP = Source(system="brp", tables=(BRP_REISDOCUMENT,), parse=parse, bulk=bulk)
