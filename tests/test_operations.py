"""Operations that keep their promises: what runs by default on a fresh instance, what a refresh shows while it
runs, counts that stay integers, and a refused drop that stays visible."""

from __future__ import annotations

import csv
import io
import logging

import duckdb
import pytest
from dagster import DefaultScheduleStatus, DefaultSensorStatus

from orchestration import progress
from orchestration.cli import main
from scrapers.feeds import FEEDS
from warehouse import inbox

# What reaches the live site is opt-in; everything else runs on a fresh instance.
OPT_IN_SENSORS = {f"{name}_release_sensor" for name, feed in FEEDS.items() if feed.source is not None}


def test_everything_but_the_live_site_sensors_runs_by_default():
    from orchestration.definitions import defs

    assert {s.name: s.default_status for s in defs.schedules} == {"annual_refresh": DefaultScheduleStatus.RUNNING}
    statuses = {s.name: s.default_status for s in defs.sensors}
    assert {name for name, status in statuses.items() if status == DefaultSensorStatus.STOPPED} == OPT_IN_SENSORS
    assert {"inbox_sensor", "report_automation", "summarize_failed_run", "summarize_unpublished_run"} <= set(statuses)


def test_counts_print_as_integers_in_tables_and_csv(built_warehouse, capsys):
    sql = ("SELECT year, cluster, invention_grants_count, patent_grants_total_count, members_reporting_patents "
           "FROM marts.cluster_indicators ORDER BY year DESC, cluster LIMIT 4")
    assert main(["query", sql]) == 0
    table = capsys.readouterr().out
    assert main(["query", sql, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    for row in rows:
        for column in ("invention_grants_count", "patent_grants_total_count", "members_reporting_patents"):
            assert row[column].isdigit(), (column, row[column])
            assert f" {row[column]} " in f" {table} ".replace("\n", " ")
    assert ".0 " not in table


def test_a_null_count_prints_as_null_not_as_a_float(built_warehouse, capsys):
    sql = "SELECT * FROM (VALUES ('a', 1130594), ('b', NULL)) AS t(label, n_count) ORDER BY label"
    assert main(["query", sql, "--csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["label,n_count", "a,1130594", "b,"]
    assert main(["query", sql]) == 0
    assert capsys.readouterr().out.split() == ["label", "n_count", "a", "1130594", "b", "NULL"]


def test_exported_counts_are_bigint_in_parquet_as_in_the_dictionary(built_warehouse, tmp_path, capsys):
    assert main(["export", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    with duckdb.connect() as con:
        dictionary = con.execute(f"SELECT mart, \"column\", type FROM read_csv('{tmp_path}/data_dictionary.csv')").fetchall()
        counts = [(mart, column, kind) for mart, column, kind in dictionary if column.endswith("_count")]
        assert counts and {kind for _, _, kind in counts} == {"BIGINT"}
        for mart, column, _ in counts:
            parquet = con.execute(f"DESCRIBE SELECT \"{column}\" FROM read_parquet('{tmp_path}/{mart}.parquet')").fetchall()
            assert parquet[0][1] == "BIGINT", (mart, column)


def event_record(event_type: str, step_key: str) -> logging.LogRecord:
    record = logging.LogRecord("dagster", logging.DEBUG, __file__, 0, "", None, None)
    record.dagster_event = type("Event", (), {"event_type_value": event_type, "step_key": step_key})()
    return record


def test_progress_is_plain_lines_when_the_output_is_not_a_terminal():
    stream = io.StringIO()
    from orchestration.loggers import progress_logger

    handler = progress_logger.logger_fn(None).handlers[0]
    with progress.showing(stream=stream) as display:
        display.begin("Refreshing: every feed", 3, {"raw__csy_patent_grants": "raw/csy_patent_grants",
                                                    "dbt_models": "dbt build"})
        for event, step in [("STEP_START", "raw__csy_patent_grants"), ("STEP_SUCCESS", "raw__csy_patent_grants"),
                            ("STEP_START", "dbt_models"), ("STEP_FAILURE", "dbt_models"),
                            ("STEP_SKIPPED", "warehouse__published")]:
            handler.emit(event_record(event, step))
    lines = [line.split("] ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == ["Refreshing: every feed", "1/3 raw/csy_patent_grants done", "2/3 dbt build FAILED",
                     "3/3 warehouse__published skipped"]
    handler.emit(event_record("STEP_SUCCESS", "after"))  # after the refresh: nobody listens, nothing breaks
    assert progress.current().__class__ is progress.Display


def test_quiet_shows_nothing():
    stream = io.StringIO()
    with progress.showing(quiet=True, stream=stream) as display:
        display.begin("Refreshing", 2)
        progress.current().step("STEP_SUCCESS", "x")
    assert stream.getvalue() == ""


@pytest.fixture
def refused_drop(data_dir):
    target = data_dir / "inbox" / "torch_hightech_enterprise" / "2023.xls"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"<html>not a workbook</html>")
    return inbox.quarantine(target, "inbox/torch_hightech_enterprise/2023.xls: expected an Excel workbook; found HTML")


def test_a_quarantined_drop_warns_in_the_ui_until_it_is_gone(refused_drop):
    from orchestration.checks import quarantine_result

    result = quarantine_result(FEEDS["torch_hightech_enterprise"])
    assert not result.passed and result.severity.value == "WARN"
    assert result.check_name == "torch_hightech_enterprise_quarantine_is_empty"
    assert "2023.xls" in result.metadata["quarantined"].value and "expected an Excel workbook" in \
        result.metadata["quarantined"].value
    others = [quarantine_result(feed) for name, feed in FEEDS.items() if name != "torch_hightech_enterprise"]
    assert others and all(other.passed for other in others)
    inbox.remove_with_sidecar(refused_drop)
    assert quarantine_result(FEEDS["torch_hightech_enterprise"]).passed


def test_status_says_what_to_do_about_a_quarantined_drop(refused_drop, capsys):
    main(["status"])
    out = capsys.readouterr().out
    assert "quarantined  torch_hightech_enterprise/" in out and "expected an Excel workbook" in out
    assert "To clear the quarantine" in out and "drop it into inbox/<feed>/" in out
