"""The dbt models (staging → intermediate → marts) as Dagster assets; dbt tests become asset checks."""

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, Failure, MetadataValue, Output, TableColumn, TableSchema
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from core import paths
from core.failpoints import failpoint
from orchestration.dbt_project import dbt_project
from orchestration.resources import DUCKDB_POOL, WarehouseBuild
from orchestration.run_settings import REBUILD_TAG, VINTAGE_TAG
from serve.query import result_frame
from warehouse import build_state, run_summary


def run_vintage(context: AssetExecutionContext) -> str:
    return context.run.tags.get(VINTAGE_TAG) or build_state.default_vintage()


def vintage_vars(vintage: str) -> list[str]:
    """`--vars` for dbt only where the run's vintage is not the project's default. Passing vars changes dbt's
    vars hash, so the build could not reuse the manifest `make` parsed (without vars) and parsed the whole
    project again: 4–17 s of every refresh's `dbt build` (BENCHMARKS.md, "Start-up")."""
    return [] if vintage == build_state.default_vintage() else ["--vars", json.dumps({"vintage": vintage})]


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # Group by layer: the model's folder (staging, intermediate, marts), seeds as "reference".
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else None

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics-engineering"]

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        # The model's own description: dagster-dbt's default appends the raw SQL, which the catalog list shows as
        # markdown source. The SQL is a click away in the asset's code reference.
        return dbt_resource_props.get("description") or dbt_resource_props["name"]

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {**super().get_tags(dbt_resource_props), "layer": self.get_group_name(dbt_resource_props) or "dbt"}


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=Translator(),
    pool=DUCKDB_POOL,
)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseBuild):
    with warehouse.connection(context.run.run_id) as con:
        if context.run.tags.get(REBUILD_TAG) != "true" and build_state.unchanged_since_published(con, run_vintage(context)):
            context.log.info("Documents and code unchanged since the published build: dbt not run.")
            return
    # Built and tested in the run's staging copy; a failing dbt test fails this step, so nothing publishes.
    # Test results are logged as they stream in, while dbt works on the other core; a model's or seed's
    # materialization waits for its row count, which needs the file the dbt process holds until it exits.
    held = []
    with warehouse.dbt_target(context.run.run_id):
        invocation = dbt.cli(["build", *vintage_vars(run_vintage(context))], context=context, raise_on_error=False)
        warehouse.staged(context.run.run_id).record_child(invocation.process.pid)
        failpoint("dbt")
        try:
            for event in invocation.stream():
                if relation_of(event) is None:
                    yield event
                else:
                    held.append(event)
            results = invocation.get_artifact("run_results.json")
        finally:
            keep_dbt_record(invocation.target_path, context.run.run_id)
        if not invocation.is_successful():
            yield from held  # what did succeed still shows, before the failure
            with warehouse.connection(context.run.run_id) as con:  # dbt has exited: its file is free
                reason = dbt_failures(results, con)
            run_summary.record_failure(context.run.run_id, "dbt", reason)
            raise Failure(description=reason, allow_retries=False)
    with warehouse.connection(context.run.run_id) as con:
        for event in held:
            yield with_row_count(event, con)


MAX_DBT_FAILURES_NAMED = 10
DBT_RECORD = ("run_results.json", "dbt.log")  # what of an invocation's target folder is kept, with the run


def keep_dbt_record(target_path: Path, run_id: str) -> None:
    """dagster-dbt gives every invocation its own target folder (5 MB: a manifest, compiled SQL, logs); keep its
    results and log beside the run's summary (data/runs/<run_id>/dbt/) and remove the folder, which would
    otherwise pile up in dbt_project/target/ with every refresh."""
    kept = paths.runs_dir() / run_id / "dbt"
    kept.mkdir(parents=True, exist_ok=True)
    for name in DBT_RECORD:
        if (target_path / name).is_file():
            shutil.copyfile(target_path / name, kept / name)
    shutil.rmtree(target_path, ignore_errors=True)


def dbt_failures(run_results: dict, con: duckdb.DuckDBPyConnection | None = None) -> str:
    """What failed in a dbt build, in plain words: each failing test with its failing-row count and, read from the
    build's file with the test's own compiled query, which rules failed on which rows; each model that errored
    with dbt's message (the first line)."""
    failed = [r for r in run_results.get("results", []) if r["status"] in ("fail", "error")]
    lines = []
    for result in failed[:MAX_DBT_FAILURES_NAMED]:
        name = result["unique_id"].split(".", 2)[-1]
        if result["unique_id"].startswith("test."):
            what = f"{result.get('failures') or 0} failing rows" if result["status"] == "fail" else "error"
            if result["status"] == "fail" and con is not None and result.get("compiled_code"):
                what += failing_rows(con, result["compiled_code"])
            lines.append(f"test {name}: {what}")
        else:  # dbt's first line names the node; the next one says what went wrong
            message = [line.strip() for line in (result.get("message") or "").splitlines() if line.strip()]
            lines.append(f"{result['unique_id'].split('.')[0]} {name}: {' — '.join(message[:2]) or result['status']}")
    more = f"; and {len(failed) - MAX_DBT_FAILURES_NAMED} more" if len(failed) > MAX_DBT_FAILURES_NAMED else ""
    return (f"dbt build failed ({len(failed)} of {len(run_results.get('results', []))} nodes): " + "; ".join(lines) + more
            + ". Nothing was published.")


MAX_FAILING_ROWS_NAMED = 5  # per test


def failing_rows(con: duckdb.DuckDBPyConnection, compiled_code: str) -> str:
    """The first failing rows of a test, re-read with its compiled query: for a `rules` test 'rule: row', else
    the row's columns."""
    result = con.execute(f"SELECT * FROM ({compiled_code}) LIMIT {MAX_FAILING_ROWS_NAMED + 1}")
    columns = [c[0] for c in result.description]
    rows = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    named = [f"{row['rule']}: {row['failing_row']}" if {"rule", "failing_row"} <= set(row)
             else ", ".join(f"{column}={value}" for column, value in row.items()) for row in rows[:MAX_FAILING_ROWS_NAMED]]
    return " (" + "; ".join(named) + ("; …" if len(rows) > MAX_FAILING_ROWS_NAMED else "") + ")"


def relation_of(event) -> str | None:
    """schema.name of the table or view a model's or seed's materialization built (None for test results)."""
    return RELATIONS.get(event.metadata.get("unique_id").value) if isinstance(event, Output) else None


PREVIEW_ROWS = 5  # rows of a mart shown with its materialization


def with_row_count(event: Output, con: duckdb.DuckDBPyConnection) -> Output:
    """A model's or seed's materialization with what it built, read from the relation itself: the row count,
    the columns with their types (the UI's column table), and for a mart its first rows."""
    relation = relation_of(event)
    schema, name = relation.split(".")
    rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    columns = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                          "ORDER BY column_index", [schema, name]).fetchall()
    metadata = {**event.metadata, "dagster/row_count": rows,
                "dagster/column_schema": TableSchema(columns=[TableColumn(column, kind) for column, kind in columns])}
    if schema == "marts":
        preview = result_frame(con, f"SELECT * FROM {relation}", PREVIEW_ROWS)
        metadata["preview"] = MetadataValue.md(preview.to_markdown(index=False))
    return event.with_metadata(metadata)


def relations(manifest_path) -> dict[str, str]:
    """unique_id -> schema.name of every model and seed in the manifest."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return {n["unique_id"]: f'{n["schema"]}.{n["alias"]}' for n in nodes if n["resource_type"] in ("model", "seed")}


RELATIONS = relations(dbt_project.manifest_path)
