"""Acquire and parse: one folder per feed (scrapers/<feed>/: feed.toml, parse.py, schema.py, and source.py
for a live source), found by convention (scrapers/feeds.py); what the feeds share lives in the folders
that start with an underscore."""
