"""Faults around the warehouse end in a named error that says what to do, never a traceback, and never in a
wedge: an unreadable or write-locked published file, a full disk, a staging folder that cannot be written,
a refresh that dies before its folder is locked, and withdrawing a document that should not count."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import duckdb
import pytest

from core import paths
from orchestration.cli import main
from warehouse import inbox, run_summary
from warehouse.archive import Pending, load_registry, withdraw, withdrawn_sha256s
from warehouse.changes import YearOutcome
from warehouse.publish import StagedBuild
from warehouse.recovery import reclaim_abandoned


@pytest.fixture
def warehouse_copy(published_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return published_copy


READ_COMMANDS = [["status"], ["query", "SELECT * FROM marts.cluster_indicators"], ["export"], ["report"]]


@pytest.mark.parametrize("kept_bytes", [0, 1_000_000], ids=["empty", "truncated to 1 MB"])
@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_an_unreadable_warehouse_is_named_under_every_reading_command(warehouse_copy, capsys, command, kept_bytes):
    warehouse_copy.write_bytes(warehouse_copy.read_bytes()[:kept_bytes])
    code = main([*command, *(["--out", str(warehouse_copy.parent.parent / "out")] if command[0] in ("export", "report") else [])])
    captured = capsys.readouterr()
    text = captured.err + captured.out
    assert "Traceback" not in text
    assert code == 2, text
    assert f"The published warehouse {warehouse_copy} could not be read" in text
    assert "`innovation refresh` moves an unreadable warehouse aside and rebuilds it" in text
    if command == ["status"]:  # status still lists the archive, the inbox and the last run
        assert "csy_patent_grants\n  documents" in captured.out and "Last refresh:" in captured.out


HOLD_FOR_WRITING = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])  # read-write: the lock no reader can share
    print("holding", flush=True)
    sys.stdin.readline()
""")


def test_a_warehouse_open_for_writing_elsewhere_is_named_and_refused_for_a_refresh(warehouse_copy, capsys):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_FOR_WRITING, str(warehouse_copy)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "holding\n"
        assert main(["query", "SELECT 1"]) == 2
        assert "is open for writing by another process" in capsys.readouterr().err
        before = warehouse_copy.read_bytes()
        assert main(["refresh"]) == 1
        err = capsys.readouterr().err
        assert f"\nCannot refresh: The published warehouse {warehouse_copy} is open for writing by another process" in err
        assert "Nothing was changed." in err and "Traceback" not in err
        assert warehouse_copy.read_bytes() == before
    finally:
        holder.communicate("done\n", timeout=30)


def test_a_staging_folder_that_cannot_be_made_is_a_plain_refusal(warehouse_copy, capsys):
    paths.staging_dir().write_text("a file where the staging folder belongs")
    before = warehouse_copy.read_bytes()
    assert main(["refresh", "--rebuild", "--feed", "torch_hightech_enterprise", "--years", "2023"]) == 1
    err = capsys.readouterr().err
    assert "\nCannot refresh: cannot write " in err and "staging" in err and "Traceback" not in err
    assert "remove the file standing where a folder of the warehouse belongs" in err
    assert warehouse_copy.read_bytes() == before


FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    # Every file this process writes may grow to 3 MB: the 6 MB staging copy of the warehouse cannot be made, as
    # on a full disk (EFBIG instead of ENOSPC; SIGXFSZ ignored so the write fails instead of killing the process).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (3_000_000, 3_000_000))
    from orchestration.cli import main
    sys.exit(main(["refresh", "--rebuild", "--feed", "torch_hightech_enterprise", "--years", "2023"]))
""")


def test_a_full_disk_fails_the_run_with_what_to_do(warehouse_copy):
    before = warehouse_copy.read_bytes()
    result = subprocess.run([sys.executable, "-c", FULL_DISK], cwd=paths.REPO_ROOT, env=os.environ.copy(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "File too large" in result.stderr and "free disk space" in result.stderr
    assert "The published warehouse is unchanged." in result.stderr and "Traceback" not in result.stderr
    assert warehouse_copy.read_bytes() == before


HOLD_A_RUN = textwrap.dedent("""
    import sys
    from warehouse import run_summary
    from warehouse.changes import YearOutcome
    # A run's first write: its summary part. The run's lock is taken before it, so nobody takes the folder for dead.
    run_summary.record(sys.argv[1], "csy_patent_grants", [YearOutcome("csy_patent_grants", 2023, "new")])
    print("written", flush=True)
    sys.stdin.readline()
