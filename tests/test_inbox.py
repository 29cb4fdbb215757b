"""The inbox: licensed tables dropped by hand flow into the warehouse; unsafe or bad drops are refused,
moved to quarantine with a reason, and nothing of them is archived or landed. A drop a run takes in waits
in that run's staging folder and enters the archive only when the run publishes.

The Torch table used here is TEST-ONLY: written by this module with synthetic figures (every
province's net profit is its GB code × 1,000,000 千元) and a title row saying so. It is never
bundled into the warehouse and never written outside the test's temporary folders.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import xlwt

from core import paths
from core.paths import DOCUMENTS_DIR
from orchestration.refresh import nothing_new, put_house_in_order, refresh
from scrapers._tables.regions import rules
from scrapers.feeds import FEEDS
from warehouse import inbox as inbox_folder
from warehouse.archive import Pending, load_registry, records_for
from warehouse.intake import receive_inbox
from warehouse.publish import StagedBuild

RUN_ID = "test-inbox-run"

TEST_ONLY_NOTE = "TEST-ONLY DATA: synthetic figures written by tests/test_inbox.py, not from the China Torch Statistical Yearbook"
PATENTS_2023 = DOCUMENTS_DIR / "csy-patent-grants-by-region" / "2023.xls"


def synthetic_net_profit_1k_yuan(province_code: str) -> float:
    return int(province_code) * 1_000_000.0


def write_test_only_torch_table(path: Path, data_year: int) -> dict[str, float]:
    """A Torch-format table (title, 单位, headers, 全国 + 31 provinces); returns the province figures."""
    names = {code: name for name, code in rules().provinces.items()}
    figures = {names[code]: synthetic_net_profit_1k_yuan(code) for code in sorted(names)}
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("TEST-ONLY")
    sheet.write(0, 0, TEST_ONLY_NOTE)
    sheet.write(1, 0, f"高新技术企业主要经济指标（按地区分）({data_year}年)")
    sheet.write(2, 0, "单位：千元")
    for j, header in enumerate(["地区", "企业数（个）", "净利润（千元）"]):
        sheet.write(3, j, header)
    sheet.write(4, 0, "全国")
    sheet.write(4, 1, 1000.0)
    sheet.write(4, 2, sum(figures.values()))
    for i, (province, value) in enumerate(figures.items(), start=5):
        sheet.write(i, 0, province)
        sheet.write(i, 1, 10.0)
        sheet.write(i, 2, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))
    return {p: v * 1e-5 for p, v in figures.items()}


@pytest.fixture
def inbox(data_dir) -> Path:
    yield paths.inbox_dir()
    StagedBuild(RUN_ID).release()


def drop(inbox: Path, feed: str, name: str, source: Path = DOCUMENTS_DIR / "csy-patent-grants-by-region" / "2023.xls",
         sidecar: str | None = None) -> Path:
    target = inbox / feed / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    if sidecar is not None:
        target.with_name(target.name + ".toml").write_text(sidecar, encoding="utf-8")
    return target


def quarantined_reason(name: str) -> str:
    (reason,) = paths.quarantine_dir().rglob(f"*-{name}.reason.txt")
    return reason.read_text(encoding="utf-8")


def test_a_dropped_table_waits_with_its_run_and_enters_the_archive_when_the_run_publishes(inbox):
    write_test_only_torch_table(inbox / "torch_hightech_enterprise" / "2023.xls", 2023)
    report = receive_inbox(FEEDS["torch_hightech_enterprise"], RUN_ID)
    (record,) = report.stored
    assert (record.feed, record.data_year, record.publication_year, record.archive) == ("torch_hightech_enterprise", 2023, 2024,
                                                                                        "acquired")
    assert record.acquisition["inbox_path"].endswith("inbox/torch_hightech_enterprise/2023.xls")
    assert not list(inbox.rglob("*.xls"))  # out of the inbox, held by the run
    # Not archived yet: only the run that took it in sees it.
    assert not paths.archive_dir().exists() and record.sha256 not in {r.sha256 for r in load_registry()}
    assert [r.sha256 for r in records_for("torch_hightech_enterprise", pending_run=RUN_ID)] == [record.sha256]

    Pending(RUN_ID).commit()  # what the publish step does, under the publish lock
    assert (paths.archive_dir() / record.path).is_file()
    assert record.sha256 in {r.sha256 for r in load_registry()}
    assert not Pending(RUN_ID).held_drops()


def test_a_failed_run_quarantines_the_drops_it_took_in_and_archives_nothing(inbox):
    drop(inbox, "torch_hightech_enterprise", "2023.xls")
    write_test_only_torch_table(inbox / "torch_hightech_enterprise" / "2023.xls", 2023)
    receive_inbox(FEEDS["torch_hightech_enterprise"], RUN_ID)
    lines = Pending(RUN_ID).release("dbt build failed (1 of 90 nodes): test unique_stg_x: 2 failing rows")
    assert lines == ["2023.xls: quarantined as " + str(next(paths.quarantine_dir().rglob("*-2023.xls"))) + " (the run failed)"]
    reason = quarantined_reason("2023.xls")
    assert "the refresh that took it in (run test-inbox-run) failed" in reason and "2 failing rows" in reason
    assert not paths.archive_dir().exists()


def test_a_run_that_ends_unjudged_puts_its_drops_back(inbox):
    write_test_only_torch_table(inbox / "torch_hightech_enterprise" / "2022.xls", 2022)
    receive_inbox(FEEDS["torch_hightech_enterprise"], RUN_ID)
    assert not (inbox / "torch_hightech_enterprise" / "2022.xls").exists()
    (line,) = Pending(RUN_ID).release(None)
    assert line.startswith("2022.xls: put back into inbox/torch_hightech_enterprise/")
    assert (inbox / "torch_hightech_enterprise" / "2022.xls").is_file() and not paths.archive_dir().exists()


def test_an_archived_drop_of_the_same_name_replaces_its_quarantined_copy(inbox):
    drop(inbox, "torch_hightech_enterprise", "2023.xls", source=DOCUMENTS_DIR / "nbs-rd-bulletin" / "2023.html")
    receive_inbox(FEEDS["torch_hightech_enterprise"], RUN_ID)
    assert [q.name for q in inbox_folder.quarantined()][0].endswith("-2023.xls")
    write_test_only_torch_table(inbox / "torch_hightech_enterprise" / "2023.xls", 2023)
    receive_inbox(FEEDS["torch_hightech_enterprise"], RUN_ID)
    Pending(RUN_ID).commit()
    assert inbox_folder.quarantined() == []


def test_a_symlink_is_refused_and_its_target_untouched(inbox, tmp_path):
    target = tmp_path / "elsewhere.xls"
    shutil.copyfile(PATENTS_2023, target)
    (inbox / "csy_patent_grants").mkdir(parents=True)
    (inbox / "csy_patent_grants" / "2023.xls").symlink_to(target)
    report = receive_inbox(FEEDS["csy_patent_grants"], RUN_ID)
    assert not report.stored and len(report.refused) == 1
    assert "symbolic link" in quarantined_reason("2023.xls")
    assert target.read_bytes() == PATENTS_2023.read_bytes()


def test_a_feed_folder_that_leads_outside_the_inbox_is_not_read(inbox, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    write_test_only_torch_table(outside / "2023.xls", 2023)
    inbox.mkdir()
    (inbox / "torch_hightech_enterprise").symlink_to(outside, target_is_directory=True)
    report = receive_inbox(FEEDS["torch_hightech_enterprise"], RUN_ID)
    assert not report.stored and "outside the inbox" in str(report.refused[0])
    assert (outside / "2023.xls").is_file() and not paths.archive_dir().exists()


def test_html_saved_as_xls_is_quarantined_with_the_gate_that_refused_it(inbox):
    dropped = drop(inbox, "csy_patent_grants", "2023.xls", source=DOCUMENTS_DIR / "nbs-rd-bulletin" / "2023.html")
    report = receive_inbox(FEEDS["csy_patent_grants"], RUN_ID)
    assert not report.stored
    reason = quarantined_reason("2023.xls")
    assert "publication gate: file_type" in reason and "found an HTML page" in reason
    assert not dropped.exists() and not paths.archive_dir().exists()


def test_an_oversized_drop_is_quarantined_unread(inbox):
    dropped = inbox / "csy_patent_grants" / "2023.xls"
    dropped.parent.mkdir(parents=True)
    with dropped.open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)  # sparse: the size is what is checked, before reading
    receive_inbox(FEEDS["csy_patent_grants"], RUN_ID)
    assert "at most 8,388,608 bytes" in quarantined_reason("2023.xls")


def test_a_drop_without_a_data_year_is_quarantined(inbox):
    drop(inbox, "csy_patent_grants", "patents.xls")
    receive_inbox(FEEDS["csy_patent_grants"], RUN_ID)
    assert "a data year" in quarantined_reason("patents.xls")


def test_a_sidecar_names_what_the_file_name_cannot(inbox):
    dropped = drop(inbox, "csy_patent_grants", "patents.xls", sidecar="data_year = 2023\n")
    report = receive_inbox(FEEDS["csy_patent_grants"], RUN_ID)
    # The same bytes as the bundled 2023 table: already archived, taken out of the inbox, not stored twice.
    assert not report.stored and not report.refused
    assert report.notes == ["received patents.xls: already archived as csy-patent-grants-by-region/2023.xls"]
    assert not dropped.exists() and not dropped.with_name("patents.xls.toml").exists()


@pytest.mark.parametrize(("sidecar", "found"), [
    # An edition that cannot carry the data year: its figures would be another (even the earliest) vintage.
    ("data_year = 2023\npublication_year = 2025\n", "publication year 2025 (publication gate: edition)"),
    ("data_year = 2023\npublication_year = 2023\n", "publication year 2023 (publication gate: edition)"),
    ("data_year = 2022\npublication_year = 2024\n", "publication year 2024 (publication gate: edition)"),
])
def test_an_impossible_edition_is_refused_at_the_gate(inbox, sidecar, found):
    drop(inbox, "csy_patent_grants", "patents.xls", sidecar=sidecar)
    report = receive_inbox(FEEDS["csy_patent_grants"], RUN_ID)
    assert not report.stored
    reason = quarantined_reason("patents.xls")
    assert "expected the edition of" in reason and found in reason


@pytest.mark.parametrize(("sidecar", "found"), [
    ('data_year = "2022"\n', "data_year: input should be a valid integer (found '2022')"),
    ('data_year = 2023\nattributes = "outflow"\n', "attributes: input should be a valid dictionary"),
    ("data_year = 2023\nattributes = { direction = 1 }\n", "attributes.direction: input should be a valid string"),
    ("data_year = 2023\nyear = 2023\n", "year: not a key a sidecar may carry"),
    ('data_year = 2023\nofficial_url = { href = "https://x" }\n', "official_url: input should be a valid string"),
    ('data_year = 2023\nofficial_url = "javascript:alert(1)"\n', "official_url: string should match pattern"),
    ("data_year = 2023\nattributes = { direction = \"outflow\" }\n", "attribute 'direction'"),
    ("data_year = [2023\n", "unreadable TOML"),
])
def test_a_sidecar_that_breaks_its_schema_is_refused_plainly(inbox, sidecar, found):
    drop(inbox, "csy_patent_grants", "patents.xls", sidecar=sidecar)
    report = receive_inbox(FEEDS["csy_patent_grants"], RUN_ID)  # returns: no TypeError, no traceback
    assert not report.stored and len(report.refused) == 1
    assert found in quarantined_reason("patents.xls")
    assert not paths.archive_dir().exists()


def test_tech_market_attributes_must_be_the_feeds_own(inbox):
    tables = DOCUMENTS_DIR / "csy-tech-market-outflow-by-region"
    drop(inbox, "csy_tech_market", "outflow.xls", source=tables / "type-amount-2023.xls",
         sidecar='data_year = 2023\nattributes = { direction = "outflow", measure = "profit" }\n')
    receive_inbox(FEEDS["csy_tech_market"], RUN_ID)
    assert "attribute measure one of ['contract_value', 'contract_count']; found 'profit'" in quarantined_reason("outflow.xls")


def test_a_sidecar_that_is_a_link_or_huge_is_refused_unread(inbox, tmp_path):
    secret = tmp_path / "secret.toml"
    secret.write_text("data_year = 2023\n")
    dropped = drop(inbox, "csy_patent_grants", "linked.xls")
    dropped.with_name("linked.xls.toml").symlink_to(secret)
    huge = drop(inbox, "csy_patent_grants", "huge.xls")
    with huge.with_name("huge.xls.toml").open("wb") as handle:
        handle.truncate(1024 ** 3)  # a sparse GiB: refused by its size, never read
    receive_inbox(FEEDS["csy_patent_grants"], RUN_ID)
    assert "a sidecar that is a regular file; found a symbolic link" in quarantined_reason("linked.xls")
    assert "a TOML sidecar of at most 65,536 bytes; found 1,073,741,824 bytes" in quarantined_reason("huge.xls")
    assert secret.read_text() == "data_year = 2023\n"


@pytest.mark.parametrize("name", [b"2023-\xff\xfe.xls", b"\xe4\xb8-2023.xls"])
def test_a_name_that_is_not_utf8_is_quarantined_with_a_readable_reason(inbox, name):
    folder = inbox / "csy_patent_grants"
    folder.mkdir(parents=True)
    raw = os.fsdecode(name)
    shutil.copyfile(PATENTS_2023, folder / raw)
    report = receive_inbox(FEEDS["csy_patent_grants"], RUN_ID)
    assert not report.stored and len(report.refused) == 1
    (held,) = inbox_folder.quarantined()
    assert "a file name in UTF-8" in held.reason and "\\x" in held.reason
    assert os.fsencode(held.path.name).endswith(name)  # the file keeps its bytes
    assert not paths.archive_dir().exists()  # no orphan object


def test_a_drop_still_being_written_waits_for_a_later_refresh(inbox, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_INBOX_SETTLE_SECONDS", "60")
    dropped = drop(inbox, "torch_hightech_enterprise", "2023.xls")
    write_test_only_torch_table(dropped, 2023)
    report = receive_inbox(FEEDS["torch_hightech_enterprise"], RUN_ID)
    assert not report.stored and not report.refused and dropped.is_file()
    assert report.notes[0].startswith("left 2023.xls in the inbox: written 0 s ago, maybe still being copied")
    settled = time.time() - 61
    os.utime(dropped, (settled, settled))
    assert receive_inbox(FEEDS["torch_hightech_enterprise"], RUN_ID).stored


def test_stray_entries_go_to_the_quarantine_with_a_reason(inbox):
    drop(inbox, "csy_patent_grant", "2023.xls")  # a misspelt feed folder
    (inbox / "2023.xls").write_bytes(PATENTS_2023.read_bytes())  # a file in the inbox root
    (inbox / ".DS_Store").write_bytes(b"\0")  # hidden files are nobody's business
    notes = inbox_folder.sweep_strays(FEEDS)
    assert len(notes) == 2
    reasons = {q.name.split("-", 1)[1]: q.reason for q in inbox_folder.quarantined()}
    assert "did you mean inbox/csy_patent_grants/?" in reasons["csy_patent_grant"]
    assert "found it in the inbox itself" in reasons["2023.xls"]
    assert sorted(p.name for p in inbox.iterdir()) == [".DS_Store"]


def test_a_refresh_moves_strays_aside_and_launches_no_run_for_them(inbox, built_warehouse):
    shutil.copyfile(built_warehouse, paths.duckdb_path())
    drop(inbox, "csy_patent_grant", "2023.xls")
    assert nothing_new()  # a stray is no work
    result = refresh()
    assert result.run_id is None and result.success
    assert "did you mean inbox/csy_patent_grants/?" in result.summary.text
    assert not (inbox / "csy_patent_grant").exists()


def test_an_unreadable_published_warehouse_is_moved_aside_to_be_rebuilt(inbox, tmp_path):
    published = paths.duckdb_path()
    published.write_bytes(b"")
    notes, rebuild = put_house_in_order()
    assert rebuild and not published.exists()
    (aside,) = published.parent.glob("innovation.duckdb.unreadable-*")
    assert notes == [f"The published warehouse {published} could not be read (IO Error: The file \"{published}\" exists, "
                     f"but it is not a valid DuckDB database file!); moved it to {aside} and rebuilding it from the archive."]
    notes, rebuild = put_house_in_order()
    assert rebuild and notes == [f"No published warehouse at {published}: building one from the archive."]
