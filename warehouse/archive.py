"""The raw archive: every document the warehouse was built from, with one provenance record each.

Two roots, one registry:
- bundled (`documents/`, in the repo): the documents the default run is built from, under readable
  names; `provenance.json` beside them is their registry. `innovation archive add FILE --feed ...`
  records a new one.
- acquired (`data/archive/`, state): documents fetched live or received through the inbox, stored
  content-addressed and immutable (`objects/<sha256[:2]>/<sha256><suffix>`), their records appended to
  `records.jsonl`. A document that changes gets a second object and a second record: both versions stay.
The pipeline never opens a document without checking its sha256 against the record, so a changed byte
is refused before parsing.

A document a run takes in waits in that run's staging folder (`Pending`: `staging/<run_id>/intake/`) and
enters the archive only when the run publishes (`Pending.commit`, called under the publish lock): a
document whose run failed a check never becomes part of what later refreshes build from. An acquired
document can be withdrawn (`withdraw`; `innovation archive withdraw`): its object stays, its record no
longer counts, and the next refresh drops its rows.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from core import paths
from core.documents import ACQUIRED, BUNDLED, ProvenanceRecord, RawDocument, sha256_of
from core.errors import DocumentError
from warehouse import inbox

RECORDS_FILE = "records.jsonl"
WITHDRAWALS_FILE = "withdrawals.jsonl"  # in the acquired archive: withdrawn and restored sha256s, in order
FETCH_STATE_FILE = "fetch_state.json"  # in the acquired archive: validators of the last fetch, per feed and data year
PENDING_FOLDER = "intake"  # in a run's staging folder: what the run took in, until it publishes


def load_registry(raw_root: Path | None = None, pending_run: str | None = None) -> list[ProvenanceRecord]:
    """Bundled records, then acquired ones not withdrawn (those whose bytes are already bundled are not
    repeated), then, for `pending_run`, what that run took in and has not published yet."""
    root = raw_root or paths.raw_dir()
    entries = json.loads((root / "provenance.json").read_text(encoding="utf-8"))
    bundled = [ProvenanceRecord(**e) for e in entries]
    known = {(r.document_key, r.sha256) for r in bundled}
    withdrawn = withdrawn_sha256s()
    records = bundled + [r for r in acquired_records() if (r.document_key, r.sha256) not in known and r.sha256 not in withdrawn]
    if pending_run is not None:
        known |= {(r.document_key, r.sha256) for r in records}
        records += [r for r in Pending(pending_run).records() if (r.document_key, r.sha256) not in known]
    return records


def _read_jsonl(file: Path) -> list[dict]:
    if not file.is_file():
        return []
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]


def _append_jsonl(file: Path, entries: list[dict]) -> None:
    if not entries:
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
        out.flush()
        os.fsync(out.fileno())


def acquired_records(archive_root: Path | None = None) -> list[ProvenanceRecord]:
    return [ProvenanceRecord(**entry) for entry in _read_jsonl((archive_root or paths.archive_dir()) / RECORDS_FILE)]


def withdrawn_sha256s() -> set[str]:
    """sha256s whose last entry in withdrawals.jsonl withdraws them."""
    state: dict[str, str] = {}
    for entry in _read_jsonl(paths.archive_dir() / WITHDRAWALS_FILE):
        state[entry["sha256"]] = entry["action"]
    return {sha for sha, action in state.items() if action == "withdrawn"}


MIN_SHA256_PREFIX = 8  # leading hex digits that may name a document (32 bits: no two archived ones share them)


class NotWithdrawable(ValueError):
    """The document cannot be withdrawn (unknown, bundled in the repository, or withdrawn already)."""


def withdraw(identifier: str, reason: str) -> ProvenanceRecord:
    """Withdraw an acquired document (named by sha256, a unique sha256 prefix, or its archive path): its object
    stays for the record, but it no longer counts, so the next refresh drops its rows."""
    matches = [r for r in load_registry()
               if identifier in (r.path, r.sha256) or (len(identifier) >= MIN_SHA256_PREFIX and r.sha256.startswith(identifier))]
    if not matches:
        withdrawn = withdrawn_sha256s()
        if any(sha.startswith(identifier) for sha in withdrawn):
            raise NotWithdrawable(f"{identifier}: withdrawn already")
        raise NotWithdrawable(f"{identifier}: no archived document has that sha256 or path (`innovation archive list` "
                              "lists them)")
    if len({r.sha256 for r in matches}) > 1:
        raise NotWithdrawable(f"{identifier}: names {len(matches)} documents; give more of the sha256")
    record = matches[0]
    if record.archive != ACQUIRED:
        raise NotWithdrawable(
            f"{record.path}: bundled in the repository, not acquired; remove the file and its entry in "
            f"{paths.raw_dir() / 'provenance.json'} with a commit instead")
    _append_jsonl(paths.archive_dir() / WITHDRAWALS_FILE, [{
        "sha256": record.sha256, "action": "withdrawn", "document_key": record.document_key, "reason": reason,
        "at": datetime.now(UTC).isoformat(timespec="seconds")}])
    return record


def records_for(feed: str, raw_root: Path | None = None, pending_run: str | None = None) -> list[ProvenanceRecord]:
    return sorted((r for r in load_registry(raw_root, pending_run) if r.feed == feed), key=lambda r: (r.path, r.received_order))


def newest_version(document_key: str, other_than: str | None = None, pending_run: str | None = None) -> ProvenanceRecord | None:
    """The newest archived version of a document (leaving out the one whose sha256 is `other_than`)."""
    versions = [r for r in load_registry(pending_run=pending_run) if r.document_key == document_key and r.sha256 != other_than]
    return max(versions, key=lambda r: r.received_order, default=None)


def read_verified(record: ProvenanceRecord, raw_root: Path | None = None, pending_run: str | None = None) -> RawDocument:
    """Read a document and refuse it unless its bytes match the provenance record."""
    if record.archive == ACQUIRED:
        file = paths.archive_dir() / record.path
        if not file.is_file() and pending_run is not None:
            file = Pending(pending_run).folder / record.path  # taken in by this run, not yet published
    else:
        file = (raw_root or paths.raw_dir()) / record.path
    if not file.is_file():
        raise DocumentError(record.path, "the archived file named in its provenance record", "no such file")
    content = file.read_bytes()
    digest = sha256_of(content)
    if digest != record.sha256 or len(content) != record.bytes:
        raise DocumentError(
            record.path,
            f"sha256 {record.sha256} ({record.bytes} bytes) as recorded in provenance.json",
            f"sha256 {digest} ({len(content)} bytes): the file changed after it was archived",
        )
    return RawDocument(record, content)


def record_document(file: Path, raw_root: Path, **meta) -> ProvenanceRecord:
    """Build the provenance record of a file already placed under the raw archive."""
    content = file.read_bytes()
    return ProvenanceRecord(
        path=file.resolve().relative_to(raw_root.resolve()).as_posix(),
        sha256=sha256_of(content),
        bytes=len(content),
        **meta,
    )


def _write_object(target: Path, content: bytes) -> None:
    """Write an immutable object: to a temporary file, then renamed, so no half-written object has its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(content)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, target)
    target.chmod(0o444)  # a version is never rewritten


