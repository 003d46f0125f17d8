"""Wachtlijsten sociaal domein, per law (Wmo 2015, Jeugdwet): how many wait and how many past the statutory term
(the municipality's own totals), where (wijk, productcategorie, aanbieder), since when, and why (instroom versus
uitstroom per week). Every total is read from its own row in gold (`niveau`), never summed from cells."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui

CELL = "wijk_productcategorie"
FASEN = {"melding": "Melding tot afgerond onderzoek", "aanvraag": "Aanvraag tot beschikking",
         "verzoek": "Verzoek om toewijzing van de aanbieder tot toewijzing",
         "aanbieder": "Toewijzing tot start van de zorg bij de aanbieder"}
UITSPLITSING = {"gemeente": "Geen (totaal van de wet)", "productcategorie": "Productcategorie", "wijk": "Wijk",
                "aanbieder": "Aanbieder", "verwijzer": "Verwijzer (Jeugd)"}
TREND_NIVEAUS = {"gemeente": "Totaal van de gemeente", "productcategorie": "Eén productcategorie",
                 "wijk": "Eén wijk", CELL: "Eén wijk en productcategorie"}
SUPPRESSION_NOTE = (f"Een rij met minder dan 5 cliënten is onderdrukt en staat als **{ui.ONDERDRUKT}**, nooit als 0. "
                    "Gold publiceert elk niveau in een eigen rij (gemeente, wet, wijk, productcategorie, cel), elk "
                    "onderdrukt op zijn eigen aantal; waar een totaal min de zichtbare cellen een onderdrukte cel zou "
                    "verraden, is ook een tweede cel onderdrukt (*secundair*). Totalen op deze pagina komen uit hun "
                    "eigen rij en worden nooit uit cellen opgeteld.")


def measures(wet: data.Wet) -> dict[str, str]:
    """The waiting-list figures with the law's terms in their labels; a step without a term has no 'over' figure."""
    shown = {"aantal_clienten": "Wachtende cliënten", "open_meldingen": "Open meldingen (onderzoek niet afgerond)"}
    if wet.weken("onderzoek"):
        shown["meldingen_over_termijn"] = (f"Meldingen langer dan {wet.weken('onderzoek')} weken open "
                                           f"(onderzoekstermijn)")
    shown["open_aanvragen"] = "Open aanvragen (nog geen beschikking)"
    shown["aanvragen_over_termijn"] = (f"Aanvragen langer dan {wet.weken('beschikking')} weken zonder beschikking "
                                       "(beslistermijn)")
    return shown


def terms_caption(wet: data.Wet) -> str:
    parts = [f"{'onderzoek' if stap == 'onderzoek' else 'beschikking'} binnen {wet.weken(stap)} weken "
             f"({wet.bronnen[stap]})" for stap in ("onderzoek", "beschikking") if stap in wet.termijnen]
    if "onderzoek" not in wet.termijnen:
        parts.insert(0, "geen wettelijke termijn voor het onderzoek")
    return f"Wettelijke termijnen {wet.naam}: " + "; ".join(parts) + "."


def wijk_label(code) -> str:
    if code is None or pd.isna(code) or code == "":
        return "wijk onbekend"
    return f"{names[code]} ({code})" if code in names else code


def reason(row) -> str:
    """Why a row shows <5: the suppression reason as gold gives it, in short."""
    return (row.get("onderdrukt_reden") or "") if row.get("onderdrukt") else ""


def shown_table(frame: pd.DataFrame, keys: dict[str, str], values: dict[str, str]) -> pd.DataFrame:
    """Gold rows for display: suppressed values read <5, with the reason in its own column."""
    out = ui.suppressed(frame.assign(reden=[reason(r) for r in frame.to_dict("records")]), list(values))
    return out[[*keys, *values, "reden"]].rename(columns={**keys, **values, "reden": "Onderdrukt omdat"})


