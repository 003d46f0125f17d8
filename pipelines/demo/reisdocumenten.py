"""Demo reisdocumenten: the BRP stock of 48,000 inhabitants and three years of counter applications.

Every holder's documents form a chain: issued, valid 5 years (10 for adults from 9 March 2014), renewed
around the end of validity (most in the months before, some after, earlier when the end falls in the
summer holidays), sometimes lost or withheld and replaced. Because the 2014 rule doubled adults' validity,
few documents ended in 2019-2023 and many end from 2024 to 2029. Delivered as a LO GBA extract (CSV, one
column per element, continuation rows), a Haal Centraal v1 list of recent losses, a Haal Centraal v2 answer about
a sample of inhabitants (person-based: those without a document appear with only their `houder`; v2 has no issue
date, so the merge in silver must keep the extract's), and the counter's monthly application exports. As in real
extracts, a handful of documents carry a number the registration also gave to another holder.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.demo.municipality import FakeDetails, unique_bsns
from pipelines.privacy import age_on

TEN_YEARS_FROM = dt.date(2014, 3, 9)
HISTORY_YEARS = 15
LOCATIES = ("Stadhuis", "Servicepunt Warnsveld")
GBA_COLUMNS = ["", "01.01.20", "01.02.10", "01.02.40", "01.03.10", "08.11.60", "12.35.10", "12.35.20", "12.35.30",
               "12.35.40", "12.35.50", "12.35.60", "12.35.70", "12.85.10", "12.86.10"]
NUMBER_CHARACTERS = [c for c in string.ascii_uppercase + string.digits if c != "O"]
V2_SAMPLE = 50  # one inhabitant in 50 is in the Haal Centraal v2 answer


@dataclass
class Person:
    bsn: str
    birth: dt.date
    first_name: str
    surname: str
    postcode: str


@dataclass
class Document:
    nummer: str
    soort: str
    holder: Person
    issued: dt.date
    applied: dt.date
    handed_out: dt.date
    ends: dt.date
    spoed: bool
    locatie: str
    lost: tuple[dt.date, str] | None = None  # (date, I or V)


def validity_years(soort: str, birth: dt.date, issued: dt.date) -> int:
    adult = age_on(birth, issued) >= 18
    return 10 if adult and issued >= TEN_YEARS_FROM and soort in ("PN", "NI") else 5


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def people(rng: np.random.Generator, fake: FakeDetails, end: dt.date, postcodes: list[str], inhabitants: int) -> list[Person]:
    ages = np.clip(rng.normal(42, 23, size=inhabitants), 0, 98).astype(int)
    return [
        Person(bsn, end - dt.timedelta(days=int(365.25 * age + rng.integers(0, 365))), fake.pick(fake.first_names),
               fake.pick(fake.last_names), f"{postcodes[int(rng.integers(len(postcodes)))]}{fake.letters()}")
        for bsn, age in zip(unique_bsns(inhabitants, rng), ages)
    ]


def documents(persons: list[Person], end: dt.date, rng: np.random.Generator) -> list[Document]:
    """Each holder's chain of documents from before the history window up to `end`."""
    result = []
    for person in persons:
        for soort, share in (("PN", 0.62), ("NI", 0.55)):
            if rng.random() < share:
                result.extend(_chain(person, soort, end, rng))
    for document, nummer in zip(result, _numbers([d.soort for d in result], rng)):
        document.nummer = nummer
    return result


def _chain(person: Person, soort: str, end: dt.date, rng: np.random.Generator) -> list[Document]:
    start = max(person.birth + dt.timedelta(days=int(rng.integers(30, 3000))), end - dt.timedelta(days=365 * 21))
    issued = start + dt.timedelta(days=int(rng.integers(0, 365 * 6)))
    chain = []
    while issued <= end:
        applied = issued - dt.timedelta(days=int(rng.integers(5, 9)))
        ends = add_years(issued, validity_years(soort, person.birth, issued))
        document = Document("", soort, person, issued, applied,
                            issued + dt.timedelta(days=int(rng.integers(0, 15))), ends, rng.random() < 0.05,
                            LOCATIES[int(rng.random() < 0.2)])
        chain.append(document)
        if rng.random() < 0.02:  # lost (V) or withheld (I) before its end, and replaced
            lost = issued + dt.timedelta(days=int(rng.integers(30, max(31, (ends - issued).days))))
            document.lost = (lost, "V" if rng.random() < 0.8 else "I")
            issued = lost + dt.timedelta(days=int(rng.integers(7, 30)))
            continue
        if rng.random() < 0.12:
            break  # no renewal: moved abroad, no longer travels
        issued = _renewal(ends, rng)
    return chain