@dataclass(frozen=True)
class Pending:
    """What one run took in (fetched pages, inbox drops), held in its staging folder until it publishes.

    `store` keeps a new document here (content-addressed, as the archive will); `hold_drop` moves the inbox
    file it came from here too, so no other run reads it meanwhile. At publish, `commit` moves the documents
    into the archive and appends their records. A run that ends otherwise `release`s them: its drops go to
    the quarantine (the run failed: the reason goes with them) or back to the inbox (it was killed, or did
    not publish); nothing of them is archived.
    """

    run_id: str

    @property
    def folder(self) -> Path:
        return paths.staging_dir() / self.run_id / PENDING_FOLDER

    def records(self) -> list[ProvenanceRecord]:
        return [ProvenanceRecord(**entry) for entry in _read_jsonl(self.folder / RECORDS_FILE)]

    def store(self, content: bytes, suffix: str, **meta) -> tuple[ProvenanceRecord, bool]:
        """Keep a new document for the archive; (record, True if new). Bytes already archived (or already taken in
        by this run) for the same document add nothing: the existing record comes back."""
        sha = sha256_of(content)
        new = ProvenanceRecord(path=f"objects/{sha[:2]}/{sha}{suffix}", sha256=sha, bytes=len(content), archive=ACQUIRED,
                               received_at=meta.pop("received_at", None) or datetime.now(UTC).isoformat(timespec="seconds"),
                               **meta)
        existing = next((r for r in load_registry(pending_run=self.run_id)
                         if r.document_key == new.document_key and r.sha256 == sha), None)
        if existing is not None:
            return existing, False
        _write_object(self.folder / new.path, content)
        _append_jsonl(self.folder / RECORDS_FILE, [asdict(new)])
        return new, True

    def hold_drop(self, source: Path, feed: str) -> None:
        """Move an admitted inbox drop (and its sidecar) into the run's folder until the run ends."""
        held = self.folder / "drops" / feed / source.name
        held.parent.mkdir(parents=True, exist_ok=True)
        os.rename(source, held)
        sidecar = inbox.sidecar_of(source)
        if sidecar.is_file():
            os.rename(sidecar, inbox.sidecar_of(held))

    def held_drops(self) -> list[tuple[str, Path]]:
        """(feed, held file) of every drop this run took out of the inbox."""
        drops = self.folder / "drops"
        if not drops.is_dir():
            return []
        return [(feed_dir.name, file) for feed_dir in sorted(drops.iterdir()) for file in sorted(feed_dir.iterdir())
                if not file.name.endswith(inbox.SIDECAR_SUFFIX)]

    def remember_fetch(self, feed: str, data_year: int, validators: dict, stored: bool) -> None:
        """ETag / Last-Modified of a fetch, committed with the run: a page whose document the run did not
        publish must be fetched in full again, not answered 304."""
        _append_jsonl(self.folder / FETCH_STATE_FILE, [
            {"feed": feed, "data_year": data_year, "validators": validators, "stored": stored}])

    def _fetches(self) -> list[dict]:
        return _read_jsonl(self.folder / FETCH_STATE_FILE)

    def commit(self) -> list[ProvenanceRecord]:
        """Move the run's new documents into the archive and append their records (a withdrawn document that came
        back is restored); forget its held drops; keep its fetch validators. Returns the records committed."""
        archive = paths.archive_dir()
        records = self.records()
        for record in records:
            if not (archive / record.path).is_file():
                _write_object(archive / record.path, (self.folder / record.path).read_bytes())
        recorded = {(r.document_key, r.sha256) for r in acquired_records()}
        _append_jsonl(archive / RECORDS_FILE, [asdict(r) for r in records if (r.document_key, r.sha256) not in recorded])
        withdrawn = withdrawn_sha256s()
        _append_jsonl(archive / WITHDRAWALS_FILE, [
            {"sha256": r.sha256, "action": "restored", "document_key": r.document_key, "reason": "taken in again",
             "at": datetime.now(UTC).isoformat(timespec="seconds")} for r in records if r.sha256 in withdrawn])
        self._keep_fetches(lambda fetch: True)
        for feed, held in self.held_drops():
            inbox.remove_with_sidecar(held)
            inbox.resolve_quarantined(feed, held.name)  # an earlier, refused drop of the same name is replaced
        return records

    def release(self, failure: str | None) -> list[str]:
        """The run ends without publishing: its drops go to the quarantine with `failure`, or back to the inbox
        when there is none (killed, or a run without the publish step). Returns one line per drop."""
        if failure is None:  # validators of pages that were not new are still good
            self._keep_fetches(lambda fetch: not fetch["stored"])
        lines = []
        for feed, held in self.held_drops():
            if failure is None:
                lines.append(inbox.return_to_inbox(held, feed, f"run {self.run_id} ended without publishing it"))
            else:
                reason = (f"{inbox.display_name(held.name)} passed the gates, but the refresh that took it in (run "
                          f"{self.run_id}) failed, so it was not archived: {failure}. If the failure was not this "
                          "file's, drop it into the inbox again.")
                target = inbox.quarantine(held, reason, feed)
                lines.append(f"{inbox.display_name(held.name)}: quarantined as {inbox.display_name(target)} (the run failed)")
        return lines

    def _keep_fetches(self, keep) -> None:
        fetches = [f for f in self._fetches() if keep(f)]
        if fetches:
            state_file = paths.archive_dir() / FETCH_STATE_FILE
            state = json.loads(state_file.read_text(encoding="utf-8")) if state_file.is_file() else {}
            for fetch in fetches:
                state.setdefault(fetch["feed"], {})[str(fetch["data_year"])] = fetch["validators"]
            state_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = state_file.with_suffix(".partial")
            temporary.write_text(json.dumps(state, indent=1), encoding="utf-8")
            os.replace(temporary, state_file)


