"""Declarative component trees, one module per tab; no I/O here. Ids live in ``layout.ids``."""
