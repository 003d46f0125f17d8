"""Demo Wmo case load: meldingen through onderzoek, aanvraag and beschikking to toewijzing and care.

About 1,800 meldingen a year (over 2 million in three years at national scale). Onderzoek usually takes three
weeks, but in the summer holidays and in a staff shortage (the second winter) a backlog builds up past the six-
week term. Providers of Begeleiding and Dagbesteding have long waiting lists. Delivered as the municipality
receives it: the case system's monthly CSV export of meldingen and aanvragen, per-client ZorgNed JSON for
voorzieningen (vervoer, wonen, hulpmiddelen; one of them without its client block, as the API serves it to a
portal), and iWmo berichten for care in kind (2.0 until 2025, 3.2 after, plus some retour messages, corrected and
withdrawn starts, withdrawn and deleted toewijzingen), with the contradictions real data has: an aanvraag dated
after its beschikking, a toewijzing without a beschikking, a start before the toewijzing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from pipelines.demo.municipality import Buurt, FakeDetails, valid_bsn

MELDINGEN_PER_YEAR = 1_800
# productcategorie -> (share, productcode, aanbieders (AGB), median days toewijzing -> start, via iWmo)
PRODUCTS = {
    "01": (0.32, "01A01", ("98100012", "98100034"), 7, True),
    "02": (0.18, "02A03", ("42420739", "42420751"), 45, True),
    "03": (0.05, "03A01", ("98100012",), 10, True),
    "07": (0.10, "07A03", ("42420739", "98025566"), 40, True),
    "12": (0.15, "12V01", ("11122288",), 20, False),
    "13": (0.12, "13W02", ("11122233",), 60, False),
    "14": (0.08, "14H01", ("11122299",), 14, False),
}
IWMO_3_FROM = dt.date(2025, 1, 1)


@dataclass(frozen=True)
class Wet:
    """A law's side of the demo: its case-system regeling, its iStandaard and the numbers its cases carry."""

    naam: str  # as bronze names the law: wmo, jeugdwet
    regeling: str  # the case system's regeling: WMO, JEUGD
    standaard: str  # in the berichten's namespaces: iwmo, ijw
    prefix: str  # of the message names: wmo (wmo301), jw (jw301)
    codes: dict[str, str]  # message number -> BerichtCode (COD002)
    products: dict[str, tuple]  # productcategorie -> (share, productcode, aanbieders, median wait, via berichten)
    nummer: str  # before the case system's numbers (melding, aanvraag, product), so the laws' numbers differ
    nummer_basis: int  # added to the case number for beschikking- and toewijzingnummers
    versie_3_vanaf: dt.date  # toewijzingen from this day are exchanged in release 3.2, earlier ones in 2.0
    juridische_status: dict[str, str] = field(default_factory=dict)  # productcategorie -> JuridischeStatus in 301


WMO = Wet("wmo", "WMO", "iwmo", "wmo", {"301": "414", "302": "415", "305": "418", "306": "419", "307": "420",
                                        "308": "421"}, PRODUCTS, "", 0, IWMO_3_FROM)
CSV_COLUMNS = ["Meldingnummer", "Datum melding", "Datum onderzoek afgerond", "Aanvraagnummer", "Datum aanvraag",
               "Beschikkingnummer", "Datum beschikking", "Productcategorie", "Resultaat", "Wijk", "BSN",
               "Geboortedatum", "Naam client", "E-mail", "Regeling"]


@dataclass
class Client:
    bsn: str
    birth: dt.date
    name: str
    email: str
    phone: str
    street: str
    postcode: str
    wijkcode: str


@dataclass
class Case:
    number: int
    client: Client
    categorie: str
    melding: dt.date
    onderzoek: dt.date | None
    aanvraag: dt.date | None
    beschikking: dt.date | None
    toegewezen: bool
    aanbieder: str
    toewijzing: dt.date | None
    start: dt.date | None
    stop: dt.date | None
    fault: str | None = None
    wet: Wet = WMO
    verwijzer: str | None = None  # COD327 type of who referred the client, when an aanbieder asks (JW315)

    @property
    def meldingnummer(self) -> str:
        return f"{self.wet.nummer}M{self.number:06d}"

    @property
    def aanvraagnummer(self) -> str:
        return f"{self.wet.nummer}A{self.number:06d}"

    @property
    def beschikkingnummer(self) -> str:
        return f"{700000000 + self.wet.nummer_basis + self.number}"

    @property
    def toewijzingnummer(self) -> str:
        return f"{5000000 + self.wet.nummer_basis // 100 + self.number}"

    @property
    def product(self) -> tuple:
        return self.wet.products[self.categorie]

    @property
    def in_berichten(self) -> bool:
        """Care in kind, exchanged in iWmo or iJw berichten (the rest is only in the case system)."""
        return self.product[4]


