"""Landing -> bronze: parsers per source system, the shared ingestion mechanism, and the table definitions."""
