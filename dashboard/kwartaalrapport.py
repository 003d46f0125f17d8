"""The council's quarterly social-domain report: one self-contained HTML file per municipality for the last completed
quarter (inline CSS, charts as inline SVG, no network fetch), from published gold only, for both laws (Wmo 2015,
Jeugdwet).

Every total is read from its own gold row (`niveau`: the municipality, the law, per wijk, per productcategorie),
never summed from cells; suppressed rows read "<5" with the reason. Definitions come from the dbt YAML through the
dbt manifest; the data-quality paragraph from `dq_resultaten` and the quarantine.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard import data
from pipelines.at_rest import open_to_readers
from pipelines.settings import TIMEZONE, Settings

REPORTS = "rapporten"
ONDERDRUKT = "<5"
TABLES = ("sociaal_domein_wachtlijst", "sociaal_domein_instroom_uitstroom", "sociaal_domein_doorlooptijden",
          "sociaal_domein_wachttijd_aanbieder")
SOURCES = ("iwmo", "ijw", "zorgned")
FASEN = {"melding": "melding tot afgerond onderzoek", "aanvraag": "aanvraag tot beschikking",
         "verzoek": "verzoek om toewijzing tot toewijzing", "aanbieder": "toewijzing tot start van de zorg"}
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:980px;margin:2em auto;color:#222;
line-height:1.45;padding:0 1em}h1{font-size:1.7em;margin-bottom:.2em}
h2{margin-top:1.8em;border-bottom:2px solid #e0e0e0}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #d0d0d0;padding:.25em .6em;
text-align:right}th{background:#f3f3f3}td.t,th.t{text-align:left}td.o{background:#ececec;color:#555}
.meta{color:#555;font-size:.9em}.def{background:#f7f7fb;border-left:4px solid #8c8cd0;padding:.4em .8em;margin:.6em 0}
.kern{font-size:1.1em;background:#fff8ec;border-left:4px solid #f28e2b;padding:.4em .8em}
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
    """Write the report of every municipality in the social-domain gold tables; returns the files written."""
    start, end = last_completed_quarter(settings.peildatum)
    folder = settings.gold / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    open_to_readers(folder)  # gold is for analysts, whatever the run's owner-only umask (pipelines/at_rest.py)
    quarter = read_quarter(settings, start, end)
    written = []
    for gemeente in quarter.gemeenten:
        path = folder / f"kwartaalrapport_sociaal_domein_{gemeente}_{quarter_name(start)}.html"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(render(settings, quarter, gemeente), encoding="utf-8")
        open_to_readers(tmp)
        tmp.replace(path)  # a reader never sees half a report
        written.append(path)
    return written


@dataclass(frozen=True)
class Quarter:
    """The gold rows every municipality's report shows, read with one query per table for all municipalities
    and split by municipality and law: a query per municipality and section read the national tables hundreds of
    times every night."""
    start: dt.date
    end: dt.date
    peil: dict[str, object]  # per municipality: the last peildatum of the waiting list in the quarter, or None
    wetten: dict[str, set[str]]  # per municipality: the laws it publishes
    rows: dict[str, dict[tuple[str, str], pd.DataFrame]]  # per section: (gemeentecode, wet) -> its rows
    columns: dict[str, pd.DataFrame]  # per section: no rows, its columns

    @property
    def gemeenten(self) -> list[str]:
        return sorted(self.wetten)

    def of(self, section: str, gemeente: str, wet: str) -> pd.DataFrame:
        return self.rows[section].get((gemeente, wet), self.columns[section])


# Per section of the report: its query for every municipality, and the parameters it takes (the quarter's
# start and end).
SECTIONS = {
    "wachtlijst": ("""
        with peil as (select gemeentecode, max(peildatum) as peildatum from sociaal_domein_wachtlijst
                      where peildatum <= ? group by all)
        select gemeentecode, wet, niveau, productcategorie_omschrijving as productcategorie, wijkcode, onderdrukt,
               onderdrukt_reden, aantal_clienten, open_meldingen, meldingen_over_termijn, open_aanvragen,
               aanvragen_over_termijn
        from sociaal_domein_wachtlijst join peil using (gemeentecode, peildatum)
        where niveau in ('gemeente', 'wijk', 'productcategorie') order by productcategorie, wijkcode""", ("end",)),
    "stromen": ("""
        select gemeentecode, wet, fase, niveau, verwijzer_omschrijving, count(*) as weken,
               count_if(onderdrukt) as weken_onderdrukt, sum(instroom) as instroom, sum(uitstroom) as uitstroom,
               sum(netto) as netto, max_by(wachtend, peildatum) as wachtend,
               max_by(onderdrukt, peildatum) as eind_onderdrukt
        from sociaal_domein_instroom_uitstroom
        where peildatum between ? and ? and niveau in ('gemeente', 'verwijzer')
        group by all""", ("start", "end")),
    "doorlooptijden": ("""
        select gemeentecode, wet, strftime(maand_start, '%m-%Y') as maand, onderdrukt, onderzoeken_afgerond,
               onderzoek_aandeel_binnen_termijn, beschikkingen_afgegeven, beschikking_dagen_mediaan,
               beschikking_aandeel_binnen_termijn
        from sociaal_domein_doorlooptijden
        where niveau = 'gemeente' and maand_start between ? and ? order by maand_start""", ("start", "end")),
    "aanbieders": ("""
        select gemeentecode, wet, aanbieder, onderdrukt, wachtend, dagen_tot_start_mediaan, wachtend_dagen_max
        from sociaal_domein_wachttijd_aanbieder where niveau = 'aanbieder' order by aanbieder""", ()),
}


def read_quarter(settings: Settings, start: dt.date, end: dt.date) -> Quarter:
    municipalities = data.query(settings, """
        select gemeentecode, list(distinct wet) as wetten, max(peildatum) filter (where peildatum <= ?) as peil
        from sociaal_domein_wachtlijst group by all""", [end])
    if municipalities.empty:  # nothing published yet
        return Quarter(start, end, peil={}, wetten={}, rows={}, columns={})
    rows, columns, bounds = {}, {}, {"start": start, "end": end}
    for section, (sql, parameters) in SECTIONS.items():
        frame = data.query(settings, sql, [bounds[name] for name in parameters])
        columns[section] = frame.iloc[0:0].drop(columns=["gemeentecode", "wet"])
        rows[section] = {key: group.drop(columns=["gemeentecode", "wet"]).reset_index(drop=True)
                         for key, group in frame.groupby(["gemeentecode", "wet"], sort=False)}
    return Quarter(start, end, peil={g: None if pd.isna(p) else p for g, p in zip(
        municipalities["gemeentecode"], municipalities["peil"])}, wetten={g: set(w) for g, w in zip(
            municipalities["gemeentecode"], municipalities["wetten"])}, rows=rows, columns=columns)


def render(settings: Settings, quarter: Quarter, gemeente: str) -> str:
    names = data.wijknamen(settings)
    start, end, peil = quarter.start, quarter.end, quarter.peil[gemeente]
    body = [f"<h1>Kwartaalrapportage sociaal domein: {quarter_name(start)[:4]} kwartaal {quarter_name(start)[-1]}</h1>",
            f"<p class='meta'>Gemeente {esc(gemeente)} · Wmo 2015 en Jeugdwet · {start:%d-%m-%Y} t/m {end:%d-%m-%Y} "
            f"· gemaakt {dt.datetime.now(TIMEZONE):%d-%m-%Y %H:%M} uit de gepubliceerde gold-tabellen</p>",
            "<p>Een aantal van minder dan 5 cliënten is onderdrukt en staat als <b>&lt;5</b>, nooit als 0; waar een "
            "totaal en de zichtbare cijfers samen een onderdrukt aantal zouden verraden, is ook een tweede cijfer "
            "onderdrukt (secundair). Totalen komen uit hun eigen rij in gold en zijn nooit uit de cellen opgeteld.</p>"]
    if peil is None:
        body.append("<p>Geen wachtlijst in dit kwartaal.</p>")
    for wet in data.wetten().values():
        body.append(f"<h2>{esc(wet.naam)}</h2>")
        if wet.code not in quarter.wetten[gemeente] or peil is None:
            body.append(f"<p>Geen gegevens voor de {esc(wet.naam)} gepubliceerd.</p>")
            continue
        body += waiting_list(quarter.of("wachtlijst", gemeente, wet.code), wet, peil, names)
        body += flows(quarter.of("stromen", gemeente, wet.code), wet)
        body += lead_times(quarter.of("doorlooptijden", gemeente, wet.code), wet)
        body += providers(quarter.of("aanbieders", gemeente, wet.code))
    body += quality(settings, gemeente)
    body += definitions(settings)
    return (f"<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'><title>Kwartaalrapportage sociaal domein "
            f"{esc(gemeente)} {quarter_name(start)}</title><style>{STYLE}</style></head><body>{''.join(body)}"
            "</body></html>")


def counted(row: dict, column: str, percent: bool = False) -> str:
    """A figure of a gold row as text: "<5" when the row is suppressed."""
    return ONDERDRUKT if row.get("onderdrukt") else number(row[column], percent)


def waiting_list(rows: pd.DataFrame, wet: data.Wet, peil, names: dict[str, str]) -> list[str]:
    rows = rows.copy()
    rows["wijk"] = [wijk(code, names) for code in rows["wijkcode"]]
    total = rows[rows["niveau"] == "gemeente"].to_dict("records")
    # The law's first step with a term: the onderzoek for the Wmo, the beschikking for Jeugd (no onderzoek term)
    step = "onderzoek" if wet.weken("onderzoek") else "beschikking"
    open_, late = ("open_meldingen", "meldingen_over_termijn") if step == "onderzoek" else (
        "open_aanvragen", "aanvragen_over_termijn")
    what = "open meldingen (onderzoek nog niet afgerond)" if step == "onderzoek" else "open aanvragen (nog geen " \
        "beschikking)"
    parts = [f"<h3>Wachtlijst op {pd.Timestamp(peil):%d-%m-%Y}</h3>"]
    if total:
        t = total[0]
        late_text = (f"; {counted(t, 'meldingen_over_termijn')} meldingen langer dan {wet.weken('onderzoek')} weken "
                     "zonder afgerond onderzoek" if wet.weken("onderzoek") else "")
        parts.append(f"<p class='kern'>{counted(t, 'aantal_clienten')} wachtende cliënten: "
                     f"{counted(t, 'open_meldingen')} open meldingen{late_text}; {counted(t, 'open_aanvragen')} open "
                     f"aanvragen, waarvan {counted(t, 'aanvragen_over_termijn')} langer dan "
                     f"{wet.weken('beschikking')} weken zonder beschikking (beslistermijn).</p>")
    per_wijk = rows[rows["niveau"] == "wijk"]
    parts.append(f"<p>{what.capitalize()} per wijk. De oranje balk is het deel dat langer dan de wettelijke termijn "
                 f"van {wet.weken(step)} weken wacht.</p>")
    parts.append(bar_chart(per_wijk, open_, late, max([*per_wijk[open_].dropna(), 1])))
    parts += ["<p>Per productcategorie:</p>",
              table(rows[rows["niveau"] == "productcategorie"], ["productcategorie"],
                    {"open_meldingen": "Open meldingen", "open_aanvragen": "Open aanvragen",
                     "aanvragen_over_termijn": f"Aanvragen langer dan {wet.weken('beschikking')} weken"},
                    {"productcategorie": "Productcategorie"})]
    return parts


def flows(rows: pd.DataFrame, wet: data.Wet) -> list[str]:
    """Instroom and uitstroom over the quarter's weeks, per phase; for Jeugd also per verwijzer. A sum over weeks
    of one row (the law's, the verwijzer's) is safe; its suppressed weeks are named, not guessed."""
    order = {f: i for i, f in enumerate(FASEN)}
    rows = rows.sort_values(["fase", "verwijzer_omschrijving"], key=lambda c: c.map(order) if c.name == "fase" else c)
    parts = ["<h3>Instroom en uitstroom in het kwartaal</h3>",
             "<p>Per fase van het wachten: hoeveel cliënten erbij kwamen (instroom) en eraf gingen (uitstroom), "
             "opgeteld over de weken van het kwartaal, en hoeveel er aan het eind wachtten. Een onderdrukte week "
             "(minder dan 5 cliënten, of secundair: samen met het gemeentetotaal zou het cijfer een onderdrukt "
             "cijfer verraden) telt niet mee; dan is de som een ondergrens (≥) en de netto groei onbekend.</p>",
             flow_table(rows[rows["niveau"] == "gemeente"], "fase", "Fase")]
    if wet.code == "jeugdwet":
        parts += ["<p>Per verwijzer (wie de jeugdige verwees):</p>",
                  flow_table(rows[rows["niveau"] == "verwijzer"], "verwijzer_omschrijving", "Verwijzer")]
    return parts


def flow_table(rows: pd.DataFrame, key: str, title: str) -> str:
    if rows.empty:
        return "<p>Geen gegevens in deze periode.</p>"
    out = [f"<table><thead><tr><th class='t'>{esc(title)}</th><th>Instroom</th><th>Uitstroom</th><th>Netto</th>"
           "<th>Wachtend eind kwartaal</th><th class='t'>Weken onderdrukt (&lt;5)</th></tr></thead><tbody>"]
    for row in rows.to_dict("records"):
        label = FASEN[row["fase"]] if key == "fase" else f"{row[key]} ({FASEN[row['fase']]})"
        # With suppressed weeks the visible weeks' sum is a lower bound, and the net change unknown
        bound = "" if not row["weken_onderdrukt"] else "≥ "
        sums = "".join(f"<td>{bound}{number(row[c] or 0, False)}</td>" for c in ("instroom", "uitstroom"))
        sums += ("<td class='o'>onbekend</td>" if bound else f"<td>{number(row['netto'], False)}</td>")
        end = f"<td class='o'>{esc(ONDERDRUKT)}</td>" if row["eind_onderdrukt"] else \
            f"<td>{number(row['wachtend'], False)}</td>"
        out.append(f"<tr><td class='t'>{esc(label)}</td>{sums}{end}"
                   f"<td class='t'>{int(row['weken_onderdrukt'])} van {int(row['weken'])}</td></tr>")
    return "".join(out) + "</tbody></table>"


def bar_chart(rows: pd.DataFrame, open_: str, late: str, scale_max: float) -> str:
    """Horizontal bars per wijk: the open ones, the part past the term in orange; a suppressed row gets no bar."""
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
        total, over = int(getattr(row, open_) or 0), int(getattr(row, late) or 0)
        width, late_w = bar_w * total / scale_max, bar_w * over / scale_max
        out.append(f"<rect x='{label_w}' y='{y + 3}' width='{width:.1f}' height='{row_h - 6}' fill='#4a7fb5'/>"
                   f"<rect x='{label_w + width - late_w:.1f}' y='{y + 3}' width='{late_w:.1f}' height='{row_h - 6}' "
                   f"fill='#f28e2b'/><text x='{label_w + width + 6:.1f}' y='{y + 15}' font-size='12'>{total}"
                   f"{f' ({over} over termijn)' if over else ''}</text>")
    out.append("</svg>")
    return "".join(out)


def lead_times(months: pd.DataFrame, wet: data.Wet) -> list[str]:
    values = {"onderzoeken_afgerond": "Onderzoeken afgerond"}
    if wet.weken("onderzoek"):
        values["onderzoek_aandeel_binnen_termijn"] = f"Binnen {wet.weken('onderzoek')} weken"
    values |= {"beschikkingen_afgegeven": "Beschikkingen", "beschikking_dagen_mediaan": "Dagen tot beschikking "
               "(mediaan)", "beschikking_aandeel_binnen_termijn": f"Binnen {wet.weken('beschikking')} weken"}
    return ["<h3>Doorlooptijden per maand</h3>",
            table(months, ["maand"], values, {"maand": "Maand"}, percent_columns=("aandeel",))]


def providers(rows: pd.DataFrame) -> list[str]:
    return ["<h3>Wachttijd bij zorgaanbieders (op de peildatum)</h3>",
            table(rows, ["aanbieder"], {
                "wachtend": "Toewijzingen nog niet gestart", "dagen_tot_start_mediaan": "Dagen tot start (mediaan)",
                "wachtend_dagen_max": "Langst wachtend (dagen)"}, {"aanbieder": "Aanbieder (AGB)"})]


def quality(settings: Settings, gemeente: str) -> list[str]:
    statuses = [data.dq_status(settings, f"gold.{t}") for t in TABLES]
    quarantine = data.quarantine_counts(settings)
    quarantine = quarantine[quarantine["bron_systeem"].isin(SOURCES) & (quarantine["gemeentecode"] == gemeente)]
    published = data.publication(settings)
    published = published[published["tabel"].isin(TABLES)]
    items = "".join(f"<li><code>{esc(s.tabel)}</code>: {esc(s.label)}</li>" for s in statuses)
    runs = "".join(f"<li><code>{esc(r.tabel)}</code>: gepubliceerd {local(r.gepubliceerd_op)} door run "
                   f"<code>{esc(r.run_id)}</code></li>" for r in published.itertuples())
    reasons = "".join(f"<li>{esc(r.bron_systeem)}: {r.aantal} × {esc(r.reden)}</li>" for r in quarantine.itertuples())
    return ["<h2>Datakwaliteit en herkomst</h2>",
            "<p>De cijfers komen uit de iWmo- en iJw-berichten en de export van het registratiesysteem sociaal domein. "
            f"Bij de laatste controle van de gold-tabellen:</p><ul>{items}</ul>",
            f"<p>Records die bij het inlezen niet bruikbaar waren en in quarantaine staan (niet meegeteld): "
            f"{int(quarantine['aantal'].sum())}." + (f"</p><ul>{reasons}</ul>" if reasons else "</p>"),
            f"<p>Publicatie:</p><ul>{runs}</ul>"]


def definitions(settings: Settings) -> list[str]:
    parts = ["<h2>Definities</h2><p class='meta'>Uit de dbt-modelbeschrijvingen (dezelfde bron als de dbt docs en "
             "het dashboard).</p>"]
    for name in TABLES:
        definition = data.definition(settings, name)
        if definition:
            columns = "".join(f"<li><code>{esc(c)}</code>: {esc(d)}</li>" for c, d in definition.kolommen.items() if d)
            parts.append(f"<div class='def'><b>{esc(name)}</b>: {esc(definition.omschrijving)}<ul>{columns}</ul>"
                         f"<span class='meta'>Eigenaar {esc(definition.eigenaar)}, privacyklasse "
                         f"{esc(definition.privacy)}</span></div>")
    return parts


def table(frame: pd.DataFrame, keys: list[str], values: dict[str, str], key_titles: dict[str, str],
          percent_columns: tuple[str, ...] = ()) -> str:
    """One row per gold row; a suppressed row's values read "<5"; columns whose name contains one of
    `percent_columns` as percentages."""
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
                cells += f"<td>{number(row[column], any(p in column for p in percent_columns))}</td>"
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
