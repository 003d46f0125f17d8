"""The social-domain case-management export -> bronze `zorgned_aanvraag` and `zorgned_toewijzing`.

Two shapes: the ZorgNed-style JSON (`_embedded.aanvraag[]`: aanvraag -> beschikking -> beschikte producten ->
toewijzingen -> leveringen; a per-client response may name its client in a `client` or ZorgNed `persoon` block,
per aanvraag or for the whole document), and a CSV export of meldingen and aanvragen. The regelingen of the Wmo
(WMO) and the Jeugdwet (JEUGD) are read, each row with its law (`wet`); other regelingen (LLV, Armoedevrz, ...) are
skipped and counted per regeling in the run's notes. A CSV without a Regeling column is a Wmo export.
The client is pseudonymised before anything is written: by BSN, or without one by the case system's own client
number (`clientidentificatie`, CSV column Clientnummer). A record with neither has no client identity: it is
kept, counted in the notes, and gold counts such records as at most one client (macro `client_count`).
Names, addresses and documents are never read. A regular CSV export is read column-wise (`bulk`), to the same
rows, quarantine and notes as record by record.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.bronze.contract import Bulk, ParseContext, Parsed, RecordError, Source, UnreadableFile
from pipelines.bronze.formats import (
    FIELD_COUNT_ERROR,
    count,
    decode_text,
    dutch_or_iso_date,
    dutch_or_iso_dates,
    header_line,
    looks_delimited,
    none_when_empty,
    read_csv,
    read_csv_columns,
    through_distinct,
    without_failed,
)
from pipelines.bronze.tables import ZORGNED_AANVRAAG, ZORGNED_TOEWIJZING
from pipelines.privacy import age_band, age_bands, ages_on, bsn_columns, bsn_is_valid, pseudonym

WMO = "WMO"
# The regeling (`regeling.identificatie`, CSV column Regeling) of each law read: its bronze `wet`.
REGELINGEN = {WMO: "wmo", "JEUGD": "jeugdwet"}
CSV_ALIASES = {
    "melding_id": ("Meldingnummer", "Melding"),
    "datum_melding": ("Datum melding", "Datum registratie"),
    "datum_onderzoek_afgerond": ("Datum onderzoek afgerond", "Onderzoek afgerond"),
    "aanvraag_id": ("Aanvraagnummer", "Aanvraag"),
    "datum_aanvraag": ("Datum aanvraag",),
    "beschikkingnummer": ("Beschikkingnummer",),
    "datum_beschikking": ("Datum beschikking", "Datum afgifte"),
    "productcategorie": ("Productcategorie",),
    "resultaat": ("Resultaat",),
    "wijkcode": ("Wijk", "Wijkcode"),
    "bsn": ("BSN", "Burgerservicenummer"),
    "geboortedatum": ("Geboortedatum",),
    "postcode": ("Postcode",),
    "clientnummer": ("Clientnummer", "Clientidentificatie"),
    "regeling": ("Regeling",),
}
CSV_REQUIRED = ("melding_id", "datum_melding")
NO_DATUM_MELDING = "melding without a datum melding"
CSV_DATES = ("datum_melding", "datum_onderzoek_afgerond", "datum_aanvraag", "datum_beschikking")
NO_CLIENT_IDENTITY = "records without client identity (no BSN or client number)"


def parse(context: ParseContext) -> Iterator[Parsed]:
    text = decode_text(context.file.content).lstrip()
    if text.startswith("{"):
        context.notes["format: zorgned_json"] += 1
        yield from _parse_json(text, context)
    elif text and looks_delimited(text):
        context.notes["format: zorgned_csv"] += 1
        yield from _parse_csv(text, context)
    else:
        raise UnreadableFile("not a case-management export: neither ZorgNed JSON nor a CSV export")


def _parse_json(text: str, context: ParseContext) -> Iterator[Parsed]:
    try:
        document = json.loads(text)
        aanvragen = document["_embedded"]["aanvraag"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise UnreadableFile(f"not a ZorgNed export (_embedded.aanvraag[]): {err}") from None
    number = 0
    for aanvraag in aanvragen:
        number += 1
        regeling = str((aanvraag.get("regeling") or {}).get("identificatie", "")).upper()
        if regeling not in REGELINGEN:
            context.notes[f"skipped: regeling {regeling or 'unknown'}"] += 1
            continue
        try:
            person = _person(_client_block(aanvraag) or _client_block(document), context,
                             _iso_date(aanvraag.get("datumAanvraag"), "datumAanvraag"))
            rows = list(_aanvraag_rows(aanvraag, REGELINGEN[regeling], person, context))
        except RecordError as err:
            yield Parsed(number, error=str(err), raw={"identificatie": aanvraag.get("identificatie")})
            continue
        for table, row in rows:
            yield Parsed(number, row=row, table=table)


def _aanvraag_rows(aanvraag: dict, wet: str, person: dict, context: ParseContext) -> Iterator[tuple[str, dict]]:
    beschikking = aanvraag.get("beschikking") or {}
    base = {
        "wet": wet,
        "melding_id": _text_or_none(aanvraag.get("procesIdentificatie")),
        "aanvraag_id": _text_or_none(aanvraag.get("identificatie")),
        "gemeentecode": context.gemeentecode,
        **person,
        "wijkcode": None,
        "datum_melding": _iso_date((aanvraag.get("hulpvraag") or {}).get("datumRegistratie"), "datumRegistratie")
        or _iso_date(aanvraag.get("datumAanmelding"), "datumAanmelding"),
        "datum_onderzoek_afgerond": None,
        "datum_aanvraag": _iso_date(aanvraag.get("datumAanvraag"), "datumAanvraag"),
        "beschikkingnummer": _text_or_none(beschikking.get("beschikkingNummer")),
        "datum_beschikking": _iso_date(beschikking.get("datumAfgifte"), "datumAfgifte"),
        "bron_formaat": "zorgned_json",
    }
    products = beschikking.get("beschikteProducten") or [{}]
    for product in products:
        toegewezen = product.get("toegewezenProduct") or {}
        leverancier = toegewezen.get("leverancier") or {}
        row = {
            **base,
            "beschikt_product_id": _text_or_none(product.get("identificatie")),
            "productcategorie": _category((product.get("productCategorie") or {}).get("code")),
            "productcode": _text_or_none((product.get("product") or {}).get("productsoortCode")),
            "resultaat": product.get("resultaat"),
            "leveringsvorm": toegewezen.get("leveringsvorm"),
            "aanbieder": _text_or_none(leverancier.get("agbcode")),
            "ingangsdatum": _iso_date(toegewezen.get("datumIngangGeldigheid"), "datumIngangGeldigheid"),
            "einddatum": _iso_date(toegewezen.get("datumEindeGeldigheid"), "datumEindeGeldigheid"),
        }
        yield ZORGNED_AANVRAAG.name, row
        for toewijzing in toegewezen.get("toewijzingen") or []:
            yield from _toewijzing_rows(row, toewijzing)


def _toewijzing_rows(product: dict, toewijzing: dict) -> Iterator[tuple[str, dict]]:
    aanbieder = _text_or_none((toewijzing.get("leverancier") or {}).get("agbcode")) or product["aanbieder"]
    base = {
        "wet": product["wet"],
        "aanvraag_id": product["aanvraag_id"],
        "gemeentecode": product["gemeentecode"],
        "persoon_pseudoniem": product["persoon_pseudoniem"],
        "beschikkingnummer": product["beschikkingnummer"],
        "beschikt_product_id": product["beschikt_product_id"],
        "productcategorie": product["productcategorie"],
        "toewijzingnummer": _text_or_none(toewijzing.get("toewijzingNummer")),
        "toewijzingsdatum": _iso_date(toewijzing.get("toewijzingsDatumTijd"), "toewijzingsDatumTijd"),
        "ingangsdatum": _iso_date(toewijzing.get("ingangsdatum"), "ingangsdatum"),
        "einddatum": _iso_date(toewijzing.get("einddatum"), "einddatum"),
        "aanbieder": aanbieder,
    }
    for levering in toewijzing.get("leveringen") or [{}]:
        reden = levering.get("redenBeeindiging")
        yield ZORGNED_TOEWIJZING.name, {
            **base,
            "begindatum": _iso_date(levering.get("begindatum"), "begindatum"),
            "levering_einddatum": _iso_date(levering.get("einddatum"), "levering einddatum"),
            "reden_beeindiging": _text_or_none(reden.get("code") if isinstance(reden, dict) else reden),
        }


def _parse_csv(text: str, context: ParseContext) -> Iterator[Parsed]:
    for line, record in read_csv(text, CSV_ALIASES, CSV_REQUIRED, context.notes):
        if FIELD_COUNT_ERROR in record:
            yield Parsed(line, error=f"line {line}: {record[FIELD_COUNT_ERROR]}")
            continue
        regeling = _regeling(record.get("regeling", WMO))
        if regeling not in REGELINGEN:
            context.notes[f"skipped: regeling {regeling}"] += 1
            continue
        try:
            row = _csv_row(record, REGELINGEN[regeling], context)
        except RecordError as err:
            yield Parsed(line, error=str(err), raw={"melding_id": record.get("melding_id")})
            continue
        yield Parsed(line, row=row)


def _csv_row(record: dict, wet: str, context: ParseContext) -> dict:
    dates = {name: dutch_or_iso_date(record.get(name), name) for name in CSV_DATES}
    if dates["datum_melding"] is None:
        raise RecordError(NO_DATUM_MELDING)
    person = _person({"bsn": record.get("bsn"), "clientnummer": record.get("clientnummer"),
                      "geboortedatum": record.get("geboortedatum"), "postcode": record.get("postcode")},
                     context, dates["datum_melding"])
    return {
        "wet": wet,
        "melding_id": record["melding_id"],
        "aanvraag_id": record.get("aanvraag_id") or None,
        "gemeentecode": context.gemeentecode,
        **person,
        "wijkcode": (record.get("wijkcode") or "").strip() or None,
        **dates,
        "beschikkingnummer": record.get("beschikkingnummer") or None,
        "beschikt_product_id": None,
        "productcategorie": _category(record.get("productcategorie")),
        "productcode": None,
        "resultaat": record.get("resultaat") or None,
        "leveringsvorm": None,
        "aanbieder": None,
        "ingangsdatum": None,
        "einddatum": None,
        "bron_formaat": "zorgned_csv",
    }


def bulk(context: ParseContext) -> Bulk | None:
    """A regular CSV export read column-wise, to the same rows, quarantine and notes as `_parse_csv` gives record
    by record (a national export holds millions of meldingen). JSON and irregular CSV files are left to `parse`."""
    first_line = header_line(context.file.content).lstrip()
    if first_line.startswith(b"{") or not looks_delimited(first_line.decode("utf-8", "replace")):
        return None
    columns = read_csv_columns(context.file.content, CSV_ALIASES, CSV_REQUIRED, context.notes)
    if columns is None:
        return None
    context.notes["format: zorgned_csv"] += 1
    record, lines = _read_regelingen(*columns, context.notes)
    empty = pa.repeat("", len(lines))
    field = {name: record.get(name, empty) for name in CSV_ALIASES}
    dates, errors = {}, []
    for name in CSV_DATES:
        dates[name], error = dutch_or_iso_dates(field[name], name)
        errors.append(error)
    errors.append(pc.if_else(pc.and_(pc.is_null(dates["datum_melding"]), pc.is_null(errors[0])), NO_DATUM_MELDING, None))
    birth, birth_error = dutch_or_iso_dates(field["geboortedatum"], "geboortedatum")
    error = pc.coalesce(*errors, birth_error)
    failed = pc.is_valid(error)
    no_identity = pc.and_(pc.equal(field["bsn"], ""), pc.equal(field["clientnummer"], ""))
    count(context.notes, NO_CLIENT_IDENTITY, pc.sum(pc.and_not(no_identity, failed)).as_py())
    key = context.settings.pseudonym_key
    by_bsn, bsn_geldig = bsn_columns(field["bsn"], key)
    by_client_number = through_distinct(
        field["clientnummer"], lambda v: pseudonym(v, key, kind="clientnummer") if v else None, pa.string())[0]
    nothing = pa.nulls(len(lines))
    table = pa.table({
        "wet": through_distinct(record["regeling"], REGELINGEN.get, pa.string())[0],
        "melding_id": field["melding_id"],
        "aanvraag_id": none_when_empty(field["aanvraag_id"]),
        "gemeentecode": pa.repeat(context.gemeentecode, len(lines)),
        "persoon_pseudoniem": pc.coalesce(by_bsn, by_client_number),
        "bsn_geldig": bsn_geldig,
        "leeftijdsklasse": age_bands(ages_on(birth, dates["datum_melding"])),
        "postcode4": through_distinct(field["postcode"], _postcode4, pa.string())[0],
        "wijkcode": none_when_empty(field["wijkcode"]),
        **dates,
        "beschikkingnummer": none_when_empty(field["beschikkingnummer"]),
        "beschikt_product_id": nothing,
        "productcategorie": through_distinct(field["productcategorie"], _category, pa.string())[0],
        "productcode": nothing,
        "resultaat": none_when_empty(field["resultaat"]),
        "leveringsvorm": nothing,
        "aanbieder": nothing,
        "ingangsdatum": nothing,
        "einddatum": nothing,
        "bron_formaat": pa.repeat("zorgned_csv", len(lines)),
        "bron_record": lines,
    })
    quarantined = [{"bron_tabel": ZORGNED_AANVRAAG.name, "reden": reason, "bron_record": line,
                    "record": json.dumps({"melding_id": melding}, ensure_ascii=False)}
                   for line, reason, melding in zip(*(pc.filter(c, failed).to_pylist()
                                                      for c in (lines, error, field["melding_id"])), strict=True)]
    return Bulk.of({ZORGNED_AANVRAAG.name: without_failed(table, failed)}, quarantined)


def _read_regelingen(record: dict[str, pa.Array], lines: pa.Array, notes: Counter) -> tuple[dict[str, pa.Array], pa.Array]:
    """The rows of the regelingen read, each with its regeling (`regeling`); the others are skipped and counted."""
    regeling = through_distinct(record.get("regeling", pa.repeat(WMO, len(lines))), _regeling, pa.string())[0]
    read = pc.is_in(regeling, pa.array(list(REGELINGEN)))
    skipped = pc.filter(regeling, pc.invert(read)).value_counts().to_pylist()
    for entry in skipped:
        notes[f"skipped: regeling {entry['values']}"] += entry["counts"]
    record = {**record, "regeling": regeling}
    if not skipped:
        return record, lines
    return {name: column.filter(read) for name, column in record.items()}, lines.filter(read)


def _client_block(record: dict) -> dict:
    """The client of a record or document: a `client` block, or ZorgNed's `persoon` (with `inschrijfadres`)."""
    client = record.get("client") or record.get("persoon") or {}
    address = record.get("inschrijfadres") or {}
    return {**client, "postcode": client.get("postcode") or address.get("postcode")} if client else {}


