"""iWmo berichten (XML) -> bronze `iwmo_bericht` and `iwmo_product`.

One bericht per file. Elements are matched on local names, so iWmo 2.x and 3.x (and their namespaces) read
alike; the version comes from the namespace and is kept. Retour messages (302, 306, 308, 316) repeat the
original's content with retour codes: they are recorded as berichten but their product lines are not read,
so they are never counted as new toewijzingen, starts or stops. Of the client only the BSN (pseudonymised at
once), birth date (as an age band) and postcode (four digits) are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from pipelines.bronze.formats import dutch_or_iso_date
from pipelines.bronze.ingest import Parsed, ParseContext, RecordError, Source, UnreadableFile
from pipelines.bronze.tables import IWMO_BERICHT, IWMO_PRODUCT
from pipelines.privacy import age_band, bsn_is_valid, pseudonym

NAMESPACE = re.compile(r"^http://www\.istandaarden\.nl/iwmo/(\d+)_(\d+)/(wmo\d{3})/schema/")
# Message name -> (COD002 berichtcode, retour message or not)
MESSAGES = {
    "wmo301": ("414", False), "wmo302": ("415", True),
    "wmo305": ("418", False), "wmo306": ("419", True),
    "wmo307": ("420", False), "wmo308": ("421", True),
    "wmo315": ("444", False), "wmo316": ("445", True),
}
# Per original message: (container, product line element, kind of line).
PRODUCT_LINES = {
    "wmo315": (("Producten", "Product", "verzoek"),),
    "wmo301": (("BeschiktProducten", "BeschiktProduct", "beschikt"), ("ToegewezenProducten", "ToegewezenProduct", "toegewezen")),
    "wmo305": (("StartProducten", "StartProduct", "start"),),
    "wmo307": (("StopProducten", "StopProduct", "stop"),),
}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse(context: ParseContext) -> Iterator[Parsed]:
    root = _root(context.file.content)
    match = NAMESPACE.match(etree.QName(root).namespace or "")
    if etree.QName(root).localname != "Bericht" or not match:
        raise UnreadableFile(f"not an iWmo bericht: root element {root.tag}")
    major, minor, message = match.groups()
    if message not in MESSAGES:
        raise UnreadableFile(f"unknown iWmo message {message.upper()} (version {major}.{minor})")
    code, is_retour = MESSAGES[message]
    header = _Fields(_child(root, "Header"))
    found_code = header.text("Berichtspecificatie", "Code")
    if found_code and found_code != code:
        raise UnreadableFile(f"{message.upper()} carries berichtcode {found_code}, expected {code}")
    bericht = {
        "berichttype": message.upper(),
        "berichtcode": found_code,
        "versie": f"{major}.{minor}",
        "is_retour": is_retour,
        "afzender": header.text("Afzender"),
        "ontvanger": header.text("Ontvanger"),
        "bericht_identificatie": header.text("Berichtidentificatie", "Identificatie"),
        "dagtekening": dutch_or_iso_date(header.text("Berichtidentificatie", "Dagtekening"), "Dagtekening"),
    }
    if not bericht["bericht_identificatie"]:
        raise UnreadableFile(f"{message.upper()} without Berichtidentificatie")
    # The municipality sends toewijzingen (301/302) and receives everything else.
    gemeente = bericht["afzender"] if message in ("wmo301", "wmo302") else bericht["ontvanger"]
    bericht["gemeentecode"] = f"GM{gemeente.zfill(4)}" if gemeente and gemeente.isdigit() else None
    clients = _children(_child(root, "Clienten"), "Client")
    context.notes[f"{message.upper()} {bericht['versie']}"] += 1
    yield Parsed(1, row={**bericht, "aantal_clienten": len(clients)}, table=IWMO_BERICHT.name)
    if is_retour:
        return
    number = 1
    for client in clients:
        fields = _Fields(client)
        for line in _product_lines(client, message):
            number += 1
            try:
                yield Parsed(number, row=_product_row(bericht, fields, line, context), table=IWMO_PRODUCT.name)
            except RecordError as err:
                yield Parsed(number, error=str(err), table=IWMO_PRODUCT.name,
                             raw={"bericht": bericht["bericht_identificatie"], "regel": line[1]})


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


def _product_lines(client, message: str) -> Iterator[tuple]:
    """(product line element, kind, enclosing Beschikking element or None) for each product line."""
    for container_name, element_name, kind in PRODUCT_LINES[message]:
        for container in client.iter(f"{{*}}{container_name}"):
            parent = container.getparent()
            beschikking = parent if etree.QName(parent).localname == "Beschikking" else None
            for product in _children(container, element_name):
                yield product, kind, beschikking


def _product_row(bericht: dict, client: _Fields, line: tuple, context: ParseContext) -> dict:
    product_element, kind, beschikking_element = line
    product, beschikking = _Fields(product_element), _Fields(beschikking_element)
    on = bericht["dagtekening"] or context.settings.peildatum
    bsn = client.text("Bsn")
    client_number = client.text("Clientnummer")
    if not bsn and not client_number:
        raise RecordError("client without Bsn or Clientnummer")
    key = context.settings.pseudonym_key
    postcode = _client_postcode(client)
    omvang = product["Omvang"]
    return {
        "berichttype": bericht["berichttype"],
        "regelsoort": kind,
        "bericht_identificatie": bericht["bericht_identificatie"],
        "dagtekening": bericht["dagtekening"],
        "gemeentecode": bericht["gemeentecode"],
        "persoon_pseudoniem": pseudonym(bsn, key) if bsn else pseudonym(client_number, key, kind="clientnummer"),
        "bsn_geldig": bsn_is_valid(bsn) if bsn else None,
        "leeftijdsklasse": age_band(dutch_or_iso_date(client.text("Geboortedatum", "Datum"), "Geboortedatum"), on),
        "postcode4": postcode[:4] if postcode else None,
        "beschikkingnummer": product.text("Beschikkingnummer") or beschikking.text("Beschikkingnummer"),
        "toewijzingnummer": product.text("ToewijzingNummer"),
        "productcategorie": product.text("Product", "Categorie"),
        "productcode": product.text("Product", "Code"),
        "aanbieder": product.text("Aanbieder"),
        "afgiftedatum": dutch_or_iso_date(beschikking.text("Afgiftedatum"), "Afgiftedatum"),
        "toewijzingsdatum": dutch_or_iso_date(product.text("Toewijzingsdatum"), "Toewijzingsdatum"),
        "ingangsdatum": dutch_or_iso_date(product.text("Ingangsdatum") or product.text("ToewijzingIngangsdatum"), "Ingangsdatum"),
        "einddatum": dutch_or_iso_date(product.text("Einddatum") or product.text("ToewijzingEinddatum"), "Einddatum"),
        "begindatum": dutch_or_iso_date(product.text("Begindatum"), "Begindatum"),
        "volume": float(v) if (v := omvang.text("Volume")) else None,
        "eenheid": omvang.text("Eenheid"),
        "frequentie": omvang.text("Frequentie"),
        "reden_beeindiging": product.text("RedenBeeindiging"),
    }


def _client_postcode(client: _Fields) -> str | None:
    """The postcode of the client's own address (iWmo 301 carries addresses; other messages do not)."""
    for adres in _children(client.element("Adressen"), "Adres"):
        postcode = _Fields(adres).text("Adres", "Postcode")
        if postcode:
            return postcode.replace(" ", "")
    return None


IWMO = Source(system="iwmo", tables=(IWMO_BERICHT, IWMO_PRODUCT), parse=parse, files_never_rewritten=True)
