"""Reisdocumenten: validity endings ten years ahead, the 24-month forecast with its backtest, the coming peak months
and the counter hours they need."""


import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui

st.title("Reisdocumenten: verloop, prognose en baliecapaciteit")
ui.require_gold("reisdocumenten_prognose", "reisdocumenten_verloop_maand", "reisdocumenten_aanvragen_week")
s = ui.settings()
where, params = ui.gemeente_filter()
soort_naam = data.soortnamen()


def named(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(soortnaam=frame["soort"].map(lambda code: soort_naam.get(code, code)))


forecast = named(data.query(s, f"""
    select maand_start, soort, bool_or(verleden) as verleden, sum(gerealiseerd) as gerealiseerd,
           sum(verwacht) as verwacht, sum(backtest_verwacht) as backtest_verwacht,
           sum(baliefuncties_uren) as baliefuncties_uren, count_if(is_piek) as gemeenten_met_piek
    from reisdocumenten_prognose where {where} group by all order by maand_start, soort""", params))
if forecast.empty:
    st.info("Geen reisdocumentgegevens voor de gekozen gemeenten.")
    st.stop()
coming = forecast[forecast["verwacht"].notna()]

st.subheader("Komende piekmaanden en de baliecapaciteit die ze vragen")
figure = ui.with_explanation("reisdocumenten_prognose", ["verwacht", "is_piek", "baliefuncties_uren"])
with figure:
    hours = alt.Chart(coming).mark_bar().encode(
        x=alt.X("yearmonth(maand_start):O", title="Maand"),
        y=alt.Y("sum(baliefuncties_uren):Q", title="Balie-uren nodig"),
        color=alt.Color("soortnaam:N", title="Soort", legend=alt.Legend(orient="bottom", labelLimit=400)),
        tooltip=[alt.Tooltip("yearmonth(maand_start):O", title="Maand"), alt.Tooltip("soortnaam:N", title="Soort"),
                 alt.Tooltip("verwacht:Q", title="Verwachte aanvragen", format=".0f"),
                 alt.Tooltip("baliefuncties_uren:Q", title="Balie-uren", format=".0f")])
    st.altair_chart(hours.properties(height=300), width="stretch")
    # Summed and rounded in DuckDB, as gold is: a sum in another order or pandas' rounding (52.5 to the even
    # 52) would show a month an hour off
    per_month = data.query(s, f"""
        select maand_start, strftime(maand_start, '%m-%Y') as maand, round(sum(verwacht)) as verwacht,
               round(sum(baliefuncties_uren)) as uren, bool_or(is_piek) as piek
        from reisdocumenten_prognose where verwacht is not null and {where} group by all order by maand_start""", params)
    busiest = per_month.loc[per_month["uren"].idxmax()]
    peak_months = per_month[per_month["piek"]]
    st.markdown(f"**Drukste maand:** {busiest['maand']}, {busiest['uren']:.0f} balie-uren voor "
                f"{busiest['verwacht']:.0f} "
                "verwachte aanvragen. " + (f"**Piekmaanden** (minstens 1,2 × het gemiddelde van de soort): "
                                           f"{', '.join(peak_months['maand'])}." if len(peak_months) else
                                           "Geen piekmaanden (1,2 × het gemiddelde van de soort) in de komende 24 "
                                           "maanden."))
    st.dataframe(per_month.sort_values(["piek", "maand_start"], ascending=[False, True])[
        ["maand", "verwacht", "uren", "piek"]]
                 .rename(columns={"maand": "Maand", "verwacht": "Verwachte aanvragen", "uren": "Balie-uren nodig",
                                  "piek": "Piekmaand"}), hide_index=True, width="stretch", height=250)

st.subheader("Prognose van aanvragen, met de terugtoets")
figure = ui.with_explanation("reisdocumenten_prognose", ["gerealiseerd", "verwacht", "backtest_verwacht"])
with figure:
    series = forecast.melt(["maand_start", "soortnaam"], ["gerealiseerd", "verwacht", "backtest_verwacht"],
                           var_name="reeks", value_name="aanvragen").dropna(subset=["aanvragen"])
    series["reeks"] = series["reeks"].map({"gerealiseerd": "Gerealiseerd", "verwacht": "Verwacht (prognose)",
                                           "backtest_verwacht": "Terugtoets: voorspeld vanaf 12 maanden terug"})
    chart = alt.Chart(series).mark_line(point=alt.OverlayMarkDef(size=15)).encode(
        x=alt.X("maand_start:T", title="Maand"), y=alt.Y("aanvragen:Q", title="Aanvragen per maand"),
        color=alt.Color("reeks:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=400)),
        strokeDash=alt.StrokeDash("reeks:N", legend=None),
        facet=alt.Facet("soortnaam:N", title=None, columns=1))
    st.altair_chart(chart.properties(height=200), width="stretch")
    tested = forecast[forecast["backtest_verwacht"].notna() & forecast["gerealiseerd"].notna()]
    for naam, rows in tested.groupby("soortnaam"):
        error = (rows["backtest_verwacht"] - rows["gerealiseerd"]).abs().sum() / rows["gerealiseerd"].sum()
        st.caption(f"Terugtoets {naam}: over {len(rows)} maanden week de methode gemiddeld {error:.0%} af van wat "
                   "er werkelijk werd aangevraagd.")

st.subheader("Verloop van de geldigheid, tien jaar vooruit")
endings = named(data.query(s, f"""
    select year(maand_start) as jaar, soort, leeftijdsklasse, sum(aantal_verlopend) as aantal_verlopend
    from reisdocumenten_verloop_maand where {where} and maand_start >= date_trunc('year', ?::date)
    group by all order by jaar, soort""", [*params, s.peildatum]))
figure = ui.with_explanation("reisdocumenten_verloop_maand", ["aantal_verlopend", "leeftijdsklasse"])
with figure:
    bars = alt.Chart(endings).mark_bar().encode(
        x=alt.X("jaar:O", title="Jaar waarin de geldigheid eindigt"),
        y=alt.Y("sum(aantal_verlopend):Q", title="Documenten"),
        color=alt.Color("leeftijdsklasse:N", title="Leeftijd bij einde", legend=alt.Legend(orient="bottom")),
        column=alt.Column("soortnaam:N", title=None),
        tooltip=[alt.Tooltip("jaar:O", title="Jaar"), alt.Tooltip("leeftijdsklasse:N", title="Leeftijd"),
                 alt.Tooltip("sum(aantal_verlopend):Q", title="Documenten")])
    st.altair_chart(bars.properties(height=240, width=230))

st.subheader("Aanvragen per week aan de balie")
weekly = named(data.query(s, f"""
    select week_start, soort, sum(aantal_aanvragen) as aanvragen, sum(aantal_spoed) as spoed,
           max(feestdagen) as feestdagen, any_value(feestdag_namen) as feestdag_namen
    from reisdocumenten_aanvragen_week where {where}
      and week_start >= (select max(week_start) from reisdocumenten_aanvragen_week) - interval 1 year
    group by all order by week_start""", params))
figure = ui.with_explanation("reisdocumenten_aanvragen_week", ["aantal_aanvragen", "aantal_spoed", "feestdagen"])
with figure:
    lines = alt.Chart(weekly).mark_line().encode(
        x=alt.X("week_start:T", title="Week"), y=alt.Y("aanvragen:Q", title="Aanvragen"),
        color=alt.Color("soortnaam:N", title="Soort", legend=alt.Legend(orient="bottom", labelLimit=400)))
    holidays = alt.Chart(weekly[weekly["feestdagen"] > 0].drop_duplicates("week_start")).mark_rule(
        color="#bbbbbb", strokeDash=[4, 4]).encode(x="week_start:T",
                                                    tooltip=[alt.Tooltip("feestdag_namen:N", title="Feestdag")])
    st.altair_chart((holidays + lines).properties(height=260), width="stretch")
    st.caption("Stippellijnen: weken met een feestdag (balies dicht).")
