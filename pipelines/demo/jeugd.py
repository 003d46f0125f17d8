"""Demo Jeugd case load: young people of the BRP population referred to jeugdhulp, in iJw 3.2 and the case export.

About one young person (0-23) in ten receives jeugdhulp in a year (CBS), most of it ambulant. Most come through a
verwijzer other than the municipality (huisarts, jeugdarts, medisch specialist; for jeugdbescherming and
jeugdreclassering a gecertificeerde instelling or the rechter): the aanbieder then asks for a toewijzing (JW315)
and there is no gemeentelijk onderzoek; through the gemeente's wijkteam an onderzoek comes first. The municipality
decides on the aanvraag (some decisions later than the Awb's 8 weeks, more in the summer), assigns the care (JW301)
and the aanbieder reports its start and stop (JW305, JW307), with the same corrections, withdrawals, late
deliveries and retour messages as the Wmo berichten (pipelines.demo.wmo writes both). Jeugd-ggz and verblijf
have waiting times of weeks at the aanbieder. The clients are the BRP's own young inhabitants, so their birth dates
and wijken are the BRP's.
"""

from __future__ import annotations

import bisect
import datetime as dt

import numpy as np

from pipelines.demo.municipality import Buurt, FakeDetails
from pipelines.demo.reisdocumenten import Person
from pipelines.demo.wmo import Case, Client, Wet, contradict

JEUGD_SEED = 436  # Jeugd draws from its own generator: every other source stays as it was
MAX_AGE = 23  # verlengde jeugdhulp runs to 23
ADULT_SHARE = 0.15  # of the trajectories, those that may be of a young adult (18-23): most jeugdhulp ends at 18
# New trajectories a year per young inhabitant: with trajectories running months to years and some young people
# having two, about one in ten has jeugdhulp in a year.
NEW_PER_YOUTH = 0.075
# productcategorie (JZ020) -> (share, productcode, aanbieders (AGB), median days toewijzing -> start, via iJw)
PRODUCTS = {
    "45": (0.58, "45A08", ("42420002", "98200011", "98200022"), 21, True),  # ambulant
    "54": (0.17, "54001", ("98200033", "98200034"), 56, True),  # jeugd-ggz: long waiting lists
    "43": (0.07, "43A03", ("98200044",), 35, True),  # verblijf incl. behandeling
    "48": (0.05, "48A01", ("98200066",), 3, True),  # jeugdbescherming, by the gecertificeerde instelling
    "46": (0.03, "46A01", ("98200055",), 0, True),  # crisis
    "47": (0.03, "47A01", ("98200066",), 3, True),  # jeugdreclassering
    "40": (0.07, "40A01", ("98200077",), 14, False),  # persoonlijke verzorging, mostly as pgb: case system only
}
# Median days of care per productcategorie.
DURATION = {"45": 210, "54": 270, "43": 420, "48": 365, "46": 28, "47": 300, "40": 365}
# Verwijzer (COD327) per productcategorie: 01 gemeente, 02 huisarts, 03 jeugdarts, 04 gecertificeerde instelling,
# 05 medisch specialist, 06 zelfverwijzer, 08 rechter/officier van justitie.
VERWIJZERS = {
    "zorg": {"02": 0.48, "01": 0.27, "03": 0.09, "05": 0.12, "06": 0.04},
    "46": {"01": 0.5, "02": 0.3, "05": 0.2},
    "47": {"04": 0.4, "08": 0.6},
    "48": {"04": 0.7, "08": 0.3},
}
JEUGD = Wet("jeugdwet", "JEUGD", "ijw", "jw",
            {"301": "436", "302": "437", "305": "438", "306": "439", "307": "440", "308": "441", "315": "446"},
            PRODUCTS, "J", 100_000_000, dt.date.min,
            juridische_status={"48": "04", "47": "12"})  # ots; strafrechtelijke justitiele contacten


