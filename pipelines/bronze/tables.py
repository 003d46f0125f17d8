"""Bronze table definitions: the one source of truth for each table's columns, types and meaning.

The pyarrow schema enforced on every Parquet write and the column schema shown in Dagster both derive
from these definitions, so nobody writes a schema twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import pyarrow as pa

TIMESTAMP = pa.timestamp("us")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class BronzeTable:
    name: str
    folder: str  # under bronze/
    description: str
    columns: tuple[Column, ...]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    @property
    def dagster_schema(self) -> dg.TableSchema:
        return dg.TableSchema(
            columns=[
                dg.TableColumn(c.name, str(c.type), description=c.description,
                               constraints=dg.TableColumnConstraints(nullable=c.nullable))
                for c in self.columns
            ]
        )

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if not c.nullable]


LINEAGE_COLUMNS = (
    Column("bron_systeem", pa.string(), "Source system the record came from", nullable=False),
    Column("bron_bestand", pa.string(), "Landing file name", nullable=False),
    Column("bron_bestand_hash", pa.string(), "SHA-256 of the landing file's content", nullable=False),
    Column("bron_record", pa.int64(), "Record number in the file (CSV: line number; JSON: position)", nullable=False),
    Column("run_id", pa.string(), "Dagster run that ingested the record", nullable=False),
    Column("geladen_op", TIMESTAMP, "When the record was ingested (UTC)", nullable=False),
)

FIXI_MELDING = BronzeTable(
    name="fixi_melding",
    folder="fixi/melding",
    description=(
        "Fixi meldingen openbare ruimte, one row per record in each export (API page or back-office CSV). "
        "Free text, attachments, addresses and reporter details are not carried."
    ),
    columns=(
        Column("melding_id", pa.string(), "Fixi publicID / meldingnummer", nullable=False),
        Column("gemeentecode", pa.string(), "CBS gemeentecode (GM + 4 digits)", nullable=False),
        Column("categorie_bron", pa.string(), "Category as the source names it"),
        Column("status_bron", pa.string(), "Status as the source names it"),
        Column("datum_melding", TIMESTAMP, "When the melding was made (Europe/Amsterdam)", nullable=False),
        Column("datum_afgehandeld", TIMESTAMP, "When the melding was closed (Europe/Amsterdam)"),
        Column("datum_gewijzigd", TIMESTAMP, "Last change in the source (Europe/Amsterdam)"),
        Column("breedtegraad", pa.float64(), "Latitude (WGS84) of the reported problem"),
        Column("lengtegraad", pa.float64(), "Longitude (WGS84) of the reported problem"),
        Column("postcode4", pa.string(), "Four-digit postcode area of the location"),
        Column("bron_formaat", pa.string(), "api_json or backoffice_csv", nullable=False),
        *LINEAGE_COLUMNS,
    ),
)

CBS_WIJK_BUURT = BronzeTable(
    name="cbs_wijk_buurt",
    folder="referentie/wijk_buurt",
    description="The municipality's wijken and buurten (CBS codes) with postcode area and extent.",
    columns=(
        Column("gemeentecode", pa.string(), "CBS gemeentecode", nullable=False),
        Column("gemeentenaam", pa.string(), "Name of the municipality"),
        Column("wijkcode", pa.string(), "CBS wijkcode (WK + gemeente + 2 digits)", nullable=False),
        Column("wijknaam", pa.string(), "Name of the wijk"),
        Column("buurtcode", pa.string(), "CBS buurtcode (BU + gemeente + 4 digits)", nullable=False),
        Column("buurtnaam", pa.string(), "Name of the buurt"),
        Column("postcode4", pa.string(), "Postcode area (4 digits) of the wijk"),
        Column("min_breedtegraad", pa.float64(), "Southern edge of the buurt"),
        Column("max_breedtegraad", pa.float64(), "Northern edge of the buurt"),
        Column("min_lengtegraad", pa.float64(), "Western edge of the buurt"),
        Column("max_lengtegraad", pa.float64(), "Eastern edge of the buurt"),
        *LINEAGE_COLUMNS,
    ),
)

FEESTDAG = BronzeTable(
    name="feestdag",
    folder="referentie/feestdag",
    description="Dutch public holidays (the holidays package), on which municipal offices are closed.",
    columns=(
        Column("datum", pa.date32(), "Date of the holiday", nullable=False),
        Column("naam", pa.string(), "Name of the holiday", nullable=False),
    ),
)

QUARANTAINE = BronzeTable(
    name="quarantaine",
    folder="_quarantaine/records",
    description="Records that failed parsing or a must-have rule, with the reason; never dropped silently.",
    columns=(
        Column("bron_tabel", pa.string(), "Bronze table the record was meant for", nullable=False),
        Column("reden", pa.string(), "Why the record was quarantined", nullable=False),
        Column("record", pa.string(), "The record's minimised fields as JSON (no free text or personal data)"),
        *LINEAGE_COLUMNS,
    ),
)
