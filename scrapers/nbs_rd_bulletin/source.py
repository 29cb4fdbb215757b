"""The live source of the NBS R&D bulletin (全国科技经费投入统计公报): finding and fetching a data year's page.

What every live source offers the intake (warehouse/intake.py) and the release sensor: `discover` (the
document URLs listed online, by data year), `listed_urls` (the same, or none when the listing is gone)
and `fetch` (one data year's document, conditionally).

The listing page is read for links titled like the bulletin; a year it does not show (or a listing
that is gone) falls back to the confirmed article URLs. A URL under a moved path (/tjsj/ -> /sj/ in
2023) that answers 404 is tried again at the new path. A fetched page must carry the year's bulletin
title in its <title>, so a wrong link never reaches the archive. Where to look is data:
the [live] section of this feed's feed.toml.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup

from core.feed import spec_of
from scrapers._sources.fetch_errors import FetchError, HttpStatusError, NotPublished
from scrapers._sources.http_client import FetchResult, HttpClient, official_hosts, page_title

log = logging.getLogger(__name__)

SPEC = spec_of(__file__)
# Answers that mean the URL is wrong rather than the site unwell: the next candidate URL is tried.
GONE_STATUSES = frozenset({404, 410})


class WrongDocument(FetchError):
    """A page that is not the bulletin of the requested data year."""

    kind, retryable = "wrong_document", False


class BulletinNotFound(NotPublished):
    """Neither the listing nor the confirmed URLs lead to the bulletin of the year."""

    kind = "bulletin_not_found"


@dataclass(frozen=True)
class MovedPath:
    old_prefix: str
    new_prefix: str
    on_status: frozenset[int]


@dataclass(frozen=True)
class BulletinSources:
    title_template: str  # "{year}年全国科技经费投入统计公报", year = data year
    listing_urls: tuple[str, ...]
    moved_paths: tuple[MovedPath, ...]
    articles: Mapping[int, str]  # confirmed article URL by data year

    def title(self, data_year: int) -> str:
        return self.title_template.format(year=data_year)

    def link_title(self) -> re.Pattern[str]:
        """A link text that is exactly a bulletin's title (not an article about it, such as a 解读)."""
        before, after = self.title_template.split("{year}")
        return re.compile(re.escape(before) + r"(?P<year>\d{4})" + re.escape(after))


@cache
def bulletin_sources() -> BulletinSources:
    data = SPEC.live
    moves = tuple(MovedPath(m["old_prefix"], m["new_prefix"], frozenset(m["on_status"])) for m in data["moved_paths"])
    articles = {int(year): url for year, url in data["articles"].items()}
    return BulletinSources(data["title"], tuple(data["listing_urls"]), moves, articles)


def rebase(url: str, base_url: str | None) -> str:
    """`url` on `base_url`'s scheme and host when it points at an official host; unchanged without a base_url.
    Tests point base_url at a local server."""
    parts = urlsplit(url)
    if base_url is None or (parts.hostname or "").lower() not in official_hosts():
        return url
    base = urlsplit(base_url)
    return urlunsplit(parts._replace(scheme=base.scheme, netloc=base.netloc))


def discover(client: HttpClient, *, base_url: str | None = None) -> dict[int, str]:
    """Bulletin article URLs by data year, from the links on the listing page(s); the first link of a year wins."""
    sources = bulletin_sources()
    link_title = sources.link_title()
    found: dict[int, str] = {}
    for listing_url in sources.listing_urls:
        listing = client.fetch(rebase(listing_url, base_url))
        for link in BeautifulSoup(listing.text(), "lxml").find_all("a", href=True):
            for label in (link.get_text(), link.get("title", "")):
                match = link_title.fullmatch(re.sub(r"\s+", "", label))
                if match:
                    found.setdefault(int(match["year"]), rebase(urljoin(listing.final_url, link["href"]), base_url))
                    break
    return found


