"""The analyst report: the charts as PNG files plus one self-contained HTML page.

The page embeds the charts as base64 data URIs and its CSS inline, so it can be mailed or archived as
one file. Beside each chart: how to read it, the table behind it and why any value is missing; then the
vintage in use and the warehouse build (documents, newest data year per feed, staleness).

`innovation report` builds it from the published warehouse into `core.paths.reports_dir()`.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from core import paths
from serve import charts
from warehouse.freshness import feed_status, warnings_for

REPORT_FILE = "innovation_report.html"
INTEGER_SUFFIXES = ("_year", "_rank", "_count")  # the warehouse's column-name conventions

CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
img { max-width: 100%; border: 1px solid #eee; }
.caption, .meta { color: #555; font-size: 0.85em; }
.stale { background: #fdecea; border: 2px solid #d62728; padding: 0.6em 1em; }
.notice { background: #fff8e1; border: 1px solid #e0a800; padding: 0.6em 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.null { color: #999; }
"""


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    charts: list[Path]
    warnings: list[str]  # staleness and missing-feed notes, also shown at the top of the page


def build_info(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    documents_count, newest_archived_on = con.execute(
        "SELECT count(*), max(archived_on) FROM landing.documents").fetchall()[0]
    database_path = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    return {"warehouse file": database_path, "documents": documents_count,
            "newest document archived on": newest_archived_on}


def vintages_in_use(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("""
        SELECT year, string_agg(DISTINCT rd_expenditure_vintage, ', ') AS rd_expenditure_vintage,
               string_agg(DISTINCT rd_intensity_vintage, ', ') AS rd_intensity_vintage
        FROM marts.province_rd_ranking GROUP BY year ORDER BY year
    """).df()


def revision_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("""
        SELECT indicator, count(*) AS later_publications_count, count(*) FILTER (WHERE is_revised) AS revised_count,
               max(abs(revision)) AS largest_absolute_revision
        FROM marts.rd_vintage_revisions GROUP BY indicator ORDER BY indicator
    """).df()


def publications(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("""
        SELECT publication_code, publication_en, publication_zh, typical_release_month, notes
        FROM reference.publications ORDER BY release_order_in_year
    """).df()


def cell_html(value, decimals: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return '<td class="null">NULL</td>'
    if isinstance(value, bool | str):
        return f"<td>{html.escape(str(value))}</td>"
    if isinstance(value, float):
        return f'<td class="num">{value:,.{decimals}f}</td>'
    return f'<td class="num">{value}</td>'  # integers: years, ranks, counts


def table_html(frame: pd.DataFrame, decimals: int = 2) -> str:
    """The frame as an HTML table: NULL spelled out, numbers right-aligned, floats to `decimals` places."""
    frame = frame.copy()
    for column in frame.columns:
        # A year, rank or count column holding a NULL arrives as float (2.0): print the integer it is.
        if str(column) == "year" or str(column).endswith(INTEGER_SUFFIXES):
            frame[column] = frame[column].astype("Int64")
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in frame.columns)
    rows = "".join(
        "<tr>" + "".join(cell_html(value, decimals) for value in row) + "</tr>"
        for row in frame.astype(object).itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def png_data_uri(path: Path) -> str:
    """A PNG file as a data URI, to embed it in a page that must stand alone."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def chart_section(chart: charts.Chart) -> str:
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in chart.notes)
    tables = "".join(
        f"<details><summary>Table: {html.escape(table.title)}</summary>{table_html(table.frame, table.decimals)}</details>"
        for table in chart.tables
    )
    return (
        f"<h2>{html.escape(chart.title)}</h2>\n<p>{html.escape(chart.description)}</p>\n"
        f'<img alt="{html.escape(chart.title)}" src="{png_data_uri(chart.path)}">\n'
        f'<p class="caption">{html.escape(chart.caption)}</p>\n'
        + (f"<p>Missing values:</p><ul>{notes}</ul>\n" if notes else "")
        + tables
    )


def render_html(drawn: list[charts.Chart], con: duckdb.DuckDBPyConnection, today: date, status: pd.DataFrame) -> str:
    behind = status[~status.is_current]
    stale = warnings_for(behind[behind.newest_data_year.notna()])
    missing = warnings_for(behind[behind.newest_data_year.isna()])
    banner = ""
    if stale:
        banner += ('<div class="stale"><strong>Stale data.</strong> A newer edition should be published by '
                   f"{today.isoformat()}:<ul>{''.join(f'<li>{html.escape(w)}</li>' for w in stale)}</ul></div>\n")
    if missing:
        banner += ('<div class="notice"><strong>Feeds not loaded.</strong>'
                   f"<ul>{''.join(f'<li>{html.escape(w)}</li>' for w in missing)}</ul></div>\n")
    info = "".join(f"<li>{html.escape(k)}: {html.escape(str(v))}</li>" for k, v in build_info(con).items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>China's four city clusters: R&amp;D, patents, technology markets</title>
<style>{CSS}</style></head>
<body>
<h1>China's four city clusters: from R&amp;D to patents to profits</h1>
<p class="meta">Report built on {today.isoformat()} from the marts of the innovation statistics warehouse.</p>
{banner}
{''.join(chart_section(chart) for chart in drawn)}
<h2>Vintage in use</h2>
<p>Many R&amp;D figures are published more than once: the NBS bulletin gives the first release, and each yearbook
edition re-publishes the intensity back series on revised GDP. These marts use the
<strong>{html.escape(charts.vintage_rule(con))}</strong>. Rebuild with the dbt var <code>vintage</code>
(<code>earliest</code> or <code>latest</code>) to switch; <code>marts.rd_vintage_revisions</code> sets every later
publication against the first release.</p>
<details><summary>Table: publication used per data year (province_rd_ranking)</summary>
{table_html(vintages_in_use(con))}</details>
<details><summary>Table: how much later publications revise the first release</summary>
{table_html(revision_summary(con), 3)}</details>
<details><summary>Table: publications</summary>
{table_html(publications(con))}</details>
<h2>Warehouse build</h2>
<ul>{info}</ul>
{table_html(status)}
<p class="caption">A feed is stale when its newest data year is older than expected on the report date: data year Y
is expected once the publication's typical release month in Y+1 is over (seed <code>publications</code>).</p>
</body></html>
"""


def build_report(con: duckdb.DuckDBPyConnection, out_dir: Path | None = None, today: date | None = None,
                 ranking_year: int | None = None) -> ReportFiles:
    """Draw the charts and write the HTML report into `out_dir` (default: `paths.reports_dir()`)."""
    out_dir = paths.reports_dir() if out_dir is None else Path(out_dir)
    today = date.today() if today is None else today
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = charts.draw_all(con, out_dir, ranking_year)
    status = feed_status(con, today)
    report = out_dir / REPORT_FILE
    report.write_text(render_html(drawn, con, today, status), encoding="utf-8")
    return ReportFiles(html=report, charts=[chart.path for chart in drawn], warnings=warnings_for(status))