def _person(client: dict, context: ParseContext, on: dt.date | None) -> dict:
    """Pseudonym, elfproef outcome, age band and postcode area; the BSN itself goes no further. Without a BSN
    the case system's own client number is the identity; without either the record has none (counted)."""
    bsn = _text_or_none(client.get("bsn") or client.get("burgerservicenummer"))
    client_number = _text_or_none(client.get("clientidentificatie") or client.get("clientnummer"))
    birth = dutch_or_iso_date(_text_or_none(client.get("geboortedatum")), "geboortedatum")
    key = context.settings.pseudonym_key
    if not bsn and not client_number:
        context.notes[NO_CLIENT_IDENTITY] += 1
    return {
        "persoon_pseudoniem": pseudonym(bsn, key) if bsn else pseudonym(client_number, key, kind="clientnummer")
        if client_number else None,
        "bsn_geldig": bsn_is_valid(bsn) if bsn else None,
        "leeftijdsklasse": age_band(birth, on or context.settings.peildatum),
        "postcode4": _postcode4(_text_or_none(client.get("postcode")) or ""),
    }


def _postcode4(postcode: str) -> str | None:
    """The four digits of a postcode area, however the postcode is spaced."""
    postcode = postcode.replace(" ", "")
    return postcode[:4] if len(postcode) >= 4 and postcode[:4].isdigit() else None


def _regeling(value: str) -> str:
    """A CSV row's regeling as `REGELINGEN` names it: an empty one is the Wmo's."""
    return value.upper() or WMO


def _text_or_none(value) -> str | None:
    return None if value is None or value == "" else str(value)


def _category(code) -> str | None:
    return str(code).strip().zfill(2) if code not in (None, "") else None


def _iso_date(value, field: str) -> dt.date | None:
    return dutch_or_iso_date(_text_or_none(value), field)


ZORGNED = Source(system="zorgned", tables=(ZORGNED_AANVRAAG, ZORGNED_TOEWIJZING), parse=parse, bulk=bulk)
