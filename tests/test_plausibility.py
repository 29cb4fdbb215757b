"""Plausible wrong figures: real documents edited so that nothing looks broken, each refused by a
named check (or, for sudden zeros and jumps, warned about), and today's real documents pass them all.

Every variant is made at run time from a real document in documents and goes through the real
gates, parser and Pandera model. Bulletin cells are edited in the real page (lxml, the helpers of
test_malformed_documents); yearbook tables are decrypted, edited as a grid of cells and written back
as an .xls with xlwt (unencrypted: the parser reads both).

| class | case | made from | outcome | message says |
|---|---|---|---|---|
| finite | bulletin-infinity-cell | bulletin 2019 | DocumentError | ... for 北京 printed as a plain decimal; found 'Infinity' |
| finite | bulletin-nan-cell | bulletin 2019 | DocumentError | ... for 上海 printed as a plain decimal; found 'nan' |
| finite | bulletin-overflow-cell | bulletin 2019 | DocumentError | ... for 广东 printed as a plain decimal; found '1e400' |
| finite | xls-infinity-text | high-tech 2023 | DocumentError | ... for 北京 printed as a plain decimal; found 'Infinity' |
| finite | xls-infinite-number | R&D expenditure 2023 | DocumentError | a finite number ... for 西藏; found inf |
| finite | xls-nan-number | patents 2023 | DocumentError | a finite number ... for 青海; found nan |
| format | bulletin-scientific-notation | bulletin 2019 | DocumentError | ... for 北京 as a plain decimal; found '2.2e3' |
| format | bulletin-thousands-separator | bulletin 2019 | DocumentError | ... for 江苏 as a plain decimal; found '2,779.5' |
| format | bulletin-expenditure-two-decimals | bulletin 2019 | DocumentError | 1 decimal ... 浙江; found '1669.80' (2 decimals) |
| format | bulletin-intensity-one-decimal | bulletin 2023 | DocumentError | 2 decimals ... 北京; found '6.7' (1 decimal) |
| format | xls-scientific-notation | patents 2023 | DocumentError | ... for 广东 printed as a plain decimal; found '1.1e5' |
| national total | xls-profit-x10 | high-tech 2023 | LandingValidationError | national total profit differs from the sum |
| national total | xls-one-more-enterprise | high-tech 2023 | LandingValidationError | national enterprise count differs |
| national total | xls-design-grants-doubled | patents 2023 | LandingValidationError | national design grants differ |
| order | xls-labels-swapped | high-tech 2023 | DocumentError | provinces in the statistical order; found 天津 before 北京 |
| order | xls-labels-swapped-apart | patents 2023 | DocumentError | ...; found 四川 before 广西 |
| order | xls-back-series-labels-swapped | intensity 2023 | DocumentError | ...; found 江苏 before 上海 |
| order | bulletin-labels-swapped | bulletin 2022 (both copies) | DocumentError | ...; found 新疆 before 宁夏 |

Beyond the table: every float column of every landing model must be finite and every additive column
has a national-total check (Pandera, on the real rows); the national row and subtotals may stand
anywhere; the bulletin and yearbook must agree on R&D expenditure (a blocking dbt test, on a copy of
the built warehouse) while intensities only warn; sudden zeros and year-on-year jumps warn
(warehouse/plausibility.py), the real ones are known jumps in the layout files.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import msoffcrypto
import numpy as np
import pandas as pd
import pytest
import xlrd
import xlwt
from dagster import AssetCheckSeverity

from core import paths
from core.errors import DocumentError
from scrapers._tables.region_tables import STATISTICAL_ORDER
from scrapers._tables.regions import squash
from scrapers._tables.xls_workbooks import EXCEL_DEFAULT_PASSWORD, read_xls_region_table, sheet_grid
from scrapers.feeds import FEEDS
from tests.conftest import edited_copy
from tests.test_malformed_documents import edited_page, filed, real_bytes, real_record, region_row, row_cells, set_text
from warehouse import plausibility
from warehouse.archive import BUNDLED, RawDocument, records_for
from warehouse.landing import LandingValidationError, parse_documents, validated, value_columns
from warehouse.plausibility import SUDDEN_ZERO, YEAR_ON_YEAR_JUMP, plausibility_warnings

BULLETIN_2019 = "nbs-rd-bulletin/2019.html"
BULLETIN_2022 = "nbs-rd-bulletin/2022.html"
BULLETIN_2023 = "nbs-rd-bulletin/2023.html"
PATENTS_2023 = "csy-patent-grants-by-region/2023.xls"
RD_EXPENDITURE_2023 = "csy-rd-expenditure-by-region-and-source/2023.xls"
INTENSITY_2023 = "csy-rd-intensity-by-region/2023.xls"
HIGHTECH_2023 = "csy-hightech-industry-by-region/2023.xls"
EXPENDITURE_AGREEMENT_TEST = "rd_expenditure_bulletin_and_yearbook_agree"
INTENSITY_AGREEMENT_TEST = "rd_intensity_publications_agree"

Grid = list[list[object]]


# --- yearbook tables: decrypted, edited as a grid, written back with xlwt ---

def label_row(grid: Grid, region: str) -> list:
    return next(row for row in grid if row and squash(row[0]) == region)


def table_sheets(content: bytes) -> list[tuple[str, Grid]]:
    """Each sheet of the real (encrypted) workbook as a name and a grid of cells."""
    office = msoffcrypto.OfficeFile(io.BytesIO(content))
    office.load_key(password=EXCEL_DEFAULT_PASSWORD)
    plain = io.BytesIO()
    office.decrypt(plain)
    return [(sheet.name, sheet_grid(sheet)) for sheet in xlrd.open_workbook(file_contents=plain.getvalue()).sheets()]


def holds_the_table(grid: Grid) -> bool:
    return any(row and squash(row[0]) == "全国" for row in grid)


def rewritten_workbook(*edits: Callable[[Grid], None]) -> Callable[[bytes], bytes]:
    """The real workbook with `edits` applied to the sheet holding the table (the one with a 全国 row)."""
    def make(content: bytes) -> bytes:
        book = xlwt.Workbook(encoding="utf-8")
        for name, grid in table_sheets(content):
            if holds_the_table(grid):
                for edit in edits:
                    edit(grid)
            written = book.add_sheet(name)
            for i, row in enumerate(grid):
                for j, cell in enumerate(row):
                    if cell != "":
                        written.write(i, j, cell)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    return make


def real_cell(source: str, region: str, field: str) -> object:
    """What the real document prints for a region in a layout column."""
    (grid,) = [grid for _, grid in table_sheets(real_bytes(source)) if holds_the_table(grid)]
    return label_row(grid, region)[figure_column(source, field)]


@cache
def figure_column(source: str, field: str) -> int:
    """Where the real document's table prints a layout column."""
    layout = FEEDS[real_record(source).feed].spec.layout
    table = read_xls_region_table(RawDocument(real_record(source), real_bytes(source)), layout)
    return table.column(next(spec for spec in layout.columns if spec.field == field))