st.title("Wachtlijsten sociaal domein")
ui.require_gold("sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder",
                "sociaal_domein_instroom_uitstroom")
s = ui.settings()
where, params = ui.gemeente_filter()
names = data.wijknamen(s)
wetten = data.wetten()
wet = wetten[st.radio("Wet", list(wetten), format_func=lambda code: wetten[code].naam, horizontal=True, key="wet")]
st.caption(terms_caption(wet))
MEASURES = measures(wet)

with st.expander("Kwartaalrapportage voor de gemeenteraad"):
    chosen = ui.selected_gemeenten()
    reports = [r for r in data.quarterly_reports(s) if any(f"_{g}_" in r.name for g in chosen)]
    st.caption("Eén HTML-bestand per gemeente voor het laatste afgesloten kwartaal, beide wetten, gemaakt na elke "
               "publicatie; opent zonder internet.")
    for report in reports[:10]:
        st.download_button(report.name, report.read_bytes(), file_name=report.name, mime="text/html")
    if not reports:
        st.write("Nog geen kwartaalrapportage voor de gekozen gemeenten.")

dates = data.query(s, f"select distinct peildatum from sociaal_domein_wachtlijst where {where} and wet = ? "
                   "order by 1 desc", [*params, wet.code])
if dates.empty:
    st.info(f"Nog geen wachtlijstgegevens voor de {wet.naam} van de gekozen gemeenten: deze verschijnen zodra een "
            "run ze publiceert.")
    st.stop()
peildatum = st.selectbox("Peildatum (einde van de week)", dates["peildatum"].tolist(),
                         format_func=lambda d: pd.Timestamp(d).strftime("%d-%m-%Y"), key="peildatum")
st.caption(SUPPRESSION_NOTE)

st.subheader(f"Hoeveel: wachtlijst {wet.naam} per gemeente op {pd.Timestamp(peildatum):%d-%m-%Y}")
totals = data.query(s, f"""
    select gemeentecode, onderdrukt, onderdrukt_reden, {', '.join(MEASURES)}
    from sociaal_domein_wachtlijst
    where niveau = 'gemeente' and wet = ? and peildatum = ? and {where} order by gemeentecode""",
                    [wet.code, peildatum, *params])
figure = ui.with_explanation("sociaal_domein_wachtlijst", ["niveau"])
with figure:
    if len(totals) == 1 and not totals["onderdrukt"].iloc[0]:
        row = totals.iloc[0]
        for column, (measure, label) in zip(st.columns(len(MEASURES)), MEASURES.items()):
            column.metric(label, ui.format_number(row[measure]))
    table = shown_table(totals, {"gemeentecode": "Gemeente"}, MEASURES)
    # One column per municipality: the figures' long labels read as rows
    st.dataframe(table.set_index("Gemeente").T.rename_axis("Cijfer").reset_index(), hide_index=True,
                 width="stretch")
    st.caption("Uit de eigen totaalrij van elke gemeente (niveau 'gemeente'). Wmo en Jeugd worden niet opgeteld: "
               "hun termijnen verschillen, en een totaal van beide zou een kleine Jeugd-wachtlijst verraden.")

measure = st.selectbox("Wat wilt u per wijk en productcategorie zien?", list(MEASURES), format_func=MEASURES.get, key="maat")
st.subheader(f"Waar: {MEASURES[measure].lower()}")
rows = data.query(s, f"""
    select niveau, gemeentecode, productcategorie, productcategorie_omschrijving, wijkcode, onderdrukt,
           onderdrukt_reden, {measure}
    from sociaal_domein_wachtlijst where peildatum = ? and wet = ? and niveau in ('wijk', 'productcategorie',
      '{CELL}') and {where}
    order by gemeentecode, productcategorie, wijkcode""", [peildatum, wet.code, *params])
rows["wijk"] = rows["wijkcode"].map(wijk_label)
rows["productcategorie_omschrijving"] = rows["productcategorie_omschrijving"].fillna(rows["productcategorie"]).fillna(
    "productcategorie onbekend")
