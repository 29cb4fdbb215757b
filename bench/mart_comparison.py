"""Do two implementations of the marts give the same rows? Used by bench/scale.py and tests/test_bench_smoke.py.

Rows are matched on each mart's key; numbers agree within a relative 1e-9 (sums in another order
round differently), NULLs must be NULL on both sides, and comma-separated sha256 lists are compared
as sets (string_agg(DISTINCT …) promises no order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MART_KEYS = {
    "province_rd_ranking": ["year", "province"],
    "cluster_indicators": ["year", "cluster"],
    "cluster_stage_efficiency": ["year", "cluster"],
    "tech_market_balance": ["year", "region_type", "region"],
}
RELATIVE_TOLERANCE = 1e-9


def _normalised(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    for column in frame.columns:
        if column.endswith("_sha256s"):
            frame[column] = frame[column].map(lambda v: None if pd.isna(v) else ",".join(sorted(v.split(","))))
    return frame


def _as_numbers(values: pd.Series) -> np.ndarray | None:
    """Float values with NaN for NULL, or None when the column is text."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values.astype("float64").to_numpy()
    non_null = values.dropna()
    if len(non_null) and all(isinstance(v, (bool, np.bool_, int, float, np.number)) for v in non_null):
        return values.map(lambda v: np.nan if pd.isna(v) else float(v)).to_numpy(dtype="float64")
    return None


def differences(mart: str, expected: pd.DataFrame, actual: pd.DataFrame, max_shown: int = 3) -> list[str]:
    """Human-readable differences between two versions of one mart; empty when they agree."""
    keys = MART_KEYS[mart]
    missing, extra = set(expected.columns) - set(actual.columns), set(actual.columns) - set(expected.columns)
    if missing or extra:
        return [f"{mart}: columns missing {sorted(missing)}, unexpected {sorted(extra)}"]
    if len(expected) != len(actual):
        return [f"{mart}: {len(expected)} rows expected, {len(actual)} found"]
    expected, actual = _normalised(expected, keys), _normalised(actual[list(expected.columns)], keys)
    found = []
    for column in expected.columns:
        left, right = _as_numbers(expected[column]), _as_numbers(actual[column])
        if left is not None and right is not None:
            same = np.isclose(left, right, rtol=RELATIVE_TOLERANCE, atol=0, equal_nan=True)
        else:
            same = np.array([(pd.isna(a) and pd.isna(b)) or a == b
                             for a, b in zip(expected[column], actual[column], strict=True)])
        for i in np.flatnonzero(~same)[:max_shown]:
            key = ", ".join(str(expected.at[i, k]) for k in keys)
            found.append(f"{mart} [{key}] {column}: expected {expected.at[i, column]!r}, found {actual.at[i, column]!r}")
    return found
