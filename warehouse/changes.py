"""What a load changed, per feed and data year: the lines of the run summary.

A year is `new` (nothing landed before), `unchanged` (the same documents), `revised` (another
document or a new version of one), or `withdrawn` (no archived document carries it any more). For a
revised year the rows of the current version of each document before and after are compared: added,
removed, and changed with old and new values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where rows are compared: a refresh with nothing new never loads it
    import pandas as pd

NEW, UNCHANGED, REVISED, FAILED, WITHDRAWN = "new", "unchanged", "revised", "failed", "withdrawn"
# An archived document that is another table than the feed's (core.errors.OtherTable): nothing of it
# landed, the rest of the feed did; its data year is a gap the run summary shows with the reason.
REFUSED = "refused"
# Provenance columns: they differ between versions by definition, so they are not compared.
PROVENANCE_COLUMNS = ("feed", "document_path", "document_sha256", "publication_year")


@dataclass
class YearOutcome:
    feed: str
    data_year: int | None  # None: the whole feed (a failure before any year was known)
    status: str
    documents: list[str] = field(default_factory=list)  # sha256 of the documents now landed
    rows_added: list[dict] = field(default_factory=list)
    rows_removed: list[dict] = field(default_factory=list)
    rows_changed: list[dict] = field(default_factory=list)  # key columns + {column: [old, new]}
    reason: str | None = None  # why it failed or was refused

    def to_json(self) -> dict:
        return asdict(self)


def current_rows(rows: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Rows of the newest version of each document (documents: sha256 → document_key, received_at)."""
    if rows.empty:
        return rows
    versions = documents.set_index("document_sha256")[["document_key", "received_at"]]
    located = rows.join(versions, on="document_sha256")
    newest = located.groupby("document_key")["received_at"].transform("max")
    return located[located["received_at"] == newest].drop(columns=["received_at"])


def compare_year(feed: str, year: int, before: pd.DataFrame, after: pd.DataFrame,
                 value_columns: list[str]) -> YearOutcome:
    """Compare one data year's current rows (both frames carry a `document_key` column)."""
    documents = sorted(after["document_sha256"].unique())
    if before.empty:
        return YearOutcome(feed, year, NEW, documents)
    if set(before["document_sha256"]) == set(documents):
        return YearOutcome(feed, year, UNCHANGED, documents)
    keys = [c for c in after.columns if c not in value_columns and c not in PROVENANCE_COLUMNS]
    merged = before.merge(after, on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
    outcome = YearOutcome(feed, year, REVISED, documents)
    for row in merged.to_dict("records"):
        key = {k: _plain(row[k]) for k in keys}
        if row["_merge"] == "left_only":
            outcome.rows_removed.append(key | {c: _plain(row[f"{c}_old"]) for c in value_columns})
        elif row["_merge"] == "right_only":
            outcome.rows_added.append(key | {c: _plain(row[f"{c}_new"]) for c in value_columns})
        else:
            changes = {c: [_plain(row[f"{c}_old"]), _plain(row[f"{c}_new"])] for c in value_columns
                       if not _same(row[f"{c}_old"], row[f"{c}_new"])}
            if changes:
                outcome.rows_changed.append(key | changes)
    return outcome


def _same(old, new) -> bool:
    import pandas as pd

    return (pd.isna(old) and pd.isna(new)) or old == new


def _plain(value):
    """JSON-friendly scalar: NaN → None, numpy numbers → Python numbers."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value
