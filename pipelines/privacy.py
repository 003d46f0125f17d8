"""Privacy at the border: what of a person may enter bronze, and in which form.

The BSN (or, without one, the source's client number) becomes a keyed pseudonym: HMAC-SHA256 with the
municipality's secret key, so the same person gets the same pseudonym in every source and Wmo and BRP data
can be linked without a BSN, while nobody without the key can go back. A birth date becomes an age band.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pyarrow as pa
import pyarrow.compute as pc
from stdnum.nl import bsn as nl_bsn

AGE_BANDS = ((0, "0-17"), (18, "18-29"), (30, "30-44"), (45, "45-64"), (65, "65-74"), (75, "75-84"), (85, "85+"))


def pseudonym(identifier: str, key: bytes, kind: str = "bsn") -> str:
    """Keyed pseudonym of a BSN (`kind="bsn"`) or of another identifier such as a client number.

    The kind is part of the message, so a client number never collides with a BSN of the same digits.
    """
    normalised = identifier.strip().zfill(9) if kind == "bsn" else identifier.strip()
    return hmac.digest(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hex()[:32]


def bsn_is_valid(value: str) -> bool:
    """Nine digits passing the elfproef (python-stdnum's checksum).

    Only digits reach the checksum, so stdnum's own cleaning of spaces and dots (two thirds of its cost, for
    every person in a national BRP extract) is not needed."""
    digits = value.strip().zfill(9) if value else ""
    return len(digits) == 9 and digits.isdigit() and int(digits) > 0 and nl_bsn.checksum(digits) == 0


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Age in whole years on a date."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def ages_on(birth_dates: pa.Array, on: pa.Array) -> pa.Array:
    """`age_on` over two date columns at once; null where either date is."""
    def month_day(dates):
        return pc.add(pc.multiply(pc.month(dates), 100), pc.day(dates))
    birthday_to_come = pc.less(month_day(on), month_day(birth_dates))
    return pc.subtract(pc.subtract(pc.year(on), pc.year(birth_dates)), pc.cast(birthday_to_come, pa.int64()))


def band_of_age(age: int) -> str | None:
    return [label for lower, label in AGE_BANDS if age >= lower][-1] if age >= 0 else None


def age_band(birth_date: dt.date | None, on: dt.date) -> str | None:
    return band_of_age(age_on(birth_date, on)) if birth_date is not None else None
