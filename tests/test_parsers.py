"""Every bundled document parses; row counts and spot values per feed, read from the real files."""

from pathlib import Path

import pandas as pd
import pytest

from core.errors import DocumentError, OtherTable
from core.paths import DOCUMENTS_DIR
from scrapers._tables.region_tables import RegionTable, units_in
from scrapers.feeds import FEEDS
from warehouse.archive import load_registry, read_verified, records_for

# 全国 + 31 provinces in every regional table.
REGION_ROWS = 32
# Archived under the by-region folder, but table 2-25 of its edition "by industry": refused, never parsed.
OTHER_TABLE = "csy-industrial-enterprise-patents-by-region/2022.xls"


def parsed_frame(path: str, feed: str | None = None) -> pd.DataFrame:
    record = next(r for r in load_registry(DOCUMENTS_DIR) if r.path == path)
    assert feed in (None, record.feed)
    return FEEDS[record.feed].parse(read_verified(record, DOCUMENTS_DIR))


def parsed(feed: str, path: str) -> pd.DataFrame:
    return parsed_frame(path, feed).set_index("province")


@pytest.mark.parametrize("record", [r for f in FEEDS for r in records_for(f, DOCUMENTS_DIR) if r.path != OTHER_TABLE],
                         ids=lambda r: r.path)
def test_every_document_parses_to_all_regions(record):
    frame = FEEDS[record.feed].parse(read_verified(record, DOCUMENTS_DIR))
    years = frame["data_year"].nunique()
    assert len(frame) == REGION_ROWS * years
    assert set(frame["province_code"]) >= {"00", "11", "65"}
    assert frame["data_year"].max() == record.data_year


def test_document_counts(registry):
    counts = {f: sum(r.feed == f for r in registry) for f in FEEDS}
    assert counts == {"nbs_rd_bulletin": 6, "csy_rd_expenditure": 14, "csy_rd_intensity": 6,
                      "csy_patent_grants": 14, "csy_tech_market": 20, "csy_hightech_industry": 13,
                      "csy_rd_personnel": 14, "csy_valid_patents": 14, "csy_firm_rd_expenditure": 6,
                      "csy_firm_rd_personnel": 5,  # data 2019 missing upstream
                      "csy_firm_rd_activity": 6, "csy_firm_patents": 6, "csy_hightech_rd": 6,
                      "torch_hightech_enterprise": 0}  # licensed: never bundled, inbox only


@pytest.mark.parametrize("year, province, expenditure, intensity", [
    (2018, "北京", 1870.8, 6.17),  # title inside the table
    (2019, "全国", 22143.6, 2.23),  # title above the table
    (2021, "广东", 4002.2, 3.22),  # two identical copies on the page
    (2023, "北京", 2947.1, 6.73),  # renamed headers
    (2023, "内蒙古", 228.1, 0.93),  # three-character name, no padding
])
def test_bulletin_spot_values(year, province, expenditure, intensity):
    row = parsed("nbs_rd_bulletin", f"nbs-rd-bulletin/{year}.html").loc[province]
    assert row.rd_expenditure_100m_yuan == expenditure
    assert row.rd_intensity_pct == intensity


def test_yearbook_rd_expenditure_converts_10k_yuan_to_100m_yuan():
    frame = parsed("csy_rd_expenditure", "csy-rd-expenditure-by-region-and-source/2010.xls")
    assert frame.loc["全国", "rd_expenditure_100m_yuan"] == pytest.approx(7062.57745)  # printed 70625774.5 万元
    frame = parsed("csy_rd_expenditure", "csy-rd-expenditure-by-region-and-source/2023.xls")
    assert frame.loc["全国", "rd_expenditure_100m_yuan"] == pytest.approx(33357.0688)  # 333570688 万元


def test_intensity_back_series_keeps_every_year_of_an_edition():
    frame = parsed("csy_rd_intensity", "csy-rd-intensity-by-region/2018.xls").reset_index()
    assert sorted(frame["data_year"].unique()) == list(range(2011, 2019))
    beijing = frame[frame.province == "北京"].set_index("data_year")["rd_intensity_pct"]
    assert beijing[2011] == 5.76 and beijing[2018] == 6.17
    # The 2020 file keeps full-precision floats where the book prints two decimals.
    frame = parsed("csy_rd_intensity", "csy-rd-intensity-by-region/2020.xls").reset_index()
    national = frame[frame.province == "全国"].set_index("data_year")["rd_intensity_pct"]
    assert national[2012] == pytest.approx(1.905817520314897)