def last_fetch(feed: str, data_year: int) -> dict | None:
    """ETag / Last-Modified of the last published fetch of a feed's document for a data year, for a conditional GET."""
    state_file = paths.archive_dir() / FETCH_STATE_FILE
    state = json.loads(state_file.read_text(encoding="utf-8")) if state_file.is_file() else {}
    return state.get(feed, {}).get(str(data_year))


def write_registry(records: list[ProvenanceRecord], raw_root: Path) -> None:
    ordered = sorted((r for r in records if r.archive == BUNDLED), key=lambda r: (r.feed, r.path))
    text = json.dumps([bundled_entry(r) for r in ordered], ensure_ascii=False, indent=1)
    (raw_root / "provenance.json").write_text(text + "\n", encoding="utf-8")


def bundled_entry(record: ProvenanceRecord) -> dict:
    """A bundled record as provenance.json keeps it: without the acquired-only fields."""
    entry = asdict(record)
    for name in ("archive", "received_at", "acquisition"):
        entry.pop(name)
    return entry


def add_bundled(file: Path, **meta) -> ProvenanceRecord:
    """Record (or re-record) the provenance of a document copied under the bundled archive; its sha256 and size
    are computed here. Returns the record written to provenance.json."""
    root = paths.raw_dir()
    new = record_document(file, root, **meta)
    kept = [r for r in load_registry(root) if r.path != new.path and r.archive == BUNDLED]
    write_registry(kept + [new], root)
    return new
