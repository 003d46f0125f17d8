"""Herkomst en definities: for a gold table and column, its definition, owner and privacy class (dbt YAML), the run
that published it, its data-quality status, and its column lineage back to bronze columns and landing files."""

import pandas as pd
import streamlit as st

from dashboard import data, ui

st.title("Herkomst en definities")
ui.require_gold()
s = ui.settings()

tables = data.gold_tables(s)
asked = st.query_params.get("tabel")
table = st.selectbox("Gold-tabel", tables, index=tables.index(asked) if asked in tables else 0)
definition = data.definition(s, table)
cols = data.columns(s, table) or list(definition.kolommen)
asked = st.query_params.get("kolom")
column = st.selectbox("Kolom", cols, index=cols.index(asked) if asked in cols else len(cols) - 1)

left, right = st.columns(2)
with left:
    st.subheader("Definitie")
    st.markdown(definition.omschrijving)
    st.markdown(f"**Kolom `{column}`:** {definition.kolommen.get(column) or 'geen definitie in de dbt YAML'}")
    st.markdown(f"**Eigenaar:** {definition.eigenaar}  \n**Privacyklasse:** {definition.privacy}  \n"
                f"**Bewaartermijn:** {definition.bewaartermijn}")
with right:
    st.subheader("Publicatie en kwaliteit")
    published = data.publication(s)
    row = published[published["tabel"] == table]
    if row.empty:
        st.markdown("Nog niet gepubliceerd.")
    else:
        row = row.iloc[0]
        st.markdown(f"**Gepubliceerd:** {ui.local_time(row['gepubliceerd_op'])}  \n**Door run:** `{row['run_id']}`  \n"
                    f"**Gebouwd in run:** `{row['gebouwd_in_run']}`  \n**Rijen:** {row['aantal_rijen']:,}  \n"
                    f"**Bestand:** `{s.gold / (table + '.parquet')}`")
    st.markdown(f"**Datakwaliteit:** {data.dq_status(s, f'gold.{table}').label}")

st.subheader(f"Kolomherkomst van `{table}.{column}` terug naar brons")
steps = pd.DataFrame(data.lineage_to_bronze(s, table, column))
if steps.empty:
    st.info("Voor deze kolom is geen kolomherkomst vastgelegd (een constante, of de run legde die nog niet vast).")
else:
    steps["van"] = steps["komt_uit_laag"] + "." + steps["komt_uit_tabel"] + "." + steps["komt_uit_kolom"]
    steps["naar"] = steps["laag"] + "." + steps["tabel"] + "." + steps["kolom"]
    manifest = data.manifest(s)

    def meaning(zone, name, col):
        node = data.find_node(manifest, name, zone)
        return " ".join(((node or {}).get("columns", {}).get(col, {}).get("description") or "").split())

    steps["definitie van de bron"] = [meaning(z, t, c) for z, t, c in
                                      zip(steps["komt_uit_laag"], steps["komt_uit_tabel"], steps["komt_uit_kolom"])]
    st.dataframe(steps[["naar", "van", "definitie van de bron"]].rename(columns={"naar": "Kolom", "van": "komt uit"}),
                 hide_index=True, width="stretch")
    bronze = sorted({t for z, t in zip(steps["komt_uit_laag"], steps["komt_uit_tabel"]) if z == "bronze"})
    st.markdown("**Brons-tabellen en hun landingsbestanden:**" if bronze else
                "Deze kolom komt uit geen brons-kolom: hij wordt berekend (bijvoorbeeld uit de kalender of een "
                "codelijst).")
    for name in bronze:
        origin = data.landing_of(s, name)
        st.markdown(f"- `bronze.{name}`: bron **{origin['bron_systeem']}**, {origin['bestanden']:,} bestand(en) "
                    f"ingelezen uit `{origin['landingsmap']}`; laatst gewijzigd: `{origin['laatste_bestand']}`. "
                    "Elke brons-rij noemt zijn bestand en recordnummer (`bron_bestand`, `bron_record`).")

st.subheader("Zelf verder zoeken")
docs = s.dbt_docs / "static_index.html"
st.markdown(f"- dbt docs (modelgraaf, alle definities), opent zonder server: `{docs}`\n"
            f"- OpenLineage-gebeurtenissen van elke run: `{s.lineage / 'events'}`\n"
            f"- De gold-tabellen zelf, alleen-lezen: `{s.gold_db}` (zie de README, 'Querying gold')")