def test_patent_grants_and_misprinted_province_names():
    frame = parsed("csy_patent_grants", "csy-patent-grants-by-region/2023.xls")
    assert tuple(frame.loc["北京", ["patent_grants_total_count", "invention_grants_count",
                                  "utility_model_grants_count", "design_grants_count"]]) == (193973, 107875, 68901, 17197)
    # The 2012 table prints 山西/西藏 as 山两/两藏; both still land under the right province.
    frame = parsed("csy_patent_grants", "csy-patent-grants-by-region/2012.xls")
    assert {"山西", "西藏"} <= set(frame.index)


def test_tech_market_value_and_count():
    value = parsed("csy_tech_market", "csy-tech-market-outflow-by-region/type-funds-2023.xls").reset_index()
    beijing = value[(value.province == "北京") & (value.data_year == 2023)].iloc[0]
    assert beijing.contract_value_100m_yuan == pytest.approx(8536.9394)  # 85369394 万元
    assert beijing.direction == "outflow" and beijing.measure == "contract_value"
    count = parsed("csy_tech_market", "csy-tech-market-inflow-by-region/type-amount-2022.xls").reset_index()
    tianjin = count[(count.province == "天津") & (count.data_year == 2000)].iloc[0]
    assert tianjin.contract_count == 6297 and tianjin.direction == "inflow"


def test_hightech_industry_columns_found_across_renames():
    old = parsed("csy_hightech_industry", "csy-hightech-industry-by-region/2010.xls")  # 主营业务收入, 利润 beside 利税
    assert tuple(old.loc["广东", ["enterprises_count", "revenue_100m_yuan", "total_profit_100m_yuan"]]) == (5774, 20952.8, 1225.6)
    new = parsed("csy_hightech_industry", "csy-hightech-industry-by-region/2016.xls")  # 利润总额
    assert tuple(new.loc["广东", ["enterprises_count", "revenue_100m_yuan", "total_profit_100m_yuan"]]) == (6570, 37765, 2094)


def test_the_by_industry_table_filed_as_by_region_is_refused_naming_what_it_is():
    with pytest.raises(OtherTable) as refused:
        parsed_frame(OTHER_TABLE)
    message = str(refused.value)
    assert message.startswith(f"{OTHER_TABLE}: expected one sheet titled like /各地区规上工业企业专利")
    assert "found 0 among sheets ['1', 'CNKI']; the workbook is headed '2-25按行业分规上工业企业专利情况(2022年)'" in message


def test_misprinted_labels_land_under_the_province_meant():
    # CSY 2015 table 7-9 prints 浙汀, 四藏 (and 尔部地区 for the 东部地区 subtotal); 2016 prints 江四; 2014 table 1-4 内蒙占.
    frame = parsed("csy_valid_patents", "csy-valid-patents-by-region/2014.xls")
    assert {"浙江", "西藏"} <= set(frame.index) and len(frame) == REGION_ROWS
    assert "江西" in set(parsed("csy_valid_patents", "csy-valid-patents-by-region/2015.xls").index)
    assert "内蒙古" in set(parsed("csy_rd_personnel", "csy-rd-personnel-fte-by-region/2013.xls").index)


def test_valid_patents_kinds_and_the_national_row_with_hong_kong_macao_taiwan():
    frame = parsed("csy_valid_patents", "csy-valid-patents-by-region/2022.xls")
    assert tuple(frame.loc["北京", ["valid_patents_total_count", "valid_invention_patents_count",
                                  "valid_utility_model_patents_count", "valid_design_patents_count"]]) == (
        1046715, 477790, 451923, 117002)
    assert frame.loc["全国", "valid_invention_patents_count"] == 3351453  # includes 香港/澳门/台湾 (台湾 65199)
    assert "台湾" not in frame.index


def test_enterprise_counts_follow_the_header_when_columns_swap():
    # 有研发机构 left of 有R&D活动 to the 2022 edition, right of it from the 2023 edition (data 2022).
    before = parsed("csy_firm_rd_activity", "csy-industrial-enterprise-rd-activity-by-region/2021.xls")
    after = parsed("csy_firm_rd_activity", "csy-industrial-enterprise-rd-activity-by-region/2022.xls")
    columns = ["enterprises_with_rd_activity_count", "enterprises_with_rd_institution_count"]
    assert tuple(before.loc["广东", columns]) == (26688, 30261)
    assert tuple(after.loc["广东", columns]) == (22742, 29864)


