"""Every source system the product ingests, and every bronze table: the one list the rest derives from."""

from pipelines.bronze.brp import BRP
from pipelines.bronze.burgerzaken import BURGERZAKEN
from pipelines.bronze.fixi import FIXI
from pipelines.bronze.iwmo import IWMO
from pipelines.bronze.referentie import CBS
from pipelines.bronze.tables import FEESTDAG, SCHOOLVAKANTIE, BronzeTable
from pipelines.bronze.zorgned import ZORGNED

SOURCES = (CBS, FIXI, IWMO, ZORGNED, BRP, BURGERZAKEN)
BRONZE_TABLES: dict[str, BronzeTable] = {t.name: t for t in (*(t for s in SOURCES for t in (*s.tables, s.aanlevering)),
                                                              FEESTDAG, SCHOOLVAKANTIE)}
# The source system of each bronze table read from landing.
BRONZE_SYSTEMS: dict[str, str] = {t.name: s.system for s in SOURCES for t in s.tables}