def change_figure(source: str, region: str, field: str, change: Callable[[object], object]) -> Callable[[Grid], None]:
    def edit(grid: Grid) -> None:
        row = label_row(grid, region)
        j = figure_column(source, field)
        row[j] = change(row[j])
    return edit


def set_figure(source: str, region: str, field: str, value: object) -> Callable[[Grid], None]:
    return change_figure(source, region, field, lambda _: value)


def swap_labels(a: str, b: str) -> Callable[[Grid], None]:
    def edit(grid: Grid) -> None:
        row_a, row_b = label_row(grid, a), label_row(grid, b)
        row_a[0], row_b[0] = row_b[0], row_a[0]
    return edit


def move_row_after(moved: str, after: str) -> Callable[[Grid], None]:
    def edit(grid: Grid) -> None:
        row = label_row(grid, moved)
        grid.remove(row)
        grid.insert(grid.index(label_row(grid, after)) + 1, row)
    return edit


# --- bulletin pages: every copy of the regional table (2021-2023 pages carry two) ---

def in_every_copy(edit: Callable[[object], None]) -> Callable[[bytes], bytes]:
    return edited_page(lambda root, tables: [edit(table) for table in tables])


def cell_text(region: str, column: int, text: str) -> Callable[[bytes], bytes]:
    return in_every_copy(lambda table: set_text(row_cells(region_row(table, region))[column], text))


