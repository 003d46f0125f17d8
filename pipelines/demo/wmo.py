"""Demo Wmo case load: meldingen through onderzoek, aanvraag and beschikking to toewijzing and care.

About 1,800 meldingen a year (over 2 million in three years at national scale). Onderzoek usually takes
three weeks, but in the summer holidays and in a staff shortage (the second winter) a backlog builds up past
the six-week term. Providers of Begeleiding and Dagbesteding have long waiting lists. Delivered as the municipality receives it: the case system's monthly CSV
export of meldingen and aanvragen, per-client ZorgNed JSON for voorzieningen (vervoer, wonen, hulpmiddelen),
and iWmo berichten for care in kind (2.x until 2025, 3.2 after, plus some retour messages), with the
contradictions real data has: an aanvraag dated after its beschikking, a toewijzing without a beschikking,
a start before the toewijzing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import dataclass
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

    @property
    def beschikkingnummer(self) -> str:
        return f"{700000000 + self.number}"

    @property
    def toewijzingnummer(self) -> str:
        return f"{5000000 + self.number}"


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
    _contradict(cases, end, rng)
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


def _contradict(cases: list[Case], end: dt.date, rng: np.random.Generator) -> None:
    """The contradictions of real case data, each in about 1% of the cases that can have it."""
    # The late aanvraag (up to 30 days after the beschikking) must have happened by the last export.
    with_beschikking = [c for c in cases if c.beschikking and c.aanvraag and c.beschikking + dt.timedelta(30) <= end]
    for c in rng.choice(with_beschikking, size=len(with_beschikking) // 100, replace=False):
        c.fault = "aanvraag_na_beschikking"
        c.aanvraag = c.beschikking + dt.timedelta(days=int(rng.integers(1, 30)))
    started = [c for c in cases if c.start and c.fault is None and PRODUCTS[c.categorie][4]]
    for c in rng.choice(started, size=len(started) // 100, replace=False):
        c.fault = "start_voor_toewijzing"
        c.start = c.toewijzing - dt.timedelta(days=int(rng.integers(1, 20)))
    assigned = [c for c in cases if c.toewijzing and c.fault is None and PRODUCTS[c.categorie][4]]
    for c in rng.choice(assigned, size=len(assigned) // 200, replace=False):
        c.fault = "toewijzing_zonder_beschikking"  # the case system lost the aanvraag; iWmo still has it


# ---------------------------------------------------------------------------------------------- exports


def write_case_exports(cases: list[Case], end: dt.date, folder: Path, rng: np.random.Generator) -> int:
    """Monthly CSV exports of new or changed meldingen (state at export), and ZorgNed JSON per client."""
    folder.mkdir(parents=True, exist_ok=True)
    months = sorted({c.melding.replace(day=1) for c in cases})
    files = 0
    previous = dt.date.min
    for month in months:
        cutoff = min((month + dt.timedelta(days=32)).replace(day=1), end + dt.timedelta(days=1))
        rows = [c for c in cases if c.fault != "toewijzing_zonder_beschikking" and c.melding < cutoff
                and any(d is not None and previous <= d < cutoff for d in (c.melding, c.onderzoek, c.aanvraag, c.beschikking))]
        _write_csv(rows, cutoff, folder / f"wmo_meldingen_aanvragen_{(cutoff - dt.timedelta(days=1)):%Y-%m-%d}.csv", rng)
        previous = cutoff
        files += 1
    by_client = defaultdict(list)
    for c in cases:
        if not PRODUCTS[c.categorie][4] and c.beschikking and c.fault != "toewijzing_zonder_beschikking":
            by_client[c.client.bsn].append(c)
    for n, (_, client_cases) in enumerate(sorted(by_client.items()), start=1):
        (folder / f"zorgned_aanvragen_{n:05d}.json").write_text(
            json.dumps(_zorgned_document(client_cases), ensure_ascii=False), encoding="utf-8")
        files += 1
    return files


def _at(moment: dt.date | None, cutoff: dt.date) -> str:
    return moment.strftime("%d-%m-%Y") if moment is not None and moment < cutoff else ""


def _write_csv(rows: list[Case], cutoff: dt.date, path: Path, rng: np.random.Generator) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in rows:
        writer.writerow([
            f"M{c.number:06d}", _at(c.melding, cutoff), _at(c.onderzoek, cutoff),
            f"A{c.number:06d}" if c.aanvraag and c.aanvraag < cutoff else "", _at(c.aanvraag, cutoff),
            c.beschikkingnummer if c.beschikking and c.beschikking < cutoff else "", _at(c.beschikking, cutoff),
            c.categorie, ("toegewezen" if c.toegewezen else "afgewezen") if c.beschikking and c.beschikking < cutoff else "",
            c.client.wijkcode, c.client.bsn, c.client.birth.strftime("%d-%m-%Y"), c.client.name, c.client.email, "WMO",
        ])
    if rng.random() < 0.5:  # the export also lists a youth-care case now and then: not Wmo
        writer.writerow(["J000001", cutoff.strftime("%d-%m-%Y"), "", "", "", "", "", "", "", "", "", "", "", "", "JEUGD"])
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
        "identificatie": f"A{c.number:06d}",
        "procesIdentificatie": f"M{c.number:06d}",
        "regeling": {"identificatie": "WMO", "omschrijving": "WMO"},
        "hulpvraag": {"datumRegistratie": c.melding.isoformat()},
        "datumAanvraag": c.aanvraag.isoformat() if c.aanvraag else None,
        "beschikking": {
            "beschikkingNummer": c.beschikkingnummer,
            "datumAfgifte": c.beschikking.isoformat(),
            "beschikteProducten": [{
                "identificatie": f"P{c.number:06d}",
                "product": {"productsoortCode": PRODUCTS[c.categorie][1]},
                "productCategorie": {"code": c.categorie},
                "resultaat": "toegewezen" if c.toegewezen else "afgewezen",
                "toegewezenProduct": {"datumIngangGeldigheid": c.beschikking.isoformat(), "leveringsvorm": "zin",
                                      "leverancier": {"agbcode": c.aanbieder}, "toewijzingen": toewijzingen}
                if c.toegewezen else None,
            }],
        },
    }


def write_iwmo_berichten(cases: list[Case], gemeentecode: str, folder: Path, rng: np.random.Generator) -> int:
    """One bericht per message type, aanbieder and day, with all clients of that day."""
    folder.mkdir(parents=True, exist_ok=True)
    groups = defaultdict(list)
    for c in cases:
        if not PRODUCTS[c.categorie][4] or not c.toewijzing:
            continue
        # A toewijzing keeps the iWmo version it was made in, for its start and stop too.
        version = "3_2" if c.toewijzing >= IWMO_3_FROM else "2_0"
        groups[("wmo301", version, c.aanbieder, c.toewijzing)].append(c)
        if c.start:
            groups[("wmo305", version, c.aanbieder, max(c.start, c.toewijzing))].append(c)
        if c.stop:
            groups[("wmo307", version, c.aanbieder, c.stop)].append(c)
    gemeente = gemeentecode[2:]
    files = 0
    for (message, version, aanbieder, day), group in sorted(groups.items()):
        sender, receiver = (gemeente, aanbieder) if message == "wmo301" else (aanbieder, gemeente)
        ident = f"{message}{version[0]}{aanbieder}{day:%Y%m%d}"
        xml = _bericht(message, version, sender, receiver, ident, day, group)
        (folder / f"{message.upper()}_{ident}.xml").write_text(xml, encoding="utf-8")
        files += 1
        if message == "wmo301" and rng.random() < 0.05:  # the aanbieder's retour message on this toewijzing
            retour = _bericht("wmo302", version, receiver, sender, ident + "R", day + dt.timedelta(days=1), group)
            (folder / f"WMO302_{ident}R.xml").write_text(retour, encoding="utf-8")
            files += 1
    return files


CODES = {"wmo301": "414", "wmo302": "415", "wmo305": "418", "wmo307": "420"}


def _bericht(message, version, sender, receiver, ident, day, cases) -> str:
    ns = f"http://www.istandaarden.nl/iwmo/{version}/{message}/schema/{version}"
    base = f"http://www.istandaarden.nl/iwmo/{version}/basisschema/schema/{version}"
    major, minor = version.split("_")
    clients = "".join(_client(message, version, c) for c in cases)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<m:Bericht xmlns:m="{ns}" xmlns:b="{base}">'
        f"<m:Header><m:Berichtspecificatie><b:Code>{CODES[message]}</b:Code><b:Versie>{major}</b:Versie>"
        f"<b:SubVersie>{minor}</b:SubVersie></m:Berichtspecificatie><m:Afzender>{sender}</m:Afzender>"
        f"<m:Ontvanger>{receiver}</m:Ontvanger><m:Berichtidentificatie><b:Identificatie>{ident}</b:Identificatie>"
        f"<b:Dagtekening>{day}</b:Dagtekening></m:Berichtidentificatie></m:Header>"
        f"<m:Clienten>{clients}</m:Clienten></m:Bericht>\n"
    )


def _client(message: str, version: str, c: Case) -> str:
    person = (f"<m:Bsn>{c.client.bsn}</m:Bsn><m:Geboortedatum><b:Datum>{c.client.birth}</b:Datum></m:Geboortedatum>"
              f"<m:Naam><b:Geslachtsnaam><b:Naam>{escape(c.client.name.split()[-1])}</b:Naam></b:Geslachtsnaam></m:Naam>")
    product = f"<m:Product><b:Categorie>{c.categorie}</b:Categorie><b:Code>{PRODUCTS[c.categorie][1]}</b:Code></m:Product>"
    number = f"<m:ToewijzingNummer>{c.toewijzingnummer}</m:ToewijzingNummer>" if version != "2_0" else ""
    reference = number or f"<m:Beschikkingnummer>{c.beschikkingnummer}</m:Beschikkingnummer>"
    if message in ("wmo301", "wmo302"):
        address = (f"<m:Adressen><m:Adres><m:Soort>01</m:Soort><m:Adres><b:Postcode>{c.client.postcode}</b:Postcode>"
                   f"<b:Straatnaam>{escape(c.client.street)}</b:Straatnaam></m:Adres>"
                   f"<m:Telefoon><b:Telefoon01><b:Telefoonnummer>{escape(c.client.phone)}</b:Telefoonnummer></b:Telefoon01>"
                   f"</m:Telefoon><m:Emailadres>{escape(c.client.email)}</m:Emailadres></m:Adres></m:Adressen>")
        beschikking = c.beschikking or c.toewijzing
        lines = (f"<m:Beschikking><m:Beschikkingnummer>{c.beschikkingnummer}</m:Beschikkingnummer>"
                 f"<m:Afgiftedatum>{beschikking}</m:Afgiftedatum><m:Ingangsdatum>{beschikking}</m:Ingangsdatum>"
                 f"<m:BeschiktProducten><m:BeschiktProduct>{product}<m:Ingangsdatum>{beschikking}</m:Ingangsdatum>"
                 f"</m:BeschiktProduct></m:BeschiktProducten><m:ToegewezenProducten><m:ToegewezenProduct>{number}"
                 f"{product}<m:Aanbieder>{c.aanbieder}</m:Aanbieder><m:Toewijzingsdatum>{c.toewijzing}</m:Toewijzingsdatum>"
                 f"<m:Ingangsdatum>{c.toewijzing}</m:Ingangsdatum></m:ToegewezenProduct></m:ToegewezenProducten>"
                 f"</m:Beschikking>")
        return f"<m:Client>{person}{address}{lines}</m:Client>"
    if message == "wmo305":
        return (f"<m:Client>{person}<m:StartProducten><m:StartProduct>{reference}{product}"
                f"<m:Ingangsdatum>{c.toewijzing}</m:Ingangsdatum><m:Begindatum>{c.start}</m:Begindatum>"
                f"<m:Aanbieder>{c.aanbieder}</m:Aanbieder></m:StartProduct></m:StartProducten></m:Client>")
    return (f"<m:Client>{person}<m:StopProducten><m:StopProduct>{reference}{product}"
            f"<m:Begindatum>{c.start}</m:Begindatum><m:Aanbieder>{c.aanbieder}</m:Aanbieder>"
            f"<m:RedenBeeindiging>02</m:RedenBeeindiging><m:Einddatum>{c.stop}</m:Einddatum>"
            f"</m:StopProduct></m:StopProducten></m:Client>")
