"""The demo municipality (GM0301, about 48,000 inhabitants): deterministic source exports in real formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from faker import Faker

from pipelines.demo import fixi, municipality, reisdocumenten, wmo

DEFAULT_SEED = 301
DEFAULT_YEARS = 3
CLIENTS = 3_000  # Wmo clients among the 48,000 inhabitants


def generate_demo(
    landing: Path,
    gemeentecode: str,
    end: dt.date,
    afhandeltermijnen: dict[str, int],
    years: int = DEFAULT_YEARS,
    seed: int = DEFAULT_SEED,
    progress=print,
) -> dict[str, int]:
    """Write the demo exports into `landing/`; the same arguments always give byte-identical files."""
    rng = np.random.default_rng(seed)
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    start = dt.date(end.year - years, end.month, 1)
    buurten = municipality.buurten(gemeentecode, rng)
    municipality.write_wijken_buurten(buurten, landing / "referentie")
    progress(f"demo: {len(buurten)} buurten in {len(municipality.WIJKEN)} wijken -> {landing / 'referentie'}")
    reports = fixi.generate_reports(buurten, start, end, afhandeltermijnen, rng, fake)
    files = fixi.write_exports(reports, start, end, landing / "fixi", rng)
    progress(f"demo: {len(reports):,} Fixi meldingen {start} .. {end} in {files} export files -> {landing / 'fixi'}")
    pool = wmo.clients(buurten, CLIENTS, rng, fake, end)
    cases = wmo.generate_cases(pool, start, end, rng)
    case_files = wmo.write_case_exports(cases, end, landing / "zorgned", rng)
    berichten = wmo.write_iwmo_berichten(cases, gemeentecode, landing / "iwmo", rng)
    progress(f"demo: {len(cases):,} Wmo meldingen in {case_files} case-system exports -> {landing / 'zorgned'} "
             f"and {berichten} iWmo berichten -> {landing / 'iwmo'}")
    population = reisdocumenten.people(rng, fake, end, sorted({b.postcode4 for b in buurten}))
    documents = reisdocumenten.documents(population, end, rng)
    reisdocumenten.write_brp(documents, end, landing / "brp", rng)
    months = reisdocumenten.write_applications(documents, start, end, landing / "burgerzaken")
    held = sum(1 for d in documents if d.issued <= end < d.ends and not d.lost)
    progress(f"demo: {len(population):,} inhabitants holding {held:,} valid reisdocumenten -> {landing / 'brp'}, "
             f"{months} months of counter applications -> {landing / 'burgerzaken'}")
    return {"fixi_meldingen": len(reports), "fixi_bestanden": files, "wmo_meldingen": len(cases),
            "reisdocumenten_geldig": held}
