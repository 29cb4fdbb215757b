"""Every mart built again on Apache Spark, for a team that has moved (docs/scaling.md): the engine is the `spark`
resource's setting (dbt's spark target, local mode or a cluster's master), never an edit of the SQL.

Not part of a refresh (`materialize_everything` leaves the group out): it needs Java and the `spark` extra, and
the published DuckDB warehouse stays the embedded default. Launch it from the UI, or `innovation marts --engine
spark`, which runs the same function.
"""

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from core import paths
from orchestration.assets.publish import PUBLISHED_KEY
from orchestration.resources import SparkEngine
from warehouse import build_state

SPARK_MARTS_KEY = AssetKey(["spark", "marts"])


@asset(key=SPARK_MARTS_KEY, group_name="spark", deps=[PUBLISHED_KEY], kinds={"spark", "parquet"},
       owners=["team:data-engineering"], tags={"layer": "spark"},
       description="Every seed, model and dbt test of the dbt project run on Apache Spark (dbt-spark, session "
                   "method; the `spark` resource's master) from the landing Parquet the refresh published with the "
                   "warehouse; each mart written as Parquet under the resource's out_dir/<mart>.")
def spark_marts(context: AssetExecutionContext, spark: SparkEngine) -> MaterializeResult:
    from orchestration.spark import SparkBuildFailed, build_marts_on_spark, published_landing_parquet

    state = build_state.published() or {}
    out = spark.out_path()
    try:
        build = build_marts_on_spark(paths.duckdb_path(), out, master=spark.master,
                                     vintage=state.get("vintage") or build_state.default_vintage(),
                                     landing=published_landing_parquet(state.get("run_id")))
    except SparkBuildFailed as failed:
        raise Failure(description=str(failed), allow_retries=False) from None
    return MaterializeResult(metadata={
        "out": MetadataValue.path(str(out)), "master": spark.master, "marts": MetadataValue.json(build.marts),
        "dbt_results": MetadataValue.json(build.results), "published_run_id": state.get("run_id") or "",
    })
