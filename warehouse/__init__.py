"""The warehouse: bundled raw documents with provenance, landing-table registry, DuckDB location."""
