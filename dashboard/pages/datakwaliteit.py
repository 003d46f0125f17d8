"""Datakwaliteit: check results per table and DAMA dimension and their trend over runs, quarantined records per
source and reason (counts only), and freshness per source."""

import altair as alt
import streamlit as st

from dashboard import data, ui

st.title("Datakwaliteit")
ui.require_gold("dq_resultaten")
s = ui.settings()
st.caption("De controles gelden voor het hele platform (alle gemeenten samen); de quarantaine is per gemeente te "
           "filteren. Kritieke controles blokkeren de publicatie van hun onderwerp; waarschuwingen niet.")
# A suite checks a table once over all municipalities' rows (dq_resultaten has no gemeentecode): say so when the
# sidebar narrows the other figures, rather than suggest these are the chosen municipality's own results.
if set(ui.selected_gemeenten()) != set(data.gemeenten(s)):
    st.info(f"U hebt {', '.join(ui.selected_gemeenten())} gekozen. De controleresultaten hieronder zijn per tabel "
            "voor alle gemeenten samen en niet per gemeente te filteren; alleen de quarantaine toont de gekozen "
            "gemeente(n).")

latest = data.query(s, """
    with laatste as (select tabel, max_by(run_id, gecontroleerd_op) as run_id from dq_resultaten group by tabel)
    select r.laag, r.tabel, r.dimensie, count(*) as controles, count_if(r.geslaagd) as geslaagd,
           count_if(not r.geslaagd and r.ernst = 'critical') as kritiek_mislukt,
           count_if(not r.geslaagd and r.ernst <> 'critical') as waarschuwing_mislukt
    from dq_resultaten r join laatste using (tabel, run_id) group by all order by r.laag, r.tabel, r.dimensie""")
if latest.empty:
    st.info("Nog geen controleresultaten gepubliceerd.")
    st.stop()

st.subheader("Laatste uitkomst per tabel en DAMA-dimensie")
figure = ui.with_explanation("dq_resultaten", ["dimensie", "ernst", "geslaagd"])
with figure:
    latest["status"] = latest.apply(lambda r: "kritiek mislukt" if r["kritiek_mislukt"] else
                                    "waarschuwing" if r["waarschuwing_mislukt"] else "in orde", axis=1)
    latest["label"] = latest["geslaagd"].astype(int).astype(str) + "/" + latest["controles"].astype(int).astype(str)
    base = alt.Chart(latest).encode(x=alt.X("dimensie:N", title="DAMA-dimensie"),
                                    y=alt.Y("tabel:N", title=None, axis=alt.Axis(labelLimit=300)))
    heat = base.mark_rect().encode(
        color=alt.Color("status:N", title="Status", scale=alt.Scale(
            domain=["in orde", "waarschuwing", "kritiek mislukt"], range=["#74c476", "#fd8d3c", "#de2d26"])),
        tooltip=["tabel", "dimensie", "controles", "geslaagd", "kritiek_mislukt", "waarschuwing_mislukt"])
    st.altair_chart((heat + base.mark_text().encode(text="label:N")).properties(height=28 * latest["tabel"].nunique()),
                    width="stretch")
    st.caption("In elk vak: geslaagde van het aantal controles in de laatste run die de tabel controleerde.")
    failed = data.query(s, """
        with laatste as (select tabel, max_by(run_id, gecontroleerd_op) as run_id from dq_resultaten group by tabel)
        select tabel, dimensie, ernst, kolom, omschrijving, aantal_onverwacht, round(percentage_onverwacht, 2) as pct
        from dq_resultaten join laatste using (tabel, run_id) where not geslaagd order by ernst, tabel""")
    if failed.empty:
        st.success("Alle controles van de laatste runs zijn geslaagd.")
    else:
        st.markdown("**Mislukte controles in de laatste run:**")
        st.dataframe(failed, hide_index=True, width="stretch")

st.subheader("Verloop over de runs")
trend = data.query(s, """
    select gecontroleerd_op::date as dag, run_id, count(*) as controles,
           count_if(geslaagd) / count(*) as aandeel_geslaagd,
           count_if(not geslaagd and ernst = 'critical') as kritiek_mislukt,
           count_if(not geslaagd and ernst <> 'critical') as waarschuwing_mislukt
    from dq_resultaten group by all order by min(gecontroleerd_op)""")
figure = ui.with_explanation("dq_resultaten", ["run_id", "gecontroleerd_op"])
with figure:
    st.altair_chart(alt.Chart(trend).mark_line(point=True).encode(
        x=alt.X("dag:T", title="Dag van de run"),
        y=alt.Y("aandeel_geslaagd:Q", title="Aandeel geslaagd", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=["run_id", "controles", "kritiek_mislukt", "waarschuwing_mislukt"]).properties(height=220),
        width="stretch")
    st.caption(f"{len(trend)} run(s) met controles.")

st.subheader("Quarantaine: records die niet in brons kwamen, per bron en reden")
quarantine = data.quarantine_counts(s)
chosen = st.session_state.get(ui.GEMEENTEN_KEY) or []
if chosen:
    quarantine = quarantine[quarantine["gemeentecode"].isin(chosen)]
with st.container(border=True):
    st.caption("Alleen aantallen: de records zelf (met persoonsgegevens) blijven in bronze/_quarantaine. In de reden "
               "zijn waarden uit het record vervangen door '…'.")
    if quarantine.empty:
        st.success("Geen records in quarantaine.")
    else:
        per_source = quarantine.groupby(["bron_systeem", "bron_tabel"], as_index=False)["aantal"].sum()
        st.dataframe(per_source.rename(columns={"bron_systeem": "Bron", "bron_tabel": "Brons-tabel",
                                                "aantal": "Records in quarantaine"}), hide_index=True)
        st.dataframe(quarantine.rename(columns={"bron_systeem": "Bron", "bron_tabel": "Brons-tabel",
                                                "gemeentecode": "Gemeente", "reden": "Reden",
                                                "aantal": "Aantal"}), hide_index=True, width="stretch")

st.subheader("Actualiteit per bron: hoe oud is het nieuwste record?")
fresh = data.query(s, """
    with laatste as (select tabel, max_by(run_id, gecontroleerd_op) as run_id from dq_resultaten group by tabel)
    select tabel, kolom, waargenomen as nieuwste_waarde, omschrijving as norm, geslaagd, gecontroleerd_op
    from dq_resultaten join laatste using (tabel, run_id)
    where dimensie = 'actualiteit' and laag = 'bronze' order by tabel""")
figure = ui.with_explanation("dq_resultaten", ["dimensie", "waargenomen"])
with figure:
    fresh["gecontroleerd_op"] = fresh["gecontroleerd_op"].map(ui.local_time)
    fresh["geslaagd"] = fresh["geslaagd"].map({True: "actueel", False: "TE OUD"})
    st.dataframe(fresh.rename(columns={"tabel": "Bron (brons-tabel)", "kolom": "Kolom", "nieuwste_waarde":
                                       "Nieuwste waarde", "norm": "Norm", "geslaagd": "Status",
                                       "gecontroleerd_op": "Gecontroleerd op"}), hide_index=True, width="stretch")