def listed_urls(client: HttpClient, *, base_url: str | None = None) -> dict[int, str]:
    """`discover`, or no links when the listing is gone (a 404): the confirmed URLs are then the candidates.

    A retryable failure (site unwell, a challenge) is raised: another URL would fare no better now."""
    try:
        return discover(client, base_url=base_url)
    except FetchError as error:
        if error.retryable:
            raise
        log.warning("bulletin listing unusable, using the confirmed URLs: %s", error)
        return {}


def fetch(client: HttpClient, data_year: int, previous: Mapping | None = None, *, base_url: str | None = None,
                   known_urls: Mapping[int, str] | None = None) -> FetchResult:
    """The bulletin page of `data_year` (published in data_year + 1).

    `previous`: the previous fetch of that year (`dataclasses.asdict(FetchResult)` or any mapping with
    "etag" and "last_modified"); an unchanged page then comes back with `not_modified=True`.
    `known_urls`: the result of `discover` when fetching several years; without it the listing is read.
    """
    sources = bulletin_sources()
    previous = previous or {}
    candidates = _candidate_urls(client, data_year, sources, base_url, known_urls)
    gone: list[str] = []
    for url in candidates:
        try:
            result = _fetch_following_moves(client, url, sources.moved_paths, previous.get("etag"), previous.get("last_modified"))
        except HttpStatusError as error:
            if error.status not in GONE_STATUSES:
                raise
            gone.append(f"HTTP {error.status} at {error.url}")
            continue
        if not result.not_modified:
            _check_is_bulletin(result, data_year, sources)
        return result
    raise BulletinNotFound(" or ".join(candidates), f"the page titled {sources.title(data_year)}", "; ".join(gone))


def _candidate_urls(client: HttpClient, data_year: int, sources: BulletinSources, base_url: str | None,
                    known_urls: Mapping[int, str] | None) -> list[str]:
    if known_urls is None:
        known_urls = listed_urls(client, base_url=base_url)
    confirmed = sources.articles.get(data_year)
    candidates = [url for url in (known_urls.get(data_year), rebase(confirmed, base_url) if confirmed else None) if url]
    if not candidates:
        listings = ", ".join(rebase(url, base_url) for url in sources.listing_urls)
        raise BulletinNotFound(listings, f"a link titled {sources.title(data_year)} "
                               f"(or a confirmed URL in [live.articles] of scrapers/{SPEC.name}/feed.toml)",
                               f"links for data years {sorted(known_urls) or 'none'}")
    return list(dict.fromkeys(candidates))


def _moved_url(url: str, status: int, moved_paths: tuple[MovedPath, ...]) -> str | None:
    parts = urlsplit(url)
    for move in moved_paths:
        if status in move.on_status and parts.path.startswith(move.old_prefix):
            return urlunsplit(parts._replace(path=move.new_prefix + parts.path[len(move.old_prefix):]))
    return None


def _fetch_following_moves(client: HttpClient, url: str, moved_paths: tuple[MovedPath, ...], etag: str | None,
                           last_modified: str | None) -> FetchResult:
    try:
        return client.fetch(url, etag=etag, last_modified=last_modified)
    except HttpStatusError as error:
        moved = _moved_url(url, error.status, moved_paths)
        if moved is None:
            raise
        log.info("%s answered HTTP %s; trying the moved path %s", url, error.status, moved)
        return client.fetch(moved, etag=etag, last_modified=last_modified)


def _check_is_bulletin(result: FetchResult, data_year: int, sources: BulletinSources) -> None:
    """The <title> must name the year's bulletin itself; quoting it in 《》 is an article about it (a 解读)."""
    expected = sources.title(data_year)
    title = page_title(result.text())
    if not re.search(f"(?<!《){re.escape(expected)}(?!》)", title):
        raise WrongDocument(result.final_url, f"the page titled {expected}",
                            f"a page titled {title!r}" if title else "a page without a <title>")
