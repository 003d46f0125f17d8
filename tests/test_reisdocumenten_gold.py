"""Reisdocumenten gold on the demo, checked against the BRP and counter exports."""

from __future__ import annotations

import statistics
from collections import Counter

from tests import ground_truth as gt
from tests.conftest import gold


def test_expiries_show_the_2024_2029_renewal_peak(demo_run):
    settings, _ = demo_run
    per_year = dict(gold(settings, """select year(maand_start), sum(aantal_verlopend) from reisdocumenten_verloop_maand
                                      where soort in ('PN', 'NI') group by 1"""))
    dip = statistics.mean(per_year[y] for y in range(2019, 2024))
    peak = statistics.mean(per_year[y] for y in range(2024, 2029))
    assert peak > 2.5 * dip
    assert max(per_year) >= 2036  # ten years ahead of the peildatum
    forecast = gold(settings, "select maand_start, verwacht from reisdocumenten_prognose where verwacht is not null")
    assert len(forecast) == 2 * 24  # PN and NI
    assert statistics.mean(v for _, v in forecast) > 1.5 * dip / 12 / 2  # per soort and month, above the dip
    peaks = [m for (m,) in gold(settings, "select maand_start from reisdocumenten_prognose where is_piek")]
    assert peaks and all(2024 <= m.year <= 2029 for m in peaks)


def test_weekly_applications_match_the_counter_exports(demo_run):
    settings, _ = demo_run
    expected = Counter()
    for row in gt.counter_applications(settings.landing):
        day = gt.dt.datetime.strptime(row["Aanvraagdatum"], "%d-%m-%Y").date()
        expected[(day - gt.dt.timedelta(days=day.weekday()), row["Soort"], row["Locatie"])] += 1
    actual = {(w, s, loc): n for w, s, loc, n in gold(
        settings, "select week_start, soort, locatie, aantal_aanvragen from reisdocumenten_aanvragen_week")}
    assert actual == dict(expected)
    kings_day = gold(settings, "select distinct feestdag_namen from reisdocumenten_aanvragen_week "
                               "where week_start = '2025-04-21'")
    assert kings_day and "Koningsdag" in kings_day[0][0]


def test_the_demo_backtest_is_reasonable(demo_run):
    settings, _ = demo_run
    errors = [abs(r[0]) for r in gold(settings, "select backtest_afwijking from reisdocumenten_prognose "
                                                "where backtest_afwijking is not null")]
    assert len(errors) == 2 * 12 and statistics.mean(errors) < 0.25
