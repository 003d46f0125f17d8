"""Data quality: Great Expectations suites from `expectations/`, run on dataframes fetched from DuckDB."""
