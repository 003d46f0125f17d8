"""The renewal forecast on a stock whose future applications are known by construction.

Every holder renews exactly one month before the end of validity and nobody else applies. The method must
then expect, for each month, exactly the documents ending the month after, and its backtest must hit the
realised numbers exactly.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest

from pipelines.demo.municipality import unique_bsns
from tests.conftest import demo_reference, run_lakehouse

GBA_HEADER = ";01.01.20;01.03.10;12.35.10;12.35.20;12.35.30;12.35.40;12.35.50"


def month(index: int) -> dt.date:
    return dt.date(2020 + index // 12, index % 12 + 1, 15)


def ending_per_month(index: int) -> int:
    return 10 + (index * 7) % 13  # an uneven, known shape


@pytest.fixture
def constructed(settings):
    first, last = 12 * 2 + 0, 12 * 9 + 11  # documents ending 2022-01 .. 2029-12
    bsns = iter(unique_bsns(sum(ending_per_month(i) for i in range(first, last + 1)), np.random.default_rng(7)))
    gba, applications, n = [GBA_HEADER], ["Aanvraagnummer;Aanvraagdatum;Soort;Spoed;Uitreikdatum;Locatie;Leeftijd;BSN"], 0
    for index in range(first, last + 1):
        ends = month(index)
        for _ in range(ending_per_month(index)):
            n += 1
            bsn = next(bsns)
            issued = ends.replace(year=ends.year - 10)
            gba.append(f"P{n};{bsn};19600101;PN;NA{n:06d}1;{issued:%Y%m%d};B0301;{ends:%Y%m%d}")
            applied = month(index - 1)
            if applied <= settings.peildatum:
                renewed = applied + dt.timedelta(days=7)
                gba.append(f";;;PN;NB{n:06d}2;{renewed:%Y%m%d};B0301;{renewed.replace(year=renewed.year + 10):%Y%m%d}")
                applications.append(f"A{n};{applied:%Y-%m-%d};PN;N;{renewed:%Y-%m-%d};Stadhuis;;{bsn}")
    for folder, name, lines in (("brp", "gba.csv", gba), ("burgerzaken", "aanvragen.csv", applications)):
        (settings.landing / folder).mkdir(parents=True)
        (settings.landing / folder / name).write_text("\n".join(lines), encoding="utf-8")
    demo_reference(settings)
    return settings


def test_the_forecast_expects_the_renewals_the_stock_implies_and_its_backtest_is_exact(constructed):
    result = run_lakehouse()
    assert result.success
    with duckdb.connect(str(constructed.gold_db), read_only=True) as db:
        rows = db.execute("""select maand_start, verleden, gerealiseerd, verwacht, backtest_verwacht, backtest_afwijking,
                                    baliefuncties_uren
                             from reisdocumenten_prognose where soort = 'PN' order by maand_start""").fetchall()
    future = [r for r in rows if r[3] is not None]
    assert len(future) == 24 and future[0][0] == dt.date(2026, 6, 1)
    for maand, _, _, verwacht, _, _, uren in future:
        index = (maand.year - 2020) * 12 + maand.month - 1
        assert verwacht == pytest.approx(ending_per_month(index + 1)), maand
        assert uren == pytest.approx(verwacht * 15 / 60, abs=0.05)  # 15 counter minutes per passport, to 0.1 h
    backtest = [r for r in rows if r[4] is not None]
    assert len(backtest) == 12 and backtest[0][0] == dt.date(2025, 6, 1)
    for maand, verleden, gerealiseerd, _, verwacht, afwijking, _ in backtest:
        assert verleden and verwacht == pytest.approx(gerealiseerd) and afwijking == pytest.approx(0), maand
    # Years of passport applications: enough history; no identity card was ever applied for.
    assert _reasons(constructed) == {("NI", "geen aanvragen van deze soort"), ("PN", None)}


def _reasons(settings) -> set[tuple]:
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return set(db.execute("select distinct soort, prognose_beperking from reisdocumenten_prognose").fetchall())


def _stock_and_applications(settings, months_of_applications: int) -> None:
    """A stock ending evenly over 2020-2031 and applications in the last `months_of_applications` months."""
    bsns = iter(unique_bsns(600, np.random.default_rng(3)))
    gba, applications = [GBA_HEADER], ["Aanvraagnummer;Aanvraagdatum;Soort;Spoed;Uitreikdatum;Locatie;Leeftijd;BSN"]
    for n in range(600):
        ends = month(n % 144)
        gba.append(f"P{n};{next(bsns)};19600101;PN;NA{n:06d}1;{ends.replace(year=ends.year - 10):%Y%m%d};B0301;"
                   f"{ends:%Y%m%d}")
    for n in range(months_of_applications * 20):
        applied = settings.peildatum - dt.timedelta(days=1 + n * 30 * months_of_applications // (months_of_applications * 20))
        applications.append(f"A{n};{applied:%Y-%m-%d};PN;N;;Stadhuis;40;")
    (settings.landing / "brp").mkdir(parents=True)
    (settings.landing / "brp" / "gba.csv").write_text("\n".join(gba), encoding="utf-8")
    if months_of_applications:
        (settings.landing / "burgerzaken").mkdir(parents=True)
        (settings.landing / "burgerzaken" / "aanvragen.csv").write_text("\n".join(applications), encoding="utf-8")
    demo_reference(settings)


@pytest.mark.parametrize(("months", "reason"), [(0, "geen aanvraaghistorie"),
                                                (6, "minder dan 12 maanden aanvraaghistorie")])
def test_too_little_history_flags_no_peaks_and_says_why(settings, months, reason):
    """Without history the method expects (almost) nothing: every month was a peak (0 >= 1.2 x 0). Now no
    month is, and the table says why, for every soort of the forecast."""
    _stock_and_applications(settings, months)
    assert run_lakehouse().success
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        rows = db.execute("select soort, is_piek, prognose_beperking, verwacht from reisdocumenten_prognose").fetchall()
    assert len([r for r in rows if r[3] is not None]) == 2 * 24  # the forecast is still there, for PN and NI
    assert not any(is_piek for _, is_piek, _, _ in rows)
    assert _reasons(settings) == {("PN", reason), ("NI", reason)}
