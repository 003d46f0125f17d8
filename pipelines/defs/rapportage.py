"""Reports made from published gold: the council's quarterly social-domain report (dashboard/kwartaalrapport.py)."""

import dagster as dg

from dashboard.kwartaalrapport import write_reports
from pipelines.settings import load_settings


@dg.asset(
    key=["gold", "kwartaalrapport_sociaal_domein"],
    group_name="gold",
    deps=[dg.AssetKey(["gold", "publicatie_sociaal_domein"])],
    kinds={"html"},
    owners=["team:sociaal-domein"],
    metadata={"zone": "gold", "privacy": "openbaar"},
    description="The council's quarterly social-domain report per municipality for the last completed quarter: a "
    "self-contained HTML file in `gold/rapporten/` (opens offline), suppression respected, definitions from the "
    "dbt YAML and a data-quality paragraph, for both laws (Wmo 2015, Jeugdwet). Made after the social-domain gold "
    "tables are published.",
)
def kwartaalrapport_sociaal_domein(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    written = write_reports(load_settings())
    context.log.info(f"quarterly reports: {', '.join(str(p) for p in written)}")
    return dg.MaterializeResult(metadata={
        "rapporten": dg.MetadataValue.json([str(p) for p in written]),
        "dagster/row_count": len(written),
    })


@dg.definitions
def rapportage() -> dg.Definitions:
    return dg.Definitions(assets=[kwartaalrapport_sociaal_domein])
