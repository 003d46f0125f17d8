"""Wmo figures computed from the landing files with plain Python (csv, json, ElementTree), for the tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
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


def cases(folder: Path) -> dict[str, Casus]:
    """Latest state per melding: the monthly exports are named by date, later ones win."""
    latest = {}
    for path in sorted(folder.glob("*.csv")):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"):
            if row["Regeling"] != "WMO":
                continue
            latest[row["Meldingnummer"]] = Casus(
                row["Meldingnummer"], row["BSN"], row["Productcategorie"], row["Wijk"], _date(row["Datum melding"]),
                _date(row["Datum onderzoek afgerond"]) or _date(row["Datum aanvraag"]), _date(row["Datum aanvraag"]),
                _date(row["Datum beschikking"]),
            )
    return latest


def personal_data(folder_zorgned: Path, folder_iwmo: Path) -> set[str]:
    values = set()
    for path in folder_zorgned.glob("*.csv"):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"):
            values |= {row["BSN"], row["Naam client"], row["E-mail"]}
    for path in folder_zorgned.glob("*.json"):
        client = json.loads(path.read_text(encoding="utf-8")).get("client") or {}
        values |= {str(v) for k, v in client.items() if k != "geboortedatum"}
    # Bare surnames in iWmo (Geslachtsnaam) can equal ordinary words ("Groen"); the full names of the same
    # clients come from the case exports above.
    for path in folder_iwmo.glob("*.xml"):
        for element in ET.parse(path).iter():
            if element.tag.rsplit("}", 1)[-1] in ("Bsn", "Straatnaam", "Telefoonnummer", "Emailadres", "Postcode"):
                values.add((element.text or "").strip())
    return {v for v in values if v}


def _local(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _find(element, name: str):
    return next((c for c in element.iter() if _local(c) == name), None)


def provider_waits(folder_iwmo: Path, folder_zorgned: Path, peildatum: dt.date) -> dict[tuple[str, str], list]:
    """(aanbieder, categorie) -> [(toewijzing date, start date or None)] from iWmo 301/305 and ZorgNed JSON."""
    toewijzingen, starts = {}, {}
    for path in sorted(folder_iwmo.glob("*.xml")):
        root = ET.parse(path).getroot()
        message = root.tag.split("}")[0].split("/")[5]
        if message not in ("wmo301", "wmo305"):
            continue  # stops do not matter here, and retour messages repeat what was already sent
        for client in (c for c in root.iter() if _local(c) == "Client"):
            client_beschikking = _find(client, "Beschikkingnummer")  # 2.x 301: in the client's Beschikking
            for line in client.iter():
                if _local(line) not in ("ToegewezenProduct", "StartProduct"):
                    continue
                product = _find(line, "Product")
                categorie, code = _find(product, "Categorie").text, _find(product, "Code").text
                aanbieder = _find(line, "Aanbieder").text
                number = _find(line, "ToewijzingNummer")
                beschikking = _find(line, "Beschikkingnummer")
                if beschikking is None:  # elements without children are falsy: no `or` here
                    beschikking = client_beschikking
                key = number.text if number is not None else f"{beschikking.text}/{code}/{aanbieder}"
                if _local(line) == "ToegewezenProduct":
                    toewijzingen[key] = (aanbieder, categorie, dt.date.fromisoformat(_find(line, "Toewijzingsdatum").text))
                else:
                    starts[key] = dt.date.fromisoformat(_find(line, "Begindatum").text)
    for path in folder_zorgned.glob("*.json"):
        for aanvraag in json.loads(path.read_text(encoding="utf-8"))["_embedded"]["aanvraag"]:
            for product in aanvraag["beschikking"]["beschikteProducten"]:
                for toewijzing in (product.get("toegewezenProduct") or {}).get("toewijzingen") or []:
                    key = toewijzing["toewijzingNummer"]
                    toewijzingen[key] = (toewijzing["leverancier"]["agbcode"], product["productCategorie"]["code"],
                                         dt.date.fromisoformat(toewijzing["toewijzingsDatumTijd"][:10]))
                    if toewijzing["leveringen"]:
                        starts[key] = dt.date.fromisoformat(toewijzing["leveringen"][0]["begindatum"])
    waits: dict[tuple[str, str], list] = {}
    for key, (aanbieder, categorie, assigned) in toewijzingen.items():
        if assigned <= peildatum:
            waits.setdefault((aanbieder, categorie), []).append((assigned, starts.get(key)))
    return waits
