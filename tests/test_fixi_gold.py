"""Fixi gold on the demo, checked against plain-Python figures from the landing files."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict

import duckdb
import pytest

from tests import ground_truth as gt
from tests.conftest import gold


def test_demo_has_realistic_volume(truth):
    per_year = Counter(m.created.year for m in truth.values())
    assert 13_500 <= per_year[2025] <= 16_500  # about 15,000 reports a year for 48,000 inhabitants


def test_weekly_counts_match_the_landing_files(demo_run, truth):
    settings, _ = demo_run
    expected = Counter((gt.week_start(m.created), m.categorie) for m in truth.values())
    actual = {(w, c): n for w, c, n in gold(
        settings, "select week_start, categorie, sum(aantal_meldingen) from fixi_meldingen_week group by all")}
    assert actual == dict(expected)
    peaks = {(w, c): n for w, c, n in gold(settings, "select week_start, categorie, aantal_meldingen from fixi_pieken")}
    assert {k: v for k, v in peaks.items() if v} == dict(expected)


def test_handled_counts_and_handling_times_match_the_landing_files(demo_run, truth):
    settings, _ = demo_run
    groups = defaultdict(list)
    for m in truth.values():
        groups[(gt.week_start(m.created), m.categorie)].append(m)
    rows = gold(settings, """
        select week_start, categorie, sum(aantal_afgehandeld) from fixi_meldingen_week group by all""")
    assert {(w, c): n for w, c, n in rows} == {
        k: sum(m.status == "afgehandeld" for m in ms) for k, ms in groups.items()
    }
    # Medians per week, categorie and wijk: check every cell of one busy categorie in full.
    cells = gold(settings, """
        select week_start, wijkcode, doorlooptijd_dagen_mediaan, doorlooptijd_dagen_p90, doorlooptijd_werkdagen_mediaan
        from fixi_meldingen_week where categorie = 'Openbaar groen' and wijkcode is not null""")
    by_cell = defaultdict(list)
    wijk_of = _wijk_per_melding(settings)
    for m in truth.values():
        if m.categorie == "Openbaar groen" and gt.handled_days(m) is not None:
            by_cell[(gt.week_start(m.created), wijk_of[m.melding_id])].append(m)
    assert len(cells) > 100
    for week, wijk, median_days, p90_days, median_working in cells:
        handled = by_cell.get((week, wijk), [])
        if not handled:
            assert median_days is None
            continue
        days = sorted(gt.handled_days(m) for m in handled)
        assert median_days == pytest.approx(statistics.median(days))
        expected_p90 = statistics.quantiles(days, n=10, method="inclusive")[8] if len(days) > 1 else days[0]
        assert p90_days == pytest.approx(expected_p90)
        assert median_working == pytest.approx(statistics.median(gt.working_days(m) for m in handled))


def _wijk_per_melding(settings) -> dict[str, str]:
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        return dict(db.execute("select melding_id, wijkcode from silver.fixi_melding").fetchall())


def test_backlog_and_share_within_term_match_the_landing_files(demo_run, truth):
    settings, _ = demo_run
    terms = {c: int(t) for c, t in gt._seed("fixi_categorie.csv", "categorie", "afhandeltermijn_werkdagen").items()}
    handled_in_month = Counter()
    within = Counter()
    for m in truth.values():
        if gt.handled_days(m) is not None:
            key = (m.closed.date().replace(day=1), m.categorie)
            handled_in_month[key] += 1
            within[key] += gt.working_days(m) <= terms[m.categorie]
    rows = gold(settings, "select maand_start, categorie, aantal_afgehandeld, aantal_binnen_termijn from fixi_afhandeling")
    assert {(r[0], r[1]): (r[2], r[3]) for r in rows if r[2]} == {k: (n, within[k]) for k, n in handled_in_month.items()}
    # Backlog at the end of May 2026 for Wegen en trottoirs: made by then, not yet left the backlog.
    end_of_may = gt.dt.datetime(2026, 6, 1)
    open_then = sum(
        1 for m in truth.values()
        if m.categorie == "Wegen en trottoirs" and m.created < end_of_may and not _left_backlog_before(m, end_of_may)
    )
    assert gold(settings, """select openstaand_einde_maand from fixi_afhandeling
                             where categorie = 'Wegen en trottoirs' and maand_start = '2026-05-01'""")[0][0] == open_then


def _left_backlog_before(m: gt.Melding, moment) -> bool:
    if m.status != "afgehandeld":
        return False
    left = m.closed if (m.closed is not None and m.closed >= m.created) else max(m.created, m.modified or m.created)
    return left < moment


def test_new_year_litter_is_flagged_as_a_peak(demo_run):
    settings, _ = demo_run
    peaks = gold(settings, """select week_start, verhouding, drukste_wijknaam from fixi_pieken
                              where categorie = 'Afval en zwerfafval' and is_piek""")
    for year in (2024, 2025, 2026):
        new_year = gt.dt.date(year, 1, 1)
        week = [p for p in peaks if p[0] <= new_year <= p[0] + gt.dt.timedelta(days=6)]
        assert week, f"no litter peak in the week of New Year {year}"
        assert week[0][1] >= 1.5 and week[0][2]
    quiet_summer = [p for p in peaks if p[0].month == 6 and p[0].year == 2025]
    assert quiet_summer == []


def test_every_silver_melding_traces_back_to_its_landing_record(demo_run, truth):
    settings, _ = demo_run
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        rows = db.execute("select melding_id, bron_bestand, bron_record from silver.fixi_melding").fetchall()
    sources = defaultdict(set)
    for m in gt.read_landing(settings.landing / "fixi"):
        sources[m.melding_id].add(m.source)
    assert len(rows) == len(truth)
    assert all((file, record) in sources[melding] for melding, file, record in rows)
