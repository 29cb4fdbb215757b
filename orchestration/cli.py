"""`innovation`: the warehouse from the shell — refresh it, see its status, query, export and report.

Every command but `refresh` only reads the published warehouse, on a read-only connection, so it can run
while a refresh builds. What takes time to import (Dagster's definitions, matplotlib, pandas, duckdb) is
imported inside the commands that need it: `--help` and a refresh with nothing to do answer in a fraction of a
second (BENCHMARKS.md, "Start-up").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import textwrap
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from core import paths
from warehouse import build_state, inbox, run_summary
from warehouse.archive import ACQUIRED, BUNDLED, NotWithdrawable, add_bundled, load_registry, withdraw, withdrawn_sha256s
from warehouse.changes import FAILED

MISSING_WAREHOUSE_EXIT = 2
FAILURE_EXIT = 1
FINGERPRINT_SHOWN = 12  # leading hex digits of a sha256 shown; enough to tell builds apart

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


def paragraph(text: str) -> str:
    """A description wrapped to the terminal as argparse wraps the options (its formatter keeps line breaks as
    written, for the examples' sake)."""
    return textwrap.fill(text, shutil.get_terminal_size().columns - 2)


def examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


# --- refresh -----------------------------------------------------------------------------------------------


YEARS_PART = re.compile(r"(\d{4})(?:-(\d{4}))?")


def data_years(text: str) -> list[int]:
    """'2019-2023', '2021,2023' or both ('2010-2012,2015') → the years, ascending."""
    years: set[int] = set()
    for part in text.split(","):
        match = YEARS_PART.fullmatch(part.strip())
        if not match:
            raise argparse.ArgumentTypeError(f"{text!r}: expected a range such as 2019-2023 or a list such as 2021,2023")
        first, last = int(match[1]), int(match[2] or match[1])
        if last < first:
            raise argparse.ArgumentTypeError(f"{text!r}: a range goes from the earlier year to the later one")
        years.update(range(first, last + 1))
    return sorted(years)


def refresh_command(args: argparse.Namespace) -> int:
    from core.feed import FIRST_DATA_YEAR, LAST_DATA_YEAR, feed_names
    from orchestration.dagster_home import ensure_dagster_home
    from orchestration.progress import showing
    from orchestration.refresh import RefreshRefused, os_error_message, refresh

    unknown = sorted(set(args.feeds or ()) - set(feed_names()))
    if unknown:
        print(f"Unknown feed(s): {', '.join(unknown)}. Feeds are: {', '.join(feed_names())}.", file=sys.stderr)
        return FAILURE_EXIT
    outside = [year for year in args.years or () if not FIRST_DATA_YEAR <= year <= LAST_DATA_YEAR]
    if outside:
        print(f"No such data year: {', '.join(map(str, outside))}; data years run from {FIRST_DATA_YEAR} to "
              f"{LAST_DATA_YEAR} (the last year whose figures can be out).", file=sys.stderr)
        return FAILURE_EXIT
    ensure_dagster_home()
    mode = "live: fetching new documents" if args.live else "offline: archived documents"
    started = time.monotonic()
    with showing(quiet=args.quiet) as display:
        display.begin(f"Refreshing ({mode})")
        try:
            result = refresh(years=args.years, live=args.live, feeds=args.feeds, rebuild=args.rebuild, vintage=args.vintage)
        except RefreshRefused as refused:
            print(f"Cannot refresh: {refused}", file=sys.stderr)
            return FAILURE_EXIT
        except OSError as error:
            print(f"Cannot refresh: {os_error_message(error)}", file=sys.stderr)
            return FAILURE_EXIT
    print(result.summary.text, end="")
    print(f"Refresh took {time.monotonic() - started:.0f} s.", file=sys.stderr)
    if result.success:
        return 0
    for step, reason in result.failures:
        print(f"Step {step} failed: {reason}", file=sys.stderr)
    print(f"This run published nothing. {published_now()}", file=sys.stderr)
    return FAILURE_EXIT


def published_now() -> str:
    """What the published warehouse is now, by the run that published it (another run may have, meanwhile)."""
    state = build_state.inspect_published()
    if state.condition == build_state.MISSING:
        return f"There is no published warehouse at {state.path} yet."
    if state.record is None:
        return f"{state.path} is as it was before this run."
    return (f"{state.path} is the build run {state.record['run_id']} published at "
            f"{state.record['published_at']:%Y-%m-%d %H:%M:%S %Z}.")


# --- status ------------------------------------------------------------------------------------------------


def archived_counts() -> dict[str, Counter]:
    """Per feed: how many archived documents are bundled and how many acquired (fetched or dropped)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for record in load_registry():
        counts[record.feed][record.archive] += 1
    return counts


def newest_year_vintages(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per feed: the vintage (feed + publication year, as the marts name it) and publication of its newest data year."""
    rows = con.execute("""
        SELECT feed, string_agg(DISTINCT feed || ' ' || publication_year || ': ' || publication, '; ')
        FROM landing.documents AS d
        WHERE data_year = (SELECT max(data_year) FROM landing.documents WHERE feed = d.feed)
        GROUP BY feed
    """).fetchall()
    return dict(rows)


def feed_lines(feeds: list[str], counts: dict[str, Counter], status: pd.DataFrame | None,
               vintages: dict[str, str]) -> list[str]:
    import pandas as pd

    lines = []
    in_warehouse = {} if status is None else {row.feed: row for row in status.itertuples()}
    for feed in feeds:
        archived = counts.get(feed, Counter())
        documents = f"{archived.total()} archived ({archived[BUNDLED]} bundled, {archived[ACQUIRED]} acquired)"
        row = in_warehouse.get(feed)
        if status is None:
            lines.append(f"{feed}")
        elif row is None:
            lines.append(f"{feed}: not in the published warehouse")
        else:
            lines.append(f"{feed}: {row.status}")
            documents += f", {row.documents_count} in the published warehouse"
        lines.append(f"  documents    {documents}")
        if row is not None and pd.notna(row.newest_data_year):
            lines.append(f"  newest year  {row.newest_data_year} (expected by now: {row.expected_newest_data_year})")
            lines.append(f"  vintage      {vintages.get(feed, '')}")
    return lines


def build_lines(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    lines = [f"Published warehouse: {path} ({path.stat().st_size / 1e6:.1f} MB)"]
    build = build_state.recorded(con)
    if build is None:
        return [*lines, "  no build record (meta.build): built before builds were fingerprinted"]
    archived = build_state.documents_fingerprint(r.sha256 for r in load_registry())
    same_documents = "same as the archive now" if build["documents"] == archived else "the archive has changed since"
    same_code = "same as the code now" if build["code"] == build_state.code_fingerprint() else "the code has changed since"
    return [*lines,
            f"  published    {build['published_at']:%Y-%m-%d %H:%M:%S %Z} by run {build['run_id']}",
            f"  documents    fingerprint {build['documents'][:FINGERPRINT_SHOWN]} ({same_documents})",
            f"  code         fingerprint {build['code'][:FINGERPRINT_SHOWN]} ({same_code})"]


def last_run_lines() -> list[str]:
    latest = run_summary.load_latest()
    if latest is None:
        return [f"Last refresh: none recorded ({run_summary.latest_json_path()} does not exist)"]
    run = latest.data
    lines = [f"Last refresh: {run['run_id']}, finished {run['finished_at']}", f"  status       {run['status']}"]
    if run.get("detail"):
        lines.append(f"  detail       {run['detail']}")
    failed = [o for o in latest.outcomes if o["status"] == FAILED]
    lines.append(f"  failing      {len(failed) or 'none'}")
    lines += [f"    {o['feed']} {o['data_year'] if o['data_year'] is not None else '(all years)'}: {o['reason']}"
              for o in failed]
    return lines


def inbox_lines(feeds: list[str]) -> list[str]:
    """What waits in the inbox and what sits in the quarantine, with what to do about each."""

    waiting = [(feed, entry) for feed in feeds for entry in inbox.waiting(feed)]
    strays = inbox.strays(feeds)
    held = inbox.quarantined()
    lines = [f"Inbox: {len(waiting)} waiting, {len(strays)} stray; quarantine: {len(held)}"]
    for feed, entry in waiting:
        state = "ready" if inbox.is_settled(entry) else "still being written"
        lines.append(f"  waiting      inbox/{feed}/{inbox.display_name(entry.name)} ({state}): the next refresh takes it in")
    lines += [f"  stray        {inbox.stray_reason(stray, feeds)} The next refresh moves it to the quarantine."
              for stray in strays]
    for drop in held:
        lines.append(f"  quarantined  {drop.folder}/{drop.name} since {drop.quarantined_at}: {drop.reason}")
    if held:
        lines.append(f"  To clear the quarantine ({paths.quarantine_dir()}): fix a file and drop it into inbox/<feed>/ "
                     "again (a drop of the same name that is archived replaces it), or delete it with its .reason.txt.")
    return lines


def status_command(args: argparse.Namespace) -> int:
    import duckdb
    import pandas as pd

    from scrapers.feeds import FEEDS
    from serve.query import NoPublishedWarehouse, connect_published, unreadable_message
    from warehouse.freshness import feed_status

    today = date.today()
    counts = archived_counts()
    published = build_state.inspect_published()  # reads every table: a damaged file is found here, not halfway
    if published.condition != build_state.READABLE:
        problem = {build_state.MISSING: lambda: str(NoPublishedWarehouse(published.path))}.get(
            published.condition, lambda: unreadable_message(published.path, duckdb.IOException(published.detail)))()
        print(problem)
        print()
        print("\n".join(feed_lines(list(FEEDS), counts, None, {})))
        print()
        print("\n".join(inbox_lines(list(FEEDS))))
        print()
        print("\n".join(last_run_lines()))
        return 0 if published.condition == build_state.MISSING else MISSING_WAREHOUSE_EXIT
    con = connect_published()
    with con:
        status = feed_status(con, today)
        vintages = newest_year_vintages(con)
        build = build_lines(con, paths.duckdb_path())
    stale = [row.feed for row in status.itertuples() if not row.is_current and pd.notna(row.newest_data_year)]
    print("\n".join(build))
    print()
    print(f"Feeds (staleness as of {today.isoformat()}: {len(stale)} of {len(FEEDS)} stale"
          + (f": {', '.join(stale)})" if stale else ")"))
    print("\n".join(feed_lines(list(FEEDS), counts, status, vintages)))
    print()
    print("\n".join(inbox_lines(list(FEEDS))))
    print()
    print("\n".join(last_run_lines()))
    return 0


# --- archive -----------------------------------------------------------------------------------------------


def archive_list_command(args: argparse.Namespace) -> int:
    records = [r for r in load_registry() if not args.feed or r.feed == args.feed]
    withdrawn = withdrawn_sha256s()
    print(f"{'sha256':<{FINGERPRINT_SHOWN}}  {'archive':<8}  {'feed':<{run_summary.FEED_WIDTH - 2}}  edition  data  path")
    for r in sorted(records, key=lambda r: (r.feed, r.data_year, r.received_order)):
        print(f"{r.sha256[:FINGERPRINT_SHOWN]}  {r.archive:<8}  {r.feed:<{run_summary.FEED_WIDTH - 2}}  {r.publication_year:<7}  "
              f"{r.data_year}  {r.path}")
    if withdrawn:
        shown = ", ".join(sorted(sha[:FINGERPRINT_SHOWN] for sha in withdrawn))
        print(f"\n{len(withdrawn)} withdrawn document(s), not listed: {shown}")
    return 0


def archive_add_command(args: argparse.Namespace) -> int:
    from scrapers.feeds import FEEDS

    if args.feed not in FEEDS:
        print(f"Unknown feed {args.feed}. Feeds are: {', '.join(FEEDS)}.", file=sys.stderr)
        return FAILURE_EXIT
    if not args.file.resolve().is_relative_to(paths.raw_dir().resolve()):
        print(f"Copy the document under {paths.raw_dir()} first (it is bundled from there); found {args.file}.",
              file=sys.stderr)
        return FAILURE_EXIT
    edition = FEEDS[args.feed].spec.publication.edition(args.data_year, args.publication_year)
    record = add_bundled(
        args.file, feed=args.feed, **{**edition, **{k: v for k, v in (("publisher", args.publisher),
                                                                      ("publication", args.publication),
                                                                      ("table_title", args.table_title)) if v}},
        copied_from=args.copied_from, archived_on=args.archived_on, official_url=args.official_url,
        attributes=dict(a.split("=", 1) for a in args.attribute))
    print(f"Recorded {record.path}: {record.feed}, edition {record.publication_year}, data year {record.data_year}, "
          f"sha256 {record.sha256}, {record.bytes:,} bytes, in {paths.raw_dir() / 'provenance.json'}.")
    return 0


def archive_withdraw_command(args: argparse.Namespace) -> int:
    try:
        record = withdraw(args.document, args.reason)
    except NotWithdrawable as refused:
        print(f"Not withdrawn: {refused}", file=sys.stderr)
        return FAILURE_EXIT
    print(f"Withdrew {record.path} ({record.feed}, edition {record.publication_year}, data year {record.data_year}, "
          f"sha256 {record.sha256}). The next `innovation refresh` rebuilds the warehouse without it.")
    return 0


# --- query, export, report ---------------------------------------------------------------------------------


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of rows, 1 or more")
    return int(text)


def query_command(args: argparse.Namespace) -> int:
    if not args.sql.strip():
        print("Nothing to run: give one SQL statement, e.g. innovation query \"SHOW ALL TABLES\".", file=sys.stderr)
        return FAILURE_EXIT
    import duckdb

    from serve.query import as_text, connect_published, result_frame

    with connect_published(sandboxed=True) as con:
        try:
            frame = result_frame(con, args.sql, args.limit)
        except duckdb.IOException:
            raise  # the warehouse file, not the statement: main() names it
        except duckdb.Error as error:
            print(f"Query failed: {error}", file=sys.stderr)
            return FAILURE_EXIT
    if frame is None:
        return 0
    if args.csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        print(as_text(frame))
    return 0


def export_command(args: argparse.Namespace) -> int:
    from serve.export import GUIDE, export_marts, update_guide
    from serve.query import connect_published

    with connect_published() as con:
        if args.guide:
            update_guide(con)
            print(f"Regenerated the data dictionary and the example outputs in {GUIDE}")
            return 0
        written = export_marts(con, args.out)
    print(f"Wrote {len(written)} files:")
    print("\n".join(f"  {path}" for path in written))
    return 0


def marts_command(args: argparse.Namespace) -> int:
    from serve.query import connect_published

    if args.engine == "duckdb":  # the published build's marts, as they are
        from serve.export import mart_tables

        args.out.mkdir(parents=True, exist_ok=True)
        with connect_published() as con:
            marts = mart_tables(con)
            for mart in marts:
                (args.out / mart).mkdir(exist_ok=True)
                target = str(args.out / mart / "data.parquet").replace("'", "''")
                con.execute(f"COPY marts.\"{mart}\" TO '{target}' (FORMAT parquet)")
        print(f"Wrote {len(marts)} marts of the published warehouse as Parquet under {args.out}/<mart>")
        return 0
    from orchestration.spark import SparkBuildFailed, build_marts_on_spark, published_landing_parquet

    published = paths.duckdb_path()
    with connect_published() as con:  # says so plainly when there is no published warehouse, or it is unreadable
        state = build_state.recorded(con) or {}
    vintage = args.vintage or state.get("vintage") or build_state.default_vintage()
    landing = published_landing_parquet(state.get("run_id"))  # None: written from the published file first
    started = time.monotonic()
    try:
        build = build_marts_on_spark(published, args.out, master=args.master, vintage=vintage, landing=landing)
    except SparkBuildFailed as failed:
        print(failed, file=sys.stderr)
        return FAILURE_EXIT
    tested = sum(n for key, n in build.results.items() if key.startswith("test "))
    source = f"the landing Parquet the refresh published ({landing})" if landing else published
    print(f"Built {len(build.marts)} marts on Spark ({args.master}, vintage {vintage}) from {source}, "
          f"{tested} dbt tests run there; each mart is Parquet under {args.out}/<mart>:")
    print("\n".join(f"  {args.out / mart}" for mart in build.marts))
    print(f"Spark build took {time.monotonic() - started:.0f} s.", file=sys.stderr)
    return 0


def stages_command(args: argparse.Namespace) -> int:
    from serve.query import connect_published
    from serve.stages import stage_efficiency_tables

    with connect_published() as con:
        print("Cluster stage efficiencies (rows: year t; columns: cluster)\n")
        print(stage_efficiency_tables(con))
    print(f"\nWarehouse: {paths.duckdb_path()}")
    print('More: innovation query "SELECT * FROM marts.cluster_stage_efficiency WHERE year BETWEEN 2013 AND 2019"')
    return 0


def report_command(args: argparse.Namespace) -> int:
    from serve.query import connect_published
    from serve.report import build_report

    with connect_published() as con:
        try:
            files = build_report(con, args.out, ranking_year=args.year)
        except ValueError as error:  # e.g. a --year with no R&D intensities
            print(f"No report: {error}", file=sys.stderr)
            return FAILURE_EXIT
    print(f"Report: {files.html}")
    print("Charts:")
    print("\n".join(f"  {path}" for path in files.charts))
    for warning in files.warnings:
        print(f"WARNING {warning}", file=sys.stderr)
    return 0


# --- the parser --------------------------------------------------------------------------------------------


def add_command(commands, name: str, summary: str, description: str, example_lines: list[str], note: str = ""):
    """A subcommand: `summary` in the top-level list, the wrapped description and the examples in its --help."""
    return commands.add_parser(name, help=summary, description=paragraph(description),
                               epilog=examples(*example_lines) + (f"\n\n{note}" if note else ""),
                               formatter_class=argparse.RawDescriptionHelpFormatter)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="innovation", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=paragraph("China's provincial innovation statistics warehouse (DuckDB): refresh it, check it, read it."),
        epilog=examples("innovation refresh", "innovation status",
                        'innovation query "SELECT * FROM marts.cluster_indicators WHERE year = 2023"',
                        "innovation <command> --help")
        + "\n\nThe warehouse is $WAREHOUSE_DUCKDB_PATH (default: warehouse/innovation.duckdb). Commands that read it"
        "\nexit with status 2 while there is none yet.")
    commands = top.add_subparsers(dest="command", required=True, metavar="<command>")

    refresh = add_command(
        commands, "refresh", "Rebuild and publish the warehouse from the archived documents.",
        "Run the pipeline (Dagster job materialize_everything) in this process and publish the warehouse atomically "
        "at its end. Offline by default: the documents already archived (bundled in documents/ or acquired "
        "earlier) and any files dropped into the inbox (warehouse/inbox/<feed>/, see docs/inbox.md). With nothing new "
        "(same documents and code as the published build) no run is launched and the summary says 'unchanged'. Runs "
        "are recorded in $DAGSTER_HOME (default: .dagster_home/), so `make dev` shows them.",
        ["innovation refresh", "innovation refresh --live", "innovation refresh --years 2019-2023 --feed nbs_rd_bulletin",
         "innovation refresh --rebuild"],
        "Exit status: 0 published or unchanged, 1 the run failed (nothing was published).")
    refresh.add_argument("--live", action="store_true",
                         help="also fetch new documents from the official site (the NBS bulletin; the yearbook "
                              "feeds arrive through the inbox) and archive them")
    refresh.add_argument("--years", type=data_years, metavar="YEARS",
                         help="data years of the feeds whose documents each carry one year, a range 2019-2023 or "
                              "a list 2021,2023 or both; the back-series feeds always load whole; default: every "
                              "archived year")
    refresh.add_argument("--feed", dest="feeds", action="extend", nargs="+", metavar="NAME",
                         help="only these feeds (then every dbt model and the publish step); repeatable; "
                              "`innovation status` lists the feeds")
    refresh.add_argument("--vintage", choices=["earliest", "latest"],
                         help="which publication of a figure published more than once the marts use: the first "
                              "release (earliest) or the newest revision (latest); default: the dbt project's var "
                              "vintage (earliest). Recorded with the build; a change rebuilds the marts")
    refresh.add_argument("--quiet", action="store_true",
                         help="show no progress while the run executes (the summary is printed all the same)")
    refresh.add_argument("--rebuild", action="store_true",
                         help="rebuild and publish even when documents and code are those of the published build")
    refresh.set_defaults(run=refresh_command)

    status = add_command(
        commands, "status", "Show each feed's documents, newest year and staleness, and the last run.",
        "The published warehouse's file and build fingerprint; per feed: documents archived (bundled / acquired) and "
        "in the published warehouse, the newest data year and its vintage, and whether the feed is stale today (a "
        "newer edition should be out by now); then the last refresh (runs/latest.json) and its failures. Works "
        "before the first refresh too: it then says there is no warehouse yet.",
        ["innovation status", "WAREHOUSE_DUCKDB_PATH=/tmp/w/innovation.duckdb innovation status"])
    status.set_defaults(run=status_command)

    archive = add_command(
        commands, "archive", "List the archived documents, or withdraw one that should not count.",
        "The archive is every document the warehouse is built from: bundled in the repository (documents/) or "
        "acquired (fetched live, or dropped into the inbox; stored under warehouse/archive/). `list` shows them; "
        "`withdraw` takes an acquired document out of what counts (its file stays, recorded as withdrawn), and the "
        "next refresh rebuilds the warehouse without its rows. Dropping the same file again restores it.",
        ["innovation archive list --feed csy_patent_grants",
         'innovation archive withdraw 3f5a9c01d2e4 --reason "wrong edition in its sidecar"',
         "innovation archive add documents/csy-patent-grants-by-region/2024.xls --feed csy_patent_grants "
         "--data-year 2024 --publication-year 2025 --copied-from https://…"])
    archive_commands = archive.add_subparsers(dest="archive_command", required=True, metavar="<action>")
    archive_list = archive_commands.add_parser("list", help="every archived document: sha256, archive, feed, edition, "
                                                            "data year, path")
    archive_list.add_argument("--feed", metavar="NAME", help="only this feed's documents")
    archive_list.set_defaults(run=archive_list_command)
    archive_withdraw = archive_commands.add_parser("withdraw", help="withdraw an acquired document")
    archive_withdraw.add_argument("document", metavar="SHA256_OR_PATH",
                                  help="its sha256 (or 8+ leading hex digits) or its archive path, as `list` shows")
    archive_withdraw.add_argument("--reason", required=True, help="why, recorded with the withdrawal")
    archive_withdraw.set_defaults(run=archive_withdraw_command)
    archive_add = archive_commands.add_parser(
        "add", help="record the provenance of a document copied under documents/ (bundled with the code)")
    archive_add.add_argument("file", type=Path, help="the document, already copied under documents/<folder>/")
    archive_add.add_argument("--feed", required=True, help="the feed it belongs to (`innovation status` lists them)")
    archive_add.add_argument("--data-year", type=int, required=True, help="the (latest) data year it carries")
    archive_add.add_argument("--publication-year", type=int, required=True, help="the year its edition appeared")
    archive_add.add_argument("--copied-from", required=True, help="where this copy came from (a URL, an archive)")
    archive_add.add_argument("--official-url", help="the publisher's own URL, where there is one")
    archive_add.add_argument("--archived-on", default=date.today().isoformat(), help="default: today")
    archive_add.add_argument("--attribute", action="append", default=[], metavar="KEY=VALUE",
                             help="which table of the edition it is, where the feed has several (csy_tech_market: "
                                  "direction=outflow, measure=contract_value)")
    for name in ("publisher", "publication", "table_title"):
        archive_add.add_argument(f"--{name.replace('_', '-')}", help=f"default: the feed's {name} for the edition")
    archive_add.set_defaults(run=archive_add_command)

    query = add_command(
        commands, "query", "Run one SQL statement on the published warehouse, read-only.",
        "Run SQL on a read-only connection to the published warehouse and print the result as a table (or CSV). "
        "Statements that write fail: the warehouse changes only through `innovation refresh`.",
        ['innovation query "SHOW ALL TABLES"',
         'innovation query "SELECT * FROM marts.province_rd_ranking WHERE year = 2023" --limit 5',
         'innovation query "SELECT * FROM marts.cluster_stage_efficiency" --csv > efficiency.csv'],
        "Exit status: 0 ok, 1 the statement failed, 2 no published warehouse.")
    query.add_argument("sql", metavar="SQL", help="the statement, quoted")
    query.add_argument("--csv", action="store_true", help="print CSV with a header row instead of a table")
    query.add_argument("--limit", type=positive_int, metavar="N", help="print at most N rows (default: all)")
    query.set_defaults(run=query_command)

    export = add_command(
        commands, "export", "Write every mart as Parquet and CSV, plus a data dictionary.",
        "Export each table of the marts schema of the published warehouse as <mart>.parquet and <mart>.csv, and "
        "the data dictionary (data_dictionary.csv and .md: column, type, unit, description).",
        ["innovation export", "innovation export --out /tmp/marts"])
    export.add_argument("--guide", action="store_true",
                        help="for maintainers: regenerate the data dictionary and the example outputs in "
                             "docs/analyst_guide.md from the published warehouse, instead of exporting")
    export.add_argument("--out", type=Path, metavar="DIR",
                        help="folder to write into (default: exports/ beside the warehouse file)")
    export.set_defaults(run=export_command)

    marts = add_command(
        commands, "marts", "Build every mart on an engine (Spark) and write each as Parquet.",
        "Build every mart from the published warehouse's landing data with the same dbt models on another engine, "
        "run every dbt test there, and write each mart as Parquet under DIR/<mart>. --engine spark runs Apache Spark "
        "in this process (local mode, or the cluster --master names; needs Java and the project's `spark` extra); "
        "--engine duckdb writes the published warehouse's own marts. The published warehouse is only read.",
        ["innovation marts --engine spark --out /tmp/marts-spark",
         "innovation marts --engine spark --out /tmp/marts-spark --master spark://head:7077"])
    marts.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                       help="the engine that builds them (default: duckdb, the published build)")
    marts.add_argument("--out", type=Path, metavar="DIR", required=True, help="folder to write DIR/<mart> into")
    marts.add_argument("--master", default="local[2]", metavar="URL",
                       help="Spark master: local[N] (default local[2]), spark://host:7077, yarn, k8s://...")
    marts.add_argument("--vintage", choices=["earliest", "latest"],
                       help="which publication's figure the marts use (default: the published build's rule)")
    marts.set_defaults(run=marts_command)

    stages = add_command(
        commands, "stages", "Print the cluster stage efficiencies, the study's core output.",
        "Print marts.cluster_stage_efficiency as three tables (patent stage, transformation stage, and its high-tech "
        "industry proxy), one row per year t and one column per cluster, with the reason under each NULL.",
        ["innovation stages"])
    stages.set_defaults(run=stages_command)

    report = add_command(
        commands, "report", "Draw the charts and write the self-contained HTML report.",
        "Draw the charts (PNG) and write one self-contained HTML page (charts embedded, tables, vintages, staleness) "
        "from the published warehouse. Stale feeds are also printed as warnings.",
        ["innovation report", "innovation report --out /tmp/report --year 2022"])
    report.add_argument("--out", type=Path, metavar="DIR",
                        help="folder to write into (default: reports/ beside the warehouse file)")
    report.add_argument("--year", type=int, metavar="YYYY",
                        help="data year of the province R&D intensity ranking (default: the newest with intensities)")
    report.set_defaults(run=report_command)
    return top


def warehouse_problem(error: Exception) -> str | None:
    """The plain message for a missing or damaged published warehouse, else None. The classes are looked up among
    the modules already imported: an error of theirs can only come from a command that imported them."""
    query, duckdb = sys.modules.get("serve.query"), sys.modules.get("duckdb")
    if query is not None and isinstance(error, query.WarehouseUnavailable):
        return str(error)
    if duckdb is not None and query is not None and isinstance(error, duckdb.IOException):
        return query.unreadable_message(paths.duckdb_path(), error)  # damaged past what opening it reads
    return None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except Exception as error:
        message = warehouse_problem(error)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return MISSING_WAREHOUSE_EXIT
    except BrokenPipeError:  # the reader went away (`innovation status | head`): stop without a traceback
        # Python flushes stdout once more at exit; pointing it at /dev/null keeps that flush quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILURE_EXIT


if __name__ == "__main__":
    sys.exit(main())
