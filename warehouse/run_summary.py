"""The run summary every refresh writes: per feed and year — new, unchanged, revised or failed (why).

Steps of a run add their part while it runs (`staging/<run_id>/summary/<feed>.json`); the end of the
run (publish, or the failure handler) assembles `runs/<run_id>/summary.json` and `summary.txt`, and
copies them to `runs/latest.json` / `runs/latest.txt`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core import paths
from warehouse.changes import FAILED, REFUSED, REVISED, YearOutcome
from warehouse.publish import StagedBuild

PUBLISHED, NOT_PUBLISHED = "published", "not published: the published warehouse is unchanged"
UNCHANGED = "unchanged: documents and code as in the published build, nothing to publish"
FEED_WIDTH = 27  # the longest feed name, torch_hightech_enterprise, and two spaces
MAX_CHANGES_IN_TEXT = 40  # the JSON has every changed row; the text shows the first ones


def _parts_dir(run_id: str) -> Path:
    return StagedBuild(run_id).folder / "summary"


def _part_file(run_id: str, feed: str) -> Path:
    return _parts_dir(run_id) / f"{feed}.json"


def record(run_id: str, feed: str, outcomes: list[YearOutcome] = (), notes: list[str] = (),
           warnings: list[str] = ()) -> None:
    """Add a feed's outcomes, acquisition notes (e.g. '2023: 304 not modified') and plausibility warnings (figures
    that pass every check yet look odd: warehouse/plausibility.py) to the run's summary."""
    StagedBuild(run_id).ensure_held()  # before anything of the run is written: a living run's folder is never reclaimed
    part = _part_file(run_id, feed)
    part.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(part.read_text(encoding="utf-8")) if part.exists() else {}
    existing["outcomes"] = existing.get("outcomes", []) + [o.to_json() for o in outcomes]
    existing["notes"] = existing.get("notes", []) + list(notes)
    existing["warnings"] = existing.get("warnings", []) + list(warnings)
    part.write_text(json.dumps(existing, ensure_ascii=False, indent=1), encoding="utf-8")


def record_refusals(run_id: str, feed: str, refused: list) -> None:
    """Documents set aside as another table (core.errors.OtherTable), each under its data year."""
    record(run_id, feed, [YearOutcome(feed, exc.data_year, REFUSED, reason=f"unexpected_document: {exc}")
                          for exc in refused])


def record_failure(run_id: str, feed: str, reason: str, years: list[int] | None = None) -> None:
    failures = [YearOutcome(feed, y, FAILED, reason=reason) for y in years] if years else [
        YearOutcome(feed, None, FAILED, reason=reason)]
    record(run_id, feed, failures)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    status: str
    data: dict
    text: str
    json_path: Path
    text_path: Path

    @property
    def outcomes(self) -> list[dict]:
        return [o for feed in self.data["feeds"].values() for o in feed["outcomes"]]


def finish(run_id: str, status: str, detail: str | None = None, notes: list[str] = ()) -> RunSummary:
    """Assemble the run's parts into its summary files (and runs/latest.*). `notes`: what the refresh did around
    the run (reclaimed dead runs, stray drops moved to quarantine, drops put back), one line each."""
    parts_dir = _parts_dir(run_id)
    feeds = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(parts_dir.glob("*.json"))} \
        if parts_dir.is_dir() else {}
    data = {"run_id": run_id, "finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "status": status,
            "detail": detail, "notes": list(notes), "published_path": str(paths.duckdb_path()), "feeds": feeds}
    text = render(data)
    out = paths.runs_dir() / run_id
    out.mkdir(parents=True, exist_ok=True)
    json_path, text_path = out / "summary.json", out / "summary.txt"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    text_path.write_text(text, encoding="utf-8")
    shutil.copyfile(json_path, latest_json_path())
    shutil.copyfile(text_path, latest_json_path().with_suffix(".txt"))
    return RunSummary(run_id, status, data, text, json_path, text_path)


def finish_without_run(status: str, detail: str | None = None, notes: list[str] = ()) -> RunSummary:
    """The summary of a refresh that found nothing to do and launched no run."""
    return finish(f"no-run-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}", status, detail, notes)


