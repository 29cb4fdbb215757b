"""The four marts in hand-written DuckDB SQL, no dbt and no orchestration: the floor of the scale benchmark.

Reads the landing-shaped tables of a synthetic panel (schema synthetic_landing, see
bench/synthetic_panel.py) and the dbt seeds (the CSV files themselves), and writes the marts as
tables in schema hand_sql_marts of the same file. Same definitions as dbt_project/models (earliest
vintage, ratios of cluster sums, NULLs with their reasons), written as one statement per mart
with DuckDB's QUALIFY, FILTER and GROUP BY ALL where the dbt models spell things out portably.

    .venv/bin/python -m bench.duckdb_marts --database FILE [--memory-limit 2GB]

builds them in a process of its own, as dbt does (bench/scale_limits.py times it against `dbt build`), and
prints the seconds of the SQL, from connect to CHECKPOINT, as JSON.
"""

from __future__ import annotations

import argparse
import json
import time

import duckdb

from bench.synthetic_panel import LANDING_SCHEMA, SEEDS_DIR

SCHEMA = "hand_sql_marts"


def _seeds_sql() -> str:
    return f"""
CREATE OR REPLACE TEMP TABLE provinces AS
    SELECT * FROM read_csv('{SEEDS_DIR / "provinces.csv"}', header = true, all_varchar = true);
CREATE OR REPLACE TEMP TABLE cluster_membership AS
    SELECT * FROM read_csv('{SEEDS_DIR / "cluster_membership.csv"}', header = true,
        types = {{'valid_from_year': 'INTEGER', 'valid_to_year': 'INTEGER'}});
CREATE OR REPLACE TEMP TABLE publications AS
    SELECT * FROM read_csv('{SEEDS_DIR / "publications.csv"}', header = true,
        types = {{'release_order_in_year': 'INTEGER', 'typical_release_month': 'INTEGER'}});
"""


def _panel_sql(landing: str) -> str:
    """rd_selected (one R&D figure per region-year), the province panel and the cluster members."""
    return f"""
CREATE OR REPLACE TEMP TABLE rd_selected AS
WITH vintages AS (
    SELECT data_year, province_code, province, 'rd_expenditure_100m_yuan' AS indicator,
           rd_expenditure_100m_yuan AS value, 'nbs_rd_bulletin' AS publication_code, publication_year, document_sha256
    FROM {landing}.nbs_rd_bulletin
    UNION ALL SELECT data_year, province_code, province, 'rd_intensity_pct', rd_intensity_pct, 'nbs_rd_bulletin',
           publication_year, document_sha256 FROM {landing}.nbs_rd_bulletin
    UNION ALL SELECT data_year, province_code, province, 'rd_expenditure_100m_yuan', rd_expenditure_100m_yuan, 'csy',
           publication_year, document_sha256 FROM {landing}.csy_rd_expenditure
    UNION ALL SELECT data_year, province_code, province, 'rd_intensity_pct', rd_intensity_pct, 'csy',
           publication_year, document_sha256 FROM {landing}.csy_rd_intensity
),
earliest AS (
    SELECT v.*, v.publication_code || ' ' || v.publication_year AS vintage
    FROM vintages AS v JOIN publications AS p USING (publication_code)
    WHERE v.value IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY v.data_year, v.province_code, v.indicator
                               ORDER BY v.publication_year, p.release_order_in_year) = 1
)
SELECT data_year, province_code, any_value(province) AS province, province_code = '00' AS is_national,
    any_value(value) FILTER (indicator = 'rd_expenditure_100m_yuan') AS rd_expenditure_100m_yuan,
    any_value(vintage) FILTER (indicator = 'rd_expenditure_100m_yuan') AS rd_expenditure_vintage,
    any_value(document_sha256) FILTER (indicator = 'rd_expenditure_100m_yuan') AS rd_expenditure_document_sha256,
    any_value(value) FILTER (indicator = 'rd_intensity_pct') AS rd_intensity_pct,
    any_value(vintage) FILTER (indicator = 'rd_intensity_pct') AS rd_intensity_vintage,
    any_value(document_sha256) FILTER (indicator = 'rd_intensity_pct') AS rd_intensity_document_sha256
FROM earliest
GROUP BY data_year, province_code;

CREATE OR REPLACE TEMP TABLE tech_selected AS
SELECT direction, data_year, province_code, contract_value_100m_yuan, document_sha256
FROM {landing}.csy_tech_market
WHERE measure = 'contract_value' AND contract_value_100m_yuan IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY direction, data_year, province_code ORDER BY publication_year) = 1;

CREATE OR REPLACE TEMP TABLE province_panel AS
WITH years AS (
    SELECT data_year FROM rd_selected
    UNION SELECT data_year FROM {landing}.csy_patent_grants
    UNION SELECT data_year FROM {landing}.csy_hightech_industry
    UNION SELECT data_year FROM tech_selected
)
SELECT y.data_year, p.province_code, p.province,
    rd.rd_expenditure_100m_yuan, rd.rd_intensity_pct,
    rd.rd_expenditure_100m_yuan / nullif(rd.rd_intensity_pct, 0) * 100 AS implied_gdp_100m_yuan,
    pg.patent_grants_total_count, pg.invention_grants_count,
    o.contract_value_100m_yuan AS tech_outflow_100m_yuan, i.contract_value_100m_yuan AS tech_inflow_100m_yuan,
    ht.total_profit_100m_yuan AS hightech_industry_profit_100m_yuan,
    te.net_profit_100m_yuan AS hightech_enterprise_net_profit_100m_yuan,
    rd.rd_expenditure_document_sha256, pg.document_sha256 AS patent_document_sha256,
    o.document_sha256 AS tech_outflow_document_sha256, i.document_sha256 AS tech_inflow_document_sha256,
    ht.document_sha256 AS hightech_industry_document_sha256, te.document_sha256 AS hightech_enterprise_document_sha256
FROM years AS y
CROSS JOIN provinces AS p
LEFT JOIN rd_selected AS rd ON rd.data_year = y.data_year AND rd.province_code = p.province_code
LEFT JOIN {landing}.csy_patent_grants AS pg ON pg.data_year = y.data_year AND pg.province_code = p.province_code
LEFT JOIN tech_selected AS o
    ON o.direction = 'outflow' AND o.data_year = y.data_year AND o.province_code = p.province_code
LEFT JOIN tech_selected AS i
    ON i.direction = 'inflow' AND i.data_year = y.data_year AND i.province_code = p.province_code
LEFT JOIN {landing}.csy_hightech_industry AS ht ON ht.data_year = y.data_year AND ht.province_code = p.province_code
LEFT JOIN {landing}.torch_hightech_enterprise AS te
    ON te.data_year = y.data_year AND te.province_code = p.province_code;

CREATE OR REPLACE TEMP TABLE cluster_members AS
SELECT m.cluster, m.cluster_name_en, pp.*
FROM province_panel AS pp
JOIN cluster_membership AS m ON m.province = pp.province AND pp.data_year BETWEEN m.valid_from_year AND m.valid_to_year;
"""


