"""Landing loads: validated before writing, idempotent, scoped to the years they cover."""

import duckdb
import pytest

from scrapers.registry import FEEDS
from warehouse.archive import records_for
from warehouse.landing import LandingValidationError, ensure_schema, load, parse_documents
from warehouse.schemas import LANDING_MODELS


def table_checksum(con, table: str) -> tuple:
    return con.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM landing.{table}").fetchone()


def load_all(con):
    for feed in FEEDS.values():
        load(con, parse_documents(feed, records_for(feed.name)), None)


def test_loading_twice_changes_nothing(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ensure_schema(con)
        load_all(con)
        first = {t: table_checksum(con, t) for t in [*LANDING_MODELS, "documents"]}
        load_all(con)
        assert {t: table_checksum(con, t) for t in [*LANDING_MODELS, "documents"]} == first
        counts = {t: first[t][0] for t in first}
    assert counts == {"nbs_rd_bulletin": 192, "csy_rd_expenditure": 448, "csy_rd_intensity": 1856,
                      "csy_patent_grants": 448, "csy_tech_market": 6016, "csy_hightech_industry": 416,
                      "torch_hightech_enterprise": 0, "documents": 73}


def test_year_scoped_load_replaces_only_that_year(tmp_path):
    feed = FEEDS["nbs_rd_bulletin"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ensure_schema(con)
        load(con, parse_documents(feed, records_for(feed.name)), None)
        only_2019 = [r for r in records_for(feed.name) if r.data_year == 2019]
        load(con, parse_documents(feed, only_2019), [2019])
        per_year = dict(con.execute("SELECT data_year, count(*) FROM landing.nbs_rd_bulletin GROUP BY 1").fetchall())
    assert per_year == {year: 32 for year in range(2018, 2024)}


def test_rows_failing_the_schema_are_refused_with_the_rows_named():
    feed = FEEDS["nbs_rd_bulletin"]

    def absurd(doc):
        frame = feed.parse(doc)
        frame.loc[frame.province == "北京", "rd_intensity_pct"] = 61.7  # decimal point lost
        frame.loc[frame.province == "上海", "rd_expenditure_100m_yuan"] = -1.0
        return frame

    broken = type(feed)(feed.name, feed.title, absurd, feed.one_year_per_document)
    with pytest.raises(LandingValidationError) as error:
        parse_documents(broken, [r for r in records_for(feed.name) if r.data_year == 2019])
    message = str(error.value)
    assert "nbs-rd-bulletin/2019.html" in message
    assert "北京" in message and "61.7" in message and "上海" in message
    failures = error.value.failures
    assert set(failures["column"]) >= {"rd_intensity_pct", "rd_expenditure_100m_yuan"}


def test_national_total_check_catches_a_province_dropped_from_the_sum():
    feed = FEEDS["csy_rd_expenditure"]
    batch = parse_documents(feed, [r for r in records_for(feed.name) if r.data_year == 2020])
    rows = batch.rows.copy()
    rows.loc[rows.province == "广东", "rd_expenditure_100m_yuan"] = 0.0
    with pytest.raises(Exception, match="national R&D expenditure differs from the sum of provinces"):
        LANDING_MODELS["csy_rd_expenditure"].validate(rows, lazy=True)
