"""What every page shares: the settings, the municipality selection, the explanation beside each figure, and how
suppressed Wmo cells are shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard import data
from pipelines.settings import TIMEZONE, Settings, load_settings

HERKOMST_PAGE = "pages/herkomst.py"
GEMEENTEN_KEY = "gemeenten"
ONDERDRUKT = "<5"  # a suppressed cell: fewer than 5 clients; never shown as 0, never derivable from a total


@st.cache_resource
def settings() -> Settings:
    return load_settings()


def selected_gemeenten() -> list[str]:
    """The municipalities chosen in the sidebar; none chosen means all."""
    chosen = st.session_state.get(GEMEENTEN_KEY) or []
    return list(chosen) or data.gemeenten(settings())


def gemeente_filter(column: str = "gemeentecode") -> tuple[str, list]:
    """A SQL condition and its parameter for the selected municipalities."""
    return f"{column} in (select unnest(?))", [selected_gemeenten()]


def require_gold(*tables: str) -> None:
    """Stop the page with an explanation when nothing, or not each of `tables`, is published yet."""
    if data.publication_key(settings()) is None:
        st.warning(f"Er is nog niets gepubliceerd in {settings().gold}. Draai eerst `make run`; daarna verschijnen "
                   "de cijfers hier vanzelf.")
        st.stop()
    published = set(data.publication(settings())["tabel"])
    if missing := [t for t in tables if t not in published]:
        st.warning(f"Nog niet gepubliceerd: {', '.join(missing)}. Dit onderwerp verschijnt zodra een run het "
                   "publiceert (zie de pagina Datakwaliteit voor controles die de publicatie tegenhielden).")
        st.stop()


def local_time(moment) -> str:
    """A UTC timestamp (as gold stores it) in Dutch local time."""
    if moment is None or pd.isna(moment):
        return "onbekend"
    return pd.Timestamp(moment).tz_localize(dt.UTC).tz_convert(TIMEZONE).strftime("%d-%m-%Y %H:%M")


def explanation(table: str, used: Sequence[str] = ()) -> None:
    """Beside a figure: the table's definition and the used columns' (from the dbt YAML), when and by which run it
    was published, its data-quality status, and a link to its lineage."""
    s = settings()
    definition = data.definition(s, table)
    with st.container(border=True):
        st.markdown(f"**Bron:** gold-tabel `{table}`")
        if definition:
            st.caption(definition.omschrijving)
            for column in used:
                if column in definition.kolommen:
                    st.caption(f"`{column}`: {definition.kolommen[column]}")
        elif table == data.DQ_TABLE:
            st.caption("Geen dbt-model: de kwaliteitscontroles (expectations/ en de dbt-tests) schrijven deze tabel "
                       "zelf; de kolommen zijn die van hun uitkomsten.")
        published = data.publication(s)
        row = published[published["tabel"] == table]
        if row.empty:
            st.markdown("**Gepubliceerd:** nog niet")
        else:
            st.markdown(f"**Gepubliceerd:** {local_time(row['gepubliceerd_op'].iloc[0])}, run "
                        f"`{str(row['run_id'].iloc[0])[:8]}`")
        if table == data.DQ_TABLE:
            st.page_link(HERKOMST_PAGE, label="Herkomst en definities", icon=":material/account_tree:")
            return
        status = data.dq_status(s, f"gold.{table}")
        warned = status.mislukt_waarschuwing or status.run_id is None
        icon = (":red[:material/block:]" if status.mislukt_kritiek else ":orange[:material/warning:]" if warned
                else ":green[:material/check_circle:]")
        st.markdown(f"**Datakwaliteit:** {icon} {status.label}")
        st.page_link(HERKOMST_PAGE, label="Herkomst en definities", icon=":material/account_tree:",
                     query_params={"tabel": table})


def with_explanation(table: str, used: Sequence[str] = ()):
    """Two columns: the figure (returned, to draw in) and its explanation beside it."""
    figure, side = st.columns([3, 1.3])
    with side:
        explanation(table, used)
    return figure


def suppressed(frame: pd.DataFrame, value_columns: Sequence[str]) -> pd.DataFrame:
    """A table for display: the values of suppressed cells (`onderdrukt`) read "<5", the others as whole numbers,
    rounded figures or (columns named `aandeel...`) percentages; no total is added."""
    shown = frame.copy()
    hidden = shown["onderdrukt"].fillna(False).astype(bool) if "onderdrukt" in shown else pd.Series(False, shown.index)
    for column in value_columns:
        fmt = format_percentage if "aandeel" in column else format_number
        shown[column] = [ONDERDRUKT if hide else fmt(value) for hide, value in zip(hidden, shown[column])]
    return shown.drop(columns=["onderdrukt"], errors="ignore")


def format_percentage(value) -> str:
    return "" if value is None or pd.isna(value) else f"{100 * value:.0f}%"


def format_number(value) -> str:
    if value is None or pd.isna(value):
        return ""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
