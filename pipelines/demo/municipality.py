"""The demo municipality's geography: wijken and buurten with CBS codes, postcode areas and extents.

Real CBS buurten are polygons; without DuckDB's spatial extension the product works with each buurt's
bounding box, so the demo lays its buurten out as a grid of boxes inside the municipality's extent.
"""

from __future__ import annotations

import csv
import random
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faker import Faker

DEMO_INWONERS = 48_000
# (wijknaam, postcode4): each wijk is one postcode area, so a postcode alone still places a melding in a wijk.
ZUTPHEN_WIJKEN = (
    ("Binnenstad", "7201"),
    ("Noordveen", "7202"),
    ("Waterkwartier", "7203"),
    ("De Hoven", "7204"),
    ("Leesten", "7205"),
    ("Zuidwijken", "7206"),
    ("Warnsveld", "7231"),
    ("Eefde", "7211"),
)
WIJKNAMEN = ("Centrum", "Noord", "Oost", "Zuid", "West", "Haven", "Dorp", "Buitengebied")
EXTENT_SIZE = (0.06, 0.10)  # degrees latitude x longitude
# Where the synthetic municipalities of a national demo lie: a grid over the Netherlands, no overlaps.
NETHERLANDS = {"lat": (50.80, 53.40), "lon": (3.40, 7.20)}
NATIONAL_INWONERS = 18_000_000
NATIONAL_GEMEENTEN = 342
BUURTEN_PER_WIJK = 3
WIJK_GRID = (2, 4)  # rows (latitude) x columns (longitude)


@dataclass(frozen=True)
class Gemeente:
    """One demo municipality: its CBS code, size and place. Volumes of every source follow `inwoners`."""

    gemeentecode: str
    naam: str
    inwoners: int
    south_west: tuple[float, float]  # (latitude, longitude) of the extent's corner
    wijken: tuple[tuple[str, str], ...]  # (wijknaam, postcode4)

    @property
    def scale(self) -> float:
        """Size relative to the original demo municipality, whose volumes the generators are tuned to."""
        return self.inwoners / DEMO_INWONERS

    @property
    def extent(self) -> dict[str, tuple[float, float]]:
        lat, lon = self.south_west
        return {"lat": (lat, lat + EXTENT_SIZE[0]), "lon": (lon, lon + EXTENT_SIZE[1])}


SCHOOLREGIO_CSV = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "referentie" / "gemeente_schoolregio.csv"
DEFAULT_SCHOOLREGIO = "midden"  # the region of a municipality the seed does not list (macro default_schoolregio)


def schoolregio_of(gemeentecode: str) -> str:
    """The municipality's school holiday region, as the seed gemeente_schoolregio says (midden when not listed)."""
    with SCHOOLREGIO_CSV.open(encoding="utf-8") as f:
        return next((r["schoolregio"] for r in csv.DictReader(f) if r["gemeentecode"] == gemeentecode),
                    DEFAULT_SCHOOLREGIO)


def zutphen(gemeentecode: str) -> Gemeente:
    return Gemeente(gemeentecode, "Zutphen", DEMO_INWONERS, (52.105, 6.165), ZUTPHEN_WIJKEN)