rows["reden"] = [reason(r) for r in rows.to_dict("records")]
rows["waarde"] = ui.suppressed(rows, [measure])[measure]
cells = rows[rows["niveau"] == CELL].copy()
figure = ui.with_explanation("sociaal_domein_wachtlijst", ["onderdrukt_reden"])
with figure:
    cells["wijknaam"] = cells["wijkcode"].map(lambda code: names.get(code, code or "onbekend"))
    if 0 < cells["gemeentecode"].nunique() <= 4:
        base = alt.Chart(cells).encode(
            x=alt.X("wijknaam:N", title="Wijk", axis=alt.Axis(labelAngle=-40, labelLimit=160, labelOverlap=False)),
            y=alt.Y("productcategorie_omschrijving:N", title="Productcategorie", axis=alt.Axis(labelLimit=220)),
            tooltip=[alt.Tooltip("gemeentecode:N", title="Gemeente"), alt.Tooltip("wijk:N", title="Wijk"),
                     alt.Tooltip("productcategorie_omschrijving:N", title="Productcategorie"),
                     alt.Tooltip("waarde:N", title=MEASURES[measure]),
                     alt.Tooltip("reden:N", title="Onderdrukt omdat")])
        heat = base.mark_rect().encode(
            # From 0, so a cell of 0 is pale whatever the largest cell is
            color=alt.Color(f"{measure}:Q", title="Aantal", legend=alt.Legend(format="d", tickMinStep=1),
                            scale=alt.Scale(scheme="oranges", domain=[0, max([1, *cells[measure].dropna()])])))
        text = base.mark_text(fontSize=12).encode(text="waarde:N")
        grey = base.transform_filter("datum.onderdrukt").mark_rect(color="#e6e6e6")
        chart = (grey + heat.transform_filter("!datum.onderdrukt") + text).properties(height=320)
        several = (chart.properties(width=360).facet(row=alt.Row("gemeentecode:N", title="Gemeente"))
                   .resolve_scale(x="independent"))
        st.altair_chart(several if cells["gemeentecode"].nunique() > 1 else chart, width="stretch")
    else:
        st.caption("Bij meer dan vier gemeenten alleen als tabel.")
    secondary = int(cells["reden"].str.startswith("secundair").sum())
    st.caption(f"Grijs vak: onderdrukt ({ui.ONDERDRUKT}); de reden staat in de tooltip en in de tabel. "
               f"{int(cells['onderdrukt'].sum())} van {len(cells)} cellen onderdrukt, waarvan {secondary} secundair. "
               "Leeg vak: niemand wachtend in die wijk en productcategorie.")
    by_wijk, by_categorie, all_cells = st.tabs(["Totaal per wijk", "Totaal per productcategorie",
                                                "Alle cellen als tabel"])
    for tab, niveau, keys in ((by_wijk, "wijk", {"gemeentecode": "Gemeente", "wijk": "Wijk"}),
                              (by_categorie, "productcategorie",
                               {"gemeentecode": "Gemeente", "productcategorie_omschrijving": "Productcategorie"})):
        with tab:
            st.caption(f"Uit de eigen rij van elke {keys[list(keys)[1]].lower()} (niveau '{niveau}').")
            st.dataframe(shown_table(rows[rows["niveau"] == niveau], keys, {measure: MEASURES[measure]}),
                         hide_index=True, width="stretch")
    with all_cells:
        st.dataframe(shown_table(cells, {"gemeentecode": "Gemeente", "productcategorie_omschrijving":
                                         "Productcategorie", "wijk": "Wijk"}, {measure: MEASURES[measure]}),
                     hide_index=True, width="stretch")

