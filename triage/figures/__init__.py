"""Backlog figures: daily snapshots, baseline vs. today, forecasts, process maturity."""
