"""Materialize everything (as `make run` does) into a temporary DuckDB and check the marts."""


import pytest
from dagster import AssetCheckSeverity

from scrapers.feeds import FEEDS
from warehouse.archive import load_registry
from warehouse.freshness import feed_freshness

CLUSTERS = {"京津冀", "长三角", "珠三角", "成渝"}
# The data years of the yearbook's R&D table (and the bulletins within them), from the provenance registry.
RD_YEARS = {r.data_year for r in load_registry() if r.feed == "csy_rd_expenditure"}
NEWEST_RD_YEAR = max(RD_YEARS)


def query(con, sql):
    return con.execute(sql).df()


def test_every_check_ran_and_every_blocking_one_passed(build_record):
    checks = build_record["checks"]
    names = {c["check_name"] for c in checks}
    assert {f"{feed}_matches_schema" for feed in FEEDS} <= names  # Pandera, one per landing table
    assert {f"{feed}_is_current" for feed in FEEDS} <= names  # freshness, one per feed
    assert len(names) >= 60  # plus every dbt test
    assert [c["check_name"] for c in checks if not c["passed"] and c["severity"] == AssetCheckSeverity.ERROR.value] == []


def test_the_build_reuses_the_parse_that_make_prepared(build_record):
    """The refresh's `dbt build` starts from the manifest `make` parsed instead of parsing the project again (a
    full parse cost 4–17 s of every build: BENCHMARKS.md, "Start-up")."""
    assert build_record["dbt_parse"], "the run kept no dbt log"
    assert not [m for m in build_record["dbt_parse"] if "Unable to do partial parsing" in m], build_record["dbt_parse"]


def test_every_table_and_view_built_records_its_row_count(build_record, warehouse):
    """Landing tables, seeds and dbt models carry `dagster/row_count`, equal to what the warehouse holds
    (dbt models' counts are taken after the dbt process exits, while test results stream in during it)."""
    counts = build_record["row_counts"]
    built = [key for key in counts if key.split("/")[0] in ("landing", "reference", "staging", "intermediate", "marts")]
    assert {"marts/cluster_indicators", "reference/provinces", "staging/stg_documents", "landing/csy_tech_market"} <= set(built)
    assert [key for key in built if counts[key] is None] == []
    for key in built:
        schema, name = key.split("/")
        assert counts[key] == warehouse.execute(f"SELECT count(*) FROM {schema}.{name}").fetchone()[0], key


def test_every_model_shows_its_columns_with_types_and_every_mart_a_preview(build_record, warehouse):
    """What the UI's column tables and previews show: read from the built relations, so it cannot drift."""
    schemas, previews = build_record["column_schemas"], build_record["previews"]
    models = [key for key in build_record["row_counts"] if key.split("/")[0] in ("reference", "staging", "intermediate",
                                                                                  "marts")]
    assert models and set(models) <= set(schemas)
    for key in models:
        schema, name = key.split("/")
        expected = warehouse.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
                                     "AND table_name = ? ORDER BY column_index", [schema, name]).fetchall()
        assert [tuple(c) for c in schemas[key]] == expected, key
    marts = {key for key in models if key.startswith("marts/")}
    assert marts == set(previews) and all(preview.count("\n") >= 2 for preview in previews.values())


def test_stale_feeds_are_warned_about_not_blocked(build_record):
    """The bundled documents end in data year 2023; on a date when newer figures should be out, each
    feed's freshness check fails with a warning that says which year is missing, and the run still publishes."""
    freshness = {c["check_name"]: c for c in build_record["checks"] if c["check_name"].endswith("_is_current")}
    assert set(freshness) == {f"{feed}_is_current" for feed in FEEDS}
    assert {c["check_name"] for c in build_record["checks"] if c["check_name"].endswith("_quarantine_is_empty")} == {
        f"{feed}_quarantine_is_empty" for feed in FEEDS}
    for name, check in freshness.items():
        expected = feed_freshness(name.removesuffix("_is_current"))
        assert check["severity"] == AssetCheckSeverity.WARN.value
        assert check["passed"] == expected.current
        assert check["description"] == expected.status
    assert build_record["success"]


def test_landing_tables_hold_every_document(warehouse):
    counts = dict(warehouse.execute(
        "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'landing'").fetchall())
    assert set(counts) >= {"nbs_rd_bulletin", "csy_rd_expenditure", "csy_rd_intensity", "csy_patent_grants",
                           "csy_tech_market", "csy_hightech_industry", "documents"}
    documents = warehouse.execute("SELECT count(*), count(DISTINCT document_sha256) FROM landing.documents").fetchone()
    assert documents == (len(load_registry()), len(load_registry()))