def add_notes(summary: RunSummary, notes: list[str]) -> RunSummary:
    """The summary with more run-level notes, rewritten in place (and as runs/latest.*)."""
    if not notes:
        return summary
    data = {**summary.data, "notes": [*summary.data.get("notes", []), *notes]}
    text = render(data)
    summary.json_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    summary.text_path.write_text(text, encoding="utf-8")
    shutil.copyfile(summary.json_path, latest_json_path())
    shutil.copyfile(summary.text_path, latest_json_path().with_suffix(".txt"))
    return RunSummary(summary.run_id, summary.status, data, text, summary.json_path, summary.text_path)


def load(run_id: str) -> RunSummary:
    out = paths.runs_dir() / run_id
    return _read(out / "summary.json", out / "summary.txt")


def load_latest() -> RunSummary | None:
    """The summary of the last refresh (runs/latest.*), None when none was recorded."""
    json_path = latest_json_path()
    return _read(json_path, json_path.with_suffix(".txt")) if json_path.is_file() else None


def latest_json_path() -> Path:
    return paths.runs_dir() / "latest.json"


def _read(json_path: Path, text_path: Path) -> RunSummary:
    data = json.loads(json_path.read_text(encoding="utf-8"))
    return RunSummary(data["run_id"], data["status"], data, text_path.read_text(encoding="utf-8"), json_path, text_path)


def render(data: dict) -> str:
    """Readable summary: per feed, the years in each status; then every changed row and every failure."""
    lines = [f"Refresh {data['run_id']}: {data['status']}", f"Warehouse: {data['published_path']}"]
    if data.get("detail"):
        lines.append(data["detail"])
    lines += [f"Note: {note}" for note in data.get("notes", [])]
    lines.append("")
    changes, failures, refusals, warnings = [], [], [], []
    for feed, part in sorted(data["feeds"].items()):
        warnings += [f"  {warning}" for warning in part.get("warnings", [])]
        by_status: dict[str, list] = {}
        for o in part["outcomes"]:
            by_status.setdefault(o["status"], []).append(o["data_year"])
            year = o["data_year"] if o["data_year"] is not None else "all years"
            if o["status"] == FAILED:
                failures.append(f"  {feed} {year}: {o['reason']}")
            if o["status"] == REFUSED:
                refusals.append(f"  {feed} {year}: {o['reason']}")
            if o["status"] == REVISED:
                lines_of_year = [f"{_key(r)}: {_changed(r)}" for r in o["rows_changed"]]
                lines_of_year += [f"{_key(r)}: added" for r in o["rows_added"]]
                lines_of_year += [f"{_key(r)}: removed" for r in o["rows_removed"]]
                changes += [f"  {feed} {year} {line}" for line in lines_of_year]
        statuses = "; ".join(f"{status} {year_ranges(years)}" for status, years in sorted(by_status.items())) \
            or "no document in the years refreshed"
        lines.append(f"{feed:<{FEED_WIDTH}}{statuses}")
        lines += [f"{'':<{FEED_WIDTH}}note: {note}" for note in part["notes"]]
    if changes:
        lines += ["", f"Changed rows ({len(changes)}):", *changes[:MAX_CHANGES_IN_TEXT]]
        if len(changes) > MAX_CHANGES_IN_TEXT:
            lines.append(f"  … {len(changes) - MAX_CHANGES_IN_TEXT} more in summary.json")
    if warnings:
        lines += ["", f"Warnings ({len(warnings)}): figures that pass every check but look odd; check them against the "
                      "document", *warnings]
    if refusals:
        lines += ["", "Refused documents (another table than the feed's; nothing of them landed, their years are gaps):",
                  *refusals]
    if failures:
        lines += ["", "Failures:", *failures]
    return "\n".join(lines) + "\n"


def year_ranges(years: list[int | None]) -> str:
    """2010, 2011, 2012, 2014 → '2010–2012, 2014'."""
    known = sorted({y for y in years if y is not None})
    if not known:
        return "(all years)"
    runs = [[known[0], known[0]]]
    for year in known[1:]:
        if year == runs[-1][1] + 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return ", ".join(f"{first}–{last}" if last != first else f"{first}" for first, last in runs)


def _key(row: dict) -> str:
    return " ".join(str(row[k]) for k in ("province", "direction", "measure") if k in row)


def _changed(row: dict) -> str:
    return ", ".join(f"{c} {v[0]} → {v[1]}" for c, v in row.items() if isinstance(v, list))
