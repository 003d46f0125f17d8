"""Wmo figures computed from the landing files with plain Python (csv, json, ElementTree), for the tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Casus:
    melding_id: str
    client: str
    categorie: str
    wijk: str
    melding: dt.date
    onderzoek: dt.date | None
    aanvraag: dt.date | None
    beschikking: dt.date | None


def _date(value: str) -> dt.date | None:
    return dt.datetime.strptime(value, "%d-%m-%Y").date() if value else None


def cases(folder: Path, regelingen: tuple[str, ...] = ("WMO",)) -> dict[str, Casus]:
    """Latest state per melding of these regelingen: the monthly exports are named by date, later ones win."""
    latest = {}
    for path in sorted(folder.glob("*.csv")):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"):
            if row["Regeling"] not in regelingen:
                continue
            latest[row["Meldingnummer"]] = Casus(
                row["Meldingnummer"], row["BSN"], row["Productcategorie"], row["Wijk"], _date(row["Datum melding"]),
                _date(row["Datum onderzoek afgerond"]) or _date(row["Datum aanvraag"]), _date(row["Datum aanvraag"]),
                _date(row["Datum beschikking"]),
            )
    return latest


def personal_data(folder_zorgned: Path, *folders_berichten: Path) -> set[str]:
    values = set()
    for path in folder_zorgned.glob("*.csv"):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"):
            values |= {row["BSN"], row["Naam client"], row["E-mail"]}
    for path in folder_zorgned.glob("*.json"):
        client = json.loads(path.read_text(encoding="utf-8")).get("client") or {}
        values |= {str(v) for k, v in client.items() if k != "geboortedatum"}
    # Bare surnames in iWmo (Geslachtsnaam) can equal ordinary words ("Groen"); the full names of the same
    # clients come from the case exports above.
    for path in (p for folder in folders_berichten for p in folder.glob("*.xml")):
        for element in ET.parse(path).iter():
            if element.tag.rsplit("}", 1)[-1] in ("Bsn", "Straatnaam", "Telefoonnummer", "Emailadres", "Postcode"):
                values.add((element.text or "").strip())
    return {v for v in values if v}


def _local(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _find(element, name: str):
    return next((c for c in element.iter() if _local(c) == name), None)


def _text(element, name: str) -> str | None:
    found = _find(element, name)
    return found.text.strip() if found is not None and found.text else None


def _deliveries(folder_iwmo: Path):
    """Every toegewezen product and start line in the iWmo or iJw berichten, with the toewijzing it belongs to."""
    for path in sorted(folder_iwmo.glob("*.xml")):
        root = ET.parse(path).getroot()
        parts = root.tag.split("}")[0].split("/")  # {http:, , www.istandaarden.nl, iwmo, 3_2, wmo301, schema...
        version, message = parts[4], parts[5][-3:]
        if message not in ("301", "305"):
            continue  # verzoeken and stops do not matter here, and retour messages repeat what was already sent
        header = _find(root, "Header")
        dagtekening = dt.date.fromisoformat(_text(header, "Dagtekening"))
        header_aanbieder = _text(header, "Ontvanger" if message == "301" else "Afzender")
        for client in (c for c in root.iter() if _local(c) == "Client"):
            client_beschikking = _text(client, "Beschikkingnummer")  # 2.x 301: in the client's Beschikking
            for line in client.iter():
                if _local(line) not in ("ToegewezenProduct", "StartProduct"):
                    continue
                product = _find(line, "Product")
                categorie, code = _text(product, "Categorie"), _text(product, "Code")
                aanbieder = _text(line, "Aanbieder") or header_aanbieder
                ingang = _text(line, "Ingangsdatum") or _text(line, "ToewijzingIngangsdatum")
                beschikking = _text(line, "Beschikkingnummer") or client_beschikking
                key = _text(line, "ToewijzingNummer") or f"{beschikking}/{code}/{aanbieder}/{ingang}"
                yield version, _local(line), key, aanbieder, categorie, dagtekening, line


def iwmo_current(folder_iwmo: Path) -> tuple[dict, dict]:
    """The toewijzingen {key: (aanbieder, categorie, date, einddatum)} and first starts {key: date} of the iWmo
    berichten as the iWmo rules make them current: the latest delivery of a toewijzing holds (a deleted one,
    RedenWijziging 13 in 3.x, is gone; one known only from changes is no ordinary toewijzing), its date is that
    of its first delivery that is not a change; per start (toewijzing and begindatum) the latest delivery
    holds, and a withdrawal (StatusAanlevering 3) removes it."""
    assigned, starts = defaultdict(list), defaultdict(list)
    for version, kind, key, aanbieder, categorie, dagtekening, line in _deliveries(folder_iwmo):
        if kind == "ToegewezenProduct":
            reden = _text(line, "RedenWijziging") or _text(line, "RedenIntrekking")
            einde = _text(line, "Einddatum")
            assigned[key].append(((dt.date.fromisoformat(_text(line, "Toewijzingsdatum")),
                                   _text(line, "Toewijzingstijd") or "", dagtekening),
                                  aanbieder, categorie, reden, version, einde and dt.date.fromisoformat(einde)))
        else:
            begin = dt.date.fromisoformat(_text(line, "Begindatum"))
            starts[(key, begin)].append((dagtekening, _text(line, "StatusAanlevering") != "3"))
    toewijzingen = {}
    for key, deliveries in assigned.items():
        latest = max(deliveries, key=lambda d: d[0])
        firsts = [d[0][0] for d in deliveries if d[3] is None]
        if (latest[3] == "13" and latest[4] >= "3") or not firsts:
            continue  # deleted, or known only from a change: no ordinary toewijzing
        toewijzingen[key] = (latest[1], latest[2], min(firsts), latest[5])
    started = defaultdict(list)
    for (key, begin), deliveries in starts.items():
        if max(deliveries)[1]:  # on one day a withdrawal sorts first: False < True
            started[key].append(begin)
    return toewijzingen, {key: min(days) for key, days in started.items()}


def provider_waits(folder_iwmo: Path, folder_zorgned: Path, peildatum: dt.date,
                   regeling: str = "WMO") -> dict[tuple[str, str], list]:
    """(aanbieder, categorie) -> [(toewijzing date, start date or None, einddatum or None)] from the berichten'
    301/305 (`iwmo_current`) and the ZorgNed JSON of the same law (`regeling`)."""
    toewijzingen, begins = iwmo_current(folder_iwmo)
    for path in folder_zorgned.glob("*.json"):
        for aanvraag in json.loads(path.read_text(encoding="utf-8"))["_embedded"]["aanvraag"]:
            if aanvraag["regeling"]["identificatie"] != regeling:
                continue
            for product in aanvraag["beschikking"]["beschikteProducten"]:
                for toewijzing in (product.get("toegewezenProduct") or {}).get("toewijzingen") or []:
                    key = toewijzing["toewijzingNummer"]
                    einde = toewijzing.get("einddatum")
                    toewijzingen[key] = (toewijzing["leverancier"]["agbcode"], product["productCategorie"]["code"],
                                         dt.date.fromisoformat(toewijzing["toewijzingsDatumTijd"][:10]),
                                         einde and dt.date.fromisoformat(einde))
                    if toewijzing["leveringen"]:
                        begins[key] = dt.date.fromisoformat(toewijzing["leveringen"][0]["begindatum"])
    waits: dict[tuple[str, str], list] = {}
    for key, (aanbieder, categorie, on, einde) in toewijzingen.items():
        if on <= peildatum:
            waits.setdefault((aanbieder, categorie), []).append((on, begins.get(key), einde))
    return waits
