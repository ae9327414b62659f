"""Administering a tenant: the record of administrative changes and the working rules."""
