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
from functools import lru_cache

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
    header = _child(root, "Header")
    found_code = _text(header, "Berichtspecificatie", "Code")
    if found_code and found_code != code:
        raise UnreadableFile(f"{message.upper()} carries berichtcode {found_code}, expected {code}")
    bericht = {
        "berichttype": message.upper(),
        "berichtcode": found_code,
        "versie": f"{major}.{minor}",
        "is_retour": is_retour,
        "afzender": _text(header, "Afzender"),
        "ontvanger": _text(header, "Ontvanger"),
        "bericht_identificatie": _text(header, "Berichtidentificatie", "Identificatie"),
        "dagtekening": dutch_or_iso_date(_text(header, "Berichtidentificatie", "Dagtekening"), "Dagtekening"),
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
        for line in _product_lines(client, message):
            number += 1
            try:
                yield Parsed(number, row=_product_row(bericht, client, line, context), table=IWMO_PRODUCT.name)
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


def _text(element, *path: str) -> str | None:
    """The stripped text at a path of local names; None when absent or empty."""
    if element is None:
        return None
    return (element.findtext(_any_namespace(path)) or "").strip() or None


@lru_cache(maxsize=None)
def _any_namespace(path: tuple[str, ...]) -> str:
    """An ElementPath matching the local names in any namespace: lxml matches `{*}` in C, and looking elements
    up by local name in Python was most of a file's cost."""
    return "/".join(f"{{*}}{name}" for name in path)


def _product_lines(client, message: str) -> Iterator[tuple]:
    """(product line element, kind, enclosing Beschikking element or None) for each product line."""
    for container_name, element_name, kind in PRODUCT_LINES[message]:
        for container in client.iter(f"{{*}}{container_name}"):
            parent = container.getparent()
            beschikking = parent if etree.QName(parent).localname == "Beschikking" else None
            for product in _children(container, element_name):
                yield product, kind, beschikking


def _product_row(bericht: dict, client, line: tuple, context: ParseContext) -> dict:
    product, kind, beschikking = line
    on = bericht["dagtekening"] or context.settings.peildatum
    bsn = _text(client, "Bsn")
    client_number = _text(client, "Clientnummer")
    if not bsn and not client_number:
        raise RecordError("client without Bsn or Clientnummer")
    key = context.settings.pseudonym_key
    postcode = _client_postcode(client)
    omvang = _child(product, "Omvang")
    beschikkingnummer = _text(product, "Beschikkingnummer") or _text(beschikking, "Beschikkingnummer")
    return {
        "berichttype": bericht["berichttype"],
        "regelsoort": kind,
        "bericht_identificatie": bericht["bericht_identificatie"],
        "dagtekening": bericht["dagtekening"],
        "gemeentecode": bericht["gemeentecode"],
        "persoon_pseudoniem": pseudonym(bsn, key) if bsn else pseudonym(client_number, key, kind="clientnummer"),
        "bsn_geldig": bsn_is_valid(bsn) if bsn else None,
        "leeftijdsklasse": age_band(dutch_or_iso_date(_text(client, "Geboortedatum", "Datum"), "Geboortedatum"), on),
        "postcode4": postcode[:4] if postcode else None,
        "beschikkingnummer": beschikkingnummer,
        "toewijzingnummer": _text(product, "ToewijzingNummer"),
        "productcategorie": _text(product, "Product", "Categorie"),
        "productcode": _text(product, "Product", "Code"),
        "aanbieder": _text(product, "Aanbieder"),
        "afgiftedatum": dutch_or_iso_date(_text(beschikking, "Afgiftedatum"), "Afgiftedatum"),
        "toewijzingsdatum": dutch_or_iso_date(_text(product, "Toewijzingsdatum"), "Toewijzingsdatum"),
        "ingangsdatum": dutch_or_iso_date(_text(product, "Ingangsdatum") or _text(product, "ToewijzingIngangsdatum"), "Ingangsdatum"),
        "einddatum": dutch_or_iso_date(_text(product, "Einddatum") or _text(product, "ToewijzingEinddatum"), "Einddatum"),
        "begindatum": dutch_or_iso_date(_text(product, "Begindatum"), "Begindatum"),
        "volume": float(v) if (v := _text(omvang, "Volume")) else None,
        "eenheid": _text(omvang, "Eenheid"),
        "frequentie": _text(omvang, "Frequentie"),
        "reden_beeindiging": _text(product, "RedenBeeindiging"),
    }


def _client_postcode(client) -> str | None:
    """The postcode of the client's own address (iWmo 301 carries addresses; other messages do not)."""
    for adres in _children(_child(client, "Adressen"), "Adres"):
        postcode = _text(adres, "Adres", "Postcode")
        if postcode:
            return postcode.replace(" ", "")
    return None


IWMO = Source(system="iwmo", tables=(IWMO_BERICHT, IWMO_PRODUCT), parse=parse)
