"""Demo municipalities: deterministic source exports in real formats, from one municipality to national scale.

The first municipality is the platform's own (Zutphen-sized, about 48,000 inhabitants) and delivers into
`landing/<system>/`; every other one into its own drop folder `landing/GMxxxx/<system>/`, as the
municipalities of a shared platform do. Each municipality's volumes follow its number of inhabitants.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
from faker import Faker

from pipelines.demo import fixi, jeugd, municipality, reisdocumenten, weer, wmo
from pipelines.demo.municipality import FakeDetails, Gemeente

DEFAULT_SEED = 301
DEFAULT_YEARS = 3
CLIENTS = 3_000  # Wmo clients among the demo municipality's 48,000 inhabitants


def generate_demo(
    landing: Path,
    gemeente: Gemeente,
    end: dt.date,
    afhandeltermijnen: dict[str, int],
    years: int = DEFAULT_YEARS,
    seed: int = DEFAULT_SEED,
    progress=print,
) -> dict[str, int]:
    """Write one municipality's exports into `landing/`; the same arguments always give byte-identical files."""
    rng = np.random.default_rng(seed)
    fake = _fake_details(seed)
    start = dt.date(end.year - years, end.month, 1)
    code = gemeente.gemeentecode
    buurten = municipality.buurten(gemeente, rng)
    municipality.write_wijken_buurten(gemeente, buurten, landing / "referentie")
    stn = weer.station_of(code)
    weer.write_station(stn, start, end, landing / "referentie")
    reports = fixi.generate_reports(buurten, start, end, afhandeltermijnen, rng, fake, gemeente.scale, stn,
                                    municipality.schoolregio_of(code))
    files = fixi.write_exports(reports, start, end, landing / "fixi", rng)
    progress(f"demo {code}: {len(reports):,} Fixi meldingen {start} .. {end} in {files} export files")
    pool = wmo.clients(buurten, round(CLIENTS * gemeente.scale), rng, fake, end)
    cases = wmo.generate_cases(pool, start, end, rng, gemeente.scale)
    berichten = wmo.write_berichten(cases, code, landing / "iwmo", rng)
    population = reisdocumenten.people(rng, fake, end, sorted({b.postcode4 for b in buurten}), gemeente.inwoners)
    documents = reisdocumenten.documents(population, end, rng)
    reisdocumenten.write_brp(population, documents, end, landing / "brp", rng)
    months = reisdocumenten.write_applications(documents, start, end, landing / "burgerzaken")
    held = sum(1 for d in documents if d.issued <= end < d.ends and not d.lost)
    progress(f"demo {code}: {len(population):,} inhabitants holding {held:,} valid reisdocumenten, "
             f"{months} months of counter applications")
    # Jeugd clients are the BRP's young inhabitants; both laws share the case system's exports.
    jeugd_cases = jeugd.generate_cases(population, buurten, start, end, seed, fake)
    case_files = wmo.write_case_exports(cases + jeugd_cases, end, landing / "zorgned")
    ijw = wmo.write_berichten(jeugd_cases, code, landing / "ijw", rng)
    progress(f"demo {code}: {len(cases):,} Wmo and {len(jeugd_cases):,} Jeugd meldingen in {case_files} "
             f"case-system exports, {berichten} iWmo and {ijw} iJw berichten")
    return {"fixi_meldingen": len(reports), "fixi_bestanden": files, "wmo_meldingen": len(cases),
            "jeugd_meldingen": len(jeugd_cases),
            "reisdocumenten": len(documents), "reisdocumenten_geldig": held, "inwoners": gemeente.inwoners}


def generate_gemeenten(
    landing: Path,
    count: int,
    first_code: str,
    end: dt.date,
    afhandeltermijnen: dict[str, int],
    years: int = DEFAULT_YEARS,
    seed: int = DEFAULT_SEED,
    processes: int = 2,
    progress=print,
) -> dict[str, int]:
    """Write `count` municipalities' exports, spread over `processes` processes; returns the summed volumes."""
    started = time.monotonic()
    jobs = _deliveries(landing, count, first_code, seed)
    write = partial(_generate_one, end=end, afhandeltermijnen=afhandeltermijnen, years=years, quiet=count > 1)
    if processes > 1 and count > 1:
        with ProcessPoolExecutor(processes) as pool:
            volumes = list(pool.map(write, jobs))
    else:
        volumes = [write(job) for job in jobs]
    totals = {key: sum(v[key] for v in volumes) for key in volumes[0]}
    progress(f"demo: {count} municipalit{'y' if count == 1 else 'ies'} ({totals['inwoners']:,} inhabitants): "
             f"{totals['fixi_meldingen']:,} Fixi meldingen, {totals['wmo_meldingen']:,} Wmo meldingen, "
             f"{totals['jeugd_meldingen']:,} Jeugd meldingen, "
             f"{totals['reisdocumenten']:,} reisdocumenten "
             f"in {time.monotonic() - started:.0f} s -> {landing}")
    return totals


def generate_next_day(
    landing: Path, count: int, first_code: str, day: dt.date, afhandeltermijnen: dict[str, int],
    seed: int = DEFAULT_SEED, progress=print,
) -> int:
    """What a night brings: each municipality's Fixi reports of `day` as new API pages. Returns the report count."""
    total = 0
    for folder, gemeente, own_seed in _deliveries(landing, count, first_code, seed):
        rng = np.random.default_rng([own_seed, day.toordinal()])
        fake = _fake_details(own_seed + day.toordinal())
        # The buurten generate_demo drew: they are the first draw from the municipality's seed.
        buurten = municipality.buurten(gemeente, np.random.default_rng(own_seed))
        reports = fixi.generate_day(buurten, day, afhandeltermijnen, rng, fake, gemeente.scale,
                                    weer.station_of(gemeente.gemeentecode),
                                    municipality.schoolregio_of(gemeente.gemeentecode))
        fixi.write_day_export(reports, day, folder / "fixi", rng)
        total += len(reports)
    progress(f"demo: {total:,} new Fixi meldingen of {day} for {count} municipalities -> {landing}")
    return total


def _fake_details(seed: int) -> FakeDetails:
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    return FakeDetails.draw(fake)


def _deliveries(landing: Path, count: int, first_code: str, seed: int) -> list[tuple[Path, Gemeente, int]]:
    """Each municipality with its drop folder (the platform's own one delivers into `landing/` itself) and
    its own seed."""
    return [(landing if g.gemeentecode == first_code else landing / g.gemeentecode, g, seed + i)
            for i, g in enumerate(municipality.gemeenten(count, first_code, seed))]


def _generate_one(job: tuple[Path, Gemeente, int], end, afhandeltermijnen, years, quiet) -> dict[str, int]:
    folder, gemeente, seed = job
    return generate_demo(folder, gemeente, end, afhandeltermijnen, years, seed,
                         progress=(lambda message: None) if quiet else print)
