"""Dagster code location of the municipal lakehouse."""
