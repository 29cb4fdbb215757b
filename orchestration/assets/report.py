"""The analyst report as an asset: charts and the self-contained HTML page, built from the published warehouse."""

from dagster import AssetExecutionContext, AssetKey, AutomationCondition, MaterializeResult, MetadataValue, asset

from serve.query import connect_published


@asset(
    key=AssetKey(["report", "analyst_charts"]),
    group_name="report",
    # The published file only: a report never shows a half-built or unchecked warehouse.
    deps=[AssetKey(["warehouse", "published"])],
    kinds={"duckdb", "html"},
    owners=["team:analytics-engineering"],
    tags={"layer": "report"},
    # Not part of a refresh run (it reads the published file, which exists only after the run): the
    # automation daemon of `dagster dev` builds it whenever a new warehouse is published.
    automation_condition=AutomationCondition.eager(),
    description="Charts (R&D intensity ranking, cluster stage efficiencies, net technology outflow) and one "
                "self-contained HTML report with the tables behind them, the vintage in use and feed staleness, "
                "written to core.paths.reports_dir() (data/reports/).",
)
def analyst_charts(context: AssetExecutionContext) -> MaterializeResult:
    from serve.report import build_report, png_data_uri  # matplotlib: imported when a report is drawn

    # Read-only: the published file is replaced by rename, never written in place, so reading never blocks a refresh.
    with connect_published() as con:
        files = build_report(con)
    for warning in files.warnings:
        context.log.warning(warning)
    images = "\n\n".join(
        f"**{chart.stem}**\n\n![{chart.stem}]({png_data_uri(chart)})"
        for chart in files.charts
    )
    warnings = "\n".join(f"- {warning}" for warning in files.warnings) or "none"
    return MaterializeResult(metadata={
        "charts": MetadataValue.md(images),
        "report_html": MetadataValue.path(str(files.html)),
        **{f"chart_{chart.stem}": MetadataValue.path(str(chart)) for chart in files.charts},
        "warnings": MetadataValue.md(warnings),
    })


report_assets = [analyst_charts]