""")


def test_a_living_runs_folder_is_never_reclaimed_and_a_dead_ones_is(warehouse_copy):
    run = subprocess.Popen([sys.executable, "-c", HOLD_A_RUN, "living-run"], cwd=paths.REPO_ROOT, env=os.environ.copy(),
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline() == "written\n"
        assert reclaim_abandoned() == []
        assert (StagedBuild("living-run").folder / "summary" / "csy_patent_grants.json").is_file()
    finally:
        run.kill()
        run.wait(timeout=30)
    (reclaimed,) = reclaim_abandoned()
    assert reclaimed.run_id == "living-run" and not StagedBuild("living-run").folder.exists()
    assert reclaimed.describe().startswith("run living-run had died without finishing")


def test_a_summary_part_written_first_takes_the_runs_lock(warehouse_copy):
    run_summary.record("part-first", "csy_patent_grants", [YearOutcome("csy_patent_grants", 2023, "new")])
    try:
        assert reclaim_abandoned() == []  # this process holds it
    finally:
        StagedBuild("part-first").discard()
        StagedBuild("part-first").release()


def test_a_failed_refresh_says_which_build_is_published_now(warehouse_copy, capsys, monkeypatch):
    import orchestration.refresh

    summary = run_summary.finish("lost-run", run_summary.NOT_PUBLISHED, "The run failed: warehouse__published failed")
    monkeypatch.setattr(orchestration.refresh, "refresh", lambda **_: orchestration.refresh.RefreshResult(
        False, "lost-run", summary, [("warehouse__published", "replaced by another run")]))
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        published_by = con.execute("SELECT run_id FROM meta.build").fetchone()[0]
    assert main(["refresh", "--rebuild"]) == 1
    err = capsys.readouterr().err
    assert f"This run published nothing. {warehouse_copy} is the build run {published_by} published at " in err


def test_withdrawing_an_acquired_document(warehouse_copy, capsys):
    from scrapers.feeds import FEEDS
    from tests.test_inbox import write_test_only_torch_table
    from warehouse.intake import receive_inbox

    write_test_only_torch_table(paths.inbox_dir() / "torch_hightech_enterprise" / "2023.xls", 2023)
    receive_inbox(FEEDS["torch_hightech_enterprise"], "withdraw-run")
    (record,) = Pending("withdraw-run").commit()
    StagedBuild("withdraw-run").discard()
    StagedBuild("withdraw-run").release()
    assert record.sha256 in {r.sha256 for r in load_registry()}

    assert main(["archive", "withdraw", record.sha256[:12], "--reason", "test table"]) == 0
    assert "The next `innovation refresh` rebuilds the warehouse without it." in capsys.readouterr().out
    assert record.sha256 in withdrawn_sha256s() and record.sha256 not in {r.sha256 for r in load_registry()}
    assert (paths.archive_dir() / record.path).is_file()  # the object stays, for the record

    assert main(["archive", "withdraw", record.sha256, "--reason", "again"]) == 1
    assert "withdrawn already" in capsys.readouterr().err
    bundled = next(r for r in load_registry() if r.archive == "bundled")
    assert main(["archive", "withdraw", bundled.path, "--reason", "no"]) == 1
    assert "bundled in the repository, not acquired" in capsys.readouterr().err
    assert main(["archive", "withdraw", "0000000000", "--reason", "no"]) == 1
    assert "no archived document has that sha256 or path" in capsys.readouterr().err
    with pytest.raises(Exception, match="withdrawn already"):
        withdraw(record.sha256, "again")


def test_a_withdrawn_documents_rows_leave_the_landing_table(warehouse_copy):
    from scrapers.feeds import FEEDS
    from warehouse.archive import records_for
    from warehouse.landing import ensure_schema, load, parse_documents

    feed = FEEDS["csy_patent_grants"]
    records = records_for(feed.name)
    with duckdb.connect(str(warehouse_copy)) as con:
        ensure_schema(con)
        kept = [r for r in records if r.data_year != 2023]  # 2023's document withdrawn
        outcomes = load(con, parse_documents(feed, [r for r in kept if r.data_year == 2022]), years=[2022],
                        archived={r.sha256 for r in kept})
        years = {y for (y,) in con.execute("SELECT DISTINCT data_year FROM landing.csy_patent_grants").fetchall()}
    assert 2023 not in years and 2022 in years
    assert [(o.data_year, o.status) for o in outcomes if o.status == "withdrawn"] == [(2023, "withdrawn")]


def test_a_drop_whose_run_fails_never_enters_the_archive_and_blocks_nothing(warehouse_copy, monkeypatch, capsys):
    """The run that took the drop in fails after intake (here: its publish step): the drop goes to the quarantine
    with the run's failure, the archive stays as it was, `status` points at it, and the next refresh has no work."""
    from orchestration.refresh import refresh
    from tests.test_inbox import write_test_only_torch_table

    write_test_only_torch_table(paths.inbox_dir() / "torch_hightech_enterprise" / "2023.xls", 2023)
    before = warehouse_copy.read_bytes()

    def publish_fails(self, before_swap=None):
        raise RuntimeError("the disk went away during publish")

    with monkeypatch.context() as patched:
        patched.setattr(StagedBuild, "publish", publish_fails)
        failed = refresh(feeds=["torch_hightech_enterprise"], years=[2023])
    assert not failed.success and failed.failures[0][0] == "warehouse__published"
    assert warehouse_copy.read_bytes() == before
    assert not (paths.archive_dir() / "records.jsonl").exists()
    (held,) = inbox.quarantined()
    assert "the refresh that took it in" in held.reason and "warehouse__published failed" in held.reason
    assert any(line.startswith("2023.xls: quarantined as ") for line in failed.summary.data["notes"])

    assert main(["status"]) == 0
    assert "quarantined  torch_hightech_enterprise/" in capsys.readouterr().out

    after = refresh()
    assert after.success and after.run_id is None  # nothing new: the drop waits in the quarantine, not the inbox