def _renewal(ends: dt.date, rng: np.random.Generator) -> dt.date:
    """Most renew in the months before the end, some after; a summer end makes people renew earlier."""
    before = rng.random() < 0.8
    days = int(rng.gamma(2.0, 25)) if before else int(rng.gamma(1.5, 60))
    if before and ends.month in (6, 7, 8) and rng.random() < 0.5:
        days += int(rng.integers(30, 75))
    return ends - dt.timedelta(days=days) if before else ends + dt.timedelta(days=days)


def _numbers(soorten: list[str], rng: np.random.Generator) -> list[str]:
    """Nine characters each: two letters (the first N for passports, I for identity cards), six letters or
    digits (never the letter O), and a check digit."""
    letters = [c for c in NUMBER_CHARACTERS if c.isalpha()]
    seconds = rng.integers(len(letters), size=len(soorten)).tolist()
    bodies = rng.integers(0, len(NUMBER_CHARACTERS), size=(len(soorten), 6)).tolist()
    checks = rng.integers(0, 10, size=len(soorten)).tolist()
    return [f"{'N' if soort == 'PN' else 'I'}{letters[second]}{''.join(NUMBER_CHARACTERS[i] for i in body)}{check}"
            for soort, second, body, check in zip(soorten, seconds, bodies, checks)]


