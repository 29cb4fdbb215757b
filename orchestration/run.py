"""`make run`: materialize every asset on the bundled documents, then show the stage efficiencies.

Runs one refresh (orchestration/refresh.py) over every archived data year, prints its run summary,
then reads the published warehouse.
"""

import sys

import duckdb

from orchestration.refresh import refresh
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
    result = refresh()
    print(result.summary.text)
    if not result.success:
        for step, reason in result.failures:
            print(f"FAILED {step}: {reason}", file=sys.stderr)
        print(f"The run failed: nothing was published; {paths.duckdb_path()} is exactly as it was.", file=sys.stderr)
        return 1
    with duckdb.connect(str(paths.duckdb_path()), read_only=True) as con:
        print("\n=== Cluster stage efficiencies (rows: year t; columns: cluster) ===\n")
        print(stage_efficiency_tables(con))
    print(f"\nWarehouse: {paths.duckdb_path()}")
    print(f"Example:   .venv/bin/python -m warehouse.query \"{EXAMPLE_QUERY}\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
