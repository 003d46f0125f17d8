"""Every source system the product ingests, and every bronze table: the one list the rest derives from."""

from pipelines.bronze.fixi import FIXI
from pipelines.bronze.referentie import CBS
from pipelines.bronze.tables import FEESTDAG, BronzeTable

SOURCES = (CBS, FIXI)
BRONZE_TABLES: dict[str, BronzeTable] = {t.name: t for t in (*(s.table for s in SOURCES), FEESTDAG)}
