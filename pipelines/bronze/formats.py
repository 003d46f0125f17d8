"""Reading the text formats municipal exports come in: encodings, CSV dialects, Dutch dates and numbers."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from pipelines.bronze.contract import RecordError, UnreadableFile
from pipelines.settings import TIMEZONE

EARLIEST_PLAUSIBLE = dt.datetime(2000, 1, 1)
FIELD_COUNT_ERROR = "__field_count__"  # key under which read_csv reports a row with the wrong number of fields
DELIMITERS = ";,\t|"


# The encodings municipal exports come in: UTF-8 (with or without BOM) and Windows-1252 (whose printable
# characters include all of latin-1's). The detector chooses among these only.
ENCODINGS = ["utf_8", "cp1252"]
SAMPLE_BYTES = 64 * 2**10  # of a file, what the encoding is detected on: a national CSV runs to gigabytes
UNDEFINED_IN_WINDOWS_1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def decode_text(data: bytes) -> str:
    """An export's text, in the encoding `text_encoding` detects on a sample of it. A file whose sample held
    only what UTF-8 and Windows-1252 share (ASCII, as in a long export whose first accent comes late) is
    detected again where the first byte the sample's encoding cannot read lies."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    try:
        return data.decode(text_encoding(data))
    except UnicodeDecodeError as err:
        try:
            return data.decode(text_encoding(data, at=err.start))
        except UnicodeDecodeError as again:
            raise UnreadableFile(f"the file is neither UTF-8 nor Windows-1252 ({_byte_at(data, again.start)}): "
                                 "it mixes encodings") from None