@pytest.mark.parametrize("mart, key", [
    ("province_rd_ranking", "year, province"),
    ("cluster_indicators", "year, cluster"),
    ("cluster_stage_efficiency", "year, cluster"),
    ("tech_market_balance", "year, region_type, region"),
])
def test_mart_keys_are_unique(warehouse, mart, key):
    duplicates = warehouse.execute(f"SELECT {key}, count(*) FROM marts.{mart} GROUP BY ALL HAVING count(*) > 1").fetchall()
    assert duplicates == []


def test_province_ranking_is_complete_and_consistent(warehouse):
    ranking = query(warehouse, "SELECT * FROM marts.province_rd_ranking")
    assert set(ranking.year) == RD_YEARS
    assert (ranking.groupby("year").size() == 31).all()
    assert ranking.rd_expenditure_100m_yuan.notna().all()
    # Intensity is published from 2011 (yearbook back series); 2010 is NULL and says why.
    missing = ranking[ranking.rd_intensity_pct.isna()]
    assert set(missing.year) == {2010} and missing.null_reason.notna().all()
    y2023 = ranking[ranking.year == 2023].set_index("province")
    assert y2023.loc["北京", "intensity_rank"] == 1 and y2023.loc["北京", "rd_intensity_pct"] == 6.73
    assert y2023.loc["北京", "national_rd_intensity_pct"] == 2.65 and bool(y2023.loc["北京", "above_national"])
    assert y2023.loc["北京", "rd_intensity_vintage"] == "nbs_rd_bulletin 2024"  # earliest vintage by default
    assert sorted(y2023.intensity_rank) == list(range(1, 32))


def test_every_mart_row_traces_to_an_archived_document(warehouse):
    orphans = warehouse.execute("""
        SELECT count(*) FROM marts.province_rd_ranking AS r
        LEFT JOIN landing.documents AS d ON d.document_sha256 = r.rd_expenditure_document_sha256
        WHERE d.document_sha256 IS NULL""").fetchone()[0]
    assert orphans == 0
    untraced = warehouse.execute(
        "SELECT count(*) FROM marts.cluster_indicators WHERE rd_expenditure_document_sha256s IS NULL").fetchone()[0]
    assert untraced == 0


def test_cluster_indicators_cover_every_cluster_and_year(warehouse):
    clusters = query(warehouse, "SELECT * FROM marts.cluster_indicators")
    assert set(clusters.cluster) == CLUSTERS and set(clusters.year) == RD_YEARS
    assert (clusters.groupby("year").cluster.nunique() == 4).all()
    assert clusters.gdp_is_implied.all()
    prd = clusters[(clusters.cluster == "珠三角") & (clusters.year == 2023)].iloc[0]
    # 广东 alone stands for the PRD: the cluster's intensity is 广东's.
    guangdong = warehouse.execute(
        "SELECT rd_intensity_pct FROM marts.province_rd_ranking WHERE year = 2023 AND province = '广东'").fetchone()[0]
    assert prd.rd_intensity_pct == pytest.approx(guangdong)
    assert prd.members_count == 1 and prd.members_reporting_rd_expenditure == 1
    jjj = clusters[(clusters.cluster == "京津冀") & (clusters.year == 2020)].iloc[0]
    assert jjj.tech_net_outflow_100m_yuan > 0  # 京津冀 exports more technology than it absorbs
    assert prd.hightech_enterprise_net_profit_100m_yuan is None or prd.hightech_enterprise_null_reason


def test_stage_efficiency_is_lagged_ratio_of_cluster_sums(warehouse):
    eff = query(warehouse, "SELECT * FROM marts.cluster_stage_efficiency")
    assert set(eff.year) == RD_YEARS and (eff.groupby("year").size() == 4).all()
    # Recompute the 长三角 2019 patent stage from the landing tables: Σ inventions(2020) / Σ R&D(2019).
    members = "('上海', '江苏', '浙江', '安徽')"
    inventions = warehouse.execute(
        f"SELECT sum(invention_grants_count) FROM landing.csy_patent_grants WHERE data_year = 2020 AND province IN {members}"
    ).fetchone()[0]
    rd = warehouse.execute(
        f"SELECT sum(rd_expenditure_100m_yuan) FROM landing.nbs_rd_bulletin WHERE data_year = 2019 AND province IN {members}"
    ).fetchone()[0]
    yrd = eff[(eff.cluster == "长三角") & (eff.year == 2019)].iloc[0]
    assert yrd.patent_stage_efficiency == pytest.approx(inventions / rd)
    # No explained-away NULLs: every NULL carries its reason.
    for column, reason in [("patent_stage_efficiency", "patent_stage_null_reason"),
                           ("transformation_stage_efficiency", "transformation_stage_null_reason"),
                           ("transformation_stage_efficiency_hitech_industry_proxy", "transformation_stage_proxy_null_reason")]:
        assert eff.loc[eff[column].isna(), reason].notna().all(), column
    # The Torch feed is absent, so the transformation stage is NULL everywhere, never silently proxied.
    assert eff.transformation_stage_efficiency.isna().all()
    # The newest year's output (t+1) is not published yet; the high-tech industry table of 2017 is missing upstream.
    assert set(eff.loc[eff.patent_stage_efficiency.isna(), "year"]) == {NEWEST_RD_YEAR}
    assert set(eff.loc[eff.transformation_stage_efficiency_hitech_industry_proxy.isna(), "year"]) == {2016, NEWEST_RD_YEAR}
    ranks = eff[eff.year == 2019].patent_stage_rank
    assert sorted(ranks) == [1, 2, 3, 4]