st.subheader("Sinds wanneer: verloop over het jaar tot de peildatum")
col1, col2, col3 = st.columns(3)
gemeenten = sorted(totals["gemeentecode"]) or sorted(rows["gemeentecode"].unique())
gemeente = col1.selectbox("Gemeente", gemeenten, key="trend_gemeente")
niveau = col2.selectbox("Welke rij", list(TREND_NIVEAUS), format_func=TREND_NIVEAUS.get, key="trend_niveau")
options = rows[(rows["gemeentecode"] == gemeente) & (rows["niveau"] == niveau)].drop_duplicates(
    ["productcategorie", "wijkcode"])
keys = [(None, None)] if niveau == "gemeente" else list(zip(options["productcategorie"], options["wijkcode"]))
labels = {(p, w): " · ".join(x for x in (o if p else None, wijk_label(w) if niveau in ("wijk", CELL) else None)
                             if x)
          for p, w, o in zip(options["productcategorie"], options["wijkcode"], options["productcategorie_omschrijving"])}
key = col3.selectbox("Productcategorie / wijk", keys, format_func=lambda k: labels.get(k, "hele gemeente"),
                     disabled=niveau == "gemeente", key="trend_rij")
trend_measures = {m: MEASURES[m] for m in MEASURES if m != "aantal_clienten"}
trend = data.query(s, f"""
    select peildatum, onderdrukt, onderdrukt_reden, {', '.join(trend_measures)}
    from sociaal_domein_wachtlijst where gemeentecode = ? and wet = ? and niveau = ?
      and productcategorie is not distinct from ? and wijkcode is not distinct from ?
      and peildatum > ?::date - interval 1 year and peildatum <= ?
    order by peildatum""", [gemeente, wet.code, niveau, *key, peildatum, peildatum])
figure = ui.with_explanation("sociaal_domein_wachtlijst", ["meldingen_over_termijn", "aanvragen_over_termijn"])
with figure:
    long = trend.drop(columns="onderdrukt_reden").melt(["peildatum", "onderdrukt"], var_name="reeks",
                                                       value_name="aantal")
    long["reeks"] = long["reeks"].map(trend_measures)
    # Suppressed weeks keep their row with an empty value, so the line breaks there instead of bridging them.
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("peildatum:T", title="Peildatum"), y=alt.Y("aantal:Q", title="Aantal"),
        color=alt.Color("reeks:N", title=None, legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)))
    hidden = trend[trend["onderdrukt"]].assign(label=lambda f: f"onderdrukt ({ui.ONDERDRUKT}): " + f["onderdrukt_reden"])
    bands = alt.Chart(hidden).mark_rule(color="#cccccc", strokeWidth=3).encode(
        x="peildatum:T", tooltip=[alt.Tooltip("label:N", title="Deze week")])
    st.altair_chart((bands + lines).properties(height=300), width="stretch")
    st.caption(f"Grijze strepen: weken waarin deze rij onderdrukt is ({ui.ONDERDRUKT} cliënten); daar staat geen "
               f"waarde en is de lijn onderbroken. {int(trend['onderdrukt'].sum())} van {len(trend)} weken "
               "onderdrukt.")

st.subheader("Waarom: instroom en uitstroom per week")
col1, col2 = st.columns(2)
fase = col1.selectbox("Fase van het wachten", list(FASEN), format_func=FASEN.get, key="fase")
splits = [n for n in UITSPLITSING if n != "verwijzer" or wet.code == "jeugdwet"]
split = col2.selectbox("Uitgesplitst naar", [n for n in splits if n != "aanbieder" or fase in ("verzoek",
                                                                                                     "aanbieder")],
                       index=1, format_func=UITSPLITSING.get, key="uitsplitsing")