def text_encoding(data: bytes, at: int = 0) -> str:
    """The encoding (`ENCODINGS`) charset-normalizer finds on SAMPLE_BYTES of the file from about `at`; an
    UnreadableFile when none fits, or the file is UTF-16 or binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        raise UnreadableFile("the file is UTF-16 or binary; export it as UTF-8 or Windows-1252 text")
    sample = _sample(data, max(at - SAMPLE_BYTES // 2, 0))
    # Text in another encoding is practically never valid UTF-8 where it is not ASCII, while the detector's
    # ranking can put Windows-1252 first for UTF-8 with few accents among much punctuation: UTF-8 whenever it
    # reads the sample (ASCII too, read alike in every encoding), without asking the detector (slow, for every file).
    if _reads_as_utf8(sample):
        return "utf_8"
    # Every candidate that reads the sample fits (threshold 1): the detector's mess ratio rejects real exports
    # dense with digits and punctuation (0.33 for a Windows-1252 API page with Dutch street names).
    fitting = charset_normalizer.from_bytes(sample, cp_isolation=ENCODINGS, threshold=1.0)
    if not fitting:  # neither reads the sample: it holds a byte Windows-1252 leaves undefined
        raise UnreadableFile("the file is neither UTF-8 nor Windows-1252 "
                             f"({_byte_at(data, UNDEFINED_IN_WINDOWS_1252.search(data).start())})")
    return fitting.best().encoding


def _reads_as_utf8(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _sample(data: bytes, start: int) -> bytes:
    """SAMPLE_BYTES of the file from `start`, cut between characters: a UTF-8 character cut in two would make the
    sample look like another encoding."""
    end = start + SAMPLE_BYTES
    while start < len(data) and _continues_a_character(data[start]):
        start += 1
    while end < len(data) and _continues_a_character(data[end]):
        end -= 1
    return data[start:end]


def _continues_a_character(byte: int) -> bool:
    return 0x80 <= byte < 0xC0  # a UTF-8 continuation byte


def _byte_at(data: bytes, position: int) -> str:
    return f"byte {data[position]:#04x} at {position}"


def looks_delimited(text: str) -> bool:
    """The first line separates fields with one of the delimiters `read_csv` reads."""
    return any(sep in text.split("\n", 1)[0] for sep in DELIMITERS)


def delimiter_of(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    return max(DELIMITERS, key=first_line.count)


def column_positions(header: list[str], delimiter: str, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...],
                     notes: Counter) -> dict[str, int]:
    """Where each of our columns is in the header; columns we do not read are counted in `notes`."""
    lookup = {normalise_header(spelling): ours for ours, spellings in aliases.items() for spelling in spellings}
    positions = {lookup[normalise_header(h)]: i for i, h in enumerate(header) if normalise_header(h) in lookup}
    missing = [c for c in required if c not in positions]
    if missing:
        raise UnreadableFile(f"required columns missing: {', '.join(missing)} (header: {delimiter.join(header)})")
    for h in header:
        if normalise_header(h) not in lookup:
            notes[f"column not read: {h}"] += 1
    return positions


def normalise_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def read_csv(
    text: str, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...], notes: Counter
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, record keyed by our column names); blank lines are counted in `notes`.

    `aliases` maps each of our column names to the header spellings municipalities use. Columns we do
    not know are not read (data minimisation) and are listed in `notes` so a new export layout shows up.
    """
    delimiter = delimiter_of(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableFile("the file is empty") from None
    positions = column_positions(header, delimiter, aliases, required, notes)
    for values in reader:
        if not any(v.strip() for v in values):
            notes["blank lines skipped"] += 1
            continue
        if len(values) != len(header):
            yield reader.line_num, {FIELD_COUNT_ERROR: f"{len(values)} fields where the header has {len(header)}"}
            continue
        yield reader.line_num, {ours: values[i].strip() for ours, i in positions.items()}


def csv_columns(content: bytes, delimiter: str) -> tuple[list[str], list[pa.Array]] | None:
    """A delimited export read column by column in C++ (pyarrow): its header and each column as text, not yet
    stripped (`stripped`: only what a reader uses, a national extract's names and addresses are not), row i being
    line i + 2 of the file, in the encodings `decode_text` reads. None when the file is anything
    but one record per line with as many fields as the header: such a file is read record by record
    (`read_csv`), which reports each irregularity with its line number. For a clean national export this is
    several times faster than a Python loop over records. A UTF-8 file is read where it lies, not copied."""
    start = _text_start(content)
    try:
        # The sample the detector reads and the byte after it, which tells whether a character ends there.
        encoding = text_encoding(content[start:start + SAMPLE_BYTES + 1])
        if encoding != "utf_8":
            content, start = content[start:].decode(encoding).encode("utf-8"), 0
    except (UnreadableFile, UnicodeDecodeError):
        return None
    header_end = content.find(b"\n", start)
    if header_end < 0 or header_end + 1 == len(content) or content[start:start + 1].isspace():
        return None
    try:
        header = next(csv.reader([content[start:header_end].decode("utf-8").rstrip("\r")], delimiter=delimiter))
        names = [f"c{i}" for i in range(len(header))]
        table = pa_csv.read_csv(
            pa.py_buffer(content).slice(header_end + 1),
            read_options=pa_csv.ReadOptions(column_names=names),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid as err:
        if "invalid UTF8" in str(err) and encoding == "utf_8":  # the sample was UTF-8, a later byte is not
            return _csv_columns_decoded(content, delimiter)
        return None
    if table.num_rows != content.count(b"\n", header_end + 1) + (not content.endswith(b"\n")):
        return None  # a line break inside a quoted value
    return header, [column.combine_chunks() for column in table.columns]


def stripped(column: pa.Array) -> pa.Array:
    """A column's values without surrounding whitespace, as the record parsers strip each field."""
    return pc.utf8_trim_whitespace(column)


def header_line(content: bytes) -> bytes:
    """An export's first line, without a UTF-8 byte order mark: only that line is copied."""
    start = _text_start(content)
    end = content.find(b"\n", start)
    return content[start:end if end >= 0 else len(content)]


def _text_start(content: bytes) -> int:
    """Where an export's text begins: after its UTF-8 byte order mark, if it has one."""
    return len(codecs.BOM_UTF8) if content.startswith(codecs.BOM_UTF8) else 0


def _csv_columns_decoded(content: bytes, delimiter: str) -> tuple[list[str], list[pa.Array]] | None:
    """`csv_columns` of a file whose encoding its first sample did not tell: decoded as `decode_text` decodes it."""
    try:
        return csv_columns(decode_text(content).encode("utf-8"), delimiter)
    except (UnreadableFile, UnicodeDecodeError):
        return None


def read_csv_columns(
    content: bytes, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...], notes: Counter
) -> tuple[dict[str, pa.Array], pa.Array] | None:
    """`read_csv` column-wise: our columns as stripped text and each record's line number, blank lines left out
    and counted in `notes`. None when the file must be read record by record (see `csv_columns`)."""
    delimiter = delimiter_of(header_line(content).decode("utf-8", "replace"))
    columns = csv_columns(content, delimiter)
    if columns is None:
        return None
    header, values = columns
    try:
        positions = column_positions(header, delimiter, aliases, required, notes)
    except UnreadableFile:
        return None  # read_csv says which columns are missing
    blank = pc.equal(stripped(pc.binary_join_element_wise(*values, "")), "")  # every field empty or whitespace
    ours = {name: stripped(values[i]) for name, i in positions.items()}
    blanks = pc.sum(blank).as_py()
    if not blanks:  # as in nearly every export: nothing to take out
        return ours, pa.array(np.arange(2, len(blank) + 2))
    count(notes, "blank lines skipped", blanks)
    filled = pc.invert(blank)
    return {name: column.filter(filled) for name, column in ours.items()}, pc.add(pc.indices_nonzero(filled), 2)


def any_of(masks: list[pa.Array]) -> pa.Array:
    result = masks[0]
    for mask in masks[1:]:
        result = pc.or_(result, mask)
    return result


def count(notes: Counter, note: str, times: int | None) -> None:
    if times:
        notes[note] += times


def without_failed(table: pa.Table, failed: pa.Array) -> pa.Table:
    """The rows that did not fail: the table itself when none did, as in nearly every file (a filter copies every
    column)."""
    return table.filter(pc.invert(failed)) if pc.any(failed).as_py() else table


def none_when_empty(column: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)


def through_distinct(values: pa.Array, function: Callable, type: pa.DataType) -> tuple[pa.Array, pa.Array]:
    """`function` applied to each distinct value once, spread back over the rows: (results, errors). A value
    the function rejects (RecordError or ValueError) gives a null result and the error's text; others a null error.
    Exports repeat the same dates and codes endlessly, so this costs a Python call per distinct value."""
    distinct, index = distinct_and_index(values)
    results, errors = per_value(distinct.to_pylist(), function, type)
    return results.take(index), errors.take(index)


def distinct_and_index(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The distinct values of a column and, per row, the position of its value among them (null for null), in
    one pass over the column."""
    encoded = pc.dictionary_encode(values)
    return encoded.dictionary, encoded.indices


# The shapes nearly every date of an export has, read by Arrow: (pattern, format, where the day is written). A year
# below 1000 is left to Python, which reads it where Arrow's strptime may not.
DUTCH_DATE = ("^[0-9]{2}-[0-9]{2}-[1-9][0-9]{3}$", "%d-%m-%Y", 0)
ISO_DATE = ("^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$", "%Y-%m-%d", 8)
ISO_BASIC_DATE = ("^[1-9][0-9]{7}$", "%Y%m%d", 6)  # LO GBA's jjjjmmdd
# Distinct values: fewer are read faster by a Python call each than by the twenty-odd Arrow calls of the shapes
# (a monthly counter export holds some twenty distinct application days).
ARROW_DATES_FROM = 100


def dates_through_distinct(values: pa.Array, function: Callable, shapes: tuple = (DUTCH_DATE, ISO_DATE, ISO_BASIC_DATE)
                           ) -> tuple[pa.Array, pa.Array]:
    """`through_distinct(values, function, pa.date32())` for a `function` that reads a day written in one of
    these `shapes` as that day: many distinct values are read by Arrow where they have one of those shapes (a
    national extract holds tens of thousands of distinct days, too many for a Python call each), each other
    distinct value by `function`."""
    distinct, index = distinct_and_index(values)
    if len(distinct) < ARROW_DATES_FROM:
        dates, errors = per_value(distinct.to_pylist(), function, pa.date32())
    else:
        dates, errors = _dates_of_shapes(distinct, function, shapes)
    return dates.take(index), errors.take(index)


def _dates_of_shapes(values: pa.Array, function: Callable, shapes: tuple) -> tuple[pa.Array, pa.Array]:
    dates = pa.nulls(len(values), pa.date32())
    for pattern, fmt, day_at in shapes:
        fits = pc.fill_null(pc.match_substring_regex(values, pattern), False)
        if not pc.any(fits).as_py():
            continue
        fitting = pc.if_else(fits, values, None)
        read = pc.strptime(fitting, fmt, "s", error_is_null=True)
        # Arrow rolls a day past the month's end over into the next month (31-02 becomes 03-03), which changes
        # the day: only a date with the day as written is taken, `function` judges the rest.
        written_day = pc.cast(pc.utf8_slice_codeunits(fitting, day_at, day_at + 2), pa.int64())
        exact = pc.fill_null(pc.equal(pc.day(read), written_day), False)
        dates = pc.if_else(exact, pc.cast(read, pa.date32()), dates)
    rest = pc.is_null(dates)
    errors = pa.nulls(len(values), pa.string())
    if pc.any(rest).as_py():
        results, rest_errors = per_value(pc.filter(values, rest).to_pylist(), function, pa.date32())
        dates = pc.replace_with_mask(dates, rest, results)
        errors = pc.replace_with_mask(errors, rest, rest_errors)
    return dates, errors


def per_value(values: list, function: Callable, type: pa.DataType) -> tuple[pa.Array, pa.Array]:
    """`function` applied to each value: (results, errors), as `through_distinct` but for values of any type."""
    results, errors = [], []
    for value in values:
        try:
            results.append(function(value))
            errors.append(None)
        except (RecordError, ValueError) as err:
            results.append(None)
            errors.append(str(err))
    return pa.array(results, type), pa.array(errors, pa.string())


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


def dutch_or_iso_dates(values: pa.Array, field: str) -> tuple[pa.Array, pa.Array]:
    """`dutch_or_iso_date` over a column: (dates, errors), each distinct value read once."""
    return dates_through_distinct(values, lambda value: dutch_or_iso_date(value, field))


def dutch_timestamps(values: pa.Array, field: str, peildatum: dt.date) -> tuple[pa.Array, pa.Array]:
    """`plausible(dutch_timestamp(...))` over a column: (timestamps, errors). Days and times of day are parsed
    per distinct value, as `dutch_timestamp` parses them; the rare rejected value gets its error from it."""
    parts = pc.extract_regex(values, r"^(?P<day>[^ ]*)(?: (?P<clock>.*))?$")
    day, day_error = through_distinct(pc.struct_field(parts, "day"), lambda v: parse_moment(v, ("%d-%m-%Y",)),
                                      pa.timestamp("us"))
    clock, clock_error = through_distinct(pc.struct_field(parts, "clock"), _time_of_day, pa.duration("us"))
    moments = pc.add(day, pc.coalesce(clock, pa.scalar(dt.timedelta(0), pa.duration("us"))))
    earliest, latest = EARLIEST_PLAUSIBLE, dt.datetime.combine(peildatum + dt.timedelta(2), dt.time())
    rejected = pc.and_(pc.not_equal(values, ""), pc.or_kleene(
        pc.or_kleene(pc.is_valid(day_error), pc.is_valid(clock_error)),
        pc.or_kleene(pc.less(moments, earliest), pc.greater_equal(moments, latest))))
    rejected = pc.fill_null(rejected, True)
    if not pc.any(rejected).as_py():
        return moments, pa.nulls(len(values), pa.string())
    errors = [_rejection(lambda v: plausible(dutch_timestamp(v, field), field, peildatum), v)
              for v in pc.filter(values, rejected).to_pylist()]
    return (pc.if_else(rejected, pa.scalar(None, pa.timestamp("us")), moments),
            pc.replace_with_mask(pa.nulls(len(values), pa.string()), rejected, pa.array(errors, pa.string())))


def iso_timestamps(values: list, field: str, peildatum: dt.date) -> tuple[pa.Array, pa.Array]:
    """`plausible(iso_timestamp(...))` over a column: (timestamps, errors). Arrow reads the ISO 8601 text and
    converts a value with an offset to Dutch local time; a column it cannot read entirely, and each implausible
    value, gets its results and errors from `iso_timestamp` and `plausible` value by value."""
    def one(value):
        return plausible(iso_timestamp(value, field), field, peildatum)

    try:
        text = none_when_empty(pa.array(values, pa.string()))
        offset = pc.match_substring_regex(text, r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$")
        aware = pc.cast(pc.if_else(offset, text, None), pa.timestamp("us", "UTC"))
        local = pc.cast(pc.if_else(offset, None, text), pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return per_value(values, one, pa.timestamp("us"))
    moments = pc.coalesce(pc.local_timestamp(aware.cast(pa.timestamp("us", TIMEZONE.key))), local)
    earliest, latest = EARLIEST_PLAUSIBLE, dt.datetime.combine(peildatum + dt.timedelta(2), dt.time())
    rejected = pc.fill_null(pc.or_(pc.less(moments, earliest), pc.greater_equal(moments, latest)), False)
    if not pc.any(rejected).as_py():
        return moments, pa.nulls(len(values), pa.string())
    errors = [_rejection(one, v) for v in pc.filter(text, rejected).to_pylist()]
    return (pc.if_else(rejected, pa.scalar(None, pa.timestamp("us")), moments),
            pc.replace_with_mask(pa.nulls(len(values), pa.string()), rejected, pa.array(errors, pa.string())))


def _time_of_day(clock: str | None) -> dt.timedelta | None:
    if not clock:  # a date without a time
        return None
    time = parse_moment(clock, ("%H:%M", "%H:%M:%S"))
    return dt.timedelta(hours=time.hour, minutes=time.minute, seconds=time.second)


def _rejection(check: Callable, value) -> str:
    try:
        check(value)
    except RecordError as err:
        return str(err)
    raise AssertionError(f"{value!r} was rejected column-wise but passes value by value")


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
