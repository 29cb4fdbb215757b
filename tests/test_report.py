"""What the analyst sees: charts, the self-contained HTML report, mart exports, the data dictionary, the guide."""

import base64
import re
import struct
import warnings
from datetime import date

import duckdb
import pytest
from dagster import AssetKey, build_asset_context

from orchestration.assets.report import analyst_charts
from serve import charts, export, report
from warehouse import build_state
from warehouse.freshness import expected_newest_data_year

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")
FAR_FUTURE = date(2999, 1, 1)


# One worker takes the whole module (`make test` runs --dist loadgroup): its fixtures draw every chart and
# export every mart, once.
pytestmark = pytest.mark.xdist_group("report")


@pytest.fixture(scope="module")
def con(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def built(con, tmp_path_factory):
    """The report built once, on a date by which every feed is stale; with the warnings matplotlib raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = report.build_report(con, tmp_path_factory.mktemp("report"), today=FAR_FUTURE)
    return files, [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def drawn(con, tmp_path_factory) -> dict[str, charts.Chart]:
    return {chart.path.stem: chart for chart in charts.draw_all(con, tmp_path_factory.mktemp("charts"))}


@pytest.fixture(scope="module")
def exported(con, tmp_path_factory):
    return export.export_marts(con, tmp_path_factory.mktemp("exports"))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])  # IHDR width, height


def newest_intensity_year(con) -> int:
    return con.execute("SELECT max(year) FROM marts.province_rd_ranking WHERE rd_intensity_pct IS NOT NULL").fetchall()[0][0]


def mart_names(con) -> list[str]:
    return [n for (n,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'").fetchall()]


def newest_patent_stock_year(con) -> int:
    return con.execute("SELECT max(year) FROM marts.province_patent_stock").fetchone()[0]


def test_charts_are_valid_pngs_of_sensible_size(built, con):
    files, _ = built
    newest_year = newest_intensity_year(con)
    assert sorted(p.name for p in files.charts) == sorted([
        f"rd_intensity_ranking_{newest_year}.png", "cluster_stage_efficiency.png", "cluster_tech_net_outflow.png",
        "cluster_endowment.png", f"province_patent_stock_{newest_patent_stock_year(con)}.png"])
    for chart in files.charts:
        data = chart.read_bytes()
        width, height = png_size(data)
        assert 800 <= width <= 2000 and 500 <= height <= 2000, (chart.name, width, height)
        assert len(data) > 30_000, chart.name  # a blank figure compresses to a few kB


def test_no_glyph_is_missing_from_the_charts(built):
    _, caught = built
    assert [m for m in caught if "missing from" in m or "Glyph" in m] == []


def test_chart_text_needs_no_cjk_font(drawn):
    for chart in drawn.values():
        text = " ".join([chart.title, chart.caption, chart.description, *chart.notes,
                         *(str(c) for table in chart.tables for c in table.frame.columns)])
        assert not CJK.search(text), (chart.path.name, CJK.findall(text))


def test_transformation_gaps_stay_null_with_their_reason(con, drawn):
    chart = drawn["cluster_stage_efficiency"]
    proxy_nulls = con.execute("""
        SELECT DISTINCT year, transformation_stage_proxy_null_reason FROM marts.cluster_stage_efficiency
        WHERE transformation_stage_efficiency_hitech_industry_proxy IS NULL
    """).fetchall()
    assert proxy_nulls  # 2017 is missing upstream, so t = 2016 has no proxy
    proxy_table = chart.tables[1].frame.set_index("year")
    for year, reason in proxy_nulls:
        assert proxy_table.loc[year].isna().all()  # drawn as a gap, not as zero
        assert any(reason in note and str(year) in note for note in chart.notes)
    if con.execute("SELECT count(transformation_stage_efficiency) FROM marts.cluster_stage_efficiency").fetchall()[0][0] == 0:
        assert "PROXY" in chart.tables[1].title
        assert any("Torch" in note for note in chart.notes)


def test_ranking_of_a_year_without_intensities_is_refused(con, tmp_path):
    year_without = con.execute(
        "SELECT min(year) FROM marts.province_rd_ranking GROUP BY year HAVING count(rd_intensity_pct) = 0").fetchall()
    if not year_without:
        pytest.skip("every year has intensities")
    with pytest.raises(ValueError, match="no R&D intensity"):
        charts.rd_intensity_ranking(con, tmp_path, year_without[0][0])


def test_html_is_self_contained(built):
    files, _ = built
    page = files.html.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page and "<script" not in page
    sources = re.findall(r'<img[^>]*src="([^"]+)"', page)
    assert len(sources) == len(files.charts)
    prefix = "data:image/png;base64,"
    embedded = {base64.b64decode(s.removeprefix(prefix)) for s in sources if s.startswith(prefix)}
    assert embedded == {chart.read_bytes() for chart in files.charts}


def test_html_carries_tables_vintage_and_build_info(built, con):
    files, _ = built
    page = files.html.read_text(encoding="utf-8")
    newest_year = newest_intensity_year(con)
    provinces = [n for (n,) in con.execute(
        "SELECT province_name_en FROM marts.province_rd_ranking WHERE year = ?", [newest_year]).fetchall()]
    assert len(provinces) == 31 and all(f"<td>{name}</td>" in page for name in provinces)
    assert charts.vintage_rule(con) in page
    documents = con.execute("SELECT count(*) FROM landing.documents").fetchall()[0][0]
    assert f"documents: {documents}</li>" in page


def test_staleness_is_reported_prominently_when_feeds_are_old(built, con):
    files, _ = built
    page = files.html.read_text(encoding="utf-8")
    feeds = [f for (f,) in con.execute("SELECT DISTINCT feed FROM landing.documents").fetchall()]
    assert 'class="stale"' in page and "Stale data" in page
    assert all(any(w.startswith(f"{feed}: STALE") for w in files.warnings) for feed in feeds)


def test_no_staleness_note_just_after_the_newest_releases(con):
    newest = con.execute("SELECT max(data_year) FROM landing.documents").fetchall()[0][0]
    status = report.feed_status(con, today=date(newest + 1, 12, 31))
    loaded = status[status.documents_count > 0]
    assert len(loaded) and (loaded.status == "current").all()
    assert not any("STALE" in w for w in report.warnings_for(status))


@pytest.mark.parametrize("today, release_month, expected", [
    (date(2026, 9, 30), 9, 2024),  # inside the release month: not yet due
    (date(2026, 10, 1), 9, 2025),
    (date(2026, 12, 31), 12, 2024),  # a December publication is due from January
    (date(2027, 1, 1), 12, 2025),
])
def test_expected_newest_data_year(today, release_month, expected):
    assert expected_newest_data_year(today, release_month) == expected


@pytest.mark.parametrize(("vintage", "expected"), [
    ("earliest", "earliest publication"),
    ("latest", "latest revision"),
    (None, "not recorded"),
])
def test_vintage_rule_is_read_from_the_build_record(vintage, expected):
    with duckdb.connect() as con:
        if vintage is not None:
            con.execute("CREATE SCHEMA landing")
            con.execute("CREATE TABLE landing.documents (document_sha256 VARCHAR)")
            build_state.record(con, "a-run", vintage)
        assert charts.vintage_rule(con).startswith(expected)


def test_export_writes_parquet_and_csv_per_mart_with_every_row(exported, con):
    names = {p.name for p in exported}
    for mart in mart_names(con):
        assert {f"{mart}.parquet", f"{mart}.csv"} <= names
        rows = con.execute(f"SELECT count(*) FROM marts.{mart}").fetchall()[0][0]
        parquet = next(p for p in exported if p.name == f"{mart}.parquet")
        csv = next(p for p in exported if p.name == f"{mart}.csv")
        assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(parquet)]).fetchall()[0][0] == rows
        assert con.execute("SELECT count(*) FROM read_csv(?, header = true)", [str(csv)]).fetchall()[0][0] == rows
    assert {"data_dictionary.csv", "data_dictionary.md"} <= names


def test_dictionary_covers_every_mart_column_with_description_and_unit(exported, con):
    dictionary_csv = next(p for p in exported if p.name == "data_dictionary.csv")
    dictionary = con.execute("SELECT * FROM read_csv(?, header = true, all_varchar = true)", [str(dictionary_csv)]).df()
    columns = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'marts'").fetchall()
    assert {(m, c) for m, c, _ in columns} == set(zip(dictionary["mart"], dictionary["column"], strict=True))
    undescribed = dictionary[dictionary.description.fillna("").str.strip() == ""]
    assert undescribed.empty, undescribed[["mart", "column"]].to_string()
    numeric = {(m, c) for m, c, t in columns if t in {"BIGINT", "INTEGER", "HUGEINT", "DOUBLE", "DECIMAL"}}
    without_unit = [(m, c) for m, c, u in zip(dictionary["mart"], dictionary["column"], dictionary["unit"], strict=True)
                    if (m, c) in numeric and u == export.NOT_A_QUANTITY]
    assert numeric and without_unit == []


def test_guide_dictionary_matches_the_generated_one(con):
    assert export.guide_dictionary() == export.dictionary_markdown(export.data_dictionary(con))


def test_guide_example_outputs_match_the_warehouse(con):
    examples = export.guide_examples()
    assert len(examples) >= 5
    for sql, pasted in examples:
        assert export.query_output(con, sql) == pasted, sql


def test_report_asset_materializes_from_the_published_warehouse(built_warehouse):
    assert AssetKey(["warehouse", "published"]) in analyst_charts.asset_deps[analyst_charts.key]
    metadata = analyst_charts(build_asset_context()).metadata
    assert metadata["charts"].value.count("data:image/png;base64,") == 5
    paths = [v.value for k, v in metadata.items() if k == "report_html" or k.startswith("chart_")]
    assert len(paths) == 6
    for path in paths:
        with open(path, "rb") as handle:
            assert handle.read(8) in (PNG_SIGNATURE, b"<!doctyp")