def clients(buurten: list[Buurt], count: int, rng: np.random.Generator, fake: FakeDetails, end: dt.date) -> list[Client]:
    result = []
    for i in range(count):
        buurt = buurten[int(rng.integers(len(buurten)))]
        age = int(np.clip(rng.normal(74, 12), 19, 101))
        bsn = valid_bsn(rng)
        if i % 200 == 0:  # a typing error in the case system: fails the elfproef
            bsn = bsn[:-1] + str((int(bsn[-1]) + 1) % 10)
        result.append(Client(
            bsn=bsn, birth=end - dt.timedelta(days=365 * age + int(rng.integers(0, 365))),
            name=fake.pick(fake.names), email=fake.pick(fake.emails), phone=fake.pick(fake.phones),
            street=f"{fake.pick(fake.streets)} {fake.house_number()}", postcode=f"{buurt.postcode4}{fake.letters()}",
            wijkcode=buurt.wijkcode,
        ))
    return result


def generate_cases(pool: list[Client], start: dt.date, end: dt.date, rng: np.random.Generator,
                   scale: float = 1.0) -> list[Case]:
    codes = list(PRODUCTS)
    shares = np.array([PRODUCTS[c][0] for c in codes])
    shortage = (dt.date(start.year + 1, 11, 1), dt.date(start.year + 2, 3, 1))
    cases = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            for _ in range(rng.poisson(scale * MELDINGEN_PER_YEAR / 255)):
                cases.append(_case(len(cases) + 1, pool[int(rng.integers(len(pool)))], str(rng.choice(codes, p=shares)),
                                   day, end, shortage, rng))
        day += dt.timedelta(days=1)
    contradict(cases, end, rng)
    return cases


def _case(number, client, categorie, melding, end, shortage, rng) -> Case:
    slow = 1.0 + 0.7 * (melding.month in (6, 7, 8)) + 1.0 * (shortage[0] <= melding < shortage[1])
    onderzoek = melding + dt.timedelta(days=int(rng.gamma(4, 5.5 * slow)))
    aanvraag = onderzoek + dt.timedelta(days=int(rng.integers(0, 4))) if rng.random() < 0.88 else None
    beschikking = aanvraag + dt.timedelta(days=int(rng.lognormal(np.log(8 * slow), 0.5))) if aanvraag else None
    toegewezen = rng.random() < 0.9
    _, _, aanbieders, wait, _ = PRODUCTS[categorie]
    toewijzing = beschikking + dt.timedelta(days=int(rng.integers(0, 5))) if beschikking and toegewezen else None
    start = toewijzing + dt.timedelta(days=int(rng.gamma(2, wait / 2))) if toewijzing else None
    stop = start + dt.timedelta(days=int(rng.integers(60, 400))) if start and rng.random() < 0.35 else None

    def known(moment):
        return moment if moment is not None and moment <= end else None

    return Case(number, client, categorie, melding, known(onderzoek), known(aanvraag), known(beschikking), toegewezen,
                aanbieders[int(rng.integers(len(aanbieders)))], known(toewijzing), known(start), known(stop))


