"""The council's quarterly social-domain report: one self-contained HTML file per municipality for the last completed
quarter (inline CSS, charts as inline SVG, no network fetch), from published gold only.

Suppressed Wmo cells read "<5" and no total is computed from the visible cells (gold publishes none). Definitions
come from the dbt YAML through the dbt manifest; the data-quality paragraph from `dq_resultaten` and the quarantine.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd

from dashboard import data
from pipelines.at_rest import open_to_readers
from pipelines.settings import TIMEZONE, Settings

REPORTS = "rapporten"
ONDERDRUKT = "<5"
WMO_TABLES = ("sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder")
# The report's texts name the Wmo terms: of the social-domain tables it reads the Wmo rows (column `wet`).
WMO = " and wet = 'wmo'"
WMO_SOURCES = ("iwmo", "zorgned")
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:980px;margin:2em auto;color:#222;
line-height:1.45;padding:0 1em}h1{font-size:1.7em;margin-bottom:.2em}
h2{margin-top:1.8em;border-bottom:2px solid #e0e0e0}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #d0d0d0;padding:.25em .6em;
text-align:right}th{background:#f3f3f3}td.t,th.t{text-align:left}td.o{background:#ececec;color:#555}
.meta{color:#555;font-size:.9em}.def{background:#f7f7fb;border-left:4px solid #8c8cd0;padding:.4em .8em;margin:.6em 0}
svg text{font-family:inherit}
"""


