"""Find a by-region table in a grid of cells by its content, and read its columns by header aliases.

Both publication formats come down to a grid (rows of cells): an HTML <table> or an xls sheet. A
feed's layout (the [layout] of its feed.toml) says what the table is called and which header wording
names each column, edition by edition; this module holds no per-year branches.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from core.errors import DocumentError
from core.feed import ColumnSpec, Layout
from scrapers._tables.regions import NATIONAL_CODE, Region, rules, squash

# Cells that publications print for "no figure" (not reported, not applicable).
NOT_AVAILABLE = frozenset({"", "—", "-", "－", "…", "...", "——", "x", "X"})
# Units a header or the table's "单位：" statement may name, each with the pattern that finds it. 人 (persons)
# is also the first character of 人员 (personnel) and 人年 (person-years), which headers print without
# meaning a unit: only a 人 followed by neither counts.
UNIT_PATTERNS = {unit: re.compile(re.escape(unit)) for unit in ("亿元", "万元", "千元", "%", "件", "项", "个", "人年")}
UNIT_PATTERNS["人"] = re.compile(r"人(?![员年])")
YEAR_IN_HEADER = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\.0)?(?!\d)")
MIN_PROVINCES = 31  # a regional table lists all 31 provinces; fewer means a truncated or other table
# How every real document prints a figure in a text cell: digits, an optional minus sign and decimal
# part. No thousands separators and no exponent in any of the 73 bundled documents nor in the new
# yearbook tables (shared sources, not yet parsed). Python's float() would also take 'Infinity',
# 'nan', '1e400', '2.2e3' (a figure that lost its digits) and '1_000'.
PLAIN_DECIMAL = re.compile(r"-?\d+(?:\.(?P<decimals>\d+))?")

# NBS and the yearbooks list the provinces by GB code, the order of the seed provinces.csv: measured
# on all 73 bundled documents and the 120 regional tables of the new yearbook files (shared sources).
STATISTICAL_ORDER = "北京 11, 天津 12, … 新疆 65: by GB code"

Grid = list[list[object]]


@dataclass(frozen=True)
class RegionRow:
    region: Region
    cells: list[object]


@dataclass(frozen=True)
class RegionTable:
    document: str
    title: str
    title_year: int | None
    headers: list[str]  # squashed header text per column
    table_units: list[str]  # units named in the table's "单位：" statement
    rows: list[RegionRow]

    def column(self, spec: ColumnSpec) -> int:
        matches = [
            j for j, h in enumerate(self.headers)
            if any(re.search(a, h) for a in spec.aliases) and not any(re.search(x, h) for x in spec.exclude)
        ]
        if len(matches) != 1:
            raise DocumentError(
                self.document,
                f"one column for {spec.field} with a header like {' | '.join(spec.aliases)}",
                f"{len(matches)} such columns among headers {self.headers}",
            )
        self.check_unit(matches[0], spec.unit, spec.field)
        return matches[0]

    def year_columns(self, unit: str) -> dict[int, int]:
        years = {}
        for j, h in enumerate(self.headers):
            m = YEAR_IN_HEADER.search(h)
            if j > 0 and m:
                years[int(m.group(1))] = j
        if not years:
            raise DocumentError(self.document, "one column per year (headers such as 2019)", f"headers {self.headers}")
        for j in years.values():
            self.check_unit(j, unit, "yearly values")
        return years

    def own_units(self, j: int) -> list[str]:
        """Units column j's header names; a "#" sub-column ("#发明专利", "of which") naming none has the
        units of the column it belongs to, the nearest one to its left that is not itself a sub-column."""
        own = units_in(self.headers[j])
        if not own and self.headers[j].startswith("#"):
            parent = next((k for k in range(j - 1, 0, -1) if not self.headers[k].startswith("#")), None)
            return units_in(self.headers[parent]) if parent is not None else []
        return own

    def check_unit(self, j: int, unit: str, what: str) -> None:
        found = self.own_units(j) or self.table_units
        if unit not in found:
            raise DocumentError(self.document, f"{what} in {unit}", f"unit {found or 'not stated'} (header {self.headers[j]!r})")

    def frame(self, columns: tuple[ColumnSpec, ...]) -> pd.DataFrame:
        """One row per region, one column per spec (values as printed, in the spec's unit)."""
        found = {spec: self.column(spec) for spec in columns}
        return pd.DataFrame([
            {"province_code": row.region.code, "province": row.region.name,
             **{spec.field: self.value(row, j, spec.printed_decimals) for spec, j in found.items()}}
            for row in self.rows
        ])

    def year_frame(self, unit: str, value_name: str, last_year: int) -> pd.DataFrame:
        """A back-series table in long form: one row per region and year column, up to last_year."""
        years = self.year_columns(unit)
        if max(years) != last_year:
            raise DocumentError(self.document, f"a back series ending in {last_year}", f"year columns {sorted(years)}")
        return pd.DataFrame([
            {"data_year": year, "province_code": row.region.code, "province": row.region.name,
             value_name: self.value(row, j)}
            for row in self.rows for year, j in years.items()
        ])

    def value(self, row: RegionRow, j: int, printed_decimals: int | None = None) -> float | None:
        cell = row.cells[j] if j < len(row.cells) else ""
        return parse_number(cell, self.document, row.region.name, self.headers[j], printed_decimals)


def units_in(text: str) -> list[str]:
    return [unit for unit, pattern in UNIT_PATTERNS.items() if pattern.search(text)]


def parse_number(cell: object, document: str, region: str, header: str, printed_decimals: int | None = None) -> float | None:
    """A cell's figure: a finite number, from a text cell printed as a plain decimal (with
    `printed_decimals` decimals where the layout fixes them); None for a "no figure" mark."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if not math.isfinite(cell):
            raise DocumentError(document, f"a finite number in column {header!r} for {region}", f"{cell!r}")
        return float(cell)
    text = "".join(unicodedata.normalize("NFKC", str(cell)).split())
    if text in NOT_AVAILABLE:
        return None
    plain = PLAIN_DECIMAL.fullmatch(text)
    if not plain:  # not a number, or a number in a format the publications never print
        try:
            float(text.replace(",", ""))
        except ValueError:
            raise DocumentError(document, f"a number in column {header!r} for {region}", f"{str(cell)!r}") from None
        raise DocumentError(document, f"a number in column {header!r} for {region} printed as a plain decimal "
                                      "(digits and a decimal point, as the publications print figures)", f"{str(cell)!r}")
    decimals = len(plain.group("decimals") or "")
    if printed_decimals is not None and decimals != printed_decimals:
        raise DocumentError(document, f"a figure with {_decimals(printed_decimals)} in column {header!r} for {region}, "
                                      "as the publication prints every figure of that column",
                            f"{str(cell)!r} ({_decimals(decimals)})")
    return float(text)


def _decimals(n: int) -> str:
    return f"{n} decimal" + ("" if n == 1 else "s")


def _first_region_row(grid: Grid) -> tuple[int, int] | None:
    r = rules()
    for i, row in enumerate(grid):
        for j, cell in enumerate(row[:2]):
            if r.is_region_row_start(squash(cell)):
                return i, j
    return None


def read_region_table(grid: Grid, layout: Layout, document: str, context: str = "") -> RegionTable:
    """Read a grid as the layout's regional table; `context` is text printed just above the table."""
    start = _first_region_row(grid)
    if start is None:
        raise DocumentError(document, "a table with rows for 全国 and the provinces", "no row naming 全国 or a province")
    first, label_col = start
    header_rows = grid[:first]
    n_cols = max(len(row) for row in grid)
    headers = [
        "".join(squash(row[j]) for row in header_rows if j < len(row) and j != label_col) for j in range(n_cols)
    ]
    block_text = squash(context) + "".join(squash(c) for row in header_rows for c in row)
    title = re.search(layout.title_pattern, block_text)
    if not title:
        raise DocumentError(document, f"a table titled like /{layout.title_pattern}/", f"heading text {block_text[:160]!r}")
    title_year = int(title.group("year")) if "year" in title.groupdict() and title.group("year") else None
    unit_statement = re.search(r"单位:([^()]{0,12})", block_text)
    table_units = units_in(unit_statement.group(1)) if unit_statement else []
    rows = _region_rows(grid[first:], label_col, document)
    return RegionTable(document, title.group(0), title_year, headers, table_units, rows)


def check_year(table: RegionTable, data_year: int) -> None:
    """The table must be for the year its provenance record says."""
    if table.title_year is not None and table.title_year != data_year:
        raise DocumentError(table.document, f"a table for {data_year}", f"title {table.title!r}")


def _region_rows(grid: Grid, label_col: int, document: str) -> list[RegionRow]:
    r = rules()
    rows: list[RegionRow] = []
    seen: set[str] = set()
    last_province: Region | None = None
    for row in grid:
        label = squash(row[label_col]) if label_col < len(row) else ""
        if not label:
            continue
        if r.ends_table(label):
            break
        try:
            region = r.classify(label)
        except KeyError:
            raise DocumentError(document, "rows for 全国, provinces or known subtotals", f"a row labelled {label!r}") from None
        if region is None:
            continue
        if region.code in seen:
            raise DocumentError(document, "each province once", f"a second row for {region.name}")
        seen.add(region.code)
        if region.code != NATIONAL_CODE:
            # A province out of the statistical order is a row whose label was swapped or mistyped; the
            # national row and skipped subtotals may stand anywhere.
            if last_province is not None and region.code < last_province.code:
                raise DocumentError(document, f"provinces in the statistical order ({STATISTICAL_ORDER})",
                                    f"{last_province.name} before {region.name}")
            last_province = region
        rows.append(RegionRow(region, list(row)))
    provinces = len(seen - {NATIONAL_CODE})
    if provinces < MIN_PROVINCES or NATIONAL_CODE not in seen:
        raise DocumentError(
            document, f"a 全国 row and rows for all {MIN_PROVINCES} provinces",
            f"{provinces} province rows, {'a' if NATIONAL_CODE in seen else 'no'} 全国 row",
        )
    return rows