def contradict(cases: list[Case], end: dt.date, rng: np.random.Generator) -> None:
    """The contradictions of real case data, each in about 1% of the cases that can have it."""
    # The late aanvraag (up to 30 days after the beschikking) must have happened by the last export.
    with_beschikking = [c for c in cases if c.beschikking and c.aanvraag and c.beschikking + dt.timedelta(30) <= end]
    for c in rng.choice(with_beschikking, size=len(with_beschikking) // 100, replace=False):
        c.fault = "aanvraag_na_beschikking"
        c.aanvraag = c.beschikking + dt.timedelta(days=int(rng.integers(1, 30)))
    started = [c for c in cases if c.start and c.fault is None and c.in_berichten]
    for c in rng.choice(started, size=len(started) // 100, replace=False):
        c.fault = "start_voor_toewijzing"
        c.start = c.toewijzing - dt.timedelta(days=int(rng.integers(1, 20)))
    assigned = [c for c in cases if c.toewijzing and c.fault is None and c.in_berichten]
    for c in rng.choice(assigned, size=len(assigned) // 200, replace=False):
        c.fault = "toewijzing_zonder_beschikking"  # the case system lost the aanvraag; the berichten still have it


# ---------------------------------------------------------------------------------------------- exports


def write_case_exports(cases: list[Case], end: dt.date, folder: Path) -> int:
    """The case system's monthly CSV exports of new or changed meldingen of every regeling (state at export), and
    ZorgNed JSON per client for the voorzieningen that are not exchanged in berichten."""
    folder.mkdir(parents=True, exist_ok=True)
    months = sorted({c.melding.replace(day=1) for c in cases})
    files = 0
    previous = dt.date.min
    for month in months:
        cutoff = min((month + dt.timedelta(days=32)).replace(day=1), end + dt.timedelta(days=1))
        rows = [c for c in cases if c.fault != "toewijzing_zonder_beschikking" and c.melding < cutoff
                and any(d is not None and previous <= d < cutoff for d in (c.melding, c.onderzoek, c.aanvraag, c.beschikking))]
        _write_csv(rows, cutoff, folder / f"meldingen_aanvragen_{(cutoff - dt.timedelta(days=1)):%Y-%m-%d}.csv")
        previous = cutoff
        files += 1
    by_client = defaultdict(list)
    for c in cases:
        if not c.in_berichten and c.beschikking and c.fault != "toewijzing_zonder_beschikking":
            by_client[(c.wet.naam, c.client.bsn)].append(c)
    for n, (_, client_cases) in enumerate(sorted(by_client.items()), start=1):
        document = _zorgned_document(client_cases)
        if n == 1:  # a per-client response as the ZorgNed API gives it to a portal: without its client block
            del document["client"]
        (folder / f"zorgned_aanvragen_{n:05d}.json").write_text(json.dumps(document, ensure_ascii=False),
                                                                 encoding="utf-8")
        files += 1
    return files


def _at(moment: dt.date | None, cutoff: dt.date) -> str:
    return moment.strftime("%d-%m-%Y") if moment is not None and moment < cutoff else ""


def _write_csv(rows: list[Case], cutoff: dt.date, path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in rows:
        writer.writerow([
            c.meldingnummer, _at(c.melding, cutoff), _at(c.onderzoek, cutoff),
            c.aanvraagnummer if c.aanvraag and c.aanvraag < cutoff else "", _at(c.aanvraag, cutoff),
            c.beschikkingnummer if c.beschikking and c.beschikking < cutoff else "", _at(c.beschikking, cutoff),
            c.categorie, ("toegewezen" if c.toegewezen else "afgewezen") if c.beschikking and c.beschikking < cutoff else "",
            c.client.wijkcode, c.client.bsn, c.client.birth.strftime("%d-%m-%Y"), c.client.name, c.client.email,
            c.wet.regeling,
        ])
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def _zorgned_document(cases: list[Case]) -> dict:
    client = cases[0].client
    return {
        "client": {"bsn": client.bsn, "geboortedatum": client.birth.isoformat(), "naam": client.name,
                   "postcode": client.postcode, "straat": client.street, "email": client.email},
        "_embedded": {"aanvraag": [_zorgned_aanvraag(c) for c in cases]},
    }


def _zorgned_aanvraag(c: Case) -> dict:
    leveringen = [{"begindatum": c.start.isoformat(), "einddatum": c.stop.isoformat() if c.stop else None}] if c.start else []
    toewijzingen = [{"toewijzingNummer": c.toewijzingnummer, "toewijzingsDatumTijd": f"{c.toewijzing}T10:00:00",
                     "ingangsdatum": c.toewijzing.isoformat(), "einddatum": None,
                     "leverancier": {"agbcode": c.aanbieder}, "leveringen": leveringen}] if c.toewijzing else []
    return {
        "identificatie": c.aanvraagnummer,
        "procesIdentificatie": c.meldingnummer,
        "regeling": {"identificatie": c.wet.regeling, "omschrijving": c.wet.regeling},
        "hulpvraag": {"datumRegistratie": c.melding.isoformat()},
        "datumAanvraag": c.aanvraag.isoformat() if c.aanvraag else None,
        "beschikking": {
            "beschikkingNummer": c.beschikkingnummer,
            "datumAfgifte": c.beschikking.isoformat(),
            "beschikteProducten": [{
                "identificatie": f"{c.wet.nummer}P{c.number:06d}",
                "product": {"productsoortCode": c.product[1]},
                "productCategorie": {"code": c.categorie},
                "resultaat": "toegewezen" if c.toegewezen else "afgewezen",
                "toegewezenProduct": {"datumIngangGeldigheid": c.beschikking.isoformat(), "leveringsvorm": "zin",
                                      "leverancier": {"agbcode": c.aanbieder}, "toewijzingen": toewijzingen}
                if c.toegewezen else None,
            }],
        },
    }


@dataclass
class Regel:
    """One product line of a bericht: a case's toewijzing, start or stop as delivered, possibly a correction."""

    case: Case
    status: str = "1"  # StatusAanlevering (COD467) of a start or stop: 1 first delivery, 2 changed, 3 withdrawal
    begindatum: dt.date | None = None  # of a start or stop; the case's start unless a wrong one is delivered
    toewijzingnummer: str | None = None  # of a toewijzing; the case's own unless another one is sent
    toewijzingsdatum: dt.date | None = None  # of a change of a toewijzing: the day of the change
    einddatum: dt.date | None = None  # of a toewijzing brought forward (withdrawn or deleted)
    reden: str | None = None  # RedenWijziging (3.x) or RedenIntrekking (2.0) of a change


MUTATION_SEED = 307  # the corrections draw from their own generator: the shared one stays as it was
# Shares of the cases that get a correction, as providers and municipalities send them (iWmo/iJw OP033, OP033x1).
CORRECTED_STARTS = 0.03  # a start delivered with a wrong begindatum, withdrawn and delivered again
DELETED_STARTS = 0.5  # of toewijzingen waiting 45 days or more: a start sent by mistake and withdrawn
WITHDRAWN_TOEWIJZINGEN = 0.5  # of the other toewijzingen waiting that long: withdrawn after 40 days
SHORTENED_TOEWIJZINGEN = 0.10  # of toewijzingen whose care stopped: the einddatum brought forward to the stop
DELETED_TOEWIJZINGEN = 0.02  # of 3.x toewijzingen: a second one sent by mistake and deleted (RedenWijziging 13)
CHANGED_STOPS = 0.03  # of 3.x stops: delivered again a few days later as a gewijzigde aanlevering (status 2)
LATE_STARTS = 0.05  # of starts: delivered one to three months after care began
# The message a retour answers (3.x: the header of the bericht it answers, RetourCode 0200 "no remarks").
RETOUR = {"301": "302", "305": "306", "307": "308"}
RETOUR_SHARE = 0.05


def write_berichten(cases: list[Case], gemeentecode: str, folder: Path, rng: np.random.Generator) -> int:
    """The berichten of the cases' law (iWmo or iJw) as the municipality exchanges them: in release 2.0 one
    bericht per message type, aanbieder and day with all clients of that day, in 3.2 one bericht per client (as
    its XSDs define). Besides the first deliveries: the aanbieder's verzoek om toewijzing (315) where a verwijzer
    sent the client, corrected, changed, late and withdrawn starts and stops (StatusAanlevering 2, 3), withdrawn
    toewijzingen and, in 3.x, deleted ones (RedenWijziging 13), each in a bericht of its own some days later, and
    now and then a retour message."""
    folder.mkdir(parents=True, exist_ok=True)
    end = max(c.melding for c in cases)
    groups: dict[tuple, list[Regel]] = defaultdict(list)  # (message number, version, aanbieder, day, kind) -> lines
    for c in cases:
        if not c.in_berichten:
            continue
        if c.verwijzer and c.aanvraag:
            groups[("315", _version(c), c.aanbieder, c.aanvraag, "")].append(Regel(c))
        if not c.toewijzing:
            continue
        # A toewijzing keeps the release it was made in, for its start and stop too.
        version = _version(c)
        groups[("301", version, c.aanbieder, c.toewijzing, "")].append(Regel(c))
        if c.start:
            groups[("305", version, c.aanbieder, max(c.start, c.toewijzing), "")].append(Regel(c, begindatum=c.start))
        if c.stop:
            groups[("307", version, c.aanbieder, c.stop, "")].append(Regel(c, begindatum=c.start))
    _corrections(cases, end, groups, np.random.default_rng([MUTATION_SEED, len(cases)]))
    gemeente = gemeentecode[2:]
    files = 0
    serial = itertools.count(1)
    for (number, version, aanbieder, day, kind), lines in sorted(groups.items(), key=lambda g: g[0]):
        if not lines:
            continue  # all of its lines were delivered late
        wet = lines[0].case.wet
        sender, receiver = (gemeente, aanbieder) if number == "301" else (aanbieder, gemeente)
        name = f"{wet.prefix}{number}{version[0]}{aanbieder}{day:%Y%m%d}{kind}"
        retour = number in RETOUR and not kind and rng.random() < RETOUR_SHARE
        files += _write(folder, wet, number, version, sender, receiver, name, day, lines, serial, retour)
    return files


def _version(c: Case) -> str:
    return "3_2" if (c.toewijzing or c.aanvraag) >= c.wet.versie_3_vanaf else "2_0"


def _corrections(cases: list[Case], end: dt.date, groups: dict, rng: np.random.Generator) -> None:
    """Add the corrections: each a bericht of its own (kind C, S, W, V, G or L) some days after what it corrects."""
    in_kind = [c for c in cases if c.in_berichten and c.toewijzing]

    def pick(candidates: list[Case], share: float) -> list[Case]:
        return list(rng.choice(candidates, size=round(len(candidates) * share), replace=False)) if candidates else []

    def add(number, c, day, kind, regel):
        groups[(number, _version(c), c.aanbieder, day, kind)].append(regel)

    def first_start(c):
        lines = groups[("305", _version(c), c.aanbieder, max(c.start, c.toewijzing), "")]
        return lines, next(i for i, r in enumerate(lines) if r.case is c)

    started = [c for c in in_kind if c.start and max(c.start, c.toewijzing) + dt.timedelta(days=14) <= end]
    corrected = pick(started, CORRECTED_STARTS)
    for c in corrected:
        sent = max(c.start, c.toewijzing)
        wrong = c.start + dt.timedelta(days=int(rng.integers(1, 10)))
        # The first delivery carried a wrong begindatum; a week later it is withdrawn and the right one sent.
        lines, i = first_start(c)
        lines[i].begindatum = wrong
        correction = sent + dt.timedelta(days=int(rng.integers(3, 10)))
        add("305", c, correction, "C", Regel(c, status="3", begindatum=wrong))
        add("305", c, correction, "C", Regel(c, status="1", begindatum=c.start))
    waiting = [c for c in in_kind if not c.start and c.toewijzing + dt.timedelta(days=45) <= end]
    mistaken, withdrawn = waiting[: len(waiting) // 2], waiting[len(waiting) // 2:]
    for c in pick(mistaken, DELETED_STARTS):
        begin = c.toewijzing + dt.timedelta(days=5)
        add("305", c, begin, "S", Regel(c, begindatum=begin))
        add("305", c, begin + dt.timedelta(days=7), "S", Regel(c, status="3", begindatum=begin))
    stopped = [c for c in in_kind if c.stop and c.stop + dt.timedelta(days=3) <= end]
    for c, einde in ([(c, c.toewijzing + dt.timedelta(days=39)) for c in pick(withdrawn, WITHDRAWN_TOEWIJZINGEN)]
                     + [(c, c.stop) for c in pick(stopped, SHORTENED_TOEWIJZINGEN)]):
        day = einde + dt.timedelta(days=1 if not c.start else 3)
        # 3.x: RedenWijziging (WMO002) 05 herbeoordeling, verkorting; 2.0: RedenIntrekking as in CasusA-04
        reden = "05" if _version(c) == "3_2" else "4"
        add("301", c, day, "W", Regel(c, toewijzingsdatum=day, einddatum=einde, reden=reden))
    for c in pick([c for c in in_kind if _version(c) == "3_2" and c.toewijzing < end], DELETED_TOEWIJZINGEN):
        number = f"{9000000 + c.wet.nummer_basis // 100 + c.number}"
        add("301", c, c.toewijzing, "V", Regel(c, toewijzingnummer=number))
        day = c.toewijzing + dt.timedelta(days=1)
        add("301", c, day, "V", Regel(c, toewijzingnummer=number, toewijzingsdatum=day, einddatum=c.toewijzing,
                                       reden="13"))
    for c in pick([c for c in stopped if _version(c) == "3_2"], CHANGED_STOPS):
        day = c.stop + dt.timedelta(days=int(rng.integers(1, 4)))
        add("307", c, day, "G", Regel(c, status="2", begindatum=c.start))
    corrected_numbers = {c.number for c in corrected}
    on_time = [c for c in started if c.number not in corrected_numbers and c.start + dt.timedelta(days=100) <= end]
    for c in pick(on_time, LATE_STARTS):
        lines, i = first_start(c)
        add("305", c, c.start + dt.timedelta(days=int(rng.integers(30, 100))), "L", lines.pop(i))


def _write(folder: Path, wet: Wet, number: str, version: str, sender: str, receiver: str, name: str, day: dt.date,
           lines: list[Regel], serial: Iterator[int], retour: bool) -> int:
    """The bericht(en) of these lines, one with every client in 2.x, one per client in 3.x, each in a file named
    after `name`; with `retour`, each with the receiver's retour message a day later: in 2.x the bericht's
    content sent back, in 3.x (as its XSDs define) the answered bericht's header with the retour's own
    identification and RetourCode 0200 (no remarks)."""
    message = f"{wet.prefix}{number}"
    berichten = [lines] if version == "2_0" else list(_per_case(lines).values())
    answer, answered = RETOUR.get(number), day + dt.timedelta(days=1)
    for own in berichten:
        suffix = "" if version == "2_0" else f"_{own[0].case.number:06d}"
        ident = _identificatie(wet, number, serial)
        bericht = _bericht_2 if version == "2_0" else _bericht_3
        (folder / f"{message.upper()}_{name}{suffix}.xml").write_text(
            bericht(wet, number, sender, receiver, ident, day, own), encoding="utf-8")
        if not retour:
            continue
        retour_ident = _identificatie(wet, answer, serial)
        (folder / f"{(wet.prefix + answer).upper()}_{name}R{suffix}.xml").write_text(
            _bericht_2(wet, answer, receiver, sender, retour_ident, answered, own) if version == "2_0"
            else _retour_3(wet, answer, sender, receiver, ident, day, retour_ident, answered), encoding="utf-8")
    return len(berichten) * (2 if retour else 1)


def _identificatie(wet: Wet, number: str, serial: Iterator[int]) -> str:
    """A BerichtIdentificatie unique for the sender, at most 12 characters (LDT_IdentificatieBericht)."""
    return f"{wet.prefix[0].upper()}{number}{next(serial):08d}"


def _per_case(lines: list[Regel]) -> dict[int, list[Regel]]:
    per_case = defaultdict(list)
    for regel in lines:
        per_case[regel.case.number].append(regel)
    return per_case


REDEN_BEEINDIGING = "02"  # WMO588/JZ588 reden beeindiging, a code of both the 2.0 and the 3.2 list
XSD_VERSIES = "<b:BasisschemaXsdVersie>1.0.0</b:BasisschemaXsdVersie><b:BerichtXsdVersie>1.0.0</b:BerichtXsdVersie>"


def _bericht_2(wet: Wet, number: str, sender, receiver, ident, day, lines: list[Regel]) -> str:
    """Release 2.0 as in its voorbeeldberichten: Berichtspecificatie, Clienten, namespaces with a version suffix."""
    message = f"{wet.prefix}{number}"
    ns = f"http://www.istandaarden.nl/{wet.standaard}/2_0/{message}/schema/2_0"
    base = f"http://www.istandaarden.nl/{wet.standaard}/2_0/basisschema/schema/2_0"
    clients = "".join(_client_2(number, own) for own in _per_case(lines).values())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<m:Bericht xmlns:m="{ns}" xmlns:b="{base}">'
        f"<m:Header><m:Berichtspecificatie><b:Code>{wet.codes[number]}</b:Code><b:Versie>2</b:Versie>"
        f"<b:SubVersie>0</b:SubVersie></m:Berichtspecificatie><m:Afzender>{sender}</m:Afzender>"
        f"<m:Ontvanger>{receiver}</m:Ontvanger><m:Berichtidentificatie><b:Identificatie>{ident}</b:Identificatie>"
        f"<b:Dagtekening>{day}</b:Dagtekening></m:Berichtidentificatie></m:Header>"
        f"<m:Clienten>{clients}</m:Clienten></m:Bericht>\n"
    )


def _header_3(wet: Wet, number: str, sender, receiver, ident, day) -> tuple[str, str]:
    """The opening of a release 3.2 bericht up to the end of its header's XsdVersie, and its namespace prefix."""
    ns = f"http://www.istandaarden.nl/{wet.standaard}/3_2/{wet.prefix}{number}/schema"
    base = f"http://www.istandaarden.nl/{wet.standaard}/3_2/basisschema/schema"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<m:Bericht xmlns:m="{ns}" xmlns:b="{base}">'
        f"<m:Header><m:BerichtCode>{wet.codes[number]}</m:BerichtCode><m:BerichtVersie>3</m:BerichtVersie>"
        f"<m:BerichtSubversie>2</m:BerichtSubversie><m:Afzender>{sender}</m:Afzender>"
        f"<m:Ontvanger>{receiver}</m:Ontvanger><m:BerichtIdentificatie><b:Identificatie>{ident}</b:Identificatie>"
        f"<b:Dagtekening>{day}</b:Dagtekening></m:BerichtIdentificatie><m:XsdVersie>{XSD_VERSIES}</m:XsdVersie>"
    )


def _bericht_3(wet: Wet, number: str, sender, receiver, ident, day, lines: list[Regel]) -> str:
    """Release 3.2 as its XSDs define: BerichtCode, namespaces without a version suffix, one Client."""
    return (f"{_header_3(wet, number, sender, receiver, ident, day)}</m:Header>{_client_3(number, lines)}"
            "</m:Bericht>\n")


def _retour_3(wet: Wet, number: str, sender, receiver, ident, day, retour_ident, retour_day) -> str:
    """A release 3.2 retour message without remarks: the answered bericht's header, RetourCode 0200."""
    return (f"{_header_3(wet, number, sender, receiver, ident, day)}<m:IdentificatieRetour>{retour_ident}"
            f"</m:IdentificatieRetour><m:DagtekeningRetour>{retour_day}</m:DagtekeningRetour><m:XsdVersieRetour>"
            f"{XSD_VERSIES}</m:XsdVersieRetour><m:RetourCodes><m:RetourCode>0200</m:RetourCode></m:RetourCodes>"
            "</m:Header></m:Bericht>\n")


def _person(c: Case, full_name: bool) -> str:
    surname = escape(c.client.name.split()[-1])
    naam = (f"<b:Geslachtsnaam><b:Achternaam>{surname}</b:Achternaam></b:Geslachtsnaam><b:Voorletters>"
            f"{escape(c.client.name[0])}</b:Voorletters>" + ("<b:NaamGebruik>1</b:NaamGebruik>" if full_name else "")
            if full_name is not None else f"<b:Geslachtsnaam><b:Naam>{surname}</b:Naam></b:Geslachtsnaam>")
    return (f"<m:Bsn>{c.client.bsn}</m:Bsn><m:Geboortedatum><b:Datum>{c.client.birth}</b:Datum></m:Geboortedatum>"
            f"<m:Geslacht>1</m:Geslacht><m:Naam>{naam}</m:Naam>")


def _product(c: Case) -> str:
    return f"<m:Product><b:Categorie>{c.categorie}</b:Categorie><b:Code>{c.product[1]}</b:Code></m:Product>"


def _address(c: Case, contact: str) -> str:
    return (f"<m:{contact}><m:Soort>01</m:Soort><m:Adres><b:Postcode>{c.client.postcode}</b:Postcode>"
            f"<b:Straatnaam>{escape(c.client.street)}</b:Straatnaam></m:Adres>"
            f"<m:Telefoon><b:Telefoon01><b:Telefoonnummer>{_digits(c.client.phone)}</b:Telefoonnummer>"
            f"<b:Landnummer>0031</b:Landnummer></b:Telefoon01>"
            f"</m:Telefoon><m:Emailadres>{escape(c.client.email)}</m:Emailadres></m:{contact}>")


def _digits(phone: str) -> str:
    """A phone number as LDT_Telefoonnummer has it: digits only, without the country code."""
    digits = re.sub(r"\D", "", phone)
    return ("0" + digits[2:] if digits.startswith("31") else digits)[:15]


def _client_2(number: str, lines: list[Regel]) -> str:
    c = lines[0].case
    person = _person(c, full_name=None)
    if number in ("301", "302"):
        beschikking = c.beschikking or c.toewijzing
        toegewezen = "".join(
            f"<m:ToegewezenProduct>{_product(c)}<m:Aanbieder>{c.aanbieder}</m:Aanbieder>"
            f"<m:Toewijzingsdatum>{r.toewijzingsdatum or c.toewijzing}</m:Toewijzingsdatum>"
            f"<m:Ingangsdatum>{c.toewijzing}</m:Ingangsdatum>"
            + (f"<m:Einddatum>{r.einddatum}</m:Einddatum>" if r.einddatum else "")
            + (f"<m:RedenIntrekking>{r.reden}</m:RedenIntrekking>" if r.reden else "")
            + "</m:ToegewezenProduct>" for r in lines)
        return (f"<m:Client>{person}<m:Adressen>{_address(c, 'Adres')}</m:Adressen>"
                f"<m:Beschikking><m:Beschikkingnummer>{c.beschikkingnummer}</m:Beschikkingnummer>"
                f"<m:Afgiftedatum>{beschikking}</m:Afgiftedatum><m:Ingangsdatum>{beschikking}</m:Ingangsdatum>"
                f"<m:BeschiktProducten><m:BeschiktProduct>{_product(c)}<m:Ingangsdatum>{beschikking}</m:Ingangsdatum>"
                f"</m:BeschiktProduct></m:BeschiktProducten><m:ToegewezenProducten>{toegewezen}"
                f"</m:ToegewezenProducten></m:Beschikking></m:Client>")
    status = "3" if all(r.status == "3" for r in lines) else "1"
    kind = "Start" if number in ("305", "306") else "Stop"
    products = "".join(
        f"<m:{kind}Product><m:Beschikkingnummer>{c.beschikkingnummer}</m:Beschikkingnummer>{_product(c)}"
        f"<m:Ingangsdatum>{c.toewijzing}</m:Ingangsdatum><m:Begindatum>{r.begindatum}</m:Begindatum>"
        f"<m:Aanbieder>{c.aanbieder}</m:Aanbieder>"
        + (f"<m:RedenBeeindiging>{REDEN_BEEINDIGING}</m:RedenBeeindiging><m:Einddatum>{c.stop}</m:Einddatum>"
           if kind == "Stop" else "")
        + f"<m:StatusAanlevering>{r.status}</m:StatusAanlevering></m:{kind}Product>" for r in lines)
    return (f"<m:Client>{person}<m:StatusAanlevering>{status}</m:StatusAanlevering>"
            f"<m:{kind}Producten>{products}</m:{kind}Producten></m:Client>")


def _client_3(number: str, lines: list[Regel]) -> str:
    c = lines[0].case
    if number == "315":
        return (f"<m:Client>{_person(c, full_name=False)}<m:AangevraagdeProducten>"
                + "".join(f"<m:AangevraagdProduct><m:ReferentieAanbieder>{c.aanvraagnummer}</m:ReferentieAanbieder>"
                          f"{_product(c)}<m:ToewijzingIngangsdatum>{c.aanvraag + dt.timedelta(days=7)}"
                          f"</m:ToewijzingIngangsdatum>{_verwijzer(c)}</m:AangevraagdProduct>" for _ in lines)
                + "</m:AangevraagdeProducten></m:Client>")
    if number == "301":
        toegewezen = "".join(
            f"<m:ToegewezenProduct><m:ToewijzingNummer>{r.toewijzingnummer or c.toewijzingnummer}</m:ToewijzingNummer>"
            f"{_product(c)}<m:Toewijzingsdatum>{r.toewijzingsdatum or c.toewijzing}</m:Toewijzingsdatum>"
            f"<m:Toewijzingstijd>{'10:00:00' if r.toewijzingsdatum is None else '14:00:00'}</m:Toewijzingstijd>"
            f"<m:Ingangsdatum>{c.toewijzing}</m:Ingangsdatum>"
            + (f"<m:Einddatum>{r.einddatum}</m:Einddatum>" if r.einddatum else "")
            + (f"<m:RedenWijziging>{r.reden}</m:RedenWijziging>" if r.reden else "")
            + "</m:ToegewezenProduct>" for r in lines)
        status = c.wet.juridische_status.get(c.categorie)
        return (f"<m:Client>{_person(c, full_name=True)}"
                + (f"<m:JuridischeStatus>{status}</m:JuridischeStatus>" if status else "")
                + f"<m:Contactgegevens>{_address(c, 'Contact')}</m:Contactgegevens>"
                f"<m:ToegewezenProducten>{toegewezen}</m:ToegewezenProducten></m:Client>")
    kind = "Start" if number == "305" else "Stop"
    products = "".join(
        f"<m:{kind}Product><m:ToewijzingNummer>{c.toewijzingnummer}</m:ToewijzingNummer>{_product(c)}"
        f"<m:ToewijzingIngangsdatum>{c.toewijzing}</m:ToewijzingIngangsdatum><m:Begindatum>{r.begindatum}</m:Begindatum>"
        + (f"<m:RedenBeeindiging>{REDEN_BEEINDIGING}</m:RedenBeeindiging><m:Einddatum>{c.stop}</m:Einddatum>"
           if kind == "Stop" else "")
        + f"<m:StatusAanlevering>{r.status}</m:StatusAanlevering></m:{kind}Product>" for r in lines)
    return f"<m:Client>{_person(c, full_name=False)}<m:{kind}Producten>{products}</m:{kind}Producten></m:Client>"


def _verwijzer(c: Case) -> str:
    """Verwijzer (COD327): a huisarts or medisch specialist by AGB code, an institution by name."""
    if c.verwijzer in VERWIJZER_AGB:
        detail = f"<b:ZorgverlenerCode>{VERWIJZER_AGB[c.verwijzer]}{c.number % 37:06d}</b:ZorgverlenerCode>"
    else:
        detail = f"<b:Naam>{VERWIJZER_NAAM[c.verwijzer]}</b:Naam>" if c.verwijzer in VERWIJZER_NAAM else ""
    return f"<m:Verwijzer><b:Type>{c.verwijzer}</b:Type>{detail}</m:Verwijzer>"


# The AGB code's zorgverlenerssoort (01 huisartsen, 03 medisch specialisten) of verwijzers named by code, and
# the names of the others; a gemeente (01) or no verwijzer (06) is the type alone.
VERWIJZER_AGB = {"02": "01", "05": "03"}
VERWIJZER_NAAM = {"03": "GGD jeugdgezondheidszorg", "04": "Gecertificeerde instelling", "08": "Rechtbank"}