def test_industrial_personnel_units_from_the_statement_or_each_header():
    # 2018: "单位:人,人年" above the table; 2022: "(人)" and "(人年)" in the headers, no statement.
    for path, headcount, fte in [("csy-industrial-enterprise-rd-personnel-by-region/2018.xls", 4261170, 2981234),
                                 ("csy-industrial-enterprise-rd-personnel-by-region/2022.xls", 5988158, 4214666)]:
        national = parsed("csy_firm_rd_personnel", path).loc["全国"]
        assert (national.rd_personnel_count, national.rd_personnel_fte_person_years) == (headcount, fte)


@pytest.mark.parametrize("year, institutions, expenditure_10k_yuan", [
    (2018, 3631, 5025960),  # two blocks side by side; the right block's 全国 row one row higher
    (2020, 3336, 7429309.0),  # one flat table under ten header rows, floats
    (2022, 3539, 10462767),  # two blocks stacked, the second titled 5-4续表
])
def test_hightech_rd_layouts(year, institutions, expenditure_10k_yuan):
    frame = parsed("csy_hightech_rd", f"csy-hightech-industry-rd-by-region/{year}.xls")
    assert frame.loc["江苏", "rd_institutions_count"] == institutions
    assert frame.loc["江苏", "rd_expenditure_100m_yuan"] == pytest.approx(expenditure_10k_yuan * 1e-4)
    assert len(frame) == REGION_ROWS


SPOT_VALUES = pd.read_csv(Path(__file__).parent / "data" / "spot_values.csv")
# Printed unit -> factor into the landing column's unit (万元 -> 亿元; the rest as printed).
INTO_LANDING_UNIT = {"万元": 1e-4, "亿元": 1, "%": 1, "件": 1, "项": 1, "个": 1, "人年": 1}


@pytest.mark.parametrize("spot", SPOT_VALUES.itertuples(index=False), ids=lambda s: f"{s.document}:{s.column}")
def test_spot_values_transcribed_from_the_raw_cells(spot):
    """Cells transcribed from an xlrd dump of each decrypted workbook (tests/data/spot_values.csv)."""
    frame = parsed_frame(spot.document)
    row = frame[(frame.province == spot.province) & (frame.data_year == spot.data_year)]
    assert len(row) == 1
    assert row.iloc[0][spot.column] == pytest.approx(spot.printed_value * INTO_LANDING_UNIT[spot.printed_unit])


def test_every_yearbook_document_has_a_spot_value_or_a_reference_cross_check(registry):
    # The reference transcriptions (test_reference_crosscheck) cover R&D expenditure 2012-2023 and
    # invention patents 2012-2022; every other yearbook document has a transcribed spot value here.
    referenced = {f"csy-rd-expenditure-by-region-and-source/{y}.xls" for y in range(2012, 2024)} | {
        f"csy-patent-grants-by-region/{y}.xls" for y in range(2012, 2023)}
    uncovered = {r.path for r in registry if r.path.endswith(".xls")} - referenced - set(SPOT_VALUES.document) - {OTHER_TABLE}
    assert uncovered == set()


def test_units_of_people_and_of_sub_columns():
    """人 is a unit only where it is no 人员 (personnel) or 人年 (person-years); a "#" sub-column naming no unit
    has its column's (the 2023 edition of table 2-11 states none for the table)."""
    headers = ["Region", "R&D人员(人)R&DPersonnel(person)", "#女性Female", "R&D人员折合全时当量(人年)Full-timeEquivalent",
               "#研究人员Researchers"]
    table = RegionTable("t.xls", "title", 2022, headers, [], [])
    table.check_unit(1, "人", "headcount")
    table.check_unit(2, "人", "female headcount")
    table.check_unit(3, "人年", "FTE")
    table.check_unit(4, "人年", "researchers' FTE")
    with pytest.raises(DocumentError, match=r"t.xls: expected FTE in 人; found unit \['人年'\]"):
        table.check_unit(3, "人", "FTE")
    assert units_in("单位:人,人年") == ["人年", "人"] and units_in("R&D人员全时当量") == []
