"""Feeds: one module per published table, each turning an archived document into landing rows."""
