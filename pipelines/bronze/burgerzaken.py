"""The counter's application export -> bronze `burgerzaken_aanvraag`.

A CSV as burgerzaken systems export it: aanvraagnummer, aanvraagdatum, soort, spoed, uitreikdatum, locatie and
the applicant's birth date or age (and, where exported, BSN). The BSN becomes the shared pseudonym, the birth
date or age an age band.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pipelines.bronze.formats import FIELD_COUNT_ERROR, decode_text, dutch_or_iso_date, read_csv
from pipelines.bronze.ingest import Parsed, ParseContext, RecordError, Source
from pipelines.bronze.tables import BURGERZAKEN_AANVRAAG
from pipelines.privacy import age_band, band_of_age, pseudonym

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
        "leeftijdsklasse": _band(record, aanvraagdatum),
    }


def _band(record: dict, on: dt.date) -> str | None:
    if record.get("geboortedatum"):
        return age_band(dutch_or_iso_date(record["geboortedatum"], "geboortedatum"), on)
    age = record.get("leeftijd", "")
    return band_of_age(int(age)) if age.isdigit() else None


BURGERZAKEN = Source(system="burgerzaken", tables=(BURGERZAKEN_AANVRAAG,), parse=parse)