def last_completed_quarter(peildatum: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the last quarter that ended before the peildatum."""
    start_current = dt.date(peildatum.year, 3 * ((peildatum.month - 1) // 3) + 1, 1)
    end = start_current - dt.timedelta(days=1)
    return dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


def quarter_name(start: dt.date) -> str:
    return f"{start.year}K{(start.month - 1) // 3 + 1}"


def write_reports(settings: Settings) -> list[Path]:
    """Write the report of every municipality in the Wmo gold tables; returns the files written."""
    start, end = last_completed_quarter(settings.peildatum)
    folder = settings.gold / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    open_to_readers(folder)  # gold is for analysts, whatever the run's owner-only umask (pipelines/at_rest.py)
    written = []
    for gemeente in data.query(settings, "select distinct gemeentecode from sociaal_domein_wachtlijst order by 1")[
            "gemeentecode"]:
        path = folder / f"kwartaalrapport_sociaal_domein_{gemeente}_{quarter_name(start)}.html"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(render(settings, gemeente, start, end), encoding="utf-8")
        open_to_readers(tmp)
        tmp.replace(path)  # a reader never sees half a report
        written.append(path)
    return written


def render(settings: Settings, gemeente: str, start: dt.date, end: dt.date) -> str:
    names = data.wijknamen(settings)
    peil = data.query(settings, "select max(peildatum) as d from sociaal_domein_wachtlijst where gemeentecode = ? and "
                      f"peildatum <= ?{WMO}", [gemeente, end])["d"].iloc[0]
    body = [f"<h1>Kwartaalrapportage sociaal domein (Wmo): {quarter_name(start)[:4]} kwartaal "
            f"{quarter_name(start)[-1]}</h1>",
            f"<p class='meta'>Gemeente {esc(gemeente)} · {start:%d-%m-%Y} t/m {end:%d-%m-%Y} · gemaakt "
            f"{dt.datetime.now(TIMEZONE):%d-%m-%Y %H:%M} uit de gepubliceerde gold-tabellen</p>",
            "<p>Cellen met minder dan 5 cliënten zijn onderdrukt en staan als <b>&lt;5</b>, nooit als 0. Gold "
            "publiceert geen totalen over wijken of productcategorieën; dit rapport telt zichtbare cellen niet op, "
            "omdat zo'n totaal onvolledig is en onderdrukte cellen zou helpen terugrekenen.</p>"]
    body += waiting_list(settings, gemeente, peil, names)
    body += lead_times(settings, gemeente, start, end, names)
    body += providers(settings, gemeente)
    body += quality(settings, gemeente)
    body += definitions(settings)
    return (f"<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'><title>Kwartaalrapportage sociaal domein "
            f"{esc(gemeente)} {quarter_name(start)}</title><style>{STYLE}</style></head><body>{''.join(body)}"
            "</body></html>")


def waiting_list(settings: Settings, gemeente: str, peil, names: dict[str, str]) -> list[str]:
    if peil is None or pd.isna(peil):
        return ["<h2>Wachtlijst aan het eind van het kwartaal</h2><p>Geen wachtlijst in dit kwartaal.</p>"]
    cells = data.query(settings, f"""
        select productcategorie_omschrijving as productcategorie, wijkcode, onderdrukt, open_meldingen,
               meldingen_over_termijn, open_aanvragen, aanvragen_over_termijn
        from sociaal_domein_wachtlijst where gemeentecode = ? and peildatum = ?{WMO} order by productcategorie, wijkcode""",
                       [gemeente, peil])
    cells["wijk"] = [wijk(code, names) for code in cells["wijkcode"]]
    parts = [f"<h2>Wachtlijst op {pd.Timestamp(peil):%d-%m-%Y}</h2>",
             "<p>Open meldingen (onderzoek nog niet afgerond) per wijk. De oranje balk is het deel dat langer dan de "
             "wettelijke termijn van 6 weken wacht.</p>"]
    scale_max = max([*cells["open_meldingen"].dropna(), 1])  # one scale for every productcategorie
    for categorie, rows in cells.groupby("productcategorie", sort=False):
        parts.append(f"<h3>{esc(categorie)}</h3>{bar_chart(rows, scale_max)}")
    parts += ["<p>Open aanvragen (nog geen beschikking), tussen haakjes het deel langer dan de wettelijke termijn "
              "van 2 weken:</p>",
              pivot(cells, lambda r: f"{number(r['open_aanvragen'], False)} "
                                     f"({number(r['aanvragen_over_termijn'], False)})")]
    return parts


def bar_chart(rows: pd.DataFrame, scale_max: float) -> str:
    """Horizontal bars per wijk: open meldingen, the part past the term in orange; a suppressed cell gets no bar."""
    label_w, bar_w, row_h = 190, 520, 22
    height = row_h * len(rows) + 10
    out = [f"<svg width='{label_w + bar_w + 60}' height='{height}' role='img'>"]
    for i, row in enumerate(rows.itertuples()):
        y = 5 + i * row_h
        out.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end' font-size='12'>{esc(row.wijk)}</text>")
        if row.onderdrukt:
            out.append(f"<rect x='{label_w}' y='{y + 3}' width='30' height='{row_h - 6}' fill='#e0e0e0'/>"
                       f"<text x='{label_w + 36}' y='{y + 15}' font-size='12' fill='#555'>{ONDERDRUKT}</text>")
            continue
        total = int(row.open_meldingen or 0)
        late = int(row.meldingen_over_termijn or 0)
        width, late_w = bar_w * total / scale_max, bar_w * late / scale_max
        out.append(f"<rect x='{label_w}' y='{y + 3}' width='{width:.1f}' height='{row_h - 6}' fill='#4a7fb5'/>"
                   f"<rect x='{label_w + width - late_w:.1f}' y='{y + 3}' width='{late_w:.1f}' height='{row_h - 6}' "
                   f"fill='#f28e2b'/><text x='{label_w + width + 6:.1f}' y='{y + 15}' font-size='12'>{total}"
                   f"{f' ({late} over termijn)' if late else ''}</text>")
    out.append("</svg>")
    return "".join(out)


def lead_times(settings: Settings, gemeente: str, start: dt.date, end: dt.date, names: dict[str, str]) -> list[str]:
    cells = data.query(settings, """
        select d.maand_start, pc.productcategorie_omschrijving as productcategorie, d.wijkcode, d.onderdrukt,
               d.onderzoek_aandeel_binnen_termijn, d.beschikking_aandeel_binnen_termijn
        from sociaal_domein_doorlooptijden d
        left join (select distinct productcategorie, productcategorie_omschrijving from sociaal_domein_wachtlijst) pc
          using (productcategorie)
        where d.gemeentecode = ? and d.maand_start between ? and ? and d.wet = 'wmo'
        order by 2, 3, 1""", [gemeente, start, end])
    cells["wijk"] = [wijk(code, names) for code in cells["wijkcode"]]
    parts = ["<h2>Doorlooptijden in het kwartaal</h2>",
             "<p>Per maand: het aandeel van de afgeronde onderzoeken dat binnen 6 weken klaar was, en tussen haakjes "
             "het aandeel van de beschikkingen dat binnen 2 weken na de aanvraag werd afgegeven.</p>"]
    for month, rows in cells.groupby("maand_start"):
        parts += [f"<h3>{pd.Timestamp(month):%m-%Y}</h3>",
                  pivot(rows, lambda r: f"{number(r['onderzoek_aandeel_binnen_termijn'], True)} "
                                        f"({number(r['beschikking_aandeel_binnen_termijn'], True)})")]
    return parts


def providers(settings: Settings, gemeente: str) -> list[str]:
    cells = data.query(settings, f"""
        select aanbieder, productcategorie, onderdrukt, wachtend, dagen_tot_start_mediaan, wachtend_dagen_max
        from sociaal_domein_wachttijd_aanbieder where gemeentecode = ?{WMO} order by aanbieder, productcategorie""", [gemeente])
    return ["<h2>Wachttijd bij zorgaanbieders (op de peildatum)</h2>",
            table(cells, ["aanbieder", "productcategorie"], {
                "wachtend": "Toewijzingen nog niet gestart", "dagen_tot_start_mediaan": "Dagen tot start (mediaan)",
                "wachtend_dagen_max": "Langst wachtend (dagen)"},
                {"aanbieder": "Aanbieder (AGB)", "productcategorie": "Productcategorie"})]


def quality(settings: Settings, gemeente: str) -> list[str]:
    statuses = [data.dq_status(settings, f"gold.{t}") for t in WMO_TABLES]
    quarantine = data.quarantine_counts(settings)
    quarantine = quarantine[quarantine["bron_systeem"].isin(WMO_SOURCES) & (quarantine["gemeentecode"] == gemeente)]
    published = data.publication(settings)
    published = published[published["tabel"].isin(WMO_TABLES)]
    items = "".join(f"<li><code>{esc(s.tabel)}</code>: {esc(s.label)}</li>" for s in statuses)
    runs = "".join(f"<li><code>{esc(r.tabel)}</code>: gepubliceerd {local(r.gepubliceerd_op)} door run "
                   f"<code>{esc(r.run_id)}</code></li>" for r in published.itertuples())
    reasons = "".join(f"<li>{esc(r.bron_systeem)}: {r.aantal} × {esc(r.reden)}</li>" for r in quarantine.itertuples())
    return ["<h2>Datakwaliteit en herkomst</h2>",
            f"<p>De cijfers komen uit de iWmo-berichten en de export van het Wmo-registratiesysteem. Bij de laatste "
            f"controle van de gold-tabellen:</p><ul>{items}</ul>",
            f"<p>Records die bij het inlezen niet bruikbaar waren en in quarantaine staan (niet meegeteld): "
            f"{int(quarantine['aantal'].sum())}." + (f"</p><ul>{reasons}</ul>" if reasons else "</p>"),
            f"<p>Publicatie:</p><ul>{runs}</ul>"]


def definitions(settings: Settings) -> list[str]:
    parts = ["<h2>Definities</h2><p class='meta'>Uit de dbt-modelbeschrijvingen (dezelfde bron als de dbt docs en "
             "het dashboard).</p>"]
    for name in WMO_TABLES:
        definition = data.definition(settings, name)
        if definition:
            columns = "".join(f"<li><code>{esc(c)}</code>: {esc(d)}</li>" for c, d in definition.kolommen.items() if d)
            parts.append(f"<div class='def'><b>{esc(name)}</b>: {esc(definition.omschrijving)}<ul>{columns}</ul>"
                         f"<span class='meta'>Eigenaar {esc(definition.eigenaar)}, privacyklasse "
                         f"{esc(definition.privacy)}</span></div>")
    return parts


def pivot(cells: pd.DataFrame, text) -> str:
    """Productcategorie by wijk; a suppressed cell reads "<5", a cell gold has no row for stays empty."""
    if cells.empty:
        return "<p>Geen gegevens in deze periode.</p>"
    wijken = list(dict.fromkeys(cells.sort_values("wijkcode")["wijk"]))
    head = "<th class='t'>Productcategorie</th>" + "".join(f"<th>{esc(w)}</th>" for w in wijken)
    rows = []
    for categorie, group in cells.groupby("productcategorie", sort=False):
        by_wijk = {r["wijk"]: r for r in group.to_dict("records")}
        tds = "".join("<td></td>" if w not in by_wijk else f"<td class='o'>{esc(ONDERDRUKT)}</td>"
                      if by_wijk[w]["onderdrukt"] else f"<td>{esc(text(by_wijk[w]))}</td>" for w in wijken)
        rows.append(f"<tr><td class='t'>{esc(categorie)}</td>{tds}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def table(frame: pd.DataFrame, keys: list[str], values: dict[str, str], key_titles: dict[str, str],
          percent: bool = False) -> str:
    """One row per cell; a suppressed cell's values read "<5"."""
    if frame.empty:
        return "<p>Geen gegevens in deze periode.</p>"
    head = "".join(f"<th class='t'>{esc(key_titles[k])}</th>" for k in keys) + "".join(
        f"<th>{esc(v)}</th>" for v in values.values())
    rows = []
    for row in frame.to_dict("records"):
        cells = "".join(f"<td class='t'>{esc(row[k])}</td>" for k in keys)
        for column in values:
            if row.get("onderdrukt"):
                cells += f"<td class='o'>{esc(ONDERDRUKT)}</td>"
            else:
                cells += f"<td>{number(row[column], percent)}</td>"
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def number(value, percent: bool) -> str:
    if value is None or pd.isna(value):
        return ""
    if percent:
        return f"{100 * value:.0f}%"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def wijk(code, names: dict[str, str]) -> str:
    if code is None or pd.isna(code) or code == "":
        return "wijk onbekend"
    return f"{names.get(code, code)} ({code})" if code in names else code


def local(moment) -> str:
    return pd.Timestamp(moment).tz_localize(dt.UTC).tz_convert(TIMEZONE).strftime("%d-%m-%Y %H:%M")


def esc(value) -> str:
    return html.escape("" if value is None else str(value))
