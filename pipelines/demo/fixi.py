"""Demo Fixi reports for the demo municipality, delivered the way real Fixi exports arrive.

Every night-to-month the back office pulls what is new or changed since the previous pull. The first half
of the history comes as back-office CSV exports, the second half from the issues API in pages. A report
that changes after a pull appears again in a later one (latest state wins in silver). About 2% of the
records carry the faults real exports have; `DIRTY_KINDS` lists them.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

import holidays
import numpy as np

from pipelines.demo import weer
from pipelines.demo.municipality import DEFAULT_SCHOOLREGIO, Buurt, FakeDetails
from pipelines.settings import TIMEZONE

REPORTS_PER_YEAR = 15_000
API_PAGE_SIZE = 250
# Conformed category -> (share of reports, source names used by the API and by the CSV export).
CATEGORIES = {
    "Afval en zwerfafval": (0.30, "Afval / Zwerfafval", "Zwerfafval"),
    "Wegen en trottoirs": (0.20, "Wegen en trottoirs", "Wegen, straten en trottoirs"),
    "Openbaar groen": (0.18, "Openbaar groen", "Groen"),
    "Openbare verlichting": (0.10, "Openbare verlichting", "Straatverlichting"),
    "Verkeersborden": (0.05, "Verkeersborden", "Verkeersborden en bebording"),
    "Watergangen en beschoeiingen": (0.03, "Watergangen en beschoeiingen", "Watergangen"),
    "Bruggen en viaducten": (0.02, "Bruggen en viaducten", "Bruggen"),
    "Overige meldingen": (0.12, "Overige meldingen", "Overig"),
}
UNKNOWN_CATEGORIES = ["Hondenpoep", "Graffiti", "Wildplassen", "Testmelding"]
WEEKDAY_FACTOR = [1.35, 1.0, 1.0, 1.0, 0.95, 0.6, 0.55]  # Monday .. Sunday
CSV_COLUMNS = [
    "Meldingnummer", "Categorie", "Status", "Omschrijving", "Adres", "Postcode", "Plaats", "Breedtegraad",
    "Lengtegraad", "Datum melding", "Datum afgehandeld", "Laatst gewijzigd", "Naam melder", "E-mail melder",
    "Telefoon melder", "Aantal likes",
]
DIRTY_KINDS = {  # kind -> share of reports
    "afgehandeld_zonder_datum": 0.004,
    "afgehandeld_voor_melding": 0.003,
    "onbekende_categorie": 0.004,
    "locatie_buiten_gemeente": 0.004,
    "onmogelijke_datum": 0.001,
    "zonder_meldingnummer": 0.0005,
}


@dataclass
class Report:
    public_id: str
    category: str  # conformed name, or an unknown source name
    created: dt.datetime
    in_progress: dt.datetime
    closed: dt.datetime | None
    lat: float
    lon: float
    street: str
    house_number: str
    postcode: str
    description: str
    reporter: tuple[str, str, str]
    dirty: str | None = None
    likes: int = 0

    def changes(self) -> list[dt.datetime]:
        return [t for t in (self.created, self.in_progress, self.closed) if t is not None]

    def state_at(self, moment: dt.datetime) -> tuple[str, dt.datetime | None, dt.datetime]:
        """(status, closed, modified) as an export taken at `moment` shows it."""
        if self.closed is not None and self.closed <= max(moment, self.created):
            return "afgehandeld", self.closed, max(self.closed, self.created)
        if self.in_progress <= moment:
            return "in behandeling", None, self.in_progress
        return "ontvangen", None, self.created


def generate_day(
    buurten: list[Buurt], day: dt.date, terms: dict[str, int], rng: np.random.Generator, fake: FakeDetails, scale: float,
    stn: int = weer.DEFAULT_STATION, schoolregio: str = DEFAULT_SCHOOLREGIO,
) -> list[Report]:
    """One more day's new reports, numbered by the day so they never collide with the history's numbers."""
    reports = generate_reports(buurten, day, day, terms, rng, fake, scale, stn, schoolregio)
    return [replace(r, public_id=f"F{day:%Y%m%d}-{n:05d}") for n, r in enumerate(reports, start=1)]


def write_day_export(reports: list[Report], day: dt.date, folder: Path, rng: np.random.Generator) -> list[Path]:
    """The morning pull after `day`, from the issues API."""
    folder.mkdir(parents=True, exist_ok=True)
    moment = dt.datetime.combine(day + dt.timedelta(1), dt.time(6))
    return _write_api_pages(reports, moment, folder, f"{day:%Y-%m-%d}", rng, cut_off=False)


def generate_reports(
    buurten: list[Buurt], start: dt.date, end: dt.date, terms: dict[str, int], rng: np.random.Generator, fake: FakeDetails,
    scale: float = 1.0, stn: int = weer.DEFAULT_STATION, schoolregio: str = DEFAULT_SCHOOLREGIO,
) -> list[Report]:
    """Draw each day's reports per category from its seasonal, weekly, weather- and event-driven intensity; the
    weather is that of the municipality's KNMI station (`weer`), so storms, frost and downpours in its station
    file are what moves the reports, and the school holidays those of its region."""
    days = [start + dt.timedelta(d) for d in range((end - start).days + 1)]
    days_weather = weer.weather(stn, start, end)
    school = holidays.NL(years=range(start.year, end.year + 1), subdiv=schoolregio.capitalize(),
                         categories=(holidays.SCHOOL,), language="nl")
    names = list(CATEGORIES)
    weights = np.array([[_intensity(day, name, days_weather[day], school.get(day)) for name in names] for day in days])
    counts = rng.poisson(weights * (scale * REPORTS_PER_YEAR * len(days) / 365.25 / weights.sum()))
    nl_holidays = holidays.NL(years=range(start.year, end.year + 2))
    buurt_p = np.array([b.weight for b in buurten])
    buurt_p /= buurt_p.sum()
    reports = []
    for d, day in enumerate(days):
        for c, name in enumerate(names):
            for _ in range(counts[d, c]):
                buurt = buurten[rng.choice(len(buurten), p=buurt_p)]
                reports.append(_report(len(reports) + 1, name, terms[name], day, buurt, rng, fake, nl_holidays))
    reports.extend(_clusters(reports, days, rng, fake))
    _make_dirty(reports, rng)
    return reports


def _clusters(reports: list[Report], days: list[dt.date], rng: np.random.Generator, fake: FakeDetails) -> list[Report]:
    """A few times a year one object draws many reports within days (a dumped pile of waste, a broken lamp post
    everyone passes): copies of one report at the same spot, by other residents."""
    if len(days) < 28 or not reports:
        return []
    extra = []
    for _ in range(max(1, round(len(days) / 365.25 * 3))):
        seed = reports[int(rng.integers(len(reports)))]
        first = seed.created.date()
        for k in range(int(rng.integers(12, 25))):
            day = first + dt.timedelta(int(rng.integers(0, 4)))
            created = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=int(rng.integers(0, 12 * 60)))
            extra.append(replace(seed, public_id=f"{seed.public_id}-{k + 1:02d}", created=created,
                                 in_progress=created + (seed.in_progress - seed.created),
                                 closed=max(seed.closed, created + dt.timedelta(hours=1)) if seed.closed else None,
                                 lat=round(seed.lat + float(rng.uniform(-0.0002, 0.0002)), 6),
                                 lon=round(seed.lon + float(rng.uniform(-0.0002, 0.0002)), 6),
                                 reporter=(fake.pick(fake.names), fake.pick(fake.emails), fake.pick(fake.phones))))
    return [r for r in extra if r.created.date() <= days[-1]]


def _intensity(day: dt.date, category: str, weather: weer.Day, schoolvakantie: str | None) -> float:
    share = CATEGORIES[category][0]
    factor = WEEKDAY_FACTOR[day.weekday()]
    if category == "Openbaar groen" and day.month in (10, 11):
        factor *= 2.5  # autumn leaves and fallen branches
    if category == "Openbaar groen" and day.month in (5, 6, 7):
        factor *= 1.3  # growing season: overgrown paths
    if category == "Openbare verlichting" and day.month in (11, 12, 1, 2):
        factor *= 1.6  # long evenings make broken lights visible
    if weather.storm:  # fallen trees and branches, blown-over signs, debris on the road; more the harder it blows
        strength = weather.gust / 20.8
        factor *= {"Openbaar groen": 7, "Verkeersborden": 4.5, "Wegen en trottoirs": 2.5}.get(category, 1.2) * strength
    if weather.frost and category == "Wegen en trottoirs":
        factor *= 1 + 0.35 * min(-weather.t_min, 8)  # gladheid: icy paths and cycle lanes, the colder the more
    if weather.rain >= 15:  # a downpour: flooded streets, blocked drains and gullies, high water in the ditches
        factor *= {"Watergangen en beschoeiingen": 1 + weather.rain / 5, "Wegen en trottoirs": 1 + weather.rain / 25,
                   "Overige meldingen": 1 + weather.rain / 30}.get(category, 1.0)
    if category == "Afval en zwerfafval":
        if (day.month, day.day) in ((1, 1), (1, 2)):
            factor *= 6 if day.day == 1 else 3  # fireworks litter after New Year's Eve
        if (day.month, day.day) in ((4, 27), (4, 28)) or (day.month == 8 and 10 <= day.day <= 13):
            factor *= 3  # King's Day and the summer city festival
        if schoolvakantie == "Zomervakantie":
            factor *= 1.8  # children free and families out: litter in parks, at playgrounds and swimming spots
    if category in ("Verkeersborden", "Openbare verlichting") and (day.month, day.day) == (1, 1):
        factor *= 3  # fireworks damage
    return share * factor


def _report(n, category, term, day, buurt, rng, fake, nl_holidays) -> Report:
    hour = float(np.clip(rng.normal(13, 3.5), 6, 23.5))
    created = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hour)
    created = created.replace(second=0, microsecond=0)
    in_progress = created + dt.timedelta(hours=float(rng.uniform(1, 48)))
    median = 0.45 * term * (1.5 if day.month in (7, 8) else 1.0)  # summer holidays slow the back office
    working_days = int(rng.lognormal(np.log(max(median, 0.5)), 0.8))
    closed_day = _add_working_days(day, working_days, nl_holidays)
    closed = dt.datetime.combine(closed_day, dt.time(8)) + dt.timedelta(minutes=int(rng.integers(0, 9 * 60)))
    closed = max(closed, in_progress + dt.timedelta(minutes=30))
    return Report(
        public_id=f"F{day.year}-{n:07d}",
        category=category,
        created=created,
        in_progress=min(in_progress, closed),
        closed=closed,
        lat=round(float(rng.uniform(*buurt.lat)), 6),
        lon=round(float(rng.uniform(*buurt.lon)), 6),
        street=fake.pick(fake.streets),
        house_number=fake.house_number(),
        postcode=f"{buurt.postcode4} {fake.letters()}",
        description=f"{fake.pick(fake.sentences)} Bel mij: {fake.pick(fake.phones)}. Groet, {fake.pick(fake.first_names)}",
        reporter=(fake.pick(fake.names), fake.pick(fake.emails), fake.pick(fake.phones)),
        likes=int(rng.poisson(0.4)),
    )


def _add_working_days(day: dt.date, n: int, nl_holidays) -> dt.date:
    while n > 0:
        day += dt.timedelta(1)
        if day.weekday() < 5 and day not in nl_holidays:
            n -= 1
    return day


def _make_dirty(reports: list[Report], rng: np.random.Generator) -> None:
    order = rng.permutation(len(reports))
    start = 0
    for kind, share in DIRTY_KINDS.items():
        count = round(len(reports) * share)
        for i in order[start : start + count]:
            _apply_fault(reports[i], kind, rng)
        start += count


def _apply_fault(report: Report, kind: str, rng: np.random.Generator) -> None:
    report.dirty = kind
    if kind == "afgehandeld_voor_melding":
        report.closed = report.created - dt.timedelta(days=int(rng.integers(1, 10)))
        report.in_progress = report.created
    elif kind == "onbekende_categorie":
        report.category = UNKNOWN_CATEGORIES[int(rng.integers(len(UNKNOWN_CATEGORIES)))]
    elif kind == "locatie_buiten_gemeente":
        report.lat, report.lon = [(0.0, 0.0), (52.370216, 4.895168)][int(rng.integers(2))]
    elif kind == "zonder_meldingnummer":
        report.public_id = ""


# ---------------------------------------------------------------------------------------------- exports


def pull_moments(start: dt.date, end: dt.date) -> list[dt.datetime]:
    """The back office pulls at 06:00 on the first of each month, and once more the morning after `end`."""
    moments, month = [], dt.date(start.year, start.month, 1)
    while True:
        month = (month + dt.timedelta(days=32)).replace(day=1)
        if month > end:
            break
        moments.append(dt.datetime.combine(month, dt.time(6)))
    moments.append(dt.datetime.combine(end + dt.timedelta(1), dt.time(6)))
    return moments


def write_exports(reports: list[Report], start: dt.date, end: dt.date, folder: Path, rng: np.random.Generator) -> int:
    """Write one delta export per pull: CSV for the first half of the history, API pages after. Returns file count."""
    folder.mkdir(parents=True, exist_ok=True)
    moments = pull_moments(start, end)
    switch = len(moments) // 2
    files = []
    for k, (moment, delta) in enumerate(zip(moments, _deltas(reports, start, moments))):
        label = (moment - dt.timedelta(days=1)).strftime("%Y-%m-%d")
        if k < switch:
            files.append(_write_csv(delta, moment, folder / f"fixi_export_{label}.csv", rng))
        else:
            # One pull, a month before the end, lost its connection while writing its last page.
            files.extend(_write_api_pages(delta, moment, folder, label, rng, cut_off=k == len(moments) - 3))
    # The back office once delivered an export twice under another name: identical content.
    duplicate = folder / (files[1].stem + "_opnieuw.csv")
    duplicate.write_bytes(files[1].read_bytes())
    return len(files) + 1


def _deltas(reports: list[Report], start: dt.date, moments: list[dt.datetime]) -> list[list[Report]]:
    """Per pull, the reports made before it that changed since the previous pull, in report order."""
    deltas: list[list[Report]] = [[] for _ in moments]
    first = dt.datetime.combine(start, dt.time())
    for r in reports:
        pulls = {bisect.bisect_right(moments, t) for t in r.changes() if first <= t < moments[-1]}
        for k in sorted(pulls):
            if r.created < moments[k]:
                deltas[k].append(r)
    return deltas


def _write_csv(reports: list[Report], moment: dt.datetime, path: Path, rng: np.random.Generator) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    blank_at = int(rng.integers(1, max(2, len(reports)))) if rng.random() < 0.4 else -1
    for i, r in enumerate(reports):
        if i == blank_at:
            out.write("\r\n")
        status, closed, modified = r.state_at(moment)
        if r.dirty == "afgehandeld_zonder_datum" and status == "afgehandeld":
            closed = None
        writer.writerow(
            [r.public_id, CATEGORIES[r.category][2] if r.category in CATEGORIES else r.category, status,
             r.description, f"{r.street} {r.house_number}", r.postcode, "Zutphen", _dutch_decimal(r.lat),
             _dutch_decimal(r.lon), _csv_time(r.created, r.dirty), _csv_time(closed), _csv_time(modified),
             *r.reporter, r.likes]
        )
    path.write_bytes(out.getvalue().encode("cp1252", errors="replace"))
    return path


def _dutch_decimal(value: float) -> str:
    return f"{value:.6f}".replace(".", ",")


def _csv_time(moment: dt.datetime | None, dirty: str | None = None) -> str:
    if moment is None:
        return ""
    if dirty == "onmogelijke_datum":
        return f"31-02-{moment.year} {moment:%H:%M}"
    return moment.strftime("%d-%m-%Y %H:%M")


def _write_api_pages(reports, moment, folder, label, rng, cut_off: bool) -> list[Path]:
    pages = [reports[i : i + API_PAGE_SIZE] for i in range(0, len(reports), API_PAGE_SIZE)] or [[]]
    paths = []
    for p, page in enumerate(pages, start=1):
        body = {
            "count": len(reports),
            "next": f"https://fixi.example/api/v1/issues?modifiedSince={label}&page={p + 1}" if p < len(pages) else None,
            "results": [_api_issue(r, moment) for r in page],
        }
        text = json.dumps(body, ensure_ascii=False)
        if rng.random() < 0.2:
            text = json.dumps(text)  # some API clients store the response double-encoded
        if cut_off and p == len(pages):
            text = text[: int(len(text) * 0.6)]
        path = folder / f"fixi_issues_{label}_p{p:03d}.json"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _api_issue(r: Report, moment: dt.datetime) -> dict:
    status, closed, modified = r.state_at(moment)
    if r.dirty == "afgehandeld_zonder_datum" and status == "afgehandeld":
        closed = None
    return {
        "publicID": r.public_id,
        "categoryName": CATEGORIES[r.category][1] if r.category in CATEGORIES else r.category,
        "status": status,
        "description": r.description,
        "address": f"{r.street} {r.house_number}, Zutphen",
        "addressDetails": {"street": r.street, "houseNumber": r.house_number, "postcode": r.postcode,
                           "city": "Zutphen"},
        "location": {"lat": r.lat, "lng": r.lon},
        "created": _api_time(r.created, r.dirty),
        "closed": _api_time(closed) if closed else None,
        "modified": _api_time(modified),
        "likeCount": r.likes,
        "hasComments": False,
        "visibility": "public",
        "attachments": [{"uri": f"https://fixi.example/media/{r.public_id or 'x'}/foto1.jpg"}],
    }


def _api_time(moment: dt.datetime, dirty: str | None = None) -> str:
    if dirty == "onmogelijke_datum":
        return f"{moment.year}-02-30T{moment:%H:%M}:00+01:00"
    return moment.replace(tzinfo=TIMEZONE).isoformat(timespec="seconds")
