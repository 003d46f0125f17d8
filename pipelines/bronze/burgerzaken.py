"""The counter's application export -> bronze `burgerzaken_aanvraag`.

A CSV as burgerzaken systems export it: aanvraagnummer, aanvraagdatum, soort, spoed, uitreikdatum, locatie and
the applicant's birth date or age (and, where exported, BSN). The BSN becomes the shared pseudonym, the birth
date or age an age band.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.bronze.contract import Bulk, ParseContext, Parsed, RecordError, Source
from pipelines.bronze.formats import (
    FIELD_COUNT_ERROR,
    decode_text,
    dutch_or_iso_date,
    dutch_or_iso_dates,
    none_when_empty,
    read_csv,
    read_csv_columns,
    through_distinct,
    without_failed,
)
from pipelines.bronze.tables import BURGERZAKEN_AANVRAAG
from pipelines.privacy import age_band, age_bands, ages_on, band_of_age, bsn_columns, bsn_is_valid, pseudonym

ALIASES = {
    "aanvraagnummer": ("Aanvraagnummer", "Aanvraag", "Nummer"),
    "aanvraagdatum": ("Aanvraagdatum", "Datum aanvraag"),
    "soort": ("Soort", "Soort document", "Documentsoort"),
    "spoed": ("Spoed", "Spoedaanvraag"),
    "uitreikdatum": ("Uitreikdatum", "Datum uitreiking"),
    "locatie": ("Locatie", "Balie", "Vestiging"),
    "geboortedatum": ("Geboortedatum",),
    "leeftijd": ("Leeftijd",),
    "bsn": ("BSN", "Burgerservicenummer"),
}
REQUIRED = ("aanvraagnummer", "aanvraagdatum", "soort")
YES = {"j", "ja", "y", "yes", "1", "true", "waar"}


def parse(context: ParseContext) -> Iterator[Parsed]:
    for line, record in read_csv(decode_text(context.file.content), ALIASES, REQUIRED, context.notes):
        if FIELD_COUNT_ERROR in record:
            yield Parsed(line, error=f"line {line}: {record[FIELD_COUNT_ERROR]}")
            continue
        try:
            yield Parsed(line, row=_row(record, context))
        except RecordError as err:
            yield Parsed(line, error=f"line {line}: {err}", raw={"aanvraagnummer": record.get("aanvraagnummer")})


def _row(record: dict, context: ParseContext) -> dict:
    aanvraagdatum = dutch_or_iso_date(record["aanvraagdatum"], "aanvraagdatum")
    if aanvraagdatum is None or not record["aanvraagnummer"]:
        raise RecordError("application without a number or date")
    if aanvraagdatum > context.settings.peildatum:
        raise RecordError(f"aanvraagdatum {aanvraagdatum} lies after the peildatum")
    bsn = record.get("bsn")
    return {
        "aanvraagnummer": record["aanvraagnummer"],
        "gemeentecode": context.gemeentecode,
        "aanvraagdatum": aanvraagdatum,
        "soort": record["soort"].strip().upper() or None,
        "spoed": record.get("spoed", "").strip().lower() in YES,
        "uitreikdatum": dutch_or_iso_date(record.get("uitreikdatum"), "uitreikdatum"),
        "locatie": record.get("locatie") or None,
        "persoon_pseudoniem": pseudonym(bsn, context.settings.pseudonym_key) if bsn else None,
        "bsn_geldig": bsn_is_valid(bsn) if bsn else None,
        "leeftijdsklasse": _band(record, aanvraagdatum),
    }


def _band(record: dict, on: dt.date) -> str | None:
    if record.get("geboortedatum"):
        return age_band(dutch_or_iso_date(record["geboortedatum"], "geboortedatum"), on)
    age = record.get("leeftijd", "")
    return band_of_age(int(age)) if age.isdigit() else None


def bulk(context: ParseContext) -> Bulk | None:
    """A plain application export read column-wise, to the same rows and quarantine as `parse` record by record."""
    columns = read_csv_columns(context.file.content, ALIASES, REQUIRED, context.notes)
    if columns is None:
        return None
    record, lines = columns
    rows = len(lines)
    empty = pa.repeat("", rows)
    peildatum = context.settings.peildatum
    aanvraagdatum, date_error = dutch_or_iso_dates(record["aanvraagdatum"], "aanvraagdatum")
    uitreikdatum, uitreik_error = dutch_or_iso_dates(record.get("uitreikdatum", empty), "uitreikdatum")
    geboortedatum, birth_error = dutch_or_iso_dates(record.get("geboortedatum", empty), "geboortedatum")
    incomplete = pc.or_kleene(pc.is_null(aanvraagdatum), pc.equal(record["aanvraagnummer"], ""))
    late = pc.greater(aanvraagdatum, pa.scalar(peildatum, pa.date32()))
    late_error = pc.binary_join_element_wise("aanvraagdatum ", pc.cast(aanvraagdatum, pa.string()),
                                             " lies after the peildatum", "")
    has_birth = pc.not_equal(record.get("geboortedatum", empty), "")
    error = pc.coalesce(
        date_error,
        pc.if_else(incomplete, "application without a number or date", None),
        pc.if_else(late, late_error, None),
        uitreik_error,
        pc.if_else(has_birth, birth_error, None),
    )
    pseudoniem, bsn_geldig = bsn_columns(record.get("bsn", empty), context.settings.pseudonym_key)
    age = pc.if_else(has_birth, ages_on(geboortedatum, aanvraagdatum), _stated_age(record.get("leeftijd", empty)))
    table = pa.table({
        "aanvraagnummer": record["aanvraagnummer"],
        "gemeentecode": pa.repeat(context.gemeentecode, rows),
        "aanvraagdatum": aanvraagdatum,
        "soort": none_when_empty(pc.utf8_upper(record["soort"])),
        "spoed": pc.is_in(pc.utf8_lower(record.get("spoed", empty)), pa.array(sorted(YES))),
        "uitreikdatum": uitreikdatum,
        "locatie": none_when_empty(record.get("locatie", empty)),
        "persoon_pseudoniem": pseudoniem,
        "bsn_geldig": bsn_geldig,
        "leeftijdsklasse": age_bands(age),
        "bron_record": lines,
    })
    failed = pc.is_valid(error)
    quarantined = [{"bron_tabel": BURGERZAKEN_AANVRAAG.name, "reden": f"line {line}: {reason}", "bron_record": line,
                    "record": json.dumps({"aanvraagnummer": nummer}, ensure_ascii=False)}
                   for line, reason, nummer in zip(*(pc.filter(c, failed).to_pylist()
                                                     for c in (lines, error, record["aanvraagnummer"])), strict=True)]
    return Bulk.of({BURGERZAKEN_AANVRAAG.name: without_failed(table, failed)}, quarantined)


def _stated_age(values: pa.Array) -> pa.Array:
    """The `Leeftijd` column where it holds digits only, as `_band` reads it."""
    return through_distinct(values, lambda v: int(v) if v.isdigit() else None, pa.int64())[0]


BURGERZAKEN = Source(system="burgerzaken", tables=(BURGERZAKEN_AANVRAAG,), parse=parse, bulk=bulk)
