"""The last step of every refresh: swap the fully built and checked staging warehouse into place."""

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from orchestration.assets.dbt import dbt_models, run_vintage
from orchestration.resources import DUCKDB_POOL, WarehouseBuild
from warehouse import build_state, run_summary
from warehouse.archive import Pending
from warehouse.landing_parquet import publish_landing_parquet, write_landing_parquet
from warehouse.publish import PublishConflict

PUBLISHED_KEY = AssetKey(["warehouse", "published"])


@asset(
    key=PUBLISHED_KEY,
    group_name="warehouse",
    deps=list(dbt_models.keys),
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    tags={"layer": "published"},
    pool=DUCKDB_POOL,
    description="The published warehouse (WAREHOUSE_DUCKDB_PATH): replaced in one atomic rename by the run's "
                "staging copy, only once every landing table, Pandera check, dbt model and dbt test in the run "
                "has succeeded. Readers never see a half-built warehouse. Not materialized when the run found "
                "the same documents and code as the published build (dbt skips, nothing to publish).",
)
def published_warehouse(context: AssetExecutionContext, warehouse: WarehouseBuild) -> MaterializeResult:
    build = warehouse.staged(context.run.run_id)
    with warehouse.connection(context.run.run_id) as con:
        build_state.record(con, context.run.run_id, run_vintage(context))
        record = build_state.recorded(con)
        # The hand-off to other engines (Spark: `innovation marts --engine spark`), published with the warehouse.
        staged_parquet = build.folder / "landing_parquet"
        write_landing_parquet(con, staged_parquet)
        marts = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()]
        mart_rows = {f"rows_marts.{t}": con.execute(f"SELECT count(*) FROM marts.{t}").fetchall()[0][0] for t in marts}
    try:
        # The documents the run took in enter the archive with the build that passed with them, not before.
        path = build.publish(before_swap=Pending(context.run.run_id).commit)
    except PublishConflict as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    build_state.remember_published(record, path)  # lets a refresh with nothing to do answer without opening it
    parquet = publish_landing_parquet(staged_parquet, context.run.run_id)
    summary = run_summary.finish(context.run.run_id, run_summary.PUBLISHED)
    build.discard()
    statuses = [o["status"] for o in summary.outcomes]
    return MaterializeResult(metadata={
        **mart_rows,
        "path": MetadataValue.path(str(path)),
        "landing_parquet": MetadataValue.path(str(parquet)),
        "bytes": path.stat().st_size,
        **{f"years_{status}": statuses.count(status) for status in sorted(set(statuses))},
        "run_summary": MetadataValue.md(f"```\n{summary.text}```"),
        "run_summary_json": MetadataValue.path(str(summary.json_path)),
    })
