"""The scale benchmark compares like with like: on a tiny SYNTHETIC panel, the project's dbt models, the
pandas implementation and the hand-written DuckDB SQL build the same four marts. A correctness test
of bench/, not a timing test (the timings are printed by `python -m bench.scale`)."""

import duckdb
import pytest

from bench import duckdb_marts, pandas_marts
from bench.scale import DBT_PROJECT, build_with_dbt, check_agreement, marts_of
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