flow_columns = ["instroom", "uitstroom", "netto", "wachtend", "wachtend_per_1000_inwoners"]
flows = data.query(s, f"""
    select peildatum, gemeentecode, niveau, productcategorie, productcategorie_omschrijving, wijkcode, aanbieder,
           verwijzer_type, verwijzer_omschrijving, onderdrukt, onderdrukt_reden, {', '.join(flow_columns)}
    from sociaal_domein_instroom_uitstroom where wet = ? and fase = ? and niveau in ('gemeente', ?) and {where}
      and peildatum > ?::date - interval 1 year and peildatum <= ?
    order by peildatum, gemeentecode, productcategorie, wijkcode, aanbieder, verwijzer_type""",
                   [wet.code, fase, split, *params, peildatum, peildatum])
figure = ui.with_explanation("sociaal_domein_instroom_uitstroom", ["instroom", "uitstroom"])
with figure:
    total = flows[(flows["niveau"] == "gemeente") & (flows["gemeentecode"] == gemeente)]
    if total.empty:
        st.info(f"Geen instroom of uitstroom in deze fase voor {gemeente}.")
    else:
        bars = total.assign(uitstroom=-total["uitstroom"]).melt(["peildatum"], ["instroom", "uitstroom"],
                                                                  var_name="stroom", value_name="aantal")
        chart = alt.Chart(bars).mark_bar(opacity=0.8).encode(
            x=alt.X("peildatum:T", title="Week tot en met"), y=alt.Y("aantal:Q", title="Wachtperioden per week"),
            color=alt.Color("stroom:N", title=None, scale=alt.Scale(domain=["instroom", "uitstroom"],
                                                                    range=["#e6550d", "#3182bd"])))
        net = alt.Chart(total.assign(reeks="netto (instroom − uitstroom)")).mark_line(color="black", point=True).encode(
            x="peildatum:T", y="netto:Q",
            shape=alt.Shape("reeks:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=300)),
            tooltip=[alt.Tooltip("peildatum:T", title="Week tot en met", format="%d-%m-%Y"), "instroom:Q",
                     "uitstroom:Q", "netto:Q", "wachtend:Q"])
        st.altair_chart((chart + net).properties(height=280), width="stretch")
        st.caption(f"{gemeente}, {FASEN[fase].lower()}: boven de nul de instroom, onder de nul de uitstroom; de "
                   f"zwarte lijn is de netto groei van de wachtlijst. Geteld in wachtperioden: een cliënt met twee "
                   f"meldingen of aanvragen telt twee keer. {int(total['onderdrukt'].sum())} weken "
                   f"onderdrukt ({ui.ONDERDRUKT}), daar ontbreekt de staaf.")
    if split != "gemeente":
        dimension = {"productcategorie": ("productcategorie_omschrijving", "Productcategorie"),
                     "wijk": ("wijk", "Wijk"), "aanbieder": ("aanbieder", "Aanbieder (AGB)"),
                     "verwijzer": ("verwijzer_omschrijving", "Verwijzer")}[split]
        week = flows[(flows["niveau"] == split) & (flows["peildatum"] == flows["peildatum"].max())].copy()
        week["wijk"] = week["wijkcode"].map(wijk_label)
        week["productcategorie_omschrijving"] = week["productcategorie_omschrijving"].fillna(week["productcategorie"])
        st.markdown(f"**Per {dimension[1].lower()}, week tot en met {pd.Timestamp(peildatum):%d-%m-%Y}**")
        st.dataframe(shown_table(week, {"gemeentecode": "Gemeente", dimension[0]: dimension[1]},
                                 {"instroom": "Instroom", "uitstroom": "Uitstroom", "netto": "Netto",
                                  "wachtend": "Wachtend eind van de week"}), hide_index=True, width="stretch")

if flows["gemeentecode"].nunique() > 1:
    st.subheader("Gemeenten vergeleken: wachtend per 1.000 inwoners")
    figure = ui.with_explanation("sociaal_domein_instroom_uitstroom", ["wachtend_per_1000_inwoners"])
    with figure:
        compare = flows[flows["niveau"] == "gemeente"]
        st.altair_chart(alt.Chart(compare).mark_line(point=True).encode(
            x=alt.X("peildatum:T", title="Week tot en met"),
            y=alt.Y("wachtend_per_1000_inwoners:Q", title="Wachtend per 1.000 inwoners"),
            color=alt.Color("gemeentecode:N", title="Gemeente")).properties(height=260), width="stretch")
        latest = compare[compare["peildatum"] == compare["peildatum"].max()]
        st.dataframe(shown_table(latest, {"gemeentecode": "Gemeente"}, {
            "wachtend": "Wachtend", "wachtend_per_1000_inwoners": "Wachtend per 1.000 inwoners"}),
            hide_index=True, width="stretch")
        st.caption(f"{FASEN[fase]}; {wet.naam}: per 1.000 "
                   f"{'inwoners van 0 tot 24 jaar' if wet.code == 'jeugdwet' else 'inwoners'} (CBS kerncijfers).")

st.subheader("Doorlooptijden per maand (afgeronde stappen)")
lead = data.query(s, """
    select maand_start, onderdrukt, onderdrukt_reden, onderzoeken_afgerond, onderzoek_dagen_mediaan,
           onderzoek_aandeel_binnen_termijn, beschikkingen_afgegeven, beschikking_dagen_mediaan,
           beschikking_aandeel_binnen_termijn
    from sociaal_domein_doorlooptijden where gemeentecode = ? and wet = ? and niveau = ?
      and productcategorie is not distinct from ? and wijkcode is not distinct from ?
    order by maand_start desc""", [gemeente, wet.code, niveau, *key])
figure = ui.with_explanation("sociaal_domein_doorlooptijden", ["beschikking_aandeel_binnen_termijn"])
with figure:
    st.caption(f"Voor de gekozen rij hierboven ({gemeente}, {TREND_NIVEAUS[niveau].lower()}).")
    lead["maand"] = pd.to_datetime(lead["maand_start"]).dt.strftime("%m-%Y")
    lead_values = {"onderzoeken_afgerond": "Onderzoeken afgerond",
                   "onderzoek_dagen_mediaan": "Dagen tot onderzoek (mediaan)"}
    if wet.weken("onderzoek"):
        lead_values["onderzoek_aandeel_binnen_termijn"] = f"Aandeel binnen {wet.weken('onderzoek')} weken"
    lead_values |= {"beschikkingen_afgegeven": "Beschikkingen",
                    "beschikking_dagen_mediaan": "Dagen tot beschikking (mediaan)",
                    "beschikking_aandeel_binnen_termijn": f"Aandeel binnen {wet.weken('beschikking')} weken"}
    st.dataframe(shown_table(lead, {"maand": "Maand"}, lead_values), hide_index=True, width="stretch")

st.subheader("Bij welke aanbieder: wachttijd van toewijzing tot start van de zorg")
aanbieders = data.query(s, f"""
    select gemeentecode, aanbieder, onderdrukt, onderdrukt_reden, toewijzingen, gestart, dagen_tot_start_mediaan,
           wachtend, wachtend_dagen_mediaan, wachtend_dagen_max
    from sociaal_domein_wachttijd_aanbieder where niveau = 'aanbieder' and wet = ? and {where}
    order by gemeentecode, aanbieder""", [wet.code, *params])
figure = ui.with_explanation("sociaal_domein_wachttijd_aanbieder", ["wachtend"])
with figure:
    st.dataframe(shown_table(aanbieders, {"gemeentecode": "Gemeente", "aanbieder": "Aanbieder (AGB)"}, {
        "toewijzingen": "Toewijzingen", "gestart": "Gestart", "dagen_tot_start_mediaan": "Dagen tot start (mediaan)",
        "wachtend": "Nog wachtend", "wachtend_dagen_mediaan": "Wacht al (dagen, mediaan)",
        "wachtend_dagen_max": "Langst wachtend (dagen)"}), hide_index=True, width="stretch")
    st.caption("Per aanbieder over alle productcategorieën (eigen rij, niveau 'aanbieder').")
