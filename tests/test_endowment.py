"""The innovation endowment (issue 13): seven yearbook feeds, the refused document, and the two marts
recomputed from the landing tables."""

import pandas as pd
import pytest

from warehouse import run_summary
from warehouse.changes import REFUSED, YearOutcome

OTHER_TABLE = "csy-industrial-enterprise-patents-by-region/2022.xls"
CLUSTERS = {"京津冀", "长三角", "珠三角", "成渝"}


def query(con, sql: str, params=()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def test_the_refused_document_lands_nothing_and_says_why(warehouse):
    document = query(warehouse, "SELECT * FROM landing.documents WHERE document_path = ?", [OTHER_TABLE]).iloc[0]
    assert document.refused_reason.startswith(f"{OTHER_TABLE}: expected one sheet titled like /各地区规上工业企业专利")
    assert "the workbook is headed '2-25按行业分规上工业企业专利情况(2022年)'" in document.refused_reason
    assert warehouse.execute("SELECT count(*) FROM landing.csy_firm_patents WHERE data_year = 2022 "
                             "OR document_sha256 = ?", [document.document_sha256]).fetchone()[0] == 0
    landed = query(warehouse, "SELECT document_path FROM landing.documents WHERE refused_reason IS NULL")
    assert OTHER_TABLE not in set(landed.document_path)


def test_the_gap_is_null_with_the_refusal_in_the_mart(warehouse):
    endowment = query(warehouse, "SELECT * FROM marts.cluster_endowment WHERE year = 2022")
    assert set(endowment.cluster) == CLUSTERS
    assert endowment.industrial_enterprise_valid_invention_patents_count.isna().all()
    assert endowment.industrial_enterprise_valid_invention_patents_per_10k_rd_fte.isna().all()
    assert endowment.industrial_enterprise_patents_null_reason.str.contains(
        "another table and was refused: " + OTHER_TABLE, regex=False).all()
    # The other figures of 2022 are there.
    assert endowment.industrial_enterprise_rd_share_pct.notna().all()
    # 2019: no industrial-enterprise R&D personnel table upstream, so no per-head figure either.
    y2019 = query(warehouse, "SELECT * FROM marts.cluster_endowment WHERE year = 2019")
    assert y2019.industrial_enterprise_valid_invention_patents_per_10k_rd_fte.isna().all()
    assert y2019.industrial_enterprise_patents_null_reason.str.startswith(
        "no csy_firm_rd_personnel document archived").all()


def test_run_summary_lists_a_refused_document_apart_from_failures():
    text = run_summary.render({
        "run_id": "r", "status": run_summary.PUBLISHED, "published_path": "w.duckdb", "feeds": {"csy_firm_patents": {
            "outcomes": [YearOutcome("csy_firm_patents", 2022, REFUSED, reason="unexpected_document: x.xls: expected "
                                     "a; found b").to_json()], "notes": [], "warnings": []}}})
    assert "csy_firm_patents           refused 2022" in text
    assert "Refused documents" in text and "  csy_firm_patents 2022: unexpected_document: x.xls: expected a; found b" in text
    assert "Failures:" not in text


def member_sums(warehouse, year: int, cluster: str) -> pd.Series:
    """The members' figures straight from the landing tables (and the selected R&D), summed."""
    return query(warehouse, """
        SELECT sum(fe.rd_expenditure_100m_yuan) AS firm_rd, sum(rd.rd_expenditure_100m_yuan) AS all_rd,
               sum(fp.rd_personnel_fte_person_years) AS firm_fte, sum(pt.valid_invention_patents_count) AS firm_patents,
               sum(vp.valid_invention_patents_count) AS inventions
        FROM reference.cluster_membership AS m
        JOIN reference.provinces AS p USING (province)
        JOIN landing.csy_firm_rd_expenditure AS fe ON fe.province_code = p.province_code AND fe.data_year = ?
        JOIN intermediate.int_rd_selected AS rd ON rd.province_code = p.province_code AND rd.data_year = ?
        JOIN landing.csy_firm_rd_personnel AS fp ON fp.province_code = p.province_code AND fp.data_year = ?
        JOIN landing.csy_firm_patents AS pt ON pt.province_code = p.province_code AND pt.data_year = ?
        JOIN landing.csy_valid_patents AS vp ON vp.province_code = p.province_code AND vp.data_year = ?
        WHERE m.cluster = ?
    """, [year] * 5 + [cluster]).iloc[0]


@pytest.mark.parametrize("year, cluster", [(2023, "长三角"), (2018, "京津冀"), (2021, "成渝")])
def test_cluster_endowment_is_ratios_of_member_sums(warehouse, year, cluster):
    row = query(warehouse, "SELECT * FROM marts.cluster_endowment WHERE year = ? AND cluster = ?", [year, cluster]).iloc[0]
    sums = member_sums(warehouse, year, cluster)
    national = warehouse.execute("SELECT valid_invention_patents_count FROM landing.csy_valid_patents "
                                 "WHERE province_code = '00' AND data_year = ?", [year]).fetchone()[0]
    assert row.industrial_enterprise_rd_share_pct == pytest.approx(sums.firm_rd / sums.all_rd * 100)
    assert row.industrial_enterprise_valid_invention_patents_per_10k_rd_fte == pytest.approx(
        sums.firm_patents / sums.firm_fte * 10_000)
    assert row.share_of_national_valid_invention_patents_pct == pytest.approx(sums.inventions / national * 100)
    assert row.members_reporting_industrial_enterprise_rd_share == row.members_count


def test_enterprises_carry_more_of_rd_outside_jingjinji(warehouse):
    """The study's finding, as the yearbook figures show it every year 2018-2023."""
    shares = query(warehouse, """SELECT year, cluster, industrial_enterprise_rd_share_pct AS share
                                  FROM marts.cluster_endowment WHERE year BETWEEN 2018 AND 2023""")
    wide = shares.pivot(index="year", columns="cluster", values="share")
    assert (wide["京津冀"] < wide[["长三角", "珠三角", "成渝"]].min(axis=1)).all()
    assert set(wide.index) == set(range(2018, 2024))


def test_province_patent_stock_ranks_and_shares(warehouse):
    stock = query(warehouse, "SELECT * FROM marts.province_patent_stock")
    assert set(stock.year) == set(range(2010, 2024))
    assert (stock.groupby("year").size() == 31).all()
    y2022 = stock[stock.year == 2022].set_index("province")
    # Transcribed from CSY 2023 table 8-9 (data 2022): 广东 539237, 北京 477790 valid invention patents; 全国 3351453.
    assert y2022.loc["广东", "valid_invention_patents_rank"] == 1
    assert y2022.loc["广东", "valid_invention_patents_count"] == 539237
    assert y2022.loc["北京", "valid_invention_patents_count"] == 477790
    assert y2022.loc["广东", "share_of_national_valid_invention_patents_pct"] == pytest.approx(539237 / 3351453 * 100)
    assert y2022.loc["广东", "cluster"] == "珠三角" and pd.isna(y2022.loc["山东", "cluster"])
    assert sorted(y2022.valid_invention_patents_rank) == list(range(1, 32))
    # 全国 also counts 香港/澳门/台湾: the provinces hold less than all of it.
    assert y2022.share_of_national_valid_invention_patents_pct.sum() < 100


def test_endowment_chart_draws_gaps_and_names_the_refused_document(warehouse, tmp_path):
    from serve import charts

    chart = charts.cluster_endowment(warehouse, tmp_path)
    per_head = chart.tables[1].frame.set_index("year")
    assert per_head.loc[2022].isna().all() and per_head.loc[2019].isna().all()  # gaps, not zeros
    assert per_head.loc[2023].notna().all()
    assert any("2022" in note and f"was refused: {OTHER_TABLE}" in note for note in chart.notes)
    shares = chart.tables[0].frame.set_index("year")
    assert shares.loc[2023].idxmin() == "Beijing-Tianjin-Hebei"
    assert "leads in 2023" in chart.description


CROSS_FEED_RULES = {
    "industrial_enterprise_rd_never_above_all_rd",
    "hightech_industry_rd_never_above_industrial_enterprise_rd",
    "industrial_enterprise_rd_fte_never_above_their_headcount",
    "industrial_enterprise_rd_fte_never_above_all_rd_fte",
}


def test_cross_feed_checks_ran_and_passed(build_record):
    """The four parts-within-wholes are rules of int_province_endowment's blocking `rules` test (one asset check)."""
    import json

    from core import paths

    manifest = json.loads((paths.DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    (test,) = [n for n in manifest["nodes"].values() if n["name"] == "int_province_endowment_rules"]
    assert set(test["test_metadata"]["kwargs"]["not_above"]) == CROSS_FEED_RULES
    assert test["config"]["severity"].lower() == "error"
    evaluations = [c for c in build_record["checks"] if c["check_name"] == "int_province_endowment_rules"]
    assert len(evaluations) == 1 and evaluations[0]["passed"], evaluations


def test_cross_feed_parts_within_wholes_in_the_landing_tables(warehouse):
    """The same comparisons straight on the landing tables, so a dbt test that stopped running is noticed."""
    over = warehouse.execute("""
        SELECT count(*) FILTER (WHERE f.rd_expenditure_100m_yuan > r.rd_expenditure_100m_yuan),
               count(*) FILTER (WHERE p.rd_personnel_fte_person_years > p.rd_personnel_count),
               count(*) FILTER (WHERE p.rd_personnel_fte_person_years > a.rd_personnel_fte_person_years),
               count(*)
        FROM landing.csy_firm_rd_expenditure AS f
        JOIN landing.csy_rd_expenditure AS r USING (data_year, province_code)
        JOIN landing.csy_firm_rd_personnel AS p USING (data_year, province_code)
        JOIN landing.csy_rd_personnel AS a USING (data_year, province_code)
    """).fetchone()
    assert over[:3] == (0, 0, 0) and over[3] == 32 * 5  # data 2018, 2020-2023: every region compared
