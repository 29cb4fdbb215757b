"""The study's core output at a glance: the cluster stage efficiencies, one table per stage (rows: year t,
columns: cluster), each NULL with its reason underneath. `innovation stages` prints it; so does `make run`."""

from __future__ import annotations

import duckdb

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
CLUSTER_ORDER_SQL = "SELECT cluster FROM reference.cluster_membership GROUP BY cluster ORDER BY min(rowid)"


def stage_efficiency_tables(con: duckdb.DuckDBPyConnection) -> str:
    frame = con.execute("SELECT * FROM marts.cluster_stage_efficiency ORDER BY year").df()
    clusters = [cluster for (cluster,) in con.execute(CLUSTER_ORDER_SQL).fetchall()]  # as the seed lists them
    blocks = []
    for column, (title, reason_column) in STAGES.items():
        table = frame.pivot(index="year", columns="cluster", values=column)[clusters]
        text = table.to_string(float_format=lambda v: f"{v:8.3f}", na_rep="NULL")
        nulls = frame.loc[frame[column].isna()].groupby(reason_column)["year"].unique()
        notes = "".join(f"\n  NULL in {', '.join(map(str, sorted(years)))}: {reason}" for reason, years in nulls.items())
        blocks.append(f"{title}\n{text}{notes}")
    return "\n\n".join(blocks)
