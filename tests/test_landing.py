"""Landing loads: validated before writing, idempotent, scoped to the years they cover."""

from dataclasses import replace

import duckdb
import pytest

from scrapers.feeds import FEEDS
from warehouse.archive import load_registry, records_for
from warehouse.landing import LandingValidationError, ensure_schema, load, parse_documents, write_documents

REGIONS_PER_YEAR = 32  # 全国 and the 31 provinces


def table_checksum(con, table: str) -> tuple:
    return con.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM landing.{table}").fetchone()


def load_all(con):
    for feed in FEEDS.values():
        load(con, parse_documents(feed, records_for(feed.name)), None)
    write_documents(con, load_registry())


def test_loading_twice_changes_nothing(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ensure_schema(con)
        load_all(con)
        first = {t: table_checksum(con, t) for t in [*FEEDS, "documents"]}
        load_all(con)
        assert {t: table_checksum(con, t) for t in [*FEEDS, "documents"]} == first
        # 全国 and 31 provinces for every data year of every document, and one provenance row per document.
        for table in FEEDS:
            rows, document_years = con.execute(f"SELECT count(*), count(DISTINCT (document_sha256, data_year)) "
                                               f"FROM landing.{table}").fetchone()
            assert rows == REGIONS_PER_YEAR * document_years and (rows > 0) == bool(records_for(table)), table
        assert first["documents"][0] == len(load_registry())


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

    broken = replace(feed, parse=absurd)
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
        FEEDS["csy_rd_expenditure"].schema.validate(rows, lazy=True)


def test_a_document_already_landed_is_not_read_or_parsed_again(monkeypatch):
    """Skipping unchanged documents by content hash: rows landed for a sha256 stand in for parsing it again,
    and the batch is the same as a full parse."""
    from warehouse import landing

    feed = FEEDS["csy_patent_grants"]
    records = records_for(feed.name)
    full = parse_documents(feed, records)
    landed = full.rows[full.rows["document_sha256"].isin({r.sha256 for r in records[:-1]})]
    read = []
    real_read = landing.read_verified
    monkeypatch.setattr(landing, "read_verified", lambda record, **kw: read.append(record.path) or real_read(record, **kw))
    again = parse_documents(feed, records, landed=landed)
    assert read == [records[-1].path] and again.parsed == [records[-1]]
    order = ["document_sha256", "data_year", "province_code"]
    assert again.rows.sort_values(order).reset_index(drop=True).equals(full.rows.sort_values(order).reset_index(drop=True))