def write_brp(population: list[Person], documents: list[Document], end: dt.date, folder: Path,
              rng: np.random.Generator) -> int:
    """The LO GBA extract of documents issued in the last 15 years, a Haal Centraal v1 list of recent losses and
    a Haal Centraal v2 answer about a sample of inhabitants (the same documents as the extract holds)."""
    folder.mkdir(parents=True, exist_ok=True)
    since = add_years(end, -HISTORY_YEARS)
    extract = [d for d in documents if since <= d.issued <= end]
    _share_numbers(extract, rng)
    by_person: dict[str, list[Document]] = {}
    for d in extract:
        by_person.setdefault(d.holder.bsn, []).append(d)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(GBA_COLUMNS)
    for n, (bsn, held) in enumerate(by_person.items(), start=1):
        p = held[0].holder
        for i, d in enumerate(sorted(held, key=lambda d: d.issued)):
            lost = _lost_by(d, end)
            person = [f"Pl{n:06d}", bsn, p.first_name, p.surname, f"{p.birth:%Y%m%d}", p.postcode] if i == 0 else [""] * 6
            writer.writerow(person + [d.soort, d.nummer, f"{d.issued:%Y%m%d}", "B0301", f"{d.ends:%Y%m%d}",
                                      f"{lost[0]:%Y%m%d}" if lost else "", lost[1] if lost else "",
                                      f"{d.issued:%Y%m%d}", f"{d.issued:%Y%m%d}"])
    (folder / "brp_reisdocumenten_gba.csv").write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    recent = [d for d in documents if d.lost and end - dt.timedelta(days=30) <= d.lost[0] <= end]
    (folder / "haalcentraal_reisdocumenten_mutaties.json").write_text(json.dumps(
        {"reisdocumenten": [_haal_centraal_v1(d) for d in recent]}, ensure_ascii=False), encoding="utf-8")
    sample = sorted(rng.choice(len(population), size=len(population) // V2_SAMPLE, replace=False).tolist())
    answer = [entry for i in sample for entry in _haal_centraal_v2(population[i], by_person.get(population[i].bsn, []), end)]
    (folder / "haalcentraal_reisdocumenten_personen.json").write_text(json.dumps(answer, ensure_ascii=False),
                                                                      encoding="utf-8")
    return 3


def _share_numbers(extract: list[Document], rng: np.random.Generator) -> None:
    """A registration error real extracts show: about one document in 10,000 carries the number of another
    holder's document."""
    chosen = rng.choice(len(extract), size=2 * max(3, len(extract) // 10_000), replace=False).tolist()
    for copy, original in zip(chosen[::2], chosen[1::2]):
        if extract[copy].holder is not extract[original].holder:
            extract[copy].nummer = extract[original].nummer


def _lost_by(d: Document, end: dt.date) -> tuple[dt.date, str] | None:
    return d.lost if d.lost and d.lost[0] <= end else None


def _haal_centraal_v1(d: Document) -> dict:
    """v1 (specificatie/openapi.yaml at v1.0.0): soortReisdocument, datumUitgifte, the aanduiding as an enum name."""
    return {
        "reisdocumentnummer": d.nummer,
        "soortReisdocument": {"code": d.soort},
        "datumUitgifte": f"{d.issued:%Y%m%d}",
        "datumEindeGeldigheid": f"{d.ends:%Y%m%d}",
        "autoriteitAfgifte": {"code": "B0301"},
        "aanduidingInhoudingOfVermissing": {"V": "vermist", "I": "ingehouden_of_ingeleverd"}[d.lost[1]],
        "datumInhoudingOfVermissing": {"datum": d.lost[0].isoformat(), "jaar": d.lost[0].year,
                                       "maand": d.lost[0].month, "dag": d.lost[0].day},
        "houder": {"burgerservicenummer": d.holder.bsn, "geboortedatum": {"datum": d.holder.birth.isoformat()}},
    }


def _haal_centraal_v2(person: Person, held: list[Document], end: dt.date) -> list[dict]:
    """One person in a v2 person-based answer (specificatie/reisdocument.yaml): each document with `soort`,
    typed dates and `inhoudingOfVermissing`, no issue date; a person without a document as only a `houder`."""
    houder = {"burgerservicenummer": person.bsn}
    if not held:
        return [{"houder": houder}]
    entries = []
    for d in sorted(held, key=lambda d: d.issued):
        entry = {"reisdocumentnummer": d.nummer, "soort": {"code": d.soort},
                 "datumEindeGeldigheid": {"type": "Datum", "datum": d.ends.isoformat()}, "houder": houder}
        if lost := _lost_by(d, end):
            entry["inhoudingOfVermissing"] = {"datum": {"type": "Datum", "datum": lost[0].isoformat()},
                                              "aanduiding": {"code": lost[1]}}
        entries.append(entry)
    return entries


def write_applications(documents: list[Document], start: dt.date, end: dt.date, folder: Path) -> int:
    """Monthly exports of the counter's applications since `start`."""
    folder.mkdir(parents=True, exist_ok=True)
    applied = sorted((d for d in documents if start <= d.applied <= end), key=lambda d: (d.applied, d.nummer))
    months: dict[str, list[Document]] = {}
    for d in applied:
        months.setdefault(f"{d.applied:%Y-%m}", []).append(d)
    numbers = {id(d): f"R{n:07d}" for n, d in enumerate(applied, start=1)}
    for month, docs in months.items():
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(["Aanvraagnummer", "Aanvraagdatum", "Soort", "Spoed", "Uitreikdatum", "Locatie",
                         "Geboortedatum", "BSN"])
        for d in docs:
            handed_out = d.handed_out if d.handed_out <= end else None
            writer.writerow([numbers[id(d)], d.applied.strftime("%d-%m-%Y"), d.soort,
                             "J" if d.spoed else "N", handed_out.strftime("%d-%m-%Y") if handed_out else "",
                             d.locatie, d.holder.birth.strftime("%d-%m-%Y"), d.holder.bsn])
        (folder / f"aanvragen_reisdocumenten_{month}.csv").write_text(out.getvalue(), encoding="utf-8")
    return len(months)
