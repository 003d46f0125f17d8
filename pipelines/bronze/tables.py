"""Bronze table definitions: the one source of truth for each table's columns, types and meaning.

The pyarrow schema enforced on every Parquet write and the column schema shown in Dagster both derive
from these definitions, so nobody writes a schema twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import dagster as dg
import pyarrow as pa

TIMESTAMP = pa.timestamp("us")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str
    nullable: bool = True
    # The value this column has in parts an earlier version wrote before the column existed (e.g. every row of
    # a version that read Wmo only is Wmo); None: such parts read it as empty.
    in_earlier_parts: str | None = None


@dataclass(frozen=True)
class BronzeTable:
    name: str
    folder: str  # under bronze/
    description: str
    columns: tuple[Column, ...]

    @cached_property  # every file's rows are cast to it
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    def dagster_schema(self, privacy: str) -> dg.TableSchema:
        """The columns as Dagster shows them, each tagged with the table's privacy class."""
        return dg.TableSchema(
            columns=[
                dg.TableColumn(c.name, str(c.type), description=c.description,
                               constraints=dg.TableColumnConstraints(nullable=c.nullable), tags={"privacy": privacy})
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
        *(Column(name, pa.int64(), f"Inhabitants of the buurt{ages} (CBS kerncijfers wijken en buurten; empty "
                 "where CBS does not publish the figure)")
          for name, ages in (("aantal_inwoners", ""), ("inwoners_0_14", " aged 0-14"), ("inwoners_15_24", " aged 15-24"),
                             ("inwoners_25_44", " aged 25-44"), ("inwoners_45_64", " aged 45-64"),
                             ("inwoners_65_plus", " aged 65 or older"))),
        *LINEAGE_COLUMNS,
    ),
)

