"""Region labels → the province dimension.

The province list itself is the dbt seed `provinces.csv`, so the parsers and the models share one
dimension. The label rules (skipped subtotals, misprints) are data in `regions.toml` beside this file.
"""

from __future__ import annotations

import csv
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core import paths

NATIONAL_CODE = "00"
NATIONAL_NAME = "全国"
_RULES_FILE = Path(__file__).with_name("regions.toml")


def squash(text: object) -> str:
    """A cell's text in NFKC form (full-width digits and brackets become ASCII) without any space."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


@dataclass(frozen=True)
class Region:
    code: str
    name: str


@dataclass(frozen=True)
class RegionRules:
    provinces: dict[str, str]  # short name -> code
    national_labels: frozenset[str]
    skipped_labels: frozenset[str]
    footnote_prefixes: tuple[str, ...]
    continuation_suffixes: tuple[str, ...]
    label_aliases: dict[str, str]

    def is_region_row_start(self, label: str) -> bool:
        return label in self.national_labels or self.canonical(label) in self.provinces

    def canonical(self, label: str) -> str:
        return self.label_aliases.get(label, label)

    def ends_table(self, label: str) -> bool:
        """A footnote, or the title of a continuation block stacked below the table."""
        return label.startswith(self.footnote_prefixes) or label.endswith(self.continuation_suffixes)

    def classify(self, label: str) -> Region | None:
        """The region a label names, None for a row skipped on purpose; KeyError if unknown."""
        if label in self.national_labels:
            return Region(NATIONAL_CODE, NATIONAL_NAME)
        name = self.canonical(label)
        if name in self.provinces:
            return Region(self.provinces[name], name)
        if label in self.skipped_labels:
            return None
        raise KeyError(label)


@cache
def rules() -> RegionRules:
    with paths.PROVINCE_SEED.open(encoding="utf-8") as f:
        provinces = {row["province"]: row["province_code"] for row in csv.DictReader(f)}
    data = tomllib.loads(_RULES_FILE.read_text(encoding="utf-8"))
    return RegionRules(
        provinces=provinces,
        national_labels=frozenset(data["national_labels"]),
        skipped_labels=frozenset(data["skipped_labels"]),
        footnote_prefixes=tuple(data["footnote_prefixes"]),
        continuation_suffixes=tuple(data["continuation_suffixes"]),
        label_aliases=dict(data["label_aliases"]),
    )


def province_codes() -> frozenset[str]:
    return frozenset(rules().provinces.values())
