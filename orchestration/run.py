"""`make run`: materialize every asset on the bundled documents, then show the stage efficiencies.

Runs the `materialize_everything` job in this process against the Dagster instance in $DAGSTER_HOME
(so `dagster dev` shows the run afterwards), over every archived data year.
"""

import sys

import duckdb
from dagster import DagsterInstance

from orchestration.definitions import defs
from orchestration.jobs import everything_tags
from warehouse import paths

EXAMPLE_QUERY = (
    "SELECT year, province, rd_intensity_pct, intensity_rank FROM marts.province_rd_ranking "
    "WHERE year = 2023 ORDER BY intensity_rank LIMIT 5"
)
CLUSTERS = ["京津冀", "长三角", "珠三角", "成渝"]
# mart column -> (title, column holding the reason when it is NULL)
STAGES = {
    "patent_stage_efficiency":
        ("Patent stage: invention grants (t+1) per 亿元 of R&D (t)", "patent_stage_null_reason"),
    "transformation_stage_efficiency":
        ("Transformation stage: high-tech enterprise net profit (t+1) / R&D (t)", "transformation_stage_null_reason"),
    "transformation_stage_efficiency_hitech_industry_proxy":
        ("Transformation stage, proxy: high-tech industry total profit (t+1) / R&D (t)",
         "transformation_stage_proxy_null_reason"),
}


def stage_efficiency_tables(con: duckdb.DuckDBPyConnection) -> str:
    frame = con.execute("SELECT * FROM marts.cluster_stage_efficiency ORDER BY year").df()
    blocks = []
    for column, (title, reason_column) in STAGES.items():
        table = frame.pivot(index="year", columns="cluster", values=column)[CLUSTERS]
        text = table.to_string(float_format=lambda v: f"{v:8.3f}", na_rep="NULL")
        nulls = frame.loc[frame[column].isna()].groupby(reason_column)["year"].unique()
        notes = "".join(f"\n  NULL in {', '.join(map(str, sorted(years)))}: {reason}" for reason, years in nulls.items())
        blocks.append(f"{title}\n{text}{notes}")
    return "\n\n".join(blocks)


def main() -> int:
    job = defs.resolve_job_def("materialize_everything")
    result = job.execute_in_process(
        instance=DagsterInstance.get(), tags=everything_tags(), raise_on_error=False,
        # Step-by-step events stay in the run's log (see `make dev`); the terminal shows problems only.
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                failure = event.step_failure_data
                reason = failure.user_failure_data.description if failure.user_failure_data else failure.error.message
                print(f"FAILED {event.step_key}: {reason.strip()}", file=sys.stderr)
        print(f"The run failed: no row of a failed document landed, and the marts in {paths.duckdb_path()} "
              "were not rebuilt.", file=sys.stderr)
        return 1
    with duckdb.connect(str(paths.duckdb_path()), read_only=True) as con:
        print("\n=== Cluster stage efficiencies (rows: year t; columns: cluster) ===\n")
        print(stage_efficiency_tables(con))
    print(f"\nWarehouse: {paths.duckdb_path()}")
    print(f"Example:   .venv/bin/python -m warehouse.query \"{EXAMPLE_QUERY}\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
