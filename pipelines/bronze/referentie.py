"""Reference data -> bronze: the municipality's wijken and buurten (CBS), and the Dutch public holidays."""

from __future__ import annotations

from collections.abc import Iterator

import holidays

from pipelines.bronze.formats import FIELD_COUNT_ERROR, decimal, decode_text, read_csv
from pipelines.bronze.ingest import Parsed, ParseContext, RecordError, Source
from pipelines.bronze.tables import CBS_WIJK_BUURT

WIJK_BUURT_COLUMNS = [c.name for c in CBS_WIJK_BUURT.columns if not c.name.startswith(("bron_", "run_", "geladen_"))]
COORDINATES = [c for c in WIJK_BUURT_COLUMNS if c.endswith("graad")]


def parse_wijk_buurt(context: ParseContext) -> Iterator[Parsed]:
    aliases = {name: (name,) for name in WIJK_BUURT_COLUMNS}
    required = ("gemeentecode", "wijkcode", "buurtcode")
    for line, record in read_csv(decode_text(context.file.content), aliases, required, context.notes):
        if FIELD_COUNT_ERROR in record:
            yield Parsed(line, error=f"line {line}: {record[FIELD_COUNT_ERROR]}")
            continue
        try:
            # CBS OData pads its codes with spaces.
            row = {name: record.get(name, "").strip() or None for name in WIJK_BUURT_COLUMNS}
            row.update({name: decimal(record.get(name), name) for name in COORDINATES})
            if not all(row[c] for c in required):
                raise RecordError("wijk/buurt row without gemeentecode, wijkcode or buurtcode")
        except RecordError as err:
            yield Parsed(line, error=str(err), raw={c: record.get(c) for c in required})
            continue
        yield Parsed(line, row=row)


def public_holidays(first_year: int, last_year: int) -> list[dict]:
    nl = holidays.NL(years=range(first_year, last_year + 1), language="nl")
    return [{"datum": day, "naam": name} for day, name in sorted(nl.items())]


CBS = Source(system="referentie", tables=(CBS_WIJK_BUURT,), parse=parse_wijk_buurt)