def swapped_bulletin_labels(a: str, b: str) -> Callable[[bytes], bytes]:
    def edit(table) -> None:
        label_a, label_b = row_cells(region_row(table, a))[0], row_cells(region_row(table, b))[0]
        set_text(label_a, b)
        set_text(label_b, a)
    return in_every_copy(edit)


def national_row_last(table) -> None:
    row = region_row(table, "全国")
    parent = row.getparent()
    parent.remove(row)
    parent.append(row)


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # the real document the variant is made from, and the path it is filed under
    make: Callable[[bytes], bytes]
    error: type[Exception]
    problem: str  # regex: what the message must say was expected and found
    # For a LandingValidationError: the failure (check, column, value, province, data year) it must list.
    failure: tuple[str, ...] | None = None


PLAIN = r"printed as a plain decimal \(digits and a decimal point, as the publications print figures\)"
ORDER = re.escape(f"expected provinces in the statistical order ({STATISTICAL_ORDER}); found")

CASES = [
    # 1. Finite numbers only: float() would read these as inf or nan.
    Case("bulletin-infinity-cell", BULLETIN_2019, cell_text("北京", 1, "Infinity"), DocumentError,
         rf"expected a number in column 'R&D经费\(亿元\)' for 北京 {PLAIN}; found 'Infinity'"),
    Case("bulletin-nan-cell", BULLETIN_2019, cell_text("上海", 2, "nan"), DocumentError,
         rf"expected a number in column 'R&D经费投入强度\(%\)' for 上海 {PLAIN}; found 'nan'"),
    Case("bulletin-overflow-cell", BULLETIN_2019, cell_text("广东", 1, "1e400"), DocumentError,
         rf"expected a number in column 'R&D经费\(亿元\)' for 广东 {PLAIN}; found '1e400'"),
    Case("xls-infinity-text", HIGHTECH_2023,
         rewritten_workbook(set_figure(HIGHTECH_2023, "北京", "total_profit_100m_yuan", "Infinity")), DocumentError,
         rf"expected a number in column '利润总额\(亿元\)Profits\(100millionyuan\)' for 北京 {PLAIN}; found 'Infinity'"),
    Case("xls-infinite-number", RD_EXPENDITURE_2023,
         rewritten_workbook(set_figure(RD_EXPENDITURE_2023, "西藏", "rd_expenditure_10k_yuan", float("inf"))), DocumentError,
         r"expected a finite number in column 'R&D经费内部支出Total' for 西藏; found inf"),
    Case("xls-nan-number", PATENTS_2023,
         rewritten_workbook(set_figure(PATENTS_2023, "青海", "design_grants_count", float("nan"))), DocumentError,
         r"expected a finite number in column '外观设计Design' for 青海; found nan"),
    # 2. Number formats the publications use: plain decimals; the bulletin's fixed decimals per column.
    Case("bulletin-scientific-notation", BULLETIN_2019, cell_text("北京", 1, "2.2e3"), DocumentError,
         rf"expected a number in column 'R&D经费\(亿元\)' for 北京 {PLAIN}; found '2.2e3'"),
    Case("bulletin-thousands-separator", BULLETIN_2019, cell_text("江苏", 1, "2,779.5"), DocumentError,
         rf"expected a number in column 'R&D经费\(亿元\)' for 江苏 {PLAIN}; found '2,779.5'"),
    Case("bulletin-expenditure-two-decimals", BULLETIN_2019, cell_text("浙江", 1, "1669.80"), DocumentError,
         r"expected a figure with 1 decimal in column 'R&D经费\(亿元\)' for 浙江, as the publication prints every "
         r"figure of that column; found '1669.80' \(2 decimals\)"),
    Case("bulletin-intensity-one-decimal", BULLETIN_2023, cell_text("北京", 2, "6.7"), DocumentError,
         r"expected a figure with 2 decimals in column '研究与试验发展\(R&D\)经费投入强度\(%\)' for 北京, as the "
         r"publication prints every figure of that column; found '6.7' \(1 decimal\)"),
    Case("xls-scientific-notation", PATENTS_2023,
         rewritten_workbook(set_figure(PATENTS_2023, "广东", "invention_grants_count", "1.1e5")), DocumentError,
         rf"expected a number in column '发明Invention' for 广东 {PLAIN}; found '1.1e5'"),
    # 3. National total against the sum of provinces, for columns that had no such check before.
    Case("xls-profit-x10", HIGHTECH_2023,
         rewritten_workbook(change_figure(HIGHTECH_2023, "北京", "total_profit_100m_yuan", lambda old: f"{int(old) * 10}")),
         LandingValidationError, r"national total profit differs from the sum of provinces .* 全国 +2023",
         ("national total profit differs from the sum of provinces", "total_profit_100m_yuan", "14750.0", "全国", "2023")),
    Case("xls-one-more-enterprise", HIGHTECH_2023,
         rewritten_workbook(change_figure(HIGHTECH_2023, "西藏", "enterprises_count", lambda old: f"{int(old) + 1}")),
         LandingValidationError, r"national enterprise count differs from the sum of provinces .* 全国 +2023",
         ("national enterprise count differs from the sum of provinces", "enterprises_count", "52878", "全国", "2023")),
    # The kinds still add up to the total, so only the national totals see it.
    Case("xls-design-grants-doubled", PATENTS_2023,
         rewritten_workbook(
             change_figure(PATENTS_2023, "广东", "patent_grants_total_count",
                           lambda old: f"{int(old) + int(real_cell(PATENTS_2023, '广东', 'design_grants_count'))}"),
             change_figure(PATENTS_2023, "广东", "design_grants_count", lambda old: f"{int(old) * 2}")),
         LandingValidationError, r"national design grants differ from the sum of provinces .* 全国 +2023",
         ("national design grants differ from the sum of provinces", "design_grants_count", "628384", "全国", "2023")),
    # 4. Provinces in the statistical order: a swapped or mistyped label.
    Case("xls-labels-swapped", HIGHTECH_2023, rewritten_workbook(swap_labels("北京", "天津")), DocumentError,
         rf"{ORDER} 天津 before 北京$"),
    Case("xls-labels-swapped-apart", PATENTS_2023, rewritten_workbook(swap_labels("广东", "四川")), DocumentError,
         rf"{ORDER} 四川 before 广西$"),
    Case("xls-back-series-labels-swapped", INTENSITY_2023, rewritten_workbook(swap_labels("上海", "江苏")), DocumentError,
         rf"{ORDER} 江苏 before 上海$"),
    Case("bulletin-labels-swapped", BULLETIN_2022, swapped_bulletin_labels("宁夏", "新疆"), DocumentError,
         rf"{ORDER} 新疆 before 宁夏$"),
]


