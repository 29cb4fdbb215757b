"""The inbox: licensed tables dropped by hand flow into the warehouse; unsafe or bad drops are refused,
moved to quarantine with a reason, and nothing of them is archived or landed.

The Torch table used here is TEST-ONLY: written by this module with synthetic figures (every
province's net profit is its GB code × 1,000,000 千元) and a title row saying so. It is never
bundled into the warehouse and never written outside the test's temporary folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import xlwt

from scrapers.regions import rules
from scrapers.registry import FEEDS
from warehouse import paths
from warehouse.intake import receive_inbox
from warehouse.paths import RAW_DIR

TEST_ONLY_NOTE = "TEST-ONLY DATA: synthetic figures written by tests/test_inbox.py, not from the China Torch Statistical Yearbook"
PATENTS_2023 = RAW_DIR / "csy-patent-grants-by-region" / "2023.xls"


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
def inbox(tmp_path, monkeypatch) -> Path:
    for variable, folder in (("WAREHOUSE_INBOX_DIR", "inbox"), ("WAREHOUSE_QUARANTINE_DIR", "quarantine"),
                             ("WAREHOUSE_ARCHIVE_DIR", "archive")):
        monkeypatch.setenv(variable, str(tmp_path / folder))
    return tmp_path / "inbox"


def quarantined_reason(name: str) -> str:
    (reason,) = paths.quarantine_dir().rglob(f"*-{name}.reason.txt")
    return reason.read_text(encoding="utf-8")


def test_a_dropped_torch_table_is_archived_and_leaves_the_inbox(inbox):
    write_test_only_torch_table(inbox / "torch_hightech_enterprise" / "2023.xls", 2023)
    report = receive_inbox(FEEDS["torch_hightech_enterprise"])
    (record,) = report.stored
    assert (record.feed, record.data_year, record.publication_year, record.archive) == ("torch_hightech_enterprise", 2023, 2024,
                                                                                        "acquired")
    assert record.acquisition["inbox_path"].endswith("inbox/torch_hightech_enterprise/2023.xls")
    assert (paths.archive_dir() / record.path).is_file() and not list(inbox.rglob("*.xls"))


def test_a_symlink_is_refused_and_its_target_untouched(inbox, tmp_path):
    target = tmp_path / "elsewhere.xls"
    shutil.copyfile(PATENTS_2023, target)
    (inbox / "csy_patent_grants").mkdir(parents=True)
    (inbox / "csy_patent_grants" / "2023.xls").symlink_to(target)
    report = receive_inbox(FEEDS["csy_patent_grants"])
    assert not report.stored and len(report.refused) == 1
    assert "symbolic link" in quarantined_reason("2023.xls")
    assert target.read_bytes() == PATENTS_2023.read_bytes()


def test_a_feed_folder_that_leads_outside_the_inbox_is_not_read(inbox, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    write_test_only_torch_table(outside / "2023.xls", 2023)
    inbox.mkdir()
    (inbox / "torch_hightech_enterprise").symlink_to(outside, target_is_directory=True)
    report = receive_inbox(FEEDS["torch_hightech_enterprise"])
    assert not report.stored and "outside the inbox" in str(report.refused[0])
    assert (outside / "2023.xls").is_file() and not paths.archive_dir().exists()


def test_html_saved_as_xls_is_quarantined_with_the_gate_that_refused_it(inbox):
    drop = inbox / "csy_patent_grants" / "2023.xls"
    drop.parent.mkdir(parents=True)
    shutil.copyfile(RAW_DIR / "nbs-rd-bulletin" / "2023.html", drop)
    report = receive_inbox(FEEDS["csy_patent_grants"])
    assert not report.stored
    reason = quarantined_reason("2023.xls")
    assert "publication gate: file_type" in reason and "found an HTML page" in reason
    assert not drop.exists() and not paths.archive_dir().exists()


def test_an_oversized_drop_is_quarantined_unread(inbox):
    drop = inbox / "csy_patent_grants" / "2023.xls"
    drop.parent.mkdir(parents=True)
    with drop.open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)  # sparse: the size is what is checked, before reading
    receive_inbox(FEEDS["csy_patent_grants"])
    assert "at most 8,388,608 bytes" in quarantined_reason("2023.xls")


def test_a_drop_without_a_data_year_is_quarantined(inbox):
    drop = inbox / "csy_patent_grants" / "patents.xls"
    drop.parent.mkdir(parents=True)
    shutil.copyfile(PATENTS_2023, drop)
    receive_inbox(FEEDS["csy_patent_grants"])
    assert "a data year" in quarantined_reason("patents.xls")


def test_a_sidecar_names_what_the_file_name_cannot(inbox):
    drop = inbox / "csy_patent_grants" / "patents.xls"
    drop.parent.mkdir(parents=True)
    shutil.copyfile(PATENTS_2023, drop)
    drop.with_name("patents.xls.toml").write_text("data_year = 2023\n", encoding="utf-8")
    report = receive_inbox(FEEDS["csy_patent_grants"])
    # The same bytes as the bundled 2023 table: already archived, taken out of the inbox, not stored twice.
    assert not report.stored and not report.refused
    assert report.notes == ["received patents.xls: already archived as csy-patent-grants-by-region/2023.xls"]
    assert not drop.exists() and not drop.with_name("patents.xls.toml").exists()
