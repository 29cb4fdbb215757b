"""Analyst queries on the marts of a built warehouse, read-only: latency p50 / p95 per question.

    nice -n 10 .venv/bin/python -m bench.queries [--database data/innovation.duckdb] [--runs 50]

The questions are the ones the marts exist for (docs/analyst_guide.md): where each province stands on R&D
intensity, which provinces are above the national level, the cluster aggregates, the cluster leading
each innovation-chain stage, the technology-market balance, and the documents behind a figure.
Each query runs as an analyst runs it, `con.execute(sql).df()` on one read-only connection; the
connection itself is timed separately. Target: p50 ≤ 50 ms for every question.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from bench.timing import percentile, spread, time_runs
from core import paths

P50_TARGET_MS = 50
QUERIES = {
    "province standing, latest year": """
        SELECT province, rd_expenditure_100m_yuan, rd_intensity_pct, intensity_rank, national_rd_intensity_pct, above_national
        FROM marts.province_rd_ranking WHERE year = (SELECT max(year) FROM marts.province_rd_ranking)
        ORDER BY intensity_rank""",
    "provinces above national, per year": """
        SELECT year, count(*) FILTER (WHERE above_national) AS provinces_above_count,
               string_agg(province, ' ' ORDER BY intensity_rank) FILTER (WHERE above_national) AS provinces
        FROM marts.province_rd_ranking GROUP BY year ORDER BY year""",
    "one province over the years": """
        SELECT year, rd_intensity_pct, national_rd_intensity_pct, intensity_rank, rd_intensity_vintage
        FROM marts.province_rd_ranking WHERE province = '广东' ORDER BY year""",
    "cluster aggregates 2013-2019": """
        SELECT year, cluster, rd_expenditure_100m_yuan, rd_intensity_pct, invention_grants_count, tech_net_outflow_100m_yuan,
               hightech_industry_profit_100m_yuan
        FROM marts.cluster_indicators WHERE year BETWEEN 2013 AND 2019 ORDER BY year, cluster""",
    "cluster leading each stage, per year": """
        SELECT year,
               any_value(cluster) FILTER (WHERE patent_stage_rank = 1) AS patent_stage_leader,
               any_value(cluster) FILTER (WHERE transformation_stage_rank = 1) AS transformation_stage_leader,
               any_value(cluster) FILTER (WHERE transformation_stage_proxy_rank = 1) AS transformation_proxy_leader
        FROM marts.cluster_stage_efficiency GROUP BY year ORDER BY year""",
    "stage efficiencies, study window": """
        SELECT year, cluster, patent_stage_efficiency, patent_stage_rank,
               transformation_stage_efficiency_hitech_industry_proxy, transformation_stage_proxy_rank
        FROM marts.cluster_stage_efficiency WHERE year BETWEEN 2013 AND 2019 ORDER BY year, patent_stage_rank""",
    "technology net exporters and importers": """
        SELECT year, region_type, region, net_outflow_100m_yuan,
               rank() OVER (PARTITION BY year, region_type ORDER BY net_outflow_100m_yuan DESC) AS net_outflow_rank
        FROM marts.tech_market_balance WHERE net_outflow_100m_yuan IS NOT NULL ORDER BY year, region_type, net_outflow_rank""",
    "documents behind a year's intensities": """
        SELECT r.province, r.rd_intensity_pct, d.publication, d.publication_year, d.official_url, d.archived_on
        FROM marts.province_rd_ranking AS r
        JOIN landing.documents AS d ON d.document_sha256 = r.rd_intensity_document_sha256
        WHERE r.year = (SELECT max(year) FROM marts.province_rd_ranking) ORDER BY r.intensity_rank""",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, default=paths.duckdb_path())
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    if not args.database.exists():
        raise SystemExit(f"{args.database} does not exist: build the warehouse first (make run)")

    connects = time_runs(lambda: duckdb.connect(str(args.database), read_only=True).close(), args.runs, warmup=0)
    print(f"{args.database} ({args.database.stat().st_size / 2**20:.1f} MB), {args.runs} runs per query, "
          f"read-only; p50 target ≤ {P50_TARGET_MS} ms")
    print(f"  {'connect (read_only=True)':<40} {spread(connects, 'ms')} (min / median / max)")
    print(f"  {'question':<40} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    with duckdb.connect(str(args.database), read_only=True) as con:
        for question, sql in QUERIES.items():
            rows = len(con.execute(sql).df())  # warm-up: catalog, buffer cache
            seconds = time_runs(lambda sql=sql: con.execute(sql).df(), args.runs, warmup=0)
            p50, p95 = percentile(seconds, 50) * 1000, percentile(seconds, 95) * 1000
            mark = "" if p50 <= P50_TARGET_MS else "  over target"
            print(f"  {question:<40} {rows:>5} {p50:>8.2f} {p95:>8.2f} {max(seconds) * 1000:>8.2f}{mark}")


if __name__ == "__main__":
    main()
