"""Reading the text formats municipal exports come in: encodings, CSV dialects, Dutch dates and numbers."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

from pipelines.bronze.ingest import RecordError, UnreadableFile
from pipelines.settings import TIMEZONE

EARLIEST_PLAUSIBLE = dt.datetime(2000, 1, 1)
FIELD_COUNT_ERROR = "__field_count__"  # key under which read_csv reports a row with the wrong number of fields
DELIMITERS = ";,\t|"


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or Windows-1252, the two encodings municipal exports use."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        raise UnreadableFile("the file is UTF-16 or binary; export it as UTF-8 or Windows-1252 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as err:
        raise UnreadableFile(f"the file is neither UTF-8 nor Windows-1252 (byte {data[err.start]:#04x} at {err.start})")


def looks_delimited(text: str) -> bool:
    """The first line separates fields with one of the delimiters `read_csv` reads."""
    return any(sep in text.split("\n", 1)[0] for sep in DELIMITERS)


def normalise_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def read_csv(
    text: str, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...], notes: Counter
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, record keyed by our column names); blank lines are counted in `notes`.

    `aliases` maps each of our column names to the header spellings municipalities use. Columns we do
    not know are not read (data minimisation) and are listed in `notes` so a new export layout shows up.
    """
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableFile("the file is empty") from None
    lookup = {normalise_header(spelling): ours for ours, spellings in aliases.items() for spelling in spellings}
    positions = {lookup[normalise_header(h)]: i for i, h in enumerate(header) if normalise_header(h) in lookup}
    missing = [c for c in required if c not in positions]
    if missing:
        raise UnreadableFile(f"required columns missing: {', '.join(missing)} (header: {delimiter.join(header)})")
    for h in header:
        if normalise_header(h) not in lookup:
            notes[f"column not read: {h}"] += 1
    for values in reader:
        if not any(v.strip() for v in values):
            notes["blank lines skipped"] += 1
            continue
        if len(values) != len(header):
            yield reader.line_num, {FIELD_COUNT_ERROR: f"{len(values)} fields where the header has {len(header)}"}
            continue
        yield reader.line_num, {ours: values[i].strip() for ours, i in positions.items()}


@lru_cache(maxsize=1 << 17)
def parse_moment(value: str, formats: tuple[str, ...]) -> dt.datetime:
    """`strptime` with the first format that fits, else ValueError. Cached: an export repeats the same dates
    endlessly, and strptime was the largest single cost of ingesting a CSV."""
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise ValueError(f"{value!r} fits none of {formats}")


def dutch_timestamp(value: str, field: str) -> dt.datetime | None:
    """`dd-mm-jjjj hh:mm` (seconds optional) as local time; empty gives None.

    Day and time of day are parsed apart: a few thousand days and minutes recur, where whole timestamps rarely
    do, so both stay in the cache."""
    if not value:
        return None
    day, _, clock = value.partition(" ")
    try:
        moment = parse_moment(day, ("%d-%m-%Y",))
        if clock:
            time = parse_moment(clock, ("%H:%M", "%H:%M:%S"))
            moment = moment.replace(hour=time.hour, minute=time.minute, second=time.second)
        return moment
    except ValueError:
        raise RecordError(f"{field} {value!r} is not a valid date (expected dd-mm-jjjj hh:mm)") from None


def dutch_or_iso_date(value: str | None, field: str) -> dt.date | None:
    """A date written `dd-mm-jjjj`, `jjjj-mm-dd` or `jjjjmmdd` (a timestamp's time is ignored); empty gives None."""
    if not value:
        return None
    try:
        if value[2:3] == "-":
            return parse_moment(value, ("%d-%m-%Y",)).date()
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise RecordError(f"{field} {value!r} is not a valid date") from None


def iso_timestamp(value: str | None, field: str) -> dt.datetime | None:
    """ISO 8601 with or without offset, converted to Dutch local time without zone."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise RecordError(f"{field} {value!r} is not a valid ISO 8601 date") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(TIMEZONE).replace(tzinfo=None)
    return moment


def plausible(moment: dt.datetime | None, field: str, peildatum: dt.date) -> dt.datetime | None:
    """Reject dates no real record can have: before 2000 or after the reference date."""
    if moment is not None and not (EARLIEST_PLAUSIBLE <= moment < dt.datetime.combine(peildatum + dt.timedelta(2), dt.time())):
        raise RecordError(f"{field} {moment:%Y-%m-%d} is impossible (before 2000 or after the peildatum {peildatum})")
    return moment


def decimal(value: str | float | None, field: str) -> float | None:
    """A number written either way: 52,1234 or 52.1234."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise RecordError(f"{field} {value!r} is not a number") from None
