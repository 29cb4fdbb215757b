"""Parser throughput over the real bundled documents.

    nice -n 10 .venv/bin/python -m bench.parsers [--repeats 7] [--profile]

Reads every document in documents once (sha256-verified, outside the timing), then parses all of
them `repeats` times. Targets: bulletin pages ≥ 50 /s, every bundled document parsed in < 1 s.
`--profile` writes a pyinstrument call tree of one pass to bench/out/parsers_profile.txt.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter, defaultdict

from bench.timing import profile_to_file, spread
from scrapers.feeds import FEEDS
from warehouse.archive import RawDocument, load_registry, read_verified

BULLETIN_FEED = "nbs_rd_bulletin"
BULLETIN_PAGES_PER_S_TARGET = 50
ALL_DOCUMENTS_S_TARGET = 1.0


def parse_all(documents: list[RawDocument]) -> dict[str, float]:
    """Parse every document once; wall seconds per feed."""
    seconds: dict[str, float] = defaultdict(float)
    for doc in documents:
        start = time.perf_counter()
        FEEDS[doc.record.feed].parse(doc)
        seconds[doc.record.feed] += time.perf_counter() - start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    documents = [read_verified(r) for r in load_registry()]
    counts = Counter(doc.record.feed for doc in documents)
    parse_all(documents)  # warm-up: imports, layouts, the province seed
    passes = [parse_all(documents) for _ in range(args.repeats)]

    totals = [sum(p.values()) for p in passes]
    print(f"{len(documents)} bundled documents, {args.repeats} passes (min / median / max)")
    print(f"  all documents, one pass    {spread(totals)}   target < {ALL_DOCUMENTS_S_TARGET:.1f} s")
    print(f"  documents/s                {len(documents) / max(totals):.0f} / "
          f"{len(documents) / statistics.median(totals):.0f} / {len(documents) / min(totals):.0f}")
    for feed in sorted(counts, key=lambda f: -sum(p[f] for p in passes)):
        per_pass = [p[feed] for p in passes]
        rates = [counts[feed] / s for s in per_pass]
        print(f"  {feed:<22} {counts[feed]:>3} docs  {spread(per_pass)}   "
              f"{min(rates):.0f} / {statistics.median(rates):.0f} / {max(rates):.0f} docs/s")
    bulletin_rates = [counts[BULLETIN_FEED] / p[BULLETIN_FEED] for p in passes]
    print(f"  bulletin pages/s (median)  {statistics.median(bulletin_rates):.0f}   "
          f"target ≥ {BULLETIN_PAGES_PER_S_TARGET}")
    if args.profile:
        print(f"profile: {profile_to_file(lambda: parse_all(documents), 'parsers_profile')}")


if __name__ == "__main__":
    main()
