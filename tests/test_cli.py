"""The `innovation` command line: help, query, status, export, report and a refresh with nothing new.

Commands run in-process through `main(argv)`; one subprocess checks that the console script is installed.
"""

import csv
import hashlib
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

import orchestration.refresh
from core import paths
from orchestration.cli import data_years, main
from scrapers.feeds import FEEDS
from serve.export import mart_tables
from warehouse import run_summary
from warehouse.freshness import feed_status

OPTIONS = {
    "refresh": ["--live", "--years", "--feed", "--vintage", "--rebuild"],
    "status": [],
    "archive": ["list", "withdraw", "add"],
    "query": ["SQL", "--csv", "--limit"],
    "export": ["--guide", "--out"],
    "marts": ["--engine", "--out", "--master", "--vintage"],
    "stages": [],
    "report": ["--out", "--year"],
}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_console_script_lists_every_command():
    innovation = Path(sys.executable).parent / "innovation"
    result = subprocess.run([str(innovation), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert all(command in result.stdout for command in OPTIONS)


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_help_of_each_command_names_its_options_and_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert f"usage: innovation {command}" in text
    assert f"innovation {command}" in text.split("examples:", 1)[1]
    assert all(option in text for option in OPTIONS[command])


def test_query_prints_rows(built_warehouse, capsys):
    code = main(["query", "SELECT province, rd_intensity_pct FROM marts.province_rd_ranking WHERE year = 2023 "
                          "ORDER BY intensity_rank", "--limit", "3"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split() == ["province", "rd_intensity_pct"]
    assert len(out) == 4
    assert out[1].split()[0] == "北京"  # the highest R&D intensity of every year


def test_query_csv_has_a_header_and_every_row(built_warehouse, capsys):
    code = main(["query", "SELECT year, cluster, patent_stage_efficiency FROM marts.cluster_stage_efficiency", "--csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        expected = con.execute("SELECT count(*) FROM marts.cluster_stage_efficiency").fetchall()[0][0]
    assert code == 0
    assert list(rows[0]) == ["year", "cluster", "patent_stage_efficiency"]
    assert len(rows) == expected
    assert {row["cluster"] for row in rows} == {"京津冀", "长三角", "珠三角", "成渝"}


@pytest.mark.parametrize("statement", ["DROP TABLE marts.province_rd_ranking",
                                       "CREATE TABLE marts.scratch AS SELECT 1 AS one"])
def test_a_write_fails_plainly_and_leaves_the_warehouse_unchanged(built_warehouse, capsys, statement):
    before = sha256_of(built_warehouse)
    code = main(["query", statement])
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("Query failed: ") and "read-only mode" in err
    assert "Traceback" not in err
    assert sha256_of(built_warehouse) == before


def test_status_lists_every_feed_and_says_which_are_stale(built_warehouse, capsys):
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        expected = {row.feed: row.status for row in feed_status(con, date.today()).itertuples()}
    stale = [feed for feed, status in expected.items() if status.startswith("STALE")]
    assert f"Published warehouse: {built_warehouse}" in out
    assert f"{len(stale)} of {len(FEEDS)} stale" in out
    for feed in FEEDS:
        assert f"\n{feed}: {expected[feed]}\n" in out
    assert "fingerprint" in out and "Last refresh:" in out


def test_status_and_query_without_a_warehouse(data_dir, capsys):
    missing = data_dir / "innovation.duckdb"
    message = f"No published warehouse at {missing} yet: run `innovation refresh` (or `make run`) first."

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(message)
    assert all(f"\n{feed}\n" in out for feed in FEEDS)

    assert main(["query", "SELECT 1"]) == 2
    assert capsys.readouterr().err.strip() == message


def test_export_writes_parquet_and_csv_of_every_mart(built_warehouse, tmp_path, capsys):
    assert main(["export", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        marts = mart_tables(con)
        for mart in marts:
            parquet, csv_file = tmp_path / f"{mart}.parquet", tmp_path / f"{mart}.csv"
            assert str(parquet) in out and str(csv_file) in out
            rows = con.execute(f"SELECT count(*) FROM marts.{mart}").fetchall()[0][0]
            assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(parquet)]).fetchall()[0][0] == rows
            assert con.execute("SELECT count(*) FROM read_csv(?)", [str(csv_file)]).fetchall()[0][0] == rows
    assert marts


def test_report_writes_the_page_and_the_chosen_ranking_year(built_warehouse, tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path), "--year", "2022"]) == 0
    out = capsys.readouterr().out
    assert f"Report: {tmp_path / 'innovation_report.html'}" in out
    assert str(tmp_path / "rd_intensity_ranking_2022.png") in out
    assert (tmp_path / "innovation_report.html").stat().st_size > 0


def test_refresh_with_nothing_new_launches_no_run(published_copy, tmp_path, monkeypatch, capsys):
    copy = published_copy
    dagster_home = tmp_path / "dagster_home"  # not there yet: the CLI creates it with the project's settings
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    # Neither a hidden file nor a sidecar without its document is a drop to take in.
    inbox = paths.inbox_dir() / "csy_patent_grants"
    inbox.mkdir(parents=True)
    (inbox / ".DS_Store").write_bytes(b"\0")
    (inbox / "2023.xls.toml").write_text("data_year = 2023\n", encoding="utf-8")
    before = sha256_of(copy)

    assert main(["refresh"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Refresh no-run-")
    assert "unchanged" in out
    assert sha256_of(copy) == before
    assert (paths.runs_dir() / "latest.txt").read_text(encoding="utf-8") == out
    assert (dagster_home / "dagster.yaml").read_bytes() == (paths.REPO_ROOT / "orchestration" / "dagster.yaml").read_bytes()
    # The build records its vintage rule: asking for the other one is work to do.
    assert orchestration.refresh.nothing_new("earliest") and not orchestration.refresh.nothing_new("latest")
    (inbox / "2023.xls").write_bytes(b"a drop")  # a document beside its sidecar: something new
    assert not orchestration.refresh.nothing_new()


def test_years_are_a_range_a_list_or_both():
    assert data_years("2019-2021") == [2019, 2020, 2021]
    assert data_years("2023,2021") == [2021, 2023]
    assert data_years("2010-2011,2015") == [2010, 2011, 2015]


@pytest.mark.parametrize("years", ["2023-2019", "last", "2019-", "2019,", "19-23"])
def test_years_that_are_not_years_are_refused_before_anything_runs(years, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setattr(orchestration.refresh, "refresh", lambda **_: pytest.fail("a refresh ran"))
    with pytest.raises(SystemExit) as exit_:
        main(["refresh", "--years", years])
    assert exit_.value.code == 2
    assert "argument --years" in capsys.readouterr().err


@pytest.mark.parametrize(("arguments", "message"), [
    (["--years", "1998-1999,2020"], "No such data year: 1998, 1999; data years run from 2000 to "),
    (["--feed", "nbs_rd_bulletin", "no_such_feed"], f"Unknown feed(s): no_such_feed. Feeds are: {', '.join(FEEDS)}."),
])
def test_a_refresh_asked_for_what_does_not_exist_is_refused_plainly(arguments, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setattr(orchestration.refresh, "refresh", lambda **_: pytest.fail("a refresh ran"))
    assert main(["refresh", *arguments]) == 1
    assert capsys.readouterr().err.startswith(message)


def test_a_failed_refresh_names_each_failure_and_exits_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    summary = run_summary.finish("failed-run", run_summary.NOT_PUBLISHED, "The run failed: landing_nbs_rd_bulletin failed")
    failed = orchestration.refresh.RefreshResult(
        False, "failed-run", summary, [("landing_nbs_rd_bulletin", "2023.html: expected a 全国 row, found none")])
    monkeypatch.setattr(orchestration.refresh, "refresh", lambda **_: failed)

    assert main(["refresh", "--feed", "nbs_rd_bulletin"]) == 1
    captured = capsys.readouterr()
    assert captured.out == summary.text
    assert "Step landing_nbs_rd_bulletin failed: 2023.html: expected a 全国 row, found none" in captured.err
    assert "This run published nothing. There is no published warehouse at " in captured.err
    assert "Traceback" not in captured.err