def generate_cases(population: list[Person], buurten: list[Buurt], start: dt.date, end: dt.date, seed: int,
                   fake: FakeDetails) -> list[Case]:
    """The Jeugd trajectories of `start` .. `end`, each for a young inhabitant (0-23 at the melding) of the BRP."""
    rng = np.random.default_rng([JEUGD_SEED, seed])
    wijk = {b.postcode4: b.wijkcode for b in buurten}
    youths = sorted((p for p in population if p.birth > _years_before(start, MAX_AGE)), key=lambda p: p.birth)
    births = [p.birth for p in youths]
    young_now = len(youths) - bisect.bisect_right(births, _years_before(end, MAX_AGE))
    codes = list(PRODUCTS)
    shares = np.array([PRODUCTS[c][0] for c in codes])
    clients: dict[str, Client] = {}
    cases = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            born_after = {age: bisect.bisect_right(births, _years_before(day, age)) for age in (18, MAX_AGE)}
            born = bisect.bisect_right(births, day)
            for _ in range(rng.poisson(young_now * NEW_PER_YOUTH / 255)):
                age = MAX_AGE if rng.random() < ADULT_SHARE else 18
                person = youths[int(rng.integers(born_after[age], born))]
                client = clients.get(person.bsn) or clients.setdefault(person.bsn, _client(person, wijk, fake))
                categorie = str(rng.choice(codes, p=shares))
                cases.append(_case(len(cases) + 1, client, categorie, day, end, rng))
        day += dt.timedelta(days=1)
    contradict(cases, end, rng)
    return cases


def _years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years, day=28 if day.month == 2 and day.day == 29 else day.day)


def _client(person: Person, wijk: dict[str, str], fake: FakeDetails) -> Client:
    return Client(bsn=person.bsn, birth=person.birth, name=f"{person.first_name} {person.surname}",
                  email=fake.pick(fake.emails), phone=fake.pick(fake.phones),
                  street=f"{fake.pick(fake.streets)} {fake.house_number()}", postcode=person.postcode,
                  wijkcode=wijk[person.postcode[:4]])


def _case(number: int, client: Client, categorie: str, melding: dt.date, end: dt.date,
          rng: np.random.Generator) -> Case:
    verwijzers = VERWIJZERS.get(categorie, VERWIJZERS["zorg"])
    verwijzer = str(rng.choice(list(verwijzers), p=list(verwijzers.values())))
    slow = 1.0 + 0.6 * (melding.month in (6, 7, 8))
    if verwijzer == "01":  # through the wijkteam: the gemeente's onderzoek, then the aanvraag
        onderzoek = melding + dt.timedelta(days=int(rng.gamma(4, 6 * slow)))
        aanvraag = onderzoek + dt.timedelta(days=int(rng.integers(0, 4)))
    else:  # the aanbieder's verzoek om toewijzing on a referral is the aanvraag
        onderzoek, aanvraag = None, melding
    decision = 1 if categorie == "46" else rng.lognormal(np.log(20 * slow), 0.65)  # Awb: late after 8 weeks
    beschikking = aanvraag + dt.timedelta(days=int(decision))
    toegewezen = rng.random() < 0.93
    _, _, aanbieders, wait, _ = PRODUCTS[categorie]
    toewijzing = beschikking + dt.timedelta(days=int(rng.integers(0, 3))) if toegewezen else None
    begin = toewijzing + dt.timedelta(days=int(rng.gamma(2, wait / 2))) if toewijzing else None
    stop = begin + dt.timedelta(days=int(rng.gamma(2, DURATION[categorie] / 2)) + 1) if begin else None

    def known(moment):
        return moment if moment is not None and moment <= end else None

    return Case(number, client, categorie, melding, known(onderzoek), known(aanvraag), known(beschikking), toegewezen,
                aanbieders[int(rng.integers(len(aanbieders)))], known(toewijzing), known(begin), known(stop),
                wet=JEUGD, verwijzer=verwijzer)