MART_SQL = {
    "province_rd_ranking": """
SELECT p.data_year AS year, p.province_code, p.province, d.province_name_en, p.rd_expenditure_100m_yuan,
    p.rd_intensity_pct,
    CASE WHEN p.rd_intensity_pct IS NOT NULL
         THEN rank() OVER (PARTITION BY p.data_year ORDER BY p.rd_intensity_pct DESC NULLS LAST) END AS intensity_rank,
    n.rd_intensity_pct AS national_rd_intensity_pct,
    p.rd_intensity_pct > n.rd_intensity_pct AS above_national,
    p.rd_expenditure_vintage, p.rd_intensity_vintage,
    CASE WHEN p.rd_intensity_pct IS NULL THEN 'no archived document publishes R&D intensity for this year '
                                              || '(bulletins from 2018, yearbook back series from 2011)'
         WHEN n.rd_intensity_pct IS NULL THEN 'no national R&D intensity for this year' END AS null_reason,
    p.rd_expenditure_document_sha256, p.rd_intensity_document_sha256,
    n.rd_intensity_document_sha256 AS national_document_sha256
FROM rd_selected AS p
LEFT JOIN rd_selected AS n ON n.is_national AND n.data_year = p.data_year
LEFT JOIN provinces AS d ON d.province_code = p.province_code
WHERE NOT p.is_national""",
    "cluster_indicators": """
SELECT data_year AS year, cluster, cluster_name_en, count(*) AS members_count,
    sum(rd_expenditure_100m_yuan) AS rd_expenditure_100m_yuan,
    count(rd_expenditure_100m_yuan) AS members_reporting_rd_expenditure,
    sum(implied_gdp_100m_yuan) AS implied_gdp_100m_yuan, true AS gdp_is_implied,
    count(implied_gdp_100m_yuan) AS members_reporting_implied_gdp,
    sum(rd_expenditure_100m_yuan) FILTER (implied_gdp_100m_yuan IS NOT NULL)
        / nullif(sum(implied_gdp_100m_yuan), 0) * 100 AS rd_intensity_pct,
    sum(patent_grants_total_count) AS patent_grants_total_count,
    sum(invention_grants_count) AS invention_grants_count,
    count(invention_grants_count) AS members_reporting_patents,
    sum(tech_outflow_100m_yuan) AS tech_outflow_100m_yuan, sum(tech_inflow_100m_yuan) AS tech_inflow_100m_yuan,
    sum(tech_outflow_100m_yuan) - sum(tech_inflow_100m_yuan) AS tech_net_outflow_100m_yuan,
    count(tech_outflow_100m_yuan) AS members_reporting_tech_outflow,
    count(tech_inflow_100m_yuan) AS members_reporting_tech_inflow,
    sum(hightech_industry_profit_100m_yuan) AS hightech_industry_profit_100m_yuan,
    count(hightech_industry_profit_100m_yuan) AS members_reporting_hightech_industry,
    sum(hightech_enterprise_net_profit_100m_yuan) AS hightech_enterprise_net_profit_100m_yuan,
    count(hightech_enterprise_net_profit_100m_yuan) AS members_reporting_hightech_enterprise,
    CASE WHEN count(hightech_industry_profit_100m_yuan) = 0
         THEN 'no high-tech industry table archived for this year (2017 is missing upstream)' END
        AS hightech_industry_null_reason,
    CASE WHEN count(hightech_enterprise_net_profit_100m_yuan) = 0
         THEN 'Torch high-tech enterprise table (licensed) not loaded for this year' END AS hightech_enterprise_null_reason,
    CASE WHEN count(implied_gdp_100m_yuan) = 0
         THEN 'no R&D intensity archived for this year, so no implied GDP' END AS rd_intensity_null_reason,
    CASE WHEN count(tech_outflow_100m_yuan) = 0 OR count(tech_inflow_100m_yuan) = 0
         THEN 'no technology-market value archived for this year (yearbook back series skip some years)' END
        AS tech_market_null_reason,
    string_agg(DISTINCT rd_expenditure_document_sha256, ',') AS rd_expenditure_document_sha256s
FROM cluster_members
WHERE data_year IN (SELECT data_year FROM rd_selected WHERE rd_expenditure_100m_yuan IS NOT NULL)
GROUP BY ALL""",
    "cluster_stage_efficiency": """
WITH cluster_year AS (
    SELECT cluster, data_year, count(*) AS members_count,
        sum(rd_expenditure_100m_yuan) AS rd, count(rd_expenditure_100m_yuan) AS with_rd,
        sum(invention_grants_count) AS inventions, count(invention_grants_count) AS with_inventions,
        sum(hightech_enterprise_net_profit_100m_yuan) AS enterprise_profit,
        count(hightech_enterprise_net_profit_100m_yuan) AS with_enterprise_profit,
        sum(hightech_industry_profit_100m_yuan) AS industry_profit,
        count(hightech_industry_profit_100m_yuan) AS with_industry_profit,
        string_agg(DISTINCT rd_expenditure_document_sha256, ',') AS rd_document_sha256s,
        string_agg(DISTINCT patent_document_sha256, ',') AS patent_document_sha256s,
        string_agg(DISTINCT hightech_industry_document_sha256, ',') AS hightech_industry_document_sha256s,
        string_agg(DISTINCT hightech_enterprise_document_sha256, ',') AS hightech_enterprise_document_sha256s
    FROM cluster_members
    GROUP BY ALL
),
ratios AS (
    SELECT t.data_year AS year, t.cluster,
        CASE WHEN t.with_rd = t.members_count THEN t.rd END AS rd_expenditure_100m_yuan,
        CASE WHEN n.with_inventions = n.members_count THEN n.inventions END AS invention_grants_next_year_count,
        CASE WHEN n.with_enterprise_profit = n.members_count THEN n.enterprise_profit END
            AS hightech_enterprise_net_profit_next_year_100m_yuan,
        CASE WHEN n.with_industry_profit = n.members_count THEN n.industry_profit END
            AS hightech_industry_profit_next_year_100m_yuan,
        t.rd_document_sha256s, n.patent_document_sha256s AS invention_grants_document_sha256s,
        n.hightech_enterprise_document_sha256s, n.hightech_industry_document_sha256s
    FROM cluster_year AS t
    LEFT JOIN cluster_year AS n ON n.cluster = t.cluster AND n.data_year = t.data_year + 1
    WHERE t.with_rd > 0
),
efficiencies AS (
    SELECT *,
        invention_grants_next_year_count / nullif(rd_expenditure_100m_yuan, 0) AS patent_stage_efficiency,
        hightech_enterprise_net_profit_next_year_100m_yuan / nullif(rd_expenditure_100m_yuan, 0)
            AS transformation_stage_efficiency,
        hightech_industry_profit_next_year_100m_yuan / nullif(rd_expenditure_100m_yuan, 0)
            AS transformation_stage_efficiency_hitech_industry_proxy
    FROM ratios
)
SELECT year, cluster, rd_expenditure_100m_yuan, invention_grants_next_year_count, patent_stage_efficiency,
    CASE WHEN patent_stage_efficiency IS NOT NULL
         THEN rank() OVER (PARTITION BY year ORDER BY patent_stage_efficiency DESC NULLS LAST) END AS patent_stage_rank,
    CASE WHEN rd_expenditure_100m_yuan IS NULL THEN 'R&D expenditure missing for a member in year t'
         WHEN invention_grants_next_year_count IS NULL THEN 'invention grants for year t+1 not archived for every member'
    END AS patent_stage_null_reason,
    hightech_enterprise_net_profit_next_year_100m_yuan, transformation_stage_efficiency,
    CASE WHEN transformation_stage_efficiency IS NOT NULL
         THEN rank() OVER (PARTITION BY year ORDER BY transformation_stage_efficiency DESC NULLS LAST) END
        AS transformation_stage_rank,
    CASE WHEN rd_expenditure_100m_yuan IS NULL THEN 'R&D expenditure missing for a member in year t'
         WHEN hightech_enterprise_net_profit_next_year_100m_yuan IS NULL
             THEN 'high-tech enterprise net profit for year t+1 not loaded (Torch yearbook, licensed feed); '
                  || 'see transformation_stage_efficiency_hitech_industry_proxy'
    END AS transformation_stage_null_reason,
    hightech_industry_profit_next_year_100m_yuan, transformation_stage_efficiency_hitech_industry_proxy,
    CASE WHEN transformation_stage_efficiency_hitech_industry_proxy IS NOT NULL
         THEN rank() OVER (PARTITION BY year ORDER BY transformation_stage_efficiency_hitech_industry_proxy DESC NULLS LAST)
    END AS transformation_stage_proxy_rank,
    CASE WHEN rd_expenditure_100m_yuan IS NULL THEN 'R&D expenditure missing for a member in year t'
         WHEN hightech_industry_profit_next_year_100m_yuan IS NULL
             THEN 'high-tech industry profit for year t+1 not archived for every member'
    END AS transformation_stage_proxy_null_reason,
    NULL::VARCHAR AS transformation_stage_proxy_note,  -- from known jumps; the synthetic panel has none
    rd_document_sha256s, invention_grants_document_sha256s, hightech_enterprise_document_sha256s,
    hightech_industry_document_sha256s
FROM efficiencies""",
    "tech_market_balance": """
WITH regions AS (
    SELECT data_year AS year, 'province' AS region_type, province AS region,
        tech_outflow_100m_yuan AS outflow_100m_yuan, tech_inflow_100m_yuan AS inflow_100m_yuan,
        tech_outflow_document_sha256 AS outflow_document_sha256s, tech_inflow_document_sha256 AS inflow_document_sha256s
    FROM province_panel
    WHERE tech_outflow_100m_yuan IS NOT NULL OR tech_inflow_100m_yuan IS NOT NULL
    UNION ALL
    SELECT data_year, 'cluster', cluster,
        CASE WHEN count(tech_outflow_100m_yuan) = count(*) THEN sum(tech_outflow_100m_yuan) END,
        CASE WHEN count(tech_inflow_100m_yuan) = count(*) THEN sum(tech_inflow_100m_yuan) END,
        string_agg(DISTINCT tech_outflow_document_sha256, ','), string_agg(DISTINCT tech_inflow_document_sha256, ',')
    FROM cluster_members
    GROUP BY data_year, cluster
    HAVING count(tech_outflow_100m_yuan) > 0 OR count(tech_inflow_100m_yuan) > 0
)
SELECT year, region_type, region, outflow_100m_yuan, inflow_100m_yuan,
    outflow_100m_yuan - inflow_100m_yuan AS net_outflow_100m_yuan,
    CASE WHEN outflow_100m_yuan IS NULL OR inflow_100m_yuan IS NULL
         THEN 'one direction not published for this year'
              || CASE WHEN region_type = 'cluster' THEN ' for every member' ELSE '' END
    END AS null_reason,
    outflow_document_sha256s, inflow_document_sha256s
FROM regions""",
}


MARTS = tuple(MART_SQL)


def build_marts(con: duckdb.DuckDBPyConnection, landing: str = LANDING_SCHEMA) -> None:
    """Create hand_sql_marts.<mart> for the four marts from the landing-shaped tables in `landing`."""
    con.execute(_seeds_sql())
    con.execute(_panel_sql(landing))
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for mart, sql in MART_SQL.items():
        con.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{mart} AS {sql}")


def main() -> None:
    parser = argparse.ArgumentParser(description="The four marts in hand-written DuckDB SQL, into the file.")
    parser.add_argument("--database", required=True)
    parser.add_argument("--memory-limit", help="DuckDB's memory_limit (e.g. 2GB); beyond it DuckDB spills to disk")
    args = parser.parse_args()
    start = time.perf_counter()
    config = {"memory_limit": args.memory_limit} if args.memory_limit else {}
    with duckdb.connect(args.database, config=config) as con:
        build_marts(con)
        con.execute("CHECKPOINT")  # the marts on disk, as dbt leaves them
    print(json.dumps({"sql_s": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
