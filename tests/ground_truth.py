"""What the gold tables should say, computed from the landing files with plain Python.

Deliberately independent of `pipelines.bronze`: it reads the exports its own way, so a parsing or
deduplication error in the pipeline shows up as a difference.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "fixi"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass
class Melding:
    melding_id: str
    categorie: str
    status: str
    created: dt.datetime
    closed: dt.datetime | None
    modified: dt.datetime | None
    source: tuple[str, int]  # file name, record number


def _seed(name: str, key: str, value: str) -> dict[str, str]:
    with open(SEEDS / name, encoding="utf-8") as f:
        return {row[key]: row[value] for row in csv.DictReader(f)}


def read_landing(folder: Path) -> list[Melding]:
    """Every valid record in every Fixi export, before deduplication."""
    records = []
    seen_content = set()
    for path in sorted(folder.iterdir()):
        content = path.read_bytes()
        if content in seen_content:
            continue  # the same export delivered twice
        seen_content.add(content)
        if path.suffix == ".json":
            records += _json_records(path.name, content.decode("utf-8"))
        else:
            records += _csv_records(path.name, content.decode("cp1252"))
    return [r for r in records if r is not None]


def api_issues(text: str) -> list[dict]:
    """The issues of an API page, also when double-encoded or cut off (then its complete issues)."""
    try:
        page = json.loads(text)
        if isinstance(page, str):
            page = json.loads(page)
        return page["results"]
    except json.JSONDecodeError:
        return _complete_issues_of_cut_page(text)


def _json_records(name: str, text: str) -> list[Melding | None]:
    return [_from_api(name, i, issue) for i, issue in enumerate(api_issues(text), start=1)]


def _complete_issues_of_cut_page(text: str) -> list[dict]:
    if text.startswith('"'):
        for cut in range(8):
            try:
                text = json.loads(text[: len(text) - cut] + '"')
                break
            except json.JSONDecodeError:
                continue
    decoder, issues = json.JSONDecoder(), []
    position = text.index("[", text.index('"results"')) + 1
    while True:
        while text[position] in " \n\r\t,":
            position += 1
        try:
            issue, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return issues
        issues.append(issue)


def _iso(value):
    if not value:
        return None
    return dt.datetime.fromisoformat(value).astimezone(AMSTERDAM).replace(tzinfo=None)


def _from_api(name: str, number: int, issue: dict) -> Melding | None:
    try:
        created = _iso(issue["created"])
    except ValueError:
        return None
    if not issue["publicID"]:
        return None
    return Melding(issue["publicID"], issue["categoryName"], issue["status"], created, _iso(issue["closed"]),
                   _iso(issue["modified"]), (name, number))


def _csv_records(name: str, text: str) -> list[Melding | None]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
    result = []
    for row in reader:
        if not row["Meldingnummer"]:
            result.append(None)
            continue
        try:
            created = _dutch(row["Datum melding"])
        except ValueError:
            result.append(None)
            continue
        result.append(Melding(row["Meldingnummer"], row["Categorie"], row["Status"], created,
                              _dutch(row["Datum afgehandeld"]), _dutch(row["Laatst gewijzigd"]), (name, reader.line_num)))
    return result


def _dutch(value: str):
    return dt.datetime.strptime(value, "%d-%m-%Y %H:%M") if value else None


def latest_state(records: list[Melding]) -> dict[str, Melding]:
    """One melding per id: the record changed last wins."""
    latest: dict[str, Melding] = {}
    for r in records:
        current = latest.get(r.melding_id)
        if current is None or (r.modified or dt.datetime.min) > (current.modified or dt.datetime.min):
            latest[r.melding_id] = r
    categories = _seed("fixi_categorie_bron.csv", "categorie_bron", "categorie")
    for r in latest.values():
        r.categorie = categories.get(r.categorie.strip().lower(), "Onbekend")
    return latest


def handled_days(m: Melding) -> int | None:
    """Calendar days to handle, when handled with possible dates."""
    if m.status != "afgehandeld" or m.closed is None or m.closed < m.created:
        return None
    return (m.closed.date() - m.created.date()).days


def working_days(m: Melding) -> int | None:
    if handled_days(m) is None:
        return None
    nl = holidays.NL(years=range(m.created.year, m.closed.year + 1))
    day, count = m.created.date(), 0
    while day < m.closed.date():
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in nl:
            count += 1
    return count


def week_start(moment: dt.datetime) -> dt.date:
    return moment.date() - dt.timedelta(days=moment.weekday())


def gba_rows(landing: Path) -> list[dict]:
    """The demo's LO GBA extract of reisdocumenten, a dict per line."""
    text = (landing / "brp" / "brp_reisdocumenten_gba.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def counter_applications(landing: Path) -> list[dict]:
    """The counter's application exports, a dict per application."""
    rows = []
    for path in sorted((landing / "burgerzaken").glob("*.csv")):
        rows += list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"))
    return rows
