"""Fixi meldingen openbare ruimte: weekly counts against the expected band, peaks and what drove them, the coming
8 weeks with their band, handling times against the municipality's terms, and the backlog at month end."""


import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui

st.title("Fixi meldingen openbare ruimte")
ui.require_gold("fixi_pieken", "fixi_afhandeling", "fixi_piek_oorzaken", "fixi_prognose")
s = ui.settings()
where, params = ui.gemeente_filter()

categories = data.query(s, f"select categorie, count_if(is_piek) as pieken from fixi_pieken where {where} "
                           "group by categorie order by pieken desc, categorie", params)
if categories.empty:
    st.info("Geen Fixi-gegevens voor de gekozen gemeenten.")
    st.stop()
col1, col2 = st.columns([2, 1])
categorie = col1.selectbox("Categorie", categories["categorie"].tolist(),
                           help="Gesorteerd op het aantal piekweken; de bovenste piekt het vaakst.")
weeks = col2.slider("Aantal weken terug", 8, 156, 52)

st.subheader(f"Meldingen per week: {categorie}, tegen de verwachte bandbreedte")
week = data.query(s, f"""
    select gemeentecode, week_start, aantal_meldingen, verwacht_aantal, spreiding, verhouding, is_piek,
           drukste_wijknaam, aandeel_drukste_wijk, aandeel_van_week
    from fixi_pieken where categorie = ? and {where}
      and week_start >= (select max(week_start) from fixi_pieken) - ?::integer * 7
    order by gemeentecode, week_start""", [categorie, *params, weeks])
week["ondergrens"] = (week["verwacht_aantal"] - 3 * week["spreiding"]).clip(lower=0)
week["bovengrens"] = week["verwacht_aantal"] + 3 * week["spreiding"]
figure = ui.with_explanation("fixi_pieken", ["aantal_meldingen", "verwacht_aantal", "spreiding", "is_piek"])
with figure:
    several = week["gemeentecode"].nunique() > 1
    color = alt.Color("gemeentecode:N", title="Gemeente") if several else alt.value("#1f77b4")
    x = alt.X("week_start:T", title="Week")
    band = alt.Chart(week).mark_area(opacity=0.2).encode(
        x=x, y=alt.Y("ondergrens:Q", title="Meldingen per week"), y2="bovengrens:Q",
        color=color if several else alt.value("#9ecae1"))
    line = alt.Chart(week).mark_line().encode(x=x, y="aantal_meldingen:Q", color=color)
    peaks = alt.Chart(week[week["is_piek"].fillna(False)]).mark_point(color="red", size=90, filled=True).encode(
        x=x, y="aantal_meldingen:Q",
        tooltip=[alt.Tooltip("week_start:T", title="Week"), alt.Tooltip("aantal_meldingen:Q", title="Meldingen"),
                 alt.Tooltip("verwacht_aantal:Q", title="Verwacht", format=".0f"),
                 alt.Tooltip("drukste_wijknaam:N", title="Drukste wijk")])
    st.altair_chart((band + line + peaks).properties(height=320), width="stretch")
    st.caption("Band: verwacht aantal (mediaan van de 8 weken ervoor) plus en min 3 keer de spreiding. "
               "Rode punten: piekweken.")

st.subheader("Piekweken en wat erachter zat")
peak_where, peak_params = ui.gemeente_filter("p.gemeentecode")
peaks = data.query(s, f"""
    select p.gemeentecode, p.week_start, p.categorie, p.aantal_meldingen, round(p.verwacht_aantal, 1) as verwacht,
           round(p.verhouding, 1) as x_normaal, round(100 * p.aandeel_van_week) as pct_van_week, p.drukste_wijknaam,
           round(100 * p.aandeel_drukste_wijk) as pct_drukste_wijk,
           (select string_agg(o.oorzaak, '; ' order by o.oorzaak_soort, o.oorzaak) from fixi_piek_oorzaken as o
            where o.gemeentecode = p.gemeentecode and o.week_start = p.week_start and o.categorie = p.categorie)
               as oorzaken,
           (select any_value(o.ook_gestegen) from fixi_piek_oorzaken as o where o.gemeentecode = p.gemeentecode
            and o.week_start = p.week_start and o.categorie = p.categorie) as ook_gestegen
    from fixi_pieken as p where p.is_piek and {peak_where}
    order by p.week_start desc, p.verhouding desc limit 25""", peak_params)
figure = ui.with_explanation("fixi_piek_oorzaken", ["oorzaak_soort", "oorzaak", "ook_gestegen"])
with figure:
    peaks["week_start"] = pd.to_datetime(peaks["week_start"]).dt.strftime("%d-%m-%Y")
    st.dataframe(peaks.rename(columns={
        "gemeentecode": "Gemeente", "week_start": "Week van", "categorie": "Categorie", "aantal_meldingen": "Meldingen",
        "verwacht": "Verwacht", "x_normaal": "× normaal", "pct_van_week": "% van de week",
        "drukste_wijknaam": "Drukste wijk", "pct_drukste_wijk": "% in die wijk", "oorzaken": "Wat speelde er",
        "ook_gestegen": "Ook gestegen"}), hide_index=True, width="stretch")
    st.caption("Wat speelde er: storm, vorst of hevige regen bij het KNMI-station van de gemeente (alleen bij "
               "categorieën die dat weer raakt), een feestdag, een schoolvakantie in de regio van de gemeente (noord, "
               "midden, zuid; de adviesdata van het ministerie, niet de eigen vrije dagen van een school), de wijk met "
               "minstens de helft van de extra meldingen, of een cluster van meldingen over één plek. Het valt samen "
               "met de piek; het is geen bewijs van oorzaak.")

