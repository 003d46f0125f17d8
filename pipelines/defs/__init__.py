"""Dagster definitions, discovered from this package: one module per concern."""
