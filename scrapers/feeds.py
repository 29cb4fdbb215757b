"""Every feed, found by convention: a folder of scrapers/ with a feed.toml is a feed (core/feed.py).

Its folder holds everything that is that feed, each file found by its name:

    feed.toml   the spec: title, publication and edition rule, layout (title pattern, header aliases,
                units, gate floors), known jumps, and [live] where the documents are published online
    parse.py    parse(document) -> the landing rows, without provenance columns
    schema.py   the landing model: one Pandera model (a subclass of scrapers._landing_schema.Landing)
    source.py   only for a feed with [live]: discover(client, spec, base_url) and fetch(client, spec, ...)

Nothing else lists the feeds: the orchestration builds its assets, checks and sensors from FEEDS, and a
test proves dbt's landing sources name the same tables.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

import pandas as pd

from core.documents import RawDocument
from core.feed import FeedSpec, feed_names, load_spec
from scrapers._landing_schema import Landing


@dataclass(frozen=True)
class Feed:
    spec: FeedSpec
    parse: Callable[[RawDocument], pd.DataFrame]  # rows of the landing table, without provenance columns
    schema: type[Landing]  # validates the rows and generates the landing table's DDL
    source: ModuleType | None  # the live source (source.py), for a feed whose spec has [live]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def one_year_per_document(self) -> bool:
        return self.spec.one_year_per_document


def landing_model(module: ModuleType) -> type[Landing]:
    """The one landing model a feed's schema.py defines."""
    models = [value for value in vars(module).values()
              if inspect.isclass(value) and issubclass(value, Landing) and value.__module__ == module.__name__]
    if len(models) != 1:
        raise TypeError(f"{module.__name__} must define exactly one landing model (a subclass of Landing); "
                        f"found {[m.__name__ for m in models]}")
    return models[0]


def load_feed(name: str) -> Feed:
    spec = load_spec(name)
    source = import_module(f"scrapers.{name}.source") if spec.live is not None else None
    return Feed(spec, import_module(f"scrapers.{name}.parse").parse,
                landing_model(import_module(f"scrapers.{name}.schema")), source)


FEEDS: dict[str, Feed] = {name: load_feed(name) for name in feed_names()}
