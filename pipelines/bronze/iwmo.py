"""iWmo and iJw berichten (XML) -> bronze `iwmo_bericht` and `iwmo_product`.

One bericht per file, read as the iStandaarden berichtspecificaties define it. iWmo (Wmo 2015) and iJw (Jeugdwet)
are one family of standards: the same messages (301 toewijzing, 305 start, 307 stop, 315 verzoek om toewijzing,
...) in the same shape, each in its own namespaces (`.../iwmo/3_2/wmo301/schema`, `.../ijw/3_2/jw301/schema`) and
with its own COD002 berichtcodes. So one reader reads both, telling them apart by content (the namespace), whether
the file came in `landing/iwmo/` or `landing/ijw/`; every row says its law (`wet`). Elements are matched on local
names, so the shapes of 2.x and 3.x read alike; the version comes from the namespace and is kept:
- 2.0: header `Berichtspecificatie/Code` and `Berichtidentificatie`; clients in `Clienten`; a 301 carries a
  `Beschikking` with beschikte and toegewezen products, a toewijzing withdrawn early carries `RedenIntrekking`.
- 2.1-2.4: header `BerichtCode` and `BerichtIdentificatie`; otherwise as 2.0, with `RedenWijziging`.
- 3.x: namespaces without a version suffix (`.../iwmo/3_2/wmo301/schema`), one `Client` per bericht, a 301 holds
  only toegewezen products (`ToewijzingNummer`, `RedenWijziging`, the aanbieder is the receiver), starts and
  stops name the toewijzing by `ToewijzingNummer` (the aanbieder is the sender).
Every start (305) and stop (307) line keeps its StatusAanlevering (COD467: 1 eerste aanlevering, 2 gewijzigde
aanlevering, 3 verwijderen aanlevering; 2.x also states it per client, 9 "niet van toepassing"), and every
toegewezen product its RedenWijziging (WMO002/JZ002; 13 verwijderd) or, in 2.0, its RedenIntrekking (kept as
`reden_wijziging`; `versie` says which codelist): bronze keeps
every delivery as it came, silver derives what is current from them.

A bericht of a release whose XSDs are in the repository (iWmo 2.1 and 3.2, iJw 3.2: `pipelines/bronze/xsd/`) is
validated against the XSD of its message. One that breaks it is still read as far as the reader can, as the data
quality policy reads an odd record (a date or code the XSD does not allow is the reader's finding too, per
line), and its first violation is kept with the bericht (`xsd_overtreding`, a finding counted in dq_resultaten).
Berichten of other releases (2.0, 3.0, 3.1) are read unvalidated and counted as such.

Every row belongs to the municipality whose drop folder holds the file. The municipality the bericht itself
names (its sender or receiver with a four-digit gemeentecode) is kept beside it; when the two differ the bericht is
still read and the difference is a finding (`gemeentecode_afwijkend`, counted in the run's notes).

Retour messages (302, 306, 308, 316, 318, 320, 325) repeat the original's content with retour codes: they are
recorded as berichten but their product lines are not read, so they are never counted as new toewijzingen, starts
or stops. So are the berichten whose lines this product does not use (317 verzoek om wijziging, 319
antwoordbericht, 323 declaratie). Of the client only the BSN (pseudonymised at once; without one the client
number), birth date (as an age band) and postcode (four digits) are read; of an iJw client also the codes of its
JuridischeStatus and WettelijkeVertegenwoordiging (a special category: silver and gold hold them only as counts),
and of a verzoek om toewijzing the type of its Verwijzer (COD327; never the referrer's name or AGB code).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from pipelines.bronze import xsd_validation
from pipelines.bronze.contract import ParseContext, Parsed, RecordError, Source, UnreadableFile
from pipelines.bronze.formats import dutch_or_iso_date
from pipelines.bronze.tables import IWMO_BERICHT, IWMO_PRODUCT
from pipelines.privacy import age_band, bsn_is_valid, pseudonym


@dataclass(frozen=True)
class Standard:
    """One of the iStandaarden for the social domain, as its berichten show it."""

    name: str  # as written in messages: iWmo, iJw
    wet: str  # the law its berichten are about (bronze column `wet`)
    prefix: str  # of its message names: wmo301, jw301
    berichtcodes: dict[str, str]  # COD002 code per message number


# The COD002 codes per message: the iWmo and iJw berichtspecificaties (XSD pattern of the header's BerichtCode).
STANDARDS = {
    "iwmo": Standard("iWmo", "wmo", "wmo", {
        "301": "414", "302": "415", "305": "418", "306": "419", "307": "420", "308": "421", "315": "444",
        "316": "445", "317": "480", "318": "481", "319": "482", "320": "483", "323": "484", "325": "485"}),
    "ijw": Standard("iJw", "jeugdwet", "jw", {
        "301": "436", "302": "437", "305": "438", "306": "439", "307": "440", "308": "441", "315": "446",
        "316": "447", "317": "486", "318": "487", "319": "488", "320": "489", "323": "490", "325": "491"}),
}
# 2.x: .../iwmo/2_0/wmo301/schema/2_0; 3.x: .../iwmo/3_2/wmo301/schema, .../ijw/3_2/jw301/schema
NAMESPACE = re.compile(r"^http://www\.istandaarden\.nl/(iwmo|ijw)/(\d+)_(\d+)/([a-z]+)(\d{3})/schema(/\d+_\d+)?$")
RETOUR = frozenset({"302", "306", "308", "316", "318", "320", "325"})
# Per original message number: (container, product line element, kind of line). 317 verzoek om wijziging, 319
# its answer and 323 declaratie (3.x) are recorded as berichten, but this product does not use their lines.
PRODUCT_LINES = {
    "315": (("Producten", "Product", "verzoek"), ("AangevraagdeProducten", "AangevraagdProduct", "verzoek")),  # 2.x, 3.x
    "301": (("BeschiktProducten", "BeschiktProduct", "beschikt"), ("ToegewezenProducten", "ToegewezenProduct", "toegewezen")),
    "305": (("StartProducten", "StartProduct", "start"),),
    "307": (("StopProducten", "StopProduct", "stop"),),
}
STATUS_NOT_APPLICABLE = "9"  # COD467: a client-level status that says nothing about the product lines
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse(context: ParseContext) -> Iterator[Parsed]:
    root = _root(context.file.content)
    standard, versie, number = _message(root)
    message = f"{standard.prefix}{number}"
    bericht = _bericht(_Fields(_child(root, "Header")), standard, message, versie, context)
    bericht["xsd_overtreding"] = _xsd_violation(root, standard, versie, message, context)
    clients = _children(_child(root, "Clienten"), "Client") or _children(root, "Client")
    context.notes[f"{message.upper()} {bericht['versie']}"] += 1
    if bericht["gemeentecode_afwijkend"]:
        context.notes[f"gemeentecode {bericht['gemeentecode_bericht']} in the bericht, drop folder of "
                      f"{bericht['gemeentecode']}"] += 1
    row = {name: value for name, value in bericht.items() if name != "aanbieder"}
    yield Parsed(1, row={**row, "aantal_clienten": len(clients)}, table=IWMO_BERICHT.name)
    if bericht["is_retour"] or number not in PRODUCT_LINES:
        return
    record = 1
    for client in clients:
        fields = _Fields(client)
        person = None  # read once per client, on its first product line
        for line in _product_lines(client, number):
            record += 1
            try:
                person = person or _person(bericht, fields, context)
                yield Parsed(record, row={**_product_row(bericht, line, fields), **person}, table=IWMO_PRODUCT.name)
            except RecordError as err:
                yield Parsed(record, error=str(err), table=IWMO_PRODUCT.name,
                             raw={"bericht": bericht["bericht_identificatie"], "regel": line[1]})


def _message(root) -> tuple[Standard, str, str]:
    """The standard, its version ("3.2") and the message number ("301") of a bericht, from its namespace."""
    match = NAMESPACE.match(etree.QName(root).namespace or "")
    if etree.QName(root).localname != "Bericht" or not match:
        raise UnreadableFile(f"not an iWmo or iJw bericht: root element {root.tag}")
    family, major, minor, prefix, number, _ = match.groups()
    standard = STANDARDS[family]
    if prefix != standard.prefix or number not in standard.berichtcodes:
        raise UnreadableFile(f"unknown {standard.name} message {prefix.upper()}{number} (version {major}.{minor})")
    return standard, f"{major}.{minor}", number


def _xsd_violation(root, standard: Standard, versie: str, message: str, context: ParseContext) -> str | None:
    """How a bericht breaks the XSD of its release (its first violation, with the XSD and line); None when it
    validates or the repository holds no XSD of its release."""
    family, release = standard.name.lower(), versie.replace(".", "_")
    schema = xsd_validation.schema(family, release, message)
    if schema is None:
        context.notes[xsd_validation.not_validated(family, release, message)] += 1
        return None
    violation = xsd_validation.first_violation(schema, root)
    if violation:
        context.notes[f"{message.upper()} {versie} berichten that break their XSD, read with the violation kept"] += 1
        return f"{family}/{release}/{message}.xsd, {violation}"
    return None


def _bericht(header: _Fields, standard: Standard, message: str, versie: str, context: ParseContext) -> dict:
    code = standard.berichtcodes[message.removeprefix(standard.prefix)]
    found_code = header.text("Berichtspecificatie", "Code") or header.text("BerichtCode")
    if found_code and found_code != code:
        raise UnreadableFile(f"{message.upper()} carries berichtcode {found_code}, expected {code}")
    identificatie = _identificatie(header)
    if not identificatie.text("Identificatie"):
        raise UnreadableFile(f"{message.upper()} without BerichtIdentificatie")
    afzender, ontvanger = header.text("Afzender"), header.text("Ontvanger")
    # One side is the municipality (LDT_Gemeente: 4 digits), the other the aanbieder (LDT_AgbCode: 8 digits).
    municipality, aanbieder = (afzender, ontvanger) if _is_gemeente(afzender) else (ontvanger, afzender)
    named = f"GM{municipality}" if _is_gemeente(municipality) else None
    return {
        "berichttype": message.upper(),
        "berichtcode": found_code,
        "wet": standard.wet,
        "versie": versie,
        "is_retour": message.removeprefix(standard.prefix) in RETOUR,
        "afzender": afzender,
        "ontvanger": ontvanger,
        "aanbieder": aanbieder,
        "bericht_identificatie": identificatie.text("Identificatie"),
        "dagtekening": dutch_or_iso_date(identificatie.text("Dagtekening"), "Dagtekening"),
        "gemeentecode": context.gemeentecode,
        "gemeentecode_bericht": named,
        "gemeentecode_afwijkend": named != context.gemeentecode,
    }


def _is_gemeente(code: str | None) -> bool:
    return code is not None and len(code) == 4 and code.isdigit()


def _identificatie(header: _Fields) -> _Fields:
    """BerichtIdentificatie (2.1 and later) or Berichtidentificatie (2.0)."""
    spelled = "BerichtIdentificatie" if header.element("BerichtIdentificatie") is not None else "Berichtidentificatie"
    return header[spelled]


def _root(content: bytes):
    try:
        return etree.fromstring(content, PARSER)
    except etree.XMLSyntaxError as err:
        raise UnreadableFile(f"invalid XML: {err}") from None


def _children(element, name: str) -> list:
    return [] if element is None else element.findall(f"{{*}}{name}")


def _child(element, name: str):
    return None if element is None else element.find(f"{{*}}{name}")


class _Fields:
    """An element's descendants by path of local names, each level indexed once as it is first asked for.

    A record's fields are then dict lookups: an ElementPath search per field (`findtext` with `{*}`) took a
    third of the time parsing a bericht."""

    __slots__ = ("_children", "_nested")

    def __init__(self, element):
        self._children = {}
        self._nested: dict[str, _Fields] = {}
        for child in () if element is None else element:
            if isinstance(child.tag, str):  # comments and processing instructions have no name
                self._children.setdefault(child.tag.rpartition("}")[2], child)

    def __getitem__(self, name: str) -> _Fields:
        if name not in self._nested:
            self._nested[name] = _Fields(self.element(name))
        return self._nested[name]

    def element(self, name: str):
        return self._children.get(name)

    def text(self, *path: str) -> str | None:
        """The stripped text at a path of local names; None when absent or empty."""
        *parents, name = path
        fields = self
        for parent in parents:
            fields = fields[parent]
        element = fields.element(name)
        return None if element is None else (element.text or "").strip() or None

    def first(self, *names: str) -> str | None:
        """The text of the first of these elements that is present: one field spelled differently per version."""
        return next((value for name in names if (value := self.text(name)) is not None), None)


def _product_lines(client, number: str) -> Iterator[tuple]:
    """(product line element, kind, enclosing Beschikking element or None) for each product line."""
    for container_name, element_name, kind in PRODUCT_LINES[number]:
        for container in client.iter(f"{{*}}{container_name}"):
            parent = container.getparent()
            beschikking = parent if etree.QName(parent).localname == "Beschikking" else None
            for product in _children(container, element_name):
                yield product, kind, beschikking


def _person(bericht: dict, client: _Fields, context: ParseContext) -> dict:
    """What a product line's row holds of its client, the same for each of the client's lines."""
    bsn = client.text("Bsn")
    client_number = client.text("Clientnummer")
    if not bsn and not client_number:
        raise RecordError("client without Bsn or Clientnummer")
    key = context.settings.pseudonym_key
    postcode = _client_postcode(client)
    on = bericht["dagtekening"] or context.settings.peildatum
    return {
        "persoon_pseudoniem": pseudonym(bsn, key) if bsn else pseudonym(client_number, key, kind="clientnummer"),
        "bsn_geldig": bsn_is_valid(bsn) if bsn else None,
        "leeftijdsklasse": age_band(dutch_or_iso_date(client.text("Geboortedatum", "Datum"), "Geboortedatum"), on),
        "postcode4": postcode[:4] if postcode else None,
        "juridische_status": client.text("JuridischeStatus"),
        "wettelijke_vertegenwoordiging": client.text("WettelijkeVertegenwoordiging"),
    }


def _product_row(bericht: dict, line: tuple, client: _Fields) -> dict:
    """A product line's row, without its client's fields (`_person`)."""
    product_element, kind, beschikking_element = line
    product, beschikking = _Fields(product_element), _Fields(beschikking_element)
    omvang = product["Omvang"]
    return {
        "berichttype": bericht["berichttype"],
        "wet": bericht["wet"],
        "versie": bericht["versie"],
        "regelsoort": kind,
        "bericht_identificatie": bericht["bericht_identificatie"],
        "dagtekening": bericht["dagtekening"],
        "gemeentecode": bericht["gemeentecode"],
        "gemeentecode_bericht": bericht["gemeentecode_bericht"],
        "beschikkingnummer": product.first("Beschikkingnummer", "BeschikkingNummer")
        or beschikking.first("Beschikkingnummer", "BeschikkingNummer"),
        "toewijzingnummer": product.text("ToewijzingNummer"),
        "referentie_aanbieder": product.text("ReferentieAanbieder"),
        "productcategorie": product.text("Product", "Categorie"),
        "productcode": product.text("Product", "Code"),
        "aanbieder": product.text("Aanbieder") or bericht["aanbieder"],
        "afgiftedatum": dutch_or_iso_date(beschikking.text("Afgiftedatum"), "Afgiftedatum"),
        "toewijzingsdatum": dutch_or_iso_date(product.text("Toewijzingsdatum"), "Toewijzingsdatum"),
        "toewijzingstijd": product.text("Toewijzingstijd"),
        "ingangsdatum": dutch_or_iso_date(product.first("Ingangsdatum", "ToewijzingIngangsdatum"), "Ingangsdatum"),
        "einddatum": dutch_or_iso_date(product.first("Einddatum", "ToewijzingEinddatum"), "Einddatum"),
        "begindatum": dutch_or_iso_date(product.text("Begindatum"), "Begindatum"),
        "volume": float(v) if (v := omvang.text("Volume")) else None,
        "eenheid": omvang.text("Eenheid"),
        "frequentie": omvang.text("Frequentie"),
        "reden_beeindiging": product.text("RedenBeeindiging"),
        "status_aanlevering": _status_aanlevering(product, client),
        # 2.0 names only the early end of a toewijzing (RedenIntrekking); later versions any change (WMO002)
        "reden_wijziging": product.first("RedenWijziging", "RedenIntrekking"),
        "verwijzer_type": product.text("Verwijzer", "Type"),
    }


def _status_aanlevering(product: _Fields, client: _Fields) -> str | None:
    """The line's own StatusAanlevering; 2.x also gives one per client, which counts when the line has none."""
    client_status = client.text("StatusAanlevering")
    return product.text("StatusAanlevering") or (client_status if client_status != STATUS_NOT_APPLICABLE else None)


def _client_postcode(client: _Fields) -> str | None:
    """The postcode of the client's own address (only a 301 carries addresses: 2.0 in `Adressen/Adres`,
    later versions in `Contactgegevens/Contact`)."""
    addresses = _children(client.element("Adressen"), "Adres") + _children(client.element("Contactgegevens"), "Contact")
    for adres in addresses:
        postcode = _Fields(adres).text("Adres", "Postcode")
        if postcode:
            return postcode.replace(" ", "")
    return None


IWMO = Source(system="iwmo", tables=(IWMO_BERICHT, IWMO_PRODUCT), parse=parse, files_never_rewritten=True)
