"""Dagster definitions of tabletwin: assets from the catalog, jobs, the daily schedule, resources."""
