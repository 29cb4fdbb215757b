"""The dbt models (staging → intermediate → marts) as Dagster assets; dbt tests become asset checks."""

import json
from collections.abc import Mapping
from typing import Any

import duckdb
from dagster import AssetExecutionContext, BackfillPolicy, Output
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

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics-engineering"]

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {**super().get_tags(dbt_resource_props), "layer": self.get_group_name(dbt_resource_props) or "dbt"}


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
    # Test results are logged as they stream in, while dbt works on the other core; a model's or seed's
    # materialization waits for its row count, which needs the file the dbt process holds until it exits.
    held = []
    with warehouse.dbt_target(context.run.run_id):
        try:
            for event in dbt.cli(["build"], context=context).stream():
                if relation_of(event) is None:
                    yield event
                else:
                    held.append(event)
        except Exception:
            yield from held  # what did succeed still shows, before the failure
            raise
    with warehouse.connection(context.run.run_id) as con:
        for event in held:
            yield with_row_count(event, con)


def relation_of(event) -> str | None:
    """schema.name of the table or view a model's or seed's materialization built (None for test results)."""
    return RELATIONS.get(event.metadata.get("unique_id").value) if isinstance(event, Output) else None


def with_row_count(event: Output, con: duckdb.DuckDBPyConnection) -> Output:
    """A model's or seed's materialization with the row count of the table or view it built."""
    relation = relation_of(event)
    rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    return event.with_metadata({**event.metadata, "dagster/row_count": rows})


def relations(manifest_path) -> dict[str, str]:
    """unique_id -> schema.name of every model and seed in the manifest."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return {n["unique_id"]: f'{n["schema"]}.{n["alias"]}' for n in nodes if n["resource_type"] in ("model", "seed")}


RELATIONS = relations(dbt_project.manifest_path)
