"""The one Definitions object: `dagster dev -m orchestration.definitions`."""

from dagster import Definitions, colored_console_logger, in_process_executor

from orchestration.assets.dbt import dbt_models
from orchestration.assets.feeds import feed_asset_defs
from orchestration.assets.publish import published_warehouse
from orchestration.assets.report import report_assets
from orchestration.assets.spark import spark_marts
from orchestration.jobs import materialize_everything
from orchestration.loggers import progress_logger
from orchestration.resources import resources
from orchestration.schedules import annual_refresh
from orchestration.sensors import run_sensors

defs = Definitions(
    assets=[*feed_asset_defs, dbt_models, published_warehouse, *report_assets, spark_marts],
    jobs=[materialize_everything],
    schedules=[annual_refresh],
    sensors=run_sensors,
    resources=resources(),
    # Dagster's console logger, and the one that feeds a refresh's progress display (orchestration/progress.py).
    loggers={"console": colored_console_logger, "progress": progress_logger},
    # One process, steps in order: the DuckDB single-writer design (see orchestration/resources.py).
    executor=in_process_executor,
)
