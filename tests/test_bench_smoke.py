"""The scale benchmark compares like with like: on a tiny SYNTHETIC panel, the project's dbt models, the
pandas implementation and the hand-written DuckDB SQL build the same four marts. A correctness test
of bench/, not a timing test (the timings are printed by `python -m bench.scale`)."""

import duckdb
import pytest
import yaml

from bench import duckdb_marts, pandas_marts
from bench.scale import DBT_PROJECT, build_with_dbt, check_agreement, marts_of
from bench.scale_limits import duckdb_memory_limit, limited_profiles, pandas_ladder, parse_limit, run_hand_sql, summary
from bench.synthetic_panel import CITY_COUNT, LAST_DATA_YEAR, PanelShape, build_landing, generate

TINY = PanelShape(years=7)  # 2017-2023: back series, t+1 pairs, and 2017 without a high-tech table


# One worker takes the whole module (`make test` runs --dist loadgroup): its fixture builds a synthetic panel three ways, once.
pytestmark = pytest.mark.xdist_group("bench_smoke")


@pytest.fixture(scope="module")
def three_builds(tmp_path_factory):
    directory = tmp_path_factory.mktemp("synthetic")
    database = directory / "synthetic_panel.duckdb"
    rows = generate(database, TINY)
    with duckdb.connect(str(database)) as con:
        build_landing(con)
        duckdb_marts.build_marts(con)
    build_with_dbt(database, target_dir=directory / "dbt_target")
    with duckdb.connect(str(database), read_only=True) as con:
        yield rows, con, {
            DBT_PROJECT.name: marts_of(con, "marts"),
            "hand SQL": marts_of(con, duckdb_marts.SCHEMA),
            "pandas": pandas_marts.build_marts(pandas_marts.load_panel(con)),
        }


def test_generator_writes_the_shape_it_promises_and_says_it_is_synthetic(three_builds):
    rows, con, _ = three_builds
    assert rows == TINY.fact_rows()
    cities = con.execute("SELECT count(*), bool_and(is_synthetic), count(DISTINCT province_code) "
                         "FROM synthetic.synthetic_city").fetchall()
    assert cities == [(CITY_COUNT, True, 31)]
    comments = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name IN ('synthetic', 'synthetic_landing') "
                           "AND comment NOT LIKE 'SYNTHETIC%'").fetchall()
    assert comments == [(0,)]


def test_three_implementations_build_the_same_marts(three_builds):
    _, _, results = three_builds
    assert check_agreement(results) == []


def test_marts_are_not_trivially_empty(three_builds):
    _, _, results = three_builds
    efficiency = results[DBT_PROJECT.name]["cluster_stage_efficiency"]
    assert len(efficiency) == 4 * TINY.years
    # Every year but the last has a following year, so the patent stage is computed; the last says why not.
    computed = efficiency[efficiency.patent_stage_efficiency.notna()]
    assert set(computed.year) == set(range(TINY.first_year, LAST_DATA_YEAR))
    assert efficiency[efficiency.year == LAST_DATA_YEAR].patent_stage_null_reason.notna().all()
    assert efficiency.transformation_stage_efficiency.notna().any()  # the synthetic Torch feed is filled
    indicators = results[DBT_PROJECT.name]["cluster_indicators"]
    assert indicators[indicators.year == 2017].hightech_industry_null_reason.notna().all()
    ranking = results[DBT_PROJECT.name]["province_rd_ranking"]
    assert len(ranking) == 31 * TINY.years
    assert ranking[ranking.year == TINY.first_year].null_reason.notna().all()  # the back series starts a year later


@pytest.fixture(scope="module")
def landing_on_disk(tmp_path_factory):
    """A tiny panel with its landing tables on disk and no connection open: the children of
    bench/scale_limits.py open it themselves."""
    database = tmp_path_factory.mktemp("limits") / "synthetic_panel.duckdb"
    rows = generate(database, TINY)
    with duckdb.connect(str(database)) as con:
        build_landing(con)
    return database, sum(rows.values())


def test_hand_sql_in_its_own_process_under_a_limit_builds_the_marts_pandas_builds(landing_on_disk):
    database, _ = landing_on_disk
    run = run_hand_sql(database, parse_limit("4GiB"))  # also passes DuckDB a memory_limit of half that
    assert run.failure == "" and run.engine_s > 0
    with duckdb.connect(str(database), read_only=True) as con:
        hand = marts_of(con, duckdb_marts.SCHEMA)
        pandas = pandas_marts.build_marts(pandas_marts.load_panel(con))
    assert check_agreement({"hand SQL": hand, "pandas": pandas}, reference="hand SQL") == []


def test_pandas_out_of_memory_is_a_result_naming_the_rows(landing_on_disk):
    database, rows = landing_on_disk
    [(tried, run)] = pandas_ladder([(database, rows)], parse_limit("100MiB"))
    assert tried == rows and run.out_of_memory, run.failure
    assert summary([(tried, run)], parse_limit("100MiB")) == (
        f"  pandas within 100 MiB: ran out of memory at {rows:,} rows; no size ran")


def test_pandas_without_a_limit_runs_and_says_so(landing_on_disk):
    database, rows = landing_on_disk
    [(tried, run)] = pandas_ladder([(database, rows)], None)
    assert run.failure == "" and run.engine_s > 0 and run.peak_rss_mb > 0
    assert summary([(tried, run)], None).startswith(f"  pandas within no limit: every size ran; largest that ran: {rows:,} rows")


def test_memory_limits_read_as_bytes_and_dbt_gets_duckdbs_through_its_profile(tmp_path):
    assert parse_limit("4GiB") == 4 * 2**30 and parse_limit("100MiB") == 100 * 2**20 and parse_limit("none") is None
    assert duckdb_memory_limit(4 * 2**30) == "2048MiB"
    profiles = yaml.safe_load((limited_profiles("2048MiB", tmp_path) / "profiles.yml").read_text(encoding="utf-8"))
    [profile] = profiles.values()
    assert profile["outputs"][profile["target"]]["settings"] == {"memory_limit": "2048MiB"}