st.subheader(f"De komende 8 weken: {categorie}")
coming = data.query(s, f"""
    select gemeentecode, week_start, verwacht, ondergrens, bovengrens, is_piek_verwacht, feestdag_naam,
           schoolvakantie, backtest_fout, prognose_beperking
    from fixi_prognose where not verleden and categorie = ? and {where} order by gemeentecode, week_start""",
                    [categorie, *params])
figure = ui.with_explanation("fixi_prognose", ["verwacht", "ondergrens", "bovengrens", "is_piek_verwacht",
                                               "backtest_fout", "prognose_beperking"])
with figure:
    for beperking in sorted(coming["prognose_beperking"].dropna().unique()):
        st.info(f"Geen verwachting voor {categorie}: {beperking}.")
    known = coming[coming["verwacht"].notna()]
    if not known.empty:
        several = known["gemeentecode"].nunique() > 1
        color = alt.Color("gemeentecode:N", title="Gemeente") if several else alt.value("#1f77b4")
        x = alt.X("week_start:T", title="Week")
        band = alt.Chart(known).mark_area(opacity=0.2).encode(
            x=x, y=alt.Y("ondergrens:Q", title="Verwachte meldingen per week"), y2="bovengrens:Q",
            color=color if several else alt.value("#9ecae1"))
        line = alt.Chart(known).mark_line(point=True).encode(x=x, y="verwacht:Q", color=color)
        likely = alt.Chart(known[known["is_piek_verwacht"]]).mark_point(color="red", size=90, filled=True).encode(
            x=x, y="verwacht:Q")
        st.altair_chart((band + line + likely).properties(height=280), width="stretch")
        table = known.assign(week_start=pd.to_datetime(known["week_start"]).dt.strftime("%d-%m-%Y"))
        st.dataframe(table[["gemeentecode", "week_start", "verwacht", "ondergrens", "bovengrens", "is_piek_verwacht",
                            "feestdag_naam", "schoolvakantie"]].round(1).rename(columns={
            "gemeentecode": "Gemeente", "week_start": "Week van", "verwacht": "Verwacht", "ondergrens": "Ondergrens",
            "bovengrens": "Bovengrens", "is_piek_verwacht": "Waarschijnlijk piek", "feestdag_naam": "Feestdag",
            "schoolvakantie": "Schoolvakantie"}),
            hide_index=True, width="stretch")
        error = known["backtest_fout"].dropna()
        st.caption("Band: 90% van de weken valt naar verwachting daarbinnen (seizoen van eerdere jaren, een week in "
                   "een schoolvakantie naar de vakantieweken van toen, x feestdag x trend; het weer als klimaat, want "
                   "een storm is niet te voorzien). Rode punten: waarschijnlijke "
                   "piekweken. " + (f"Terugtoets over de afgelopen 48 weken: de methode zat er "
                                    f"{100 * error.max():.0f}% van de meldingen naast." if len(error) else ""))

st.subheader("Afhandeling binnen de termijn en achterstand aan het eind van de maand")
handling = data.query(s, f"""
    select maand_start, categorie, any_value(afhandeltermijn_werkdagen) as termijn_werkdagen,
           sum(aantal_binnengekomen) as binnengekomen, sum(aantal_afgehandeld) as afgehandeld,
           sum(aantal_binnen_termijn) as binnen_termijn, sum(openstaand_einde_maand) as openstaand_einde_maand
    from fixi_afhandeling where {where} group by all order by maand_start, categorie""", params)
handling["aandeel_binnen_termijn"] = handling["binnen_termijn"] / handling["afgehandeld"].where(
    handling["afgehandeld"] > 0)
figure = ui.with_explanation("fixi_afhandeling", ["afhandeltermijn_werkdagen", "aandeel_binnen_termijn",
                                                  "openstaand_einde_maand"])
with figure:
    chosen = handling[handling["categorie"] == categorie]
    share = alt.Chart(chosen).mark_line(point=True).encode(
        x=alt.X("maand_start:T", title="Maand"),
        y=alt.Y("aandeel_binnen_termijn:Q", title="Aandeel binnen termijn", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])))
    backlog = alt.Chart(chosen).mark_bar(opacity=0.4, color="#ff7f0e").encode(
        x="maand_start:T", y=alt.Y("openstaand_einde_maand:Q", title="Openstaand einde maand"))
    st.altair_chart(alt.layer(backlog, share).resolve_scale(y="independent").properties(height=300), width="stretch")
    term = chosen["termijn_werkdagen"].dropna()
    st.caption(f"{categorie}: termijn {int(term.iloc[0]) if len(term) else '?'} werkdagen. Lijn: aandeel binnen de "
               "termijn afgehandeld (rechteras); staven: meldingen nog open aan het eind van de maand (linkeras).")
    last = handling[handling["maand_start"] == handling["maand_start"].max()]
    st.markdown(f"**Laatste maand ({pd.Timestamp(last['maand_start'].iloc[0]).strftime('%m-%Y')}), alle "
                "categorieën:**")
    st.dataframe(last[["categorie", "termijn_werkdagen", "binnengekomen", "afgehandeld", "aandeel_binnen_termijn",
                       "openstaand_einde_maand"]].rename(columns={
        "categorie": "Categorie", "termijn_werkdagen": "Termijn (werkdagen)", "binnengekomen": "Binnengekomen",
        "afgehandeld": "Afgehandeld", "aandeel_binnen_termijn": "Aandeel binnen termijn",
        "openstaand_einde_maand": "Openstaand einde maand"}),
        column_config={"Aandeel binnen termijn": st.column_config.NumberColumn(format="percent")},
        hide_index=True, width="stretch")
