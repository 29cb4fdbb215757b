"""Asset definitions, one module per layer: feeds (raw, landing), dbt, publish, report."""

import warnings

from dagster import BetaWarning

# BackfillPolicy is marked beta; the year-range runs depend on it on purpose (single-run backfills).
warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy.*")