def test_tech_market_balance_for_provinces_and_clusters(warehouse):
    balance = query(warehouse, "SELECT * FROM marts.tech_market_balance")
    assert set(balance.region_type) == {"province", "cluster"}
    y2020 = balance[balance.year == 2020].set_index("region")
    assert len(y2020[y2020.region_type == "province"]) == 31 and len(y2020[y2020.region_type == "cluster"]) == 4
    beijing = y2020.loc["北京"]
    # Default vintage = earliest edition carrying 2020 (CSY 2021): reference transcription 6316.1622 / 3128.5506.
    assert beijing.outflow_100m_yuan == pytest.approx(6316.1622, abs=1e-4)
    assert beijing.net_outflow_100m_yuan == pytest.approx(6316.1622 - 3128.5506, abs=1e-3)
    assert y2020.loc["珠三角", "net_outflow_100m_yuan"] < 0  # 珠三角 absorbs more than it exports


def test_vintage_revisions_show_what_the_vintage_choice_changes(warehouse):
    revisions = query(warehouse, "SELECT * FROM marts.rd_vintage_revisions")
    expenditure = revisions[revisions.indicator == "rd_expenditure_100m_yuan"]
    # Bulletin and yearbook print the same expenditure (to rounding) for every year both cover.
    assert len(expenditure) == 6 * 32 and not expenditure.is_revised.any()
    # The 2020 yearbook re-computed 2018 intensities on census-revised GDP: 天津 2.62 → 3.68.
    tianjin = revisions[(revisions.province == "天津") & (revisions.year == 2018)
                        & (revisions.indicator == "rd_intensity_pct") & (revisions.revised_vintage == "csy 2020")].iloc[0]
    assert (tianjin.first_release_value, tianjin.revised_value) == (2.62, 3.68)
    assert tianjin.first_release_vintage == "nbs_rd_bulletin 2019"


def test_each_landing_materialization_says_which_years_are_loaded_from_which_document(build_record, warehouse):
    """The years are data, not partitions: the UI still answers which years are loaded and from which document,
    from the landing asset's metadata (per data year: status, rows, documents with their sha256)."""
    loaded = build_record["years_loaded"]
    assert set(loaded) == {f"landing/{feed}" for feed in FEEDS}
    for feed in FEEDS:
        expected = {str(year): (rows, sorted(shas)) for year, rows, shas in warehouse.execute(
            f"SELECT data_year, count(*), list(DISTINCT document_sha256) FROM landing.{feed} GROUP BY ALL").fetchall()}
        years = loaded[f"landing/{feed}"]
        assert {year: (y["rows"], sorted(d["sha256"] for d in y["documents"])) for year, y in years.items()
                if y["rows"]} == expected, feed
        assert all(y["status"] == "new" for y in years.values() if y["rows"]), feed  # a cold build: all new


def test_the_refresh_publishes_the_landing_tables_as_parquet_with_the_warehouse(build_record, warehouse):
    """The hand-off to Spark: every landing table as Parquet, in a folder named after the run that published the
    warehouse, holding the same rows."""
    from pathlib import Path

    folder = Path(build_record["landing_parquet"])
    assert folder.name == build_record["published_run_id"] == warehouse.execute("SELECT run_id FROM meta.build").fetchone()[0]
    assert (folder.parent / "current").resolve() == folder
    tables = [t for (t,) in warehouse.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'landing' ORDER BY 1").fetchall()]
    assert {f"{feed}" for feed in FEEDS} | {"documents", "known_jumps"} <= set(tables)
    for table in tables:
        parquet = folder / table / "data.parquet"
        assert warehouse.execute(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchone() == \
            warehouse.execute(f"SELECT count(*) FROM landing.{table}").fetchone(), table