def gemeenten(count: int, first_code: str, seed: int) -> list[Gemeente]:
    """The demo municipality and `count - 1` synthetic others with sizes drawn like the Dutch municipalities.

    342 of them hold about 18 million inhabitants, as the Netherlands does; codes, names and places are
    made up but stable for a seed.
    """
    rng = np.random.default_rng(seed)
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    taken = int(first_code[2:])
    codes = [c for c in rng.permutation(np.arange(1, 2000)) if c != taken][: count - 1]
    # Lognormal sizes, scaled so that the full national set sums to the national population.
    sizes = rng.lognormal(mean=10.3, sigma=0.9, size=NATIONAL_GEMEENTEN - 1)
    sizes *= (NATIONAL_INWONERS - DEMO_INWONERS) / sizes.sum()
    columns = int(np.ceil(np.sqrt(NATIONAL_GEMEENTEN)))
    lat_step = (NETHERLANDS["lat"][1] - NETHERLANDS["lat"][0]) / columns
    lon_step = (NETHERLANDS["lon"][1] - NETHERLANDS["lon"][0]) / columns
    result = [zutphen(first_code)]
    for i, code in enumerate(codes):
        postcode = 1000 + 25 * (i % 355)
        result.append(Gemeente(
            gemeentecode=f"GM{int(code):04d}",
            naam=fake.city(),
            inwoners=max(1_000, int(sizes[i])),
            south_west=(round(NETHERLANDS["lat"][0] + (i // columns) * lat_step, 4),
                        round(NETHERLANDS["lon"][0] + (i % columns) * lon_step, 4)),
            wijken=tuple((naam, str(postcode + w)) for w, naam in enumerate(WIJKNAMEN)),
        ))
    return result


@dataclass(frozen=True)
class FakeDetails:
    """Personal details and free text drawn once per municipality with Faker, then picked at random.

    Real exports are full of names, e-mail addresses, phone numbers and addresses, and the pipeline must keep
    every one of them out; which ones they are does not matter, and calling Faker for each record took most
    of the generation time. Picks use Faker's own random generator, so the numpy draws stay as they were.
    """

    names: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    streets: tuple[str, ...]
    sentences: tuple[str, ...]
    chance: random.Random

    SIZE = 1_000

    @classmethod
    def draw(cls, fake: Faker) -> FakeDetails:
        def many(make) -> tuple[str, ...]:
            return tuple(make() for _ in range(cls.SIZE))

        return cls(many(fake.name), many(fake.first_name), many(fake.last_name), many(fake.email),
                   many(fake.phone_number), many(fake.street_name), many(lambda: fake.sentence(nb_words=8)),
                   fake.random)

    def pick(self, values: tuple[str, ...]) -> str:
        return values[self.chance.randrange(len(values))]

    def letters(self) -> str:
        """The two letters of a postcode."""
        return "".join(self.chance.choices(string.ascii_uppercase, k=2))

    def house_number(self) -> str:
        return str(self.chance.randint(1, 250))


@dataclass(frozen=True)
class Buurt:
    gemeentecode: str
    wijkcode: str
    wijknaam: str
    buurtcode: str
    buurtnaam: str
    postcode4: str
    lat: tuple[float, float]
    lon: tuple[float, float]
    weight: float  # share of inhabitants, drives where reports come from


def buurten(gemeente: Gemeente, rng: np.random.Generator) -> list[Buurt]:
    """Lay the wijken out as a grid over the extent and cut each wijk into buurt strips."""
    gemeentecode, extent = gemeente.gemeentecode, gemeente.extent
    digits = gemeentecode[2:]
    rows, cols = WIJK_GRID
    lat_step = (extent["lat"][1] - extent["lat"][0]) / rows
    lon_step = (extent["lon"][1] - extent["lon"][0]) / cols
    result = []
    for w, (wijknaam, postcode4) in enumerate(gemeente.wijken):
        lat0 = extent["lat"][0] + (w // cols) * lat_step
        lon0 = extent["lon"][0] + (w % cols) * lon_step
        strip = lon_step / BUURTEN_PER_WIJK
        for b in range(BUURTEN_PER_WIJK):
            result.append(
                Buurt(
                    gemeentecode=gemeentecode,
                    wijkcode=f"WK{digits}{w:02d}",
                    wijknaam=wijknaam,
                    buurtcode=f"BU{digits}{w:02d}{b:02d}",
                    buurtnaam=f"{wijknaam} {'Noord Midden Zuid'.split()[b]}",
                    postcode4=postcode4,
                    lat=(round(lat0, 6), round(lat0 + lat_step, 6)),
                    lon=(round(lon0 + b * strip, 6), round(lon0 + (b + 1) * strip, 6)),
                    weight=float(rng.uniform(0.5, 1.5)),
                )
            )
    return result


# Shares of the Dutch population per CBS age group (CBS StatLine 03759ned, 1 January 2024, rounded).
AGE_SHARES = {"a_00_14": 0.155, "a_15_24": 0.123, "a_25_44": 0.250, "a_45_64": 0.264, "a_65_oo": 0.208}


def write_wijken_buurten(gemeente: Gemeente, buurten: list[Buurt], folder: Path) -> Path:
    """Write the reference table the way CBS OData serves it: codes padded with spaces; the inhabitants per age
    group under the names of CBS's kerncijfers wijken en buurten (a_inw, a_00_14, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cbs_wijken_buurten.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(
            ["gemeentecode", "gemeentenaam", "wijkcode", "wijknaam", "buurtcode", "buurtnaam", "postcode4",
             "min_breedtegraad", "max_breedtegraad", "min_lengtegraad", "max_lengtegraad", "a_inw", *AGE_SHARES]
        )
        for b, inwoners in zip(buurten, _spread(gemeente.inwoners, len(buurten)), strict=True):
            ages = _spread_by_age(inwoners)
            writer.writerow(
                [f"{b.gemeentecode}  ", gemeente.naam, f"{b.wijkcode}  ", b.wijknaam, f"{b.buurtcode}  ",
                 b.buurtnaam, b.postcode4, b.lat[0], b.lat[1], b.lon[0], b.lon[1], sum(ages), *ages]
            )
    return path


def _spread(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _spread_by_age(inwoners: int) -> list[int]:
    counts = [round(inwoners * share) for share in AGE_SHARES.values()]
    counts[-1] += inwoners - sum(counts)
    return counts


def valid_bsn(rng: np.random.Generator) -> str:
    """A random BSN that passes the elfproef."""
    return random_bsns(1, rng)[0]


def random_bsns(count: int, rng: np.random.Generator) -> list[str]:
    """`count` random BSNs that pass the elfproef (nine digits, weights 9..2 and -1, divisible by 11)."""
    found: list[str] = []
    while len(found) < count:
        # About one in eleven draws has no valid check digit: draw a few more than needed.
        digits = rng.integers(0, 10, size=(count - len(found) + (count - len(found)) // 8 + 8, 8))
        digits[:, 0] = rng.integers(1, 7, size=len(digits))
        check = digits @ np.arange(9, 1, -1) % 11
        valid = check < 10
        first_eight = digits[valid] @ 10 ** np.arange(7, -1, -1)
        found += [f"{n:08d}{c}" for n, c in zip(first_eight.tolist(), check[valid].tolist())]
    return found[:count]


def unique_bsns(count: int, rng: np.random.Generator) -> list[str]:
    """`count` different BSNs: drawn at random, tens of thousands would otherwise share a few."""
    found: dict[str, None] = {}
    while len(found) < count:
        found.update(dict.fromkeys(random_bsns(count - len(found), rng)))
    return list(found)
