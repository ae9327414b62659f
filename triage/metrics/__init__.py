"""Prometheus metrics: what the worker did (process-local) and what the database holds."""
