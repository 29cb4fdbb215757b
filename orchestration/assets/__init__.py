"""Asset definitions, one module per layer: feeds (raw, landing), dbt, publish, report."""