@pytest.fixture(scope="module")
def bundled_rows() -> dict[str, pd.DataFrame]:
    """Every bundled document, verified, gated, parsed and validated: the landing rows of each feed."""
    return {name: parse_documents(feed, [r for r in records_for(name) if r.archive == BUNDLED]).rows
            for name, feed in FEEDS.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_plausible_wrong_figure_is_refused(case, tmp_path, monkeypatch):
    record = filed(tmp_path, monkeypatch, case.source, case.make(real_bytes(case.source)))
    with pytest.raises((DocumentError, LandingValidationError)) as failure:
        parse_documents(FEEDS[record.feed], [record])
    error, message = failure.value, str(failure.value)
    assert type(error) is case.error, message
    assert case.source in message
    assert re.search(case.problem, message, flags=re.MULTILINE), message
    if isinstance(error, DocumentError):
        assert message == f"{case.source}: expected {error.expected}; found {error.found}"
    else:
        listed = error.failures[["check", "column", "failure_case", "province", "data_year"]]
        assert case.failure in set(listed.itertuples(index=False, name=None)), listed


def test_every_case_is_in_the_table_at_the_top():
    listed = set(re.findall(r"^\| [a-z ]+ \| ([a-z0-9-]+) \|", __doc__, flags=re.MULTILINE)) - {"case"}
    assert listed == {case.id for case in CASES}


def test_a_rewritten_workbook_without_edits_lands_the_real_figures(tmp_path, monkeypatch):
    """The xlwt copy itself changes nothing: refusals above come from the edits alone."""
    feed = FEEDS["csy_patent_grants"]
    real = parse_documents(feed, [real_record(PATENTS_2023)]).rows
    unedited = rewritten_workbook()(real_bytes(PATENTS_2023))
    copy = parse_documents(feed, [filed(tmp_path, monkeypatch, PATENTS_2023, unedited)]).rows
    pd.testing.assert_frame_equal(copy.drop(columns="document_sha256"), real.drop(columns="document_sha256"))


@pytest.mark.parametrize("source, make", [
    (BULLETIN_2019, in_every_copy(national_row_last)),
    (HIGHTECH_2023, rewritten_workbook(move_row_after("全国", "新疆"), move_row_after("东部地区", "北京"))),
], ids=["bulletin-national-row-last", "xls-national-row-last-and-a-subtotal-between-provinces"])
def test_only_the_provinces_order_matters(source, make, tmp_path, monkeypatch):
    feed = FEEDS[real_record(source).feed]
    real = parse_documents(feed, [real_record(source)]).rows
    moved = parse_documents(feed, [filed(tmp_path, monkeypatch, source, make(real_bytes(source)))]).rows

    def by_province(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.drop(columns="document_sha256").sort_values("province_code").reset_index(drop=True)

    assert moved.iloc[-1]["province"] == "全国"
    pd.testing.assert_frame_equal(by_province(moved), by_province(real))


# --- today's real documents pass every check and raise no warning ---

def test_every_bundled_document_passes_every_check(bundled_rows):
    assert {feed: len(rows) for feed, rows in bundled_rows.items()} == {
        "nbs_rd_bulletin": 192, "csy_rd_expenditure": 448, "csy_rd_intensity": 1856, "csy_patent_grants": 448,
        "csy_tech_market": 6016, "csy_hightech_industry": 416, "csy_rd_personnel": 448, "csy_valid_patents": 448,
        "csy_firm_rd_expenditure": 192, "csy_firm_rd_personnel": 160, "csy_firm_rd_activity": 192,
        "csy_firm_patents": 160,  # data 2022 refused: the archived file is the by-industry table
        "csy_hightech_rd": 192, "torch_hightech_enterprise": 0}


def test_real_documents_raise_no_plausibility_warning(bundled_rows):
    assert {feed: plausibility_warnings(feed, rows) for feed, rows in bundled_rows.items()} == {feed: [] for feed in FEEDS}


# --- Pandera: every float column finite, every additive column against its national total ---

def model_rows(bundled_rows: dict[str, pd.DataFrame], feed: str) -> pd.DataFrame:
    """A feed's real landing rows; for the Torch feed (licensed, none bundled) the R&D expenditure rows
    of one yearbook edition standing in as net profit, so that its model sees real-shaped figures."""
    if feed != "torch_hightech_enterprise":
        return bundled_rows[feed].copy()
    rows = bundled_rows["csy_rd_expenditure"]
    return (rows[rows["data_year"] == 2023].rename(columns={"rd_expenditure_100m_yuan": "net_profit_100m_yuan"})
            .assign(feed=feed))


FLOAT_COLUMNS = [(feed, name) for feed, model in ((name, f.schema) for name, f in FEEDS.items())
                 for name, column in model.to_schema().columns.items() if str(column.dtype) == "float64"]
ADDITIVE_COLUMNS = [(feed, column) for feed, model in ((name, f.schema) for name, f in FEEDS.items())
                    for column in value_columns(model) if not column.endswith("_pct")]  # intensities do not add up


@pytest.mark.parametrize("feed, column", FLOAT_COLUMNS, ids=[f"{f}.{c}" for f, c in FLOAT_COLUMNS])
def test_every_float_column_must_be_finite(bundled_rows, feed, column):
    rows = model_rows(bundled_rows, feed)
    figures = rows.index[rows[column].notna() & (rows["province_code"] != "00")]
    rows.loc[figures[0], column] = np.inf
    rows.loc[figures[1], column] = -np.inf
    validated(FEEDS[feed], [model_rows(bundled_rows, feed)], ["real rows"])  # the real rows pass
    with pytest.raises(LandingValidationError) as failure:
        validated(FEEDS[feed], [rows], ["edited rows"])
    finite = failure.value.failures[failure.value.failures["check"] == "figures are finite (not ±inf)"]
    assert set(zip(finite["column"], finite["failure_case"], finite["province"], strict=True)) == {
        (column, "inf", rows.loc[figures[0], "province"]), (column, "-inf", rows.loc[figures[1], "province"])}


@pytest.mark.parametrize("feed, column", ADDITIVE_COLUMNS, ids=[f"{f}.{c}" for f, c in ADDITIVE_COLUMNS])
def test_every_additive_column_is_checked_against_its_national_total(bundled_rows, feed, column):
    rows = model_rows(bundled_rows, feed)
    national = rows.index[(rows["province_code"] == "00") & rows[column].notna()][0]
    rows.loc[national, column] = rows.loc[national, column] * 2
    with pytest.raises(LandingValidationError) as failure:
        validated(FEEDS[feed], [rows], ["edited rows"])
    failures = failure.value.failures
    # Only this column changed, so one national check fails (doubling total patent grants also breaks
    # the kinds adding up), on the edited national row.
    (check,) = {c for c in failures["check"] if c.startswith("national ")}
    assert re.fullmatch(r"national .+ differs? from the sum of provinces", check)
    failing = failures[failures["check"] == check]
    assert set(zip(failing["document_path"], failing["province"], strict=True)) == {(rows.loc[national, "document_path"], "全国")}


# --- the same figure in two publications: bulletin and yearbook (dbt) ---

def dbt_test_nodes() -> dict[str, dict]:
    manifest = json.loads((paths.DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "test"}


def test_cross_publication_tests_are_described_and_blocking_for_expenditure_only():
    nodes = dbt_test_nodes()
    expenditure, intensity = nodes[EXPENDITURE_AGREEMENT_TEST], nodes[INTENSITY_AGREEMENT_TEST]
    assert expenditure["config"]["severity"].lower() == "error" and intensity["config"]["severity"].lower() == "warn"
    assert "0.05 亿元" in expenditure["description"] and "revised GDP" in intensity["description"]
    assert expenditure["test_metadata"]["kwargs"]["half_unit_of_last_printed_decimal"] == 0.05
    assert intensity["test_metadata"]["kwargs"]["half_unit_of_last_printed_decimal"] == 0.005


def test_today_the_bulletin_and_yearbook_agree_on_expenditure(build_record):
    checks = {c["check_name"]: c for c in build_record["checks"]}
    assert checks[EXPENDITURE_AGREEMENT_TEST]["passed"] is True
    # Intensities differ by GDP revisions: a warning, never a blocking failure.
    assert checks[INTENSITY_AGREEMENT_TEST]["severity"] == AssetCheckSeverity.WARN.value


def test_a_province_changed_in_one_publication_stops_the_dbt_build(built_warehouse, tmp_path):
    """西藏 +5 % in the yearbook (2020) and 宁夏 −5 % in the bulletin (2022): both still add up to
    their national totals within rounding, so only the cross-publication test sees them."""
    copy = edited_copy(
        built_warehouse, tmp_path,
        "UPDATE landing.csy_rd_expenditure SET rd_expenditure_100m_yuan = rd_expenditure_100m_yuan * 1.05 "
        "WHERE province = '西藏' AND data_year = 2020",
        "UPDATE landing.nbs_rd_bulletin SET rd_expenditure_100m_yuan = round(rd_expenditure_100m_yuan * 0.95, 1) "
        "WHERE province = '宁夏' AND data_year = 2022")
    target = tmp_path / "target"
    dbt = Path(sys.executable).with_name("dbt")
    run = subprocess.run(
        [str(dbt), "build", "--quiet", "--profiles-dir", ".", "--target-path", str(target), "--log-path", str(tmp_path / "logs"),
         "--select", f"+{EXPENDITURE_AGREEMENT_TEST}", f"+{INTENSITY_AGREEMENT_TEST}"],
        cwd=paths.DBT_PROJECT_DIR, env={**os.environ, "DBT_BUILD_DUCKDB_PATH": str(copy)},
        capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    results = {r["unique_id"].split(".")[2]: r for r in json.loads((target / "run_results.json").read_text())["results"]}
    expenditure, intensity = results[EXPENDITURE_AGREEMENT_TEST], results[INTENSITY_AGREEMENT_TEST]
    assert (expenditure["status"], expenditure["failures"]) == ("fail", 2)
    assert intensity["status"] == "warn"
    assert [r["status"] for name, r in results.items() if name not in (EXPENDITURE_AGREEMENT_TEST, INTENSITY_AGREEMENT_TEST)
            and r["status"] in ("fail", "error")] == []
    with duckdb.connect(str(copy), read_only=True) as con:
        disagreements = con.execute(f"{expenditure['compiled_code']} ORDER BY data_year").fetchall()
    (tibet_year, _, tibet, tibet_low, tibet_high, _), (ningxia_year, _, ningxia, ningxia_low, ningxia_high, _) = disagreements
    assert (tibet_year, tibet, ningxia_year, ningxia) == (2020, "西藏", 2022, "宁夏")
    assert tibet_high / tibet_low == pytest.approx(1.05, abs=0.02)  # the bulletin prints one decimal
    assert ningxia_low / ningxia_high == pytest.approx(0.95, abs=0.01)


# --- sudden zeros and year-on-year jumps: warnings ---

def with_version(bundled: pd.DataFrame, version: pd.DataFrame) -> pd.DataFrame:
    """The feed's landing rows with an edited version of one document landed beside the real one."""
    return pd.concat([bundled, version], ignore_index=True)


def test_invention_grants_set_to_zero_warn_once_the_kinds_add_up(bundled_rows, tmp_path, monkeypatch):
    tibet_inventions = int(real_cell(PATENTS_2023, "西藏", "invention_grants_count"))
    naive = rewritten_workbook(set_figure(PATENTS_2023, "西藏", "invention_grants_count", "0"))
    with pytest.raises(LandingValidationError, match=r"total grants differ from invention \+ utility model \+ design"):
        parse_documents(FEEDS["csy_patent_grants"], [filed(tmp_path, monkeypatch, PATENTS_2023, naive(real_bytes(PATENTS_2023)))])

    careful = rewritten_workbook(
        set_figure(PATENTS_2023, "西藏", "invention_grants_count", "0"),
        change_figure(PATENTS_2023, "西藏", "patent_grants_total_count", lambda old: f"{int(old) - tibet_inventions}"))
    (tmp_path / "careful").mkdir()
    version = parse_documents(FEEDS["csy_patent_grants"],
                              [filed(tmp_path / "careful", monkeypatch, PATENTS_2023, careful(real_bytes(PATENTS_2023)))]).rows
    (warning,) = plausibility_warnings("csy_patent_grants", with_version(bundled_rows["csy_patent_grants"], version))
    assert (warning.kind, warning.province, warning.data_year, warning.column, warning.previous_value, warning.value) == (
        SUDDEN_ZERO, "西藏", 2023, "invention_grants_count", 149.0, 0.0)
    assert warning.document_sha256 == version["document_sha256"].iloc[0]
    assert warning.message == "csy_patent_grants: 西藏 invention_grants_count is 0 in 2023 after 149 in 2022 (a sudden zero)"


def test_a_contract_count_set_to_zero_warns(bundled_rows):
    rows = bundled_rows["csy_tech_market"].copy()
    newest_inflow_count = (rows["document_path"] == "csy-tech-market-inflow-by-region/type-amount-2023.xls")
    rows.loc[newest_inflow_count & (rows["province"] == "青海") & (rows["data_year"] == 2023), "contract_count"] = 0
    validated(FEEDS["csy_tech_market"], [rows], ["edited rows"])  # within the national band: no error
    (warning,) = plausibility_warnings("csy_tech_market", rows)
    assert (warning.kind, warning.province, warning.series, warning.data_year, warning.value) == (
        SUDDEN_ZERO, "青海", "inflow", 2023, 0.0)
    assert warning.message.startswith("csy_tech_market: 青海 inflow contract_count is 0 in 2023 after ")


@pytest.mark.parametrize("feed, province, year, column, factor, expected", [
    # A small province's profit ×5 stays within the national rounding band: only the jump shows.
    ("csy_hightech_industry", "西藏", 2023, "total_profit_100m_yuan", 5,
     [(2023, 13.0, 80.0)]),
    # A slipped decimal in the yearbook's R&D expenditure: the year and the next both jump.
    ("csy_rd_expenditure", "宁夏", 2021, "rd_expenditure_100m_yuan", 0.1,
     [(2021, 59.64, 7.0441), (2022, 7.0441, 79.3795)]),
    # A known jump printed differently: the layout's entry names the real figures only.
    ("csy_hightech_industry", "北京", 2021, "total_profit_100m_yuan", 10,
     [(2021, 554.5787, 25917.1471), (2022, 25917.1471, 788.0)]),
], ids=["small-province-profit-x5", "expenditure-slipped-decimal", "known-jump-edited"])
def test_a_year_on_year_jump_warns(bundled_rows, feed, province, year, column, factor, expected):
    rows = bundled_rows[feed].copy()
    edited = (rows["province"] == province) & (rows["data_year"] == year)
    rows.loc[edited, column] = rows.loc[edited, column] * factor
    warnings = plausibility_warnings(feed, rows)
    assert [(w.data_year, round(w.previous_value, 4), round(w.value, 4)) for w in warnings] == expected
    assert {(w.kind, w.province, w.column) for w in warnings} == {(YEAR_ON_YEAR_JUMP, province, column)}
    first = warnings[0]
    assert first.ratio == pytest.approx(first.value / first.previous_value)
    assert first.message == (f"{feed}: {province} {column} is {first.value:g} in {year}, {first.ratio:.2f}× the "
                             f"{year - 1} figure {first.previous_value:g} (outside the year-on-year band 0.25×–4.0×)")


def test_every_known_jump_is_a_real_jump_of_the_bundled_documents(bundled_rows, monkeypatch):
    """Without the layout files' lists, today's documents warn exactly about the listed jumps: none is
    stale, none missing, and each says why it stands."""
    listed = {(feed, jump["province"], jump.get("direction", ""), jump["data_year"], jump["column"])
              for feed in FEEDS for jump in plausibility.known_jumps(feed)}
    assert all(jump["why"].strip() for feed in FEEDS for jump in plausibility.known_jumps(feed))
    monkeypatch.setattr(plausibility, "known_jumps", lambda feed: [])
    warned = {(w.feed, w.province, w.series, w.data_year, w.column)
              for feed, rows in bundled_rows.items() for w in plausibility_warnings(feed, rows)}
    assert warned == listed
    assert len(listed) == 19