KNMI_DAGGEGEVENS = BronzeTable(
    name="knmi_daggegevens",
    folder="referentie/knmi_daggegevens",
    description=(
        "KNMI daily station data (daggegevens, the etmgeg text files), one row per station and day, the "
        "columns the Fixi analysis uses, as delivered: whole numbers in tenths of their unit, -1 for a trace."
    ),
    columns=(
        Column("stn", pa.int64(), "KNMI station number (STN)", nullable=False),
        Column("datum", pa.date32(), "YYYYMMDD: the day (UT)", nullable=False),
        Column("ddvec", pa.int64(), "DDVEC: vector mean wind direction (degrees, 360 north, 0 calm/variable)"),
        Column("fg", pa.int64(), "FG: daily mean wind speed (0.1 m/s)"),
        Column("fhx", pa.int64(), "FHX: maximum hourly mean wind speed (0.1 m/s)"),
        Column("fxx", pa.int64(), "FXX: maximum wind gust (0.1 m/s)"),
        Column("tg", pa.int64(), "TG: daily mean temperature (0.1 degrees Celsius)"),
        Column("tn", pa.int64(), "TN: minimum temperature (0.1 degrees Celsius)"),
        Column("tx", pa.int64(), "TX: maximum temperature (0.1 degrees Celsius)"),
        Column("sq", pa.int64(), "SQ: sunshine duration (0.1 hour; -1 for < 0.05 hour)"),
        Column("dr", pa.int64(), "DR: precipitation duration (0.1 hour)"),
        Column("rh", pa.int64(), "RH: daily precipitation amount (0.1 mm; -1 for < 0.05 mm)"),
        Column("rhx", pa.int64(), "RHX: maximum hourly precipitation amount (0.1 mm; -1 for < 0.05 mm)"),
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

SCHOOLVAKANTIE = BronzeTable(
    name="schoolvakantie",
    folder="referentie/schoolvakantie",
    description="Dutch school holidays per region (the holidays package's SCHOOL category, from the Regelingen "
                "vaststelling schoolvakanties of the Ministry of Education), one row per region and day.",
    columns=(
        Column("schoolregio", pa.string(), "Region of the school holidays: noord, midden or zuid", nullable=False),
        Column("datum", pa.date32(), "A day of the school holiday, Saturday to Sunday", nullable=False),
        Column("naam", pa.string(), "Name of the school holiday (Herfstvakantie ... Zomervakantie)", nullable=False),
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

PERSON_COLUMNS = (
    Column("persoon_pseudoniem", pa.string(), "Keyed pseudonym of the BSN (HMAC-SHA256), or of the client number"),
    Column("bsn_geldig", pa.bool_(), "The BSN passed the elfproef (false: a data-quality finding; never stored in clear)"),
    Column("leeftijdsklasse", pa.string(), "Age band at the record's date (the birth date is not kept)"),
    Column("postcode4", pa.string(), "Four-digit postcode area of the client's address (street and number are not kept)"),
)

IWMO_BERICHT = BronzeTable(
    name="iwmo_bericht",
    folder="iwmo/bericht",
    description=("iWmo and iJw berichten (one row per file): law, type, version, sender, receiver and date; retour "
                 "messages included."),
    columns=(
        Column("berichttype", pa.string(), "WMO301, WMO302, WMO305, ..., JW301, JW315, ... from the namespace",
               nullable=False),
        Column("berichtcode", pa.string(), "COD002 code in the header (414 toewijzing Wmo, 436 toewijzing Jeugd, ...)"),
        Column("wet", pa.string(), "The law: wmo (iWmo) or jeugdwet (iJw)", nullable=False, in_earlier_parts="wmo"),
        Column("versie", pa.string(), "iWmo or iJw version, e.g. 2.0 or 3.2", nullable=False),
        Column("is_retour", pa.bool_(), "A retour message (302, 306, 308, 316, 318, 320, 325): a reply, not a new fact",
               nullable=False),
        Column("afzender", pa.string(), "Sender: gemeentecode (4 digits) or AGB code of the aanbieder"),
        Column("ontvanger", pa.string(), "Receiver: AGB code or gemeentecode"),
        Column("bericht_identificatie", pa.string(), "Berichtidentificatie/Identificatie", nullable=False),
        Column("dagtekening", pa.date32(), "Berichtidentificatie/Dagtekening"),
        Column("gemeentecode", pa.string(), "CBS gemeentecode of the drop folder that held the file", nullable=False),
        Column("gemeentecode_bericht", pa.string(),
               "CBS gemeentecode the bericht names (its sender or receiver with a 4-digit code)"),
        Column("gemeentecode_afwijkend", pa.bool_(), "The bericht names another municipality than its drop folder's (a finding)"),
        Column("xsd_overtreding", pa.string(), "How the bericht breaks the XSD of its release: the XSD, the line and "
               "the first violation (a finding; empty when it validates or no XSD of its release is here)"),
        Column("aantal_clienten", pa.int64(), "Clients in the bericht"),
        *LINEAGE_COLUMNS,
    ),
)

IWMO_PRODUCT = BronzeTable(
    name="iwmo_product",
    folder="iwmo/product",
    description=(
        "iWmo and iJw product lines: verzoek (315), beschikt and toegewezen product (301), start (305) and stop "
        "(307), one row per client and product line. Names, addresses, phone numbers, e-mail, relations and the "
        "referrer's name or AGB code are not carried."
    ),
    columns=(
        Column("berichttype", pa.string(), "WMO301, WMO305, WMO307, WMO315 or JW301, JW305, JW307, JW315",
               nullable=False),
        Column("wet", pa.string(), "The law: wmo (iWmo) or jeugdwet (iJw)", nullable=False, in_earlier_parts="wmo"),
        Column("versie", pa.string(), "iWmo or iJw version of the bericht, e.g. 2.0 or 3.2 (says which codelists apply)"),
        Column("regelsoort", pa.string(), "verzoek, beschikt, toegewezen, start or stop", nullable=False),
        Column("bericht_identificatie", pa.string(), "The bericht this line came in", nullable=False),
        Column("dagtekening", pa.date32(), "Date of the bericht"),
        Column("gemeentecode", pa.string(), "CBS gemeentecode of the drop folder that held the file", nullable=False),
        Column("gemeentecode_bericht", pa.string(), "CBS gemeentecode the bericht names"),
        *PERSON_COLUMNS,
        Column("beschikkingnummer", pa.string(), "Beschikkingnummer"),
        Column("toewijzingnummer", pa.string(), "ToewijzingNummer (iWmo 3.x; empty in 2.x)"),
        Column("referentie_aanbieder", pa.string(),
               "ReferentieAanbieder (315, 301): the aanbieder's reference of its verzoek, returned in the toewijzing"),
        Column("productcategorie", pa.string(), "WMO020 (Wmo) or JZ020 (Jeugd) productcategorie (2 digits)"),
        Column("productcode", pa.string(), "Product code (5 characters)"),
        Column("aanbieder", pa.string(), "AGB code of the aanbieder"),
        Column("afgiftedatum", pa.date32(), "Date the beschikking was issued (301)"),
        Column("toewijzingsdatum", pa.date32(), "Date of the toewijzing (301); of a change, the date of the change"),
        Column("toewijzingstijd", pa.string(), "Time of the toewijzing (301): with the date, which delivery is the latest"),
        Column("ingangsdatum", pa.date32(), "Start of validity"),
        Column("einddatum", pa.date32(), "End of validity (301) or end of care (307)"),
        Column("begindatum", pa.date32(), "Start of care (305, 307, 315)"),
        Column("volume", pa.float64(), "Omvang: volume"),
        Column("eenheid", pa.string(), "Omvang: WMO756 eenheid"),
        Column("frequentie", pa.string(), "Omvang: WMO757 frequentie"),
        Column("reden_beeindiging", pa.string(), "WMO588 reden beëindiging (307)"),
        Column("status_aanlevering", pa.string(),
               "COD467 of a start or stop: 1 eerste aanlevering, 2 gewijzigde aanlevering, 3 verwijderen aanlevering"),
        Column("reden_wijziging", pa.string(),
               "Of a toegewezen product changed or withdrawn: WMO002 RedenWijziging (13 verwijderd), in 2.0 RedenIntrekking"),
        Column("verwijzer_type", pa.string(),
               "Of a Jeugd verzoek om toewijzing (JW315): COD327 type of the verwijzer (01 gemeente, 02 huisarts, ...)"),
        Column("juridische_status", pa.string(),
               "Of a Jeugd client (JW301): JuridischeStatus code (iJw basisschema; special category: only counted past silver)"),
        Column("wettelijke_vertegenwoordiging", pa.string(),
               "Of a Jeugd client (JW301): WettelijkeVertegenwoordiging code (special category: only counted past silver)"),
        *LINEAGE_COLUMNS,
    ),
)

ZORGNED_AANVRAAG = BronzeTable(
    name="zorgned_aanvraag",
    folder="zorgned/aanvraag",
    description=(
        "The social-domain case-management export: one row per aanvraag and beschikt product (ZorgNed JSON), or "
        "per melding/aanvraag line (CSV). The Wmo and Jeugd regelingen; other regelingen are skipped and counted."
    ),
    columns=(
        Column("wet", pa.string(), "The law: wmo (regeling WMO) or jeugdwet (regeling JEUGD)", nullable=False,
               in_earlier_parts="wmo"),
        Column("melding_id", pa.string(), "Melding (hulpvraag) number; from JSON the procesIdentificatie"),
        Column("aanvraag_id", pa.string(), "Aanvraag identificatie"),
        Column("gemeentecode", pa.string(), "CBS gemeentecode", nullable=False),
        *PERSON_COLUMNS,
        Column("wijkcode", pa.string(), "CBS wijkcode when the export gives it"),
        Column("datum_melding", pa.date32(), "Melding / hulpvraag registered"),
        Column("datum_onderzoek_afgerond", pa.date32(), "Onderzoek (gesprek, verslag) finished"),
        Column("datum_aanvraag", pa.date32(), "Aanvraag received"),
        Column("beschikkingnummer", pa.string(), "Beschikkingnummer"),
        Column("datum_beschikking", pa.date32(), "Beschikking issued (datumAfgifte)"),
        Column("beschikt_product_id", pa.string(), "Identificatie of the beschikt product"),
        Column("productcategorie", pa.string(), "WMO020 (Wmo) or JZ020 (Jeugd) productcategorie (2 digits)"),
        Column("productcode", pa.string(), "Product(soort) code"),
        Column("resultaat", pa.string(), "toegewezen or afgewezen"),
        Column("leveringsvorm", pa.string(), "zin or pgb"),
        Column("aanbieder", pa.string(), "AGB code of the leverancier"),
        Column("ingangsdatum", pa.date32(), "Start of the toegewezen product's validity"),
        Column("einddatum", pa.date32(), "End of the toegewezen product's validity"),
        Column("bron_formaat", pa.string(), "zorgned_json or zorgned_csv", nullable=False),
        *LINEAGE_COLUMNS,
    ),
)

ZORGNED_TOEWIJZING = BronzeTable(
    name="zorgned_toewijzing",
    folder="zorgned/toewijzing",
    description="Toewijzingen and their leveringen from the ZorgNed export, one row per toewijzing and levering.",
    columns=(
        Column("wet", pa.string(), "The law: wmo (regeling WMO) or jeugdwet (regeling JEUGD)", nullable=False,
               in_earlier_parts="wmo"),
        Column("aanvraag_id", pa.string(), "Aanvraag identificatie"),
        Column("gemeentecode", pa.string(), "CBS gemeentecode", nullable=False),
        Column("persoon_pseudoniem", pa.string(), "Keyed pseudonym of the client"),
        Column("beschikkingnummer", pa.string(), "Beschikkingnummer"),
        Column("beschikt_product_id", pa.string(), "Identificatie of the beschikt product"),
        Column("productcategorie", pa.string(), "WMO020 (Wmo) or JZ020 (Jeugd) productcategorie"),
        Column("toewijzingnummer", pa.string(), "ToewijzingNummer"),
        Column("toewijzingsdatum", pa.date32(), "Date of the toewijzing"),
        Column("ingangsdatum", pa.date32(), "Start of the toewijzing"),
        Column("einddatum", pa.date32(), "End of the toewijzing"),
        Column("aanbieder", pa.string(), "AGB code of the leverancier"),
        Column("begindatum", pa.date32(), "Levering: start of care"),
        Column("levering_einddatum", pa.date32(), "Levering: end of care"),
        Column("reden_beeindiging", pa.string(), "Levering: reden beëindiging code"),
        *LINEAGE_COLUMNS,
    ),
)

BRP_REISDOCUMENT = BronzeTable(
    name="brp_reisdocument",
    folder="brp/reisdocument",
    description=(
        "BRP category 12 reisdocumenten from LO GBA extracts (CSV) and the Haal Centraal Reisdocumenten API v1 and v2 "
        "(JSON), one row per delivered document. The holder is pseudonymised; names and addresses are not read."
    ),
    columns=(
        Column("reisdocumentnummer", pa.string(), "12.35.20 nummer (identifying: kept out of gold)", nullable=False),
        Column("gemeentecode", pa.string(), "CBS gemeentecode", nullable=False),
        Column("soort", pa.string(), "12.35.10 soort Nederlands reisdocument (PN, NI, ZN, ...)"),
        Column("datum_uitgifte", pa.date32(), "12.35.30 datum uitgifte"),
        Column("autoriteit", pa.string(), "12.35.40 autoriteit van afgifte (e.g. B0518)"),
        Column("datum_einde_geldigheid", pa.date32(), "12.35.50 datum einde geldigheid"),
        Column("datum_inhouding_vermissing", pa.date32(), "12.35.60 datum inhouding/vermissing"),
        Column("aanduiding_inhouding_vermissing", pa.string(),
               "12.35.70: I ingehouden of ingeleverd, R van rechtswege vervallen, V vermist, N niet in bezit (Haal "
               "Centraal v1), . onbekend"),
        Column("persoon_pseudoniem", pa.string(), "Keyed pseudonym of the holder's BSN"),
        Column("bsn_geldig", pa.bool_(), "The holder's BSN passed the elfproef"),
        Column("leeftijd_bij_uitgifte", pa.int64(), "Holder's age in whole years at the datum uitgifte"),
        Column("leeftijdsklasse", pa.string(),
               "Holder's age band on the peildatum of the run that ingested the record (the birth date is not kept)"),
        Column("bron_formaat", pa.string(), "gba_csv or haalcentraal_json", nullable=False),
        *LINEAGE_COLUMNS,
    ),
)

BURGERZAKEN_AANVRAAG = BronzeTable(
    name="burgerzaken_aanvraag",
    folder="burgerzaken/aanvraag",
    description="Applications for reisdocumenten at the counter (the burgerzaken application export), one row each.",
    columns=(
        Column("aanvraagnummer", pa.string(), "Application number", nullable=False),
        Column("gemeentecode", pa.string(), "CBS gemeentecode", nullable=False),
        Column("aanvraagdatum", pa.date32(), "Date of the application", nullable=False),
        Column("soort", pa.string(), "Soort reisdocument applied for"),
        Column("spoed", pa.bool_(), "Urgent procedure"),
        Column("uitreikdatum", pa.date32(), "Date the document was handed out"),
        Column("locatie", pa.string(), "Counter location"),
        Column("persoon_pseudoniem", pa.string(), "Keyed pseudonym of the applicant's BSN, when exported"),
        Column("bsn_geldig", pa.bool_(), "The applicant's BSN passed the elfproef (false: a data-quality finding; "
                                         "empty without a BSN)"),
        Column("leeftijdsklasse", pa.string(), "Applicant's age band at the application"),
        *LINEAGE_COLUMNS,
    ),
)


def aanlevering_table(system: str) -> BronzeTable:
    """The landing files of a source system as the last run found them, each with its content's hash: which
    deliveries count now. Unlike the other bronze tables it is not append-only: it holds one Parquet file per
    municipality, rewritten when its drop folder changed. Silver reads only the rows of the deliveries it lists
    (macro `current_deliveries`), so a file removed from landing, or corrected in place, stops counting."""
    return BronzeTable(
        name=f"{system}_aanlevering",
        folder=f"{system}/aanlevering",
        description=f"The landing files now in `landing/{system}/` (and the municipalities' drop folders), with the "
        "SHA-256 of their content: the deliveries silver is built from.",
        columns=(
            Column("gemeentecode", pa.string(), "The municipality whose drop folder holds the file", nullable=False),
            Column("map", pa.string(), "The folder holding the file, relative to landing/", nullable=False),
            Column("bestand", pa.string(), "The landing file's path, relative to landing/", nullable=False),
            Column("bron_bestand_hash", pa.string(), "SHA-256 of the file's content as last read", nullable=False),
            Column("bytes", pa.int64(), "Size of the file when it was read"),
            Column("mtime_ns", pa.int64(), "Modification time of the file when it was read (ns)"),
        ),
    )
