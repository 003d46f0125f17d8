"""Wachtlijsten sociaal domein: who waits past the statutory terms, where, since when, and at which aanbieder."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui

MEASURES = {
    "meldingen_over_termijn": "Meldingen langer dan 6 weken open (wettelijke termijn)",
    "open_meldingen": "Open meldingen (onderzoek niet afgerond)",
    "aanvragen_over_termijn": "Aanvragen langer dan 2 weken zonder beschikking",
    "open_aanvragen": "Open aanvragen (nog geen beschikking)",
    "aantal_clienten": "Wachtende cliënten",
}
SUPPRESSION_NOTE = (f"Een cel met minder dan 5 cliënten is onderdrukt en staat als **{ui.ONDERDRUKT}**, nooit als 0. "
                    "Gold publiceert voor deze tabellen geen totalen over wijken of productcategorieën; het dashboard "
                    "telt zichtbare cellen niet op, omdat zo'n totaal onvolledig is en onderdrukte cellen helpt "
                    "terugrekenen.")

st.title("Wachtlijsten sociaal domein (Wmo)")
ui.require_gold("sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder")
s = ui.settings()
where, params = ui.gemeente_filter()
names = data.wijknamen(s)
# Should Jeugd join these tables, a column `wet` tells the laws apart: one law at a time, never two in one cell.
laws = (data.query(s, "select distinct wet from sociaal_domein_wachtlijst order by 1")["wet"].dropna().tolist()
        if "wet" in data.columns(s, "sociaal_domein_wachtlijst") else [])
chosen_law = (st.radio("Wet", laws, index=laws.index("wmo") if "wmo" in laws else 0, horizontal=True)
              if len(laws) > 1 else laws[0] if laws else None)


def law(table: str) -> tuple[str, list]:
    """The condition on the chosen law, for a table that has the column."""
    return (" and wet = ?", [chosen_law]) if chosen_law and "wet" in data.columns(s, table) else ("", [])


def wijk_label(code) -> str:
    if code is None or pd.isna(code) or code == "":
        return "wijk onbekend"
    return f"{names[code]} ({code})" if code in names else code


with st.expander("Kwartaalrapportage voor de gemeenteraad"):
    chosen = ui.selected_gemeenten()
    reports = [r for r in data.quarterly_reports(s) if any(f"_{g}_" in r.name for g in chosen)]
    st.caption("Eén HTML-bestand per gemeente voor het laatste afgesloten kwartaal, gemaakt na elke publicatie; opent "
               "zonder internet.")
    for report in reports[:10]:
        st.download_button(report.name, report.read_bytes(), file_name=report.name, mime="text/html")
    if not reports:
        st.write("Nog geen kwartaalrapportage voor de gekozen gemeenten.")

dates = data.query(s, f"select distinct peildatum from sociaal_domein_wachtlijst where {where}{law('sociaal_domein_wachtlijst')[0]} "
                   "order by 1 desc", params + law("sociaal_domein_wachtlijst")[1])
if dates.empty:
    st.info("Geen wachtlijstgegevens voor de gekozen gemeenten.")
    st.stop()
peildatum = st.selectbox("Peildatum (einde van de week)", dates["peildatum"].tolist(),
                         format_func=lambda d: pd.Timestamp(d).strftime("%d-%m-%Y"))
measure = st.selectbox("Wat wilt u zien?", list(MEASURES), format_func=MEASURES.get)
st.caption(SUPPRESSION_NOTE)

st.subheader(f"Waar: {MEASURES[measure].lower()} per wijk en productcategorie")
cells = data.query(s, f"""
    select gemeentecode, productcategorie, productcategorie_omschrijving, wijkcode, onderdrukt, {measure}
    from sociaal_domein_wachtlijst where peildatum = ? and {where}{law('sociaal_domein_wachtlijst')[0]}
    order by gemeentecode, productcategorie, wijkcode""", [peildatum, *params, *law("sociaal_domein_wachtlijst")[1]])
cells["wijk"] = cells["wijkcode"].map(wijk_label)
cells["wijknaam"] = cells["wijkcode"].map(lambda code: names.get(code, code or "onbekend"))
cells["waarde"] = ui.suppressed(cells, [measure])[measure]
figure = ui.with_explanation("sociaal_domein_wachtlijst", ["peildatum", "onderdrukt", measure])
with figure:
    if cells["gemeentecode"].nunique() <= 4:
        base = alt.Chart(cells).encode(
            x=alt.X("wijknaam:N", title="Wijk", axis=alt.Axis(labelAngle=-40, labelLimit=160, labelOverlap=False)),
            y=alt.Y("productcategorie_omschrijving:N", title="Productcategorie", axis=alt.Axis(labelLimit=220)),
        )
        heat = base.mark_rect().encode(
            # From 0, so a cell of 0 is pale whatever the largest cell is
            color=alt.Color(f"{measure}:Q", title="Aantal", legend=alt.Legend(format="d", tickMinStep=1),
                            scale=alt.Scale(scheme="oranges", domain=[0, max([1, *cells[measure].dropna()])])),
            tooltip=[alt.Tooltip("gemeentecode:N", title="Gemeente"), alt.Tooltip("wijk:N", title="Wijk"),
                     alt.Tooltip("productcategorie_omschrijving:N", title="Productcategorie"),
                     alt.Tooltip("waarde:N", title=MEASURES[measure])],
        )
        text = base.mark_text(fontSize=12).encode(text="waarde:N")
        grey = base.transform_filter("datum.onderdrukt").mark_rect(color="#e6e6e6")
        chart = (grey + heat.transform_filter("!datum.onderdrukt") + text).properties(height=320)
        several = (chart.properties(width=360).facet(row=alt.Row("gemeentecode:N", title="Gemeente"))
                   .resolve_scale(x="independent"))
        st.altair_chart(several if cells["gemeentecode"].nunique() > 1 else chart, width="stretch")
    else:
        st.caption("Bij meer dan vier gemeenten alleen als tabel.")
    st.caption(f"Grijs vak: onderdrukt ({ui.ONDERDRUKT}). Leeg vak: gold heeft voor deze week geen cel voor die "
               "wijk en productcategorie (niemand wachtend).")
    table = cells[["gemeentecode", "productcategorie_omschrijving", "wijk", "waarde"]].rename(columns={
        "gemeentecode": "Gemeente", "productcategorie_omschrijving": "Productcategorie", "wijk": "Wijk",
        "waarde": MEASURES[measure]})
    st.dataframe(table, hide_index=True, width="stretch")

st.subheader("Sinds wanneer: verloop over het jaar tot de peildatum, voor één wijk en productcategorie")
choices = cells[["gemeentecode", "productcategorie", "productcategorie_omschrijving", "wijkcode", "wijk"]]
col1, col2, col3 = st.columns(3)
gemeente = col1.selectbox("Gemeente", sorted(choices["gemeentecode"].unique()))
categories = choices[choices["gemeentecode"] == gemeente].drop_duplicates("productcategorie")
labels = dict(zip(categories["productcategorie"], categories["productcategorie_omschrijving"]))
categorie = col2.selectbox("Productcategorie", categories["productcategorie"].tolist(),
                           format_func=lambda code: labels.get(code) or "productcategorie onbekend")
wijken = choices[(choices["gemeentecode"] == gemeente) & (choices["productcategorie"] == categorie)]
wijk = col3.selectbox("Wijk", wijken["wijkcode"].tolist(), format_func=wijk_label)
trend = data.query(s, f"""
    select peildatum, onderdrukt, open_meldingen, meldingen_over_termijn, open_aanvragen, aanvragen_over_termijn
    from sociaal_domein_wachtlijst where gemeentecode = ? and productcategorie = ? and wijkcode is not distinct from ?
      and peildatum > ?::date - interval 1 year{law('sociaal_domein_wachtlijst')[0]}
    order by peildatum""", [gemeente, categorie, wijk, peildatum, *law("sociaal_domein_wachtlijst")[1]])
figure = ui.with_explanation("sociaal_domein_wachtlijst", ["open_meldingen", "meldingen_over_termijn", "open_aanvragen",
                                                 "aanvragen_over_termijn"])
with figure:
    long = trend.melt(["peildatum", "onderdrukt"], var_name="reeks", value_name="aantal")
    long["reeks"] = long["reeks"].map(MEASURES)
    # Suppressed weeks keep their row with an empty value, so the line breaks there instead of bridging them.
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("peildatum:T", title="Peildatum"), y=alt.Y("aantal:Q", title="Aantal"),
        color=alt.Color("reeks:N", title=None, legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)))
    hidden = trend[trend["onderdrukt"]].assign(label=f"onderdrukt ({ui.ONDERDRUKT})")
    bands = alt.Chart(hidden).mark_rule(color="#cccccc", strokeWidth=3).encode(
        x="peildatum:T", tooltip=[alt.Tooltip("label:N", title="Deze week")])
    st.altair_chart((bands + lines).properties(height=300), width="stretch")
    st.caption(f"Grijze strepen: weken waarin deze cel onderdrukt is ({ui.ONDERDRUKT} cliënten); daar staat geen "
               f"waarde, en de lijn is onderbroken. {int(trend['onderdrukt'].sum())} van {len(trend)} weken "
               "onderdrukt.")

st.subheader("Waarom: doorlooptijden en afgeronde stappen per maand (uitstroom)")
lead = data.query(s, f"""
    select maand_start, onderdrukt, onderzoeken_afgerond, onderzoek_dagen_mediaan, onderzoek_aandeel_binnen_termijn,
           beschikkingen_afgegeven, beschikking_dagen_mediaan, beschikking_aandeel_binnen_termijn
    from sociaal_domein_doorlooptijden where gemeentecode = ? and productcategorie = ? and wijkcode is not distinct from ?
      {law('sociaal_domein_doorlooptijden')[0]}
    order by maand_start desc""", [gemeente, categorie, wijk, *law("sociaal_domein_doorlooptijden")[1]])
figure = ui.with_explanation("sociaal_domein_doorlooptijden", ["onderzoek_dagen_mediaan", "onderzoek_aandeel_binnen_termijn",
                                                     "beschikking_dagen_mediaan", "beschikking_aandeel_binnen_termijn"])
with figure:
    st.caption("Instroom (nieuwe meldingen per maand) publiceert gold nog niet; hieronder de uitstroom: afgeronde "
               "onderzoeken en afgegeven beschikkingen, en hoe lang die duurden.")
    shown = ui.suppressed(lead, [c for c in lead.columns if c not in ("maand_start", "onderdrukt")])
    shown["maand_start"] = pd.to_datetime(shown["maand_start"]).dt.strftime("%m-%Y")
    st.dataframe(shown.rename(columns={
        "maand_start": "Maand", "onderzoeken_afgerond": "Onderzoeken afgerond",
        "onderzoek_dagen_mediaan": "Dagen tot onderzoek (mediaan)",
        "onderzoek_aandeel_binnen_termijn": "Aandeel binnen 6 weken",
        "beschikkingen_afgegeven": "Beschikkingen", "beschikking_dagen_mediaan": "Dagen tot beschikking (mediaan)",
        "beschikking_aandeel_binnen_termijn": "Aandeel binnen 2 weken"}), hide_index=True, width="stretch")

st.subheader("Bij welke aanbieder: wachttijd van toewijzing tot start van de zorg")
aanbieders = data.query(s, f"""
    select gemeentecode, aanbieder, productcategorie, onderdrukt, toewijzingen, gestart, dagen_tot_start_mediaan,
           wachtend, wachtend_dagen_mediaan, wachtend_dagen_max
    from sociaal_domein_wachttijd_aanbieder where {where}{law('sociaal_domein_wachttijd_aanbieder')[0]}
    order by gemeentecode, aanbieder, productcategorie""", params + law("sociaal_domein_wachttijd_aanbieder")[1])
figure = ui.with_explanation("sociaal_domein_wachttijd_aanbieder", ["dagen_tot_start_mediaan", "wachtend",
                                                          "wachtend_dagen_max"])
with figure:
    values = [c for c in aanbieders.columns if c not in ("gemeentecode", "aanbieder", "productcategorie", "onderdrukt")]
    st.dataframe(ui.suppressed(aanbieders, values).rename(columns={
        "gemeentecode": "Gemeente", "aanbieder": "Aanbieder (AGB)", "productcategorie": "Productcategorie",
        "toewijzingen": "Toewijzingen", "gestart": "Gestart", "dagen_tot_start_mediaan": "Dagen tot start (mediaan)",
        "wachtend": "Nog wachtend", "wachtend_dagen_mediaan": "Wacht al (dagen, mediaan)",
        "wachtend_dagen_max": "Langst wachtend (dagen)"}), hide_index=True, width="stretch")
