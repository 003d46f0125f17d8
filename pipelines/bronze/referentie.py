"""Reference data -> bronze: the municipality's wijken and buurten (CBS), KNMI daily station data (the `etmgeg`
files of the KNMI daggegevens), and the Dutch public and school holidays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import holidays

from pipelines.bronze.contract import ParseContext, Parsed, RecordError, Source
from pipelines.bronze.formats import FIELD_COUNT_ERROR, decimal, decode_text, read_csv
from pipelines.bronze.tables import CBS_WIJK_BUURT, KNMI_DAGGEGEVENS

WIJK_BUURT_COLUMNS = [c.name for c in CBS_WIJK_BUURT.columns if not c.name.startswith(("bron_", "run_", "geladen_"))]
COORDINATES = [c for c in WIJK_BUURT_COLUMNS if c.endswith("graad")]
# Inhabitants per buurt as CBS publishes them: the kerncijfers wijken en buurten file (kwb-<year>) and its OData
# table name the same figures differently.
INWONERS = {
    "aantal_inwoners": ("a_inw", "AantalInwoners_5"),
    "inwoners_0_14": ("a_00_14", "k_0Tot15Jaar_8"),
    "inwoners_15_24": ("a_15_24", "k_15Tot25Jaar_9"),
    "inwoners_25_44": ("a_25_44", "k_25Tot45Jaar_10"),
    "inwoners_45_64": ("a_45_64", "k_45Tot65Jaar_11"),
    "inwoners_65_plus": ("a_65_oo", "k_65JaarOfOuder_12"),
}
CBS_NOT_PUBLISHED = (".", "-", "x")  # CBS's marks for a figure kept secret or not known
KNMI_HEADER = "STN,YYYYMMDD"
# The KNMI columns bronze keeps (lower case in bronze); the file has about 40, the others are not read.
KNMI_VALUES = [c.name for c in KNMI_DAGGEGEVENS.columns if c.name not in ("stn", "datum")
               and not c.name.startswith(("bron_", "run_", "geladen_"))]


def parse_referentie(context: ParseContext) -> Iterator[Parsed]:
    """A KNMI etmgeg file is recognised by its column line; anything else is the CBS wijken and buurten."""
    text = decode_text(context.file.content)
    if KNMI_HEADER in text[:65536]:
        context.notes["knmi_etmgeg"] += 1
        return parse_knmi(text)
    return parse_wijk_buurt(text, context)


def parse_knmi(text: str) -> Iterator[Parsed]:
    """KNMI daggegevens: free comment lines, then the column line `# STN,YYYYMMDD,DDVEC,...`, then one line per
    station and day, comma-separated and padded with spaces, blank for a value not measured."""
    lines = text.splitlines()
    header_at = next(i for i, line in enumerate(lines) if KNMI_HEADER in line)
    columns = [c.strip() for c in lines[header_at].lstrip("# ").split(",")]
    wanted = {name: columns.index(name.upper()) for name in KNMI_VALUES if name.upper() in columns}
    for number, line in enumerate(lines[header_at + 1:], start=header_at + 2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        raw = {"stn": fields[0], "yyyymmdd": fields[1] if len(fields) > 1 else None}
        if len(fields) != len(columns):
            yield Parsed(number, error=f"line {number}: {len(fields)} fields, the column line has {len(columns)}",
                         raw=raw, table=KNMI_DAGGEGEVENS.name)
            continue
        try:
            row = {"stn": _knmi_integer(fields[0], "STN"), "datum": _knmi_date(fields[1])}
            if row["stn"] is None:
                raise RecordError("a line without station number (STN)")
            row.update({name: _knmi_integer(fields[position], name.upper()) for name, position in wanted.items()})
        except RecordError as err:
            yield Parsed(number, error=f"line {number}: {err}", raw=raw, table=KNMI_DAGGEGEVENS.name)
            continue
        yield Parsed(number, row=row, table=KNMI_DAGGEGEVENS.name)


def _knmi_integer(value: str, field: str) -> int | None:
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise RecordError(f"{field} {value!r} is not a whole number") from None


def _knmi_date(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise RecordError(f"YYYYMMDD {value!r} is not a date") from None


def parse_wijk_buurt(text: str, context: ParseContext) -> Iterator[Parsed]:
    aliases = {name: (name, *INWONERS.get(name, ())) for name in WIJK_BUURT_COLUMNS}
    required = ("gemeentecode", "wijkcode", "buurtcode")
    for line, record in read_csv(text, aliases, required, context.notes):
        if FIELD_COUNT_ERROR in record:
            yield Parsed(line, error=f"line {line}: {record[FIELD_COUNT_ERROR]}")
            continue
        try:
            # CBS OData pads its codes with spaces.
            row = {name: record.get(name, "").strip() or None for name in WIJK_BUURT_COLUMNS}
            row.update({name: decimal(record.get(name), name) for name in COORDINATES})
            row.update({name: _inwoners(record.get(name), name) for name in INWONERS})
            if not all(row[c] for c in required):
                raise RecordError("wijk/buurt row without gemeentecode, wijkcode or buurtcode")
        except RecordError as err:
            yield Parsed(line, error=str(err), raw={c: record.get(c) for c in required})
            continue
        yield Parsed(line, row=row)


def _inwoners(value: str | None, field: str) -> int | None:
    if value is None or value.strip() in ("", *CBS_NOT_PUBLISHED):
        return None
    if not value.strip().isdigit():
        raise RecordError(f"{field} {value!r} is not a number of inhabitants")
    return int(value)


def public_holidays(first_year: int, last_year: int) -> list[dict]:
    nl = holidays.NL(years=range(first_year, last_year + 1), language="nl")
    return [{"datum": day, "naam": name} for day, name in sorted(nl.items())]


SCHOOLREGIOS = ("noord", "midden", "zuid")


def school_holidays(first_year: int, last_year: int) -> list[dict]:
    """The school holidays of each region as the holidays package has them from the Ministry of Education's
    Regelingen vaststelling schoolvakanties (2014 up to the last year the Regeling in force sets, now 2030)."""
    return [
        {"schoolregio": regio, "datum": day, "naam": name}
        for regio in SCHOOLREGIOS
        for day, name in sorted(holidays.NL(years=range(first_year, last_year + 1), subdiv=regio.capitalize(),
                                            categories=(holidays.SCHOOL,), language="nl").items())
    ]


CBS = Source(system="referentie", tables=(CBS_WIJK_BUURT, KNMI_DAGGEGEVENS), parse=parse_referentie)
