"""The dbt models (staging → intermediate → marts) as Dagster assets; dbt tests become asset checks."""

from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, BackfillPolicy
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_project import dbt_project
from orchestration.resources import DUCKDB_POOL, WarehouseBuild
from warehouse import build_state

# Run tag that makes dbt rebuild even when documents and code are those of the published build.
REBUILD_TAG = "warehouse/rebuild"


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # Group by layer: the model's folder (staging, intermediate, marts), seeds as "reference".
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else None


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=Translator(),
    # Unpartitioned, but must run once inside a year-range run of the feeds.
    backfill_policy=BackfillPolicy.single_run(),
    pool=DUCKDB_POOL,
)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseBuild):
    with warehouse.connection(context.run.run_id) as con:
        if context.run.tags.get(REBUILD_TAG) != "true" and build_state.unchanged_since_published(con):
            context.log.info("Documents and code unchanged since the published build: dbt not run.")
            return
    # Built and tested in the run's staging copy; a failing dbt test fails this step, so nothing publishes.
    with warehouse.dbt_target(context.run.run_id):
        yield from dbt.cli(["build"], context=context).stream()
