"""The dashboard on gold: `make dashboard`, then http://localhost:8501. One page per question (pages/)."""

import streamlit as st

from dashboard import data, ui

st.set_page_config(page_title="Gemeente lakehouse", page_icon=":material/bar_chart:", layout="wide")

PAGES = [
    st.Page("pages/wachtlijsten.py", title="Wachtlijsten sociaal domein", icon=":material/groups:", default=True),
    st.Page("pages/fixi.py", title="Fixi meldingen", icon=":material/construction:"),
    st.Page("pages/reisdocumenten.py", title="Reisdocumenten", icon=":material/badge:"),
    st.Page("pages/datakwaliteit.py", title="Datakwaliteit", icon=":material/fact_check:"),
    st.Page(ui.HERKOMST_PAGE, title="Herkomst en definities", icon=":material/account_tree:"),
]
page = st.navigation(PAGES)

settings = ui.settings()
with st.sidebar:
    st.multiselect("Gemeenten", data.gemeenten(settings), key=ui.GEMEENTEN_KEY, placeholder="Alle gemeenten",
                   help="Kies één of meer gemeenten; leeg laten toont alle gemeenten.")
    published = data.publication(settings)
    if not published.empty:
        latest = published.loc[published["gepubliceerd_op"].idxmax()]
        st.caption(f"Laatste publicatie: {ui.local_time(latest['gepubliceerd_op'])} (run `{latest['run_id'][:8]}`). "
                   "Een nieuwe publicatie verschijnt bij de volgende klik, zonder herstart.")
    st.caption(f"Gegevens: {settings.gold}")
page.run()
