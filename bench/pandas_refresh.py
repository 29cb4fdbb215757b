"""The plain pandas script a refresh is measured against: the same four marts from the same bundled documents.

    .venv/bin/python -m bench.pandas_refresh OUT.duckdb

Reads every bundled document (sha256-verified) with the feeds' own parsers, then computes the marts with
bench/pandas_marts.py (the comparison side of the scale benchmark) and writes them to OUT.duckdb: no gates,
no Pandera, no checks, no provenance table, no atomic publish, no orchestration. What a refresh costs beyond
this is the price of everything else it does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd

from bench.pandas_marts import marts_from_landing
from core import paths
from core.errors import OtherTable
from scrapers.feeds import FEEDS
from warehouse.archive import read_verified, records_for


def parsed(feed, record) -> pd.DataFrame | None:
    try:
        rows = feed.parse(read_verified(record))
    except OtherTable:  # another table than the feed's: the refresh refuses it too, and its year is a gap
        return None
    return rows.assign(document_sha256=record.sha256, publication_year=record.publication_year)


def landing_frames() -> dict[str, pd.DataFrame]:
    frames = {}
    for name, feed in FEEDS.items():
        documents = [rows for record in records_for(name) if (rows := parsed(feed, record)) is not None]
        columns = list(feed.schema.to_schema().columns)
        frames[name] = (pd.concat(documents, ignore_index=True) if documents else pd.DataFrame()).reindex(columns=columns)
    return frames


def main() -> None:
    out = Path(sys.argv[1])
    known_jumps = pd.DataFrame([
        {"feed": name, "province": jump["province"], "data_year": jump["data_year"], "column_name": jump["column"],
         "previous_value": float(jump["previous"]), "value": float(jump["value"]), "why": jump["why"]}
        for name, feed in FEEDS.items() for jump in feed.spec.known_jumps])
    marts = marts_from_landing(landing_frames(), pd.read_csv(paths.PUBLICATIONS_SEED),
                               pd.read_csv(paths.PROVINCE_SEED, dtype=str),
                               pd.read_csv(paths.SEEDS_DIR / "cluster_membership.csv", dtype={"province": str}),
                               known_jumps)
    with duckdb.connect(str(out)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for name, frame in marts.items():
            con.register("frame", frame)
            con.execute(f"CREATE OR REPLACE TABLE marts.{name} AS SELECT * FROM frame")
            con.unregister("frame")


if __name__ == "__main__":
    main()
