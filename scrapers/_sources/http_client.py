"""A polite, robust HTTP client for official statistics sites: the live acquisition layer's transport.

Retries, backoff with jitter and Retry-After are urllib3's `Retry`, mounted on a `requests.Session`;
this module adds what Retry lacks: a ceiling on Retry-After (longer means "come back later"), one
request per second per host (retries included), an allowlist of official hosts checked on every
redirect hop, and the checks that tell a document from a challenge, error, empty or truncated page.
Every failure is a named `scrapers._sources.fetch_errors.FetchError`. The body is kept as bytes; the charset
that decodes it is recorded beside it.
"""

from __future__ import annotations

import codecs
import html
import re
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from http.client import RemoteDisconnected
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    IncompleteRead,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util.retry import Retry

from scrapers._sources.fetch_errors import (
    ChallengePage,
    ConnectionFailed,
    ConnectionReset,
    EmptyBody,
    ErrorPage,
    FetchError,
    FetchTimeout,
    HostNotAllowed,
    HttpStatusError,
    RetryAfterTooLong,
    TooManyRedirects,
    TruncatedBody,
    UndecodableBody,
)

SOURCES_DIR = Path(__file__).parent  # allowed_hosts.toml and page_markers.toml beside this file

PROJECT_VERSION = "0.1"
# Placeholder: set it to the repository or a contact page before fetching from the live site, so the
# site's operators can reach whoever runs the refresh.
CONTACT_URL = "https://github.com/OWNER/innovation-warehouse"
USER_AGENT = f"innovation-warehouse/{PROJECT_VERSION} (+{CONTACT_URL}; annual statistics refresh)"

# A handshake with stats.gov.cn takes well under a second; 10 s rides out a slow route without hanging a run.
CONNECT_TIMEOUT_SECONDS = 10.0
# The longest silence allowed between two reads of a response (articles are at most ~400 KB).
READ_TIMEOUT_SECONDS = 30.0
# Retries per fetch, each on a connection error, a read error or a RETRY_STATUSES answer.
RETRIES = 4
# urllib3 sleeps 0, 4, 8, 16 s before retries 1-4 (factor * 2**(n-1); the rate limiter still spaces the first), plus up
# to BACKOFF_JITTER_SECONDS at random so that parallel runs do not retry in step; no sleep, jitter included, exceeds BACKOFF_MAX.
BACKOFF_FACTOR_SECONDS = 2.0
BACKOFF_JITTER_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
# A Retry-After up to this long is slept; a longer one means "come back later": the fetch fails with
# RetryAfterTooLong instead of sleeping for an hour. With the backoff cap this bounds the time one fetch
# spends sleeping to RETRIES * max(BACKOFF_MAX_SECONDS, MAX_RETRY_AFTER_SECONDS).
MAX_RETRY_AFTER_SECONDS = 120.0
# At most one request per second to one host, retries and redirect hops included.
MIN_REQUEST_INTERVAL_SECONDS = 1.0
MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Where a page declares its charset: HTML says the first 1024 bytes; old pages put long comments first.
META_PRESCAN_BYTES = 4096

# The web's gb2312 and GBK labels mean the gb18030 decoder (WHATWG Encoding Standard): pages so labelled
# use GBK characters, and Python's gb2312 codec even decodes A1AA as ― (U+2015) where the page means —.
_DECODE_AS = {"gb2312": "gb18030", "gbk": "gb18030"}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_HTML_START = re.compile(rb"\s*<(?:!doctype\s+html|html)", re.I)
_HTML_END = re.compile(rb"</html\s*>", re.I)


@dataclass(frozen=True)
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content: bytes | None  # the body as received (after Content-Encoding); None when not modified
    etag: str | None
    last_modified: str | None
    declared_charset: str | None  # the Content-Type header's charset, else the page's <meta>
    detected_charset: str | None  # the charset that decoded the bytes cleanly; None when not modified
    content_type: str | None
    fetched_at: str  # ISO 8601, UTC
    not_modified: bool

    def text(self) -> str:
        if self.content is None or self.detected_charset is None:
            raise ValueError(f"{self.url}: not modified since the previous fetch, no content to decode")
        return self.content.decode(self.detected_charset)


@dataclass(frozen=True)
class FetchPolicy:
    """Timeouts, retries and pacing. The defaults are for the live site; tests shrink them."""

    connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    read_timeout: float = READ_TIMEOUT_SECONDS
    retries: int = RETRIES
    backoff_factor: float = BACKOFF_FACTOR_SECONDS
    backoff_jitter: float = BACKOFF_JITTER_SECONDS
    backoff_max: float = BACKOFF_MAX_SECONDS
    max_retry_after: float = MAX_RETRY_AFTER_SECONDS
    min_request_interval: float = MIN_REQUEST_INTERVAL_SECONDS
    max_redirects: int = MAX_REDIRECTS


@dataclass(frozen=True)
class PageMarkers:
    """What marks a challenge or an error page (`sources/page_markers.toml`), lower-cased."""

    small_page_max_bytes: int
    challenge_statuses: frozenset[int]
    challenge_anywhere: tuple[str, ...]
    challenge_small_page: tuple[str, ...]
    error_title: tuple[str, ...]
    error_anywhere: tuple[str, ...]
    error_small_page: tuple[str, ...]


def _read_toml(name: str) -> dict:
    return tomllib.loads((SOURCES_DIR / name).read_text(encoding="utf-8"))


@cache
def official_hosts() -> frozenset[str]:
    """The allowlist in `sources/allowed_hosts.toml`."""
    return frozenset(host.lower() for host in _read_toml("allowed_hosts.toml")["hosts"])


@cache
def page_markers() -> PageMarkers:
    data = _read_toml("page_markers.toml")

    def lowered(section: str, key: str) -> tuple[str, ...]:
        return tuple(marker.lower() for marker in data[section][key])

    return PageMarkers(data["small_page_max_bytes"], frozenset(data["challenge"]["statuses"]),
                       lowered("challenge", "anywhere"), lowered("challenge", "small_page"),
                       lowered("error_page", "title"), lowered("error_page", "anywhere"), lowered("error_page", "small_page"))


class HostRateLimiter:
    """Spaces requests to one host at least `min_interval` seconds apart. Slots are reserved under a lock,
    so threads sharing a client queue up instead of bursting. Clock and sleep are injectable for tests."""

    def __init__(self, min_interval: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.min_interval, self._clock, self._sleep = min_interval, clock, sleep
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + self.min_interval
        if slot > now:
            self._sleep(slot - now)


class _PoliteRetry(Retry):
    """urllib3's Retry with two more rules: a Retry-After longer than `max_retry_after` ends the retries
    (urllib3 then hands back that response, which the client reports), and every retry waits its turn
    at the per-host rate limiter like a first attempt (urllib3 sends the first retry at once)."""

    def __init__(self, *args, max_retry_after: float, limiter: HostRateLimiter, host: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.max_retry_after, self.limiter, self.host = max_retry_after, limiter, host

    def new(self, **kw) -> _PoliteRetry:
        return super().new(max_retry_after=self.max_retry_after, limiter=self.limiter, host=self.host, **kw)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None) -> _PoliteRetry:
        if response is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After of {wait:.0f} s"))
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if _pool is not None:
            retry.host = _pool.host
        return retry

    def sleep(self, response=None) -> None:
        super().sleep(response)
        self.limiter.wait(self.host)


def declared_charset(content_type: str | None, content: bytes) -> str | None:
    """The charset the server declares: the Content-Type header's, else the page's <meta charset> or http-equiv."""
    in_header = _HEADER_CHARSET.search(content_type or "")
    if in_header:
        return in_header.group(1).lower()
    in_meta = _META_CHARSET.search(content[:META_PRESCAN_BYTES])
    return in_meta.group(1).decode("ascii").lower() if in_meta else None


def decodable_charset(content: bytes, declared: str | None) -> str | None:
    """The first of the declared charset, UTF-8 and gb18030 that decodes the bytes without an error.
    UTF-8 comes before gb18030 because GBK text is almost never valid UTF-8, while UTF-8 text often is
    valid gb18030 (as mojibake)."""
    tried: list[str] = []
    for name in (declared, "utf-8", "gb18030"):
        try:
            charset = codecs.lookup(name).name if name else None
        except LookupError:  # a misspelt or unknown declaration
            continue
        charset = _DECODE_AS.get(charset, charset)
        if charset is None or charset in tried:
            continue
        tried.append(charset)
        try:
            content.decode(charset)
        except UnicodeDecodeError:
            continue
        return charset
    return None


def _causes(error: BaseException) -> list[BaseException]:
    """The error and all it wraps: requests wraps urllib3's errors, which wrap the socket's."""
    found: list[BaseException] = []
    pending: list[object] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        pending.extend([*current.args, getattr(current, "reason", None), current.__cause__, current.__context__])
    return found


def _transport_error(url: str, error: requests.RequestException, policy: FetchPolicy) -> FetchError:
    causes = _causes(error)

    def first(kind: type[BaseException]) -> BaseException | None:
        return next((cause for cause in causes if isinstance(cause, kind)), None)

    attempts = f" in {policy.retries + 1} attempts" if first(MaxRetryError) else ""
    if (short := first(IncompleteRead)) is not None:
        return TruncatedBody(url, "as many bytes as the Content-Length announced",
                             f"the connection closed after {short.partial} bytes, {short.expected} bytes short")
    if first(ReadTimeoutError):
        return FetchTimeout(url, f"a response within the {policy.read_timeout:g} s read timeout",
                            f"silence{attempts}", phase="read")
    if (refused := first(NewConnectionError)) is not None:  # a subclass of ConnectTimeoutError: test it first
        return ConnectionFailed(url, "a connection", f"{refused}{attempts}")
    if first(ConnectTimeoutError):
        return FetchTimeout(url, f"a connection within the {policy.connect_timeout:g} s connect timeout",
                            f"no connection{attempts}", phase="connect")
    if (reset := first((ConnectionResetError, ConnectionAbortedError, BrokenPipeError, RemoteDisconnected))) is not None:
        return ConnectionReset(url, "a response", f"the server reset or closed the connection ({reset!r}){attempts}")
    return ConnectionFailed(url, "a response", f"{type(error).__name__}: {error}")


def page_title(text: str) -> str:
    """The text of the page's <title>, unescaped; empty when it has none."""
    found = _TITLE.search(text)
    return html.unescape(found.group(1)).strip() if found else ""


def _find_marker(content: bytes, markers: tuple[str, ...]) -> str | None:
    """The first marker in the bytes. Searched as bytes, spelt in UTF-8 and in gb18030, because a
    challenge's declared charset is not to be trusted (a UTF-8 page labelled gbk decodes as mojibake)."""
    lowered = content.lower()  # lowers ASCII bytes only: ASCII markers ignore case, others are matched as they are
    for marker in markers:
        if marker.isascii():
            found = marker.encode() in lowered
        else:
            found = marker.encode() in content or marker.encode("gb18030") in content
        if found:
            return marker
    return None


def _refuse_challenge(url: str, status: int, content: bytes) -> None:
    markers = page_markers()
    if not (200 <= status < 300 or status in markers.challenge_statuses):
        return  # a plain 404 stays an HTTP error even if its page sets a cookie
    small = len(content) <= markers.small_page_max_bytes
    marker = _find_marker(content, markers.challenge_anywhere + (markers.challenge_small_page if small else ()))
    if marker is not None:
        raise ChallengePage(url, "the document", f"an anti-bot challenge page ({len(content)} bytes, contains {marker!r})")


def _refuse_error_page(url: str, content: bytes, title: str) -> None:
    markers = page_markers()
    small = len(content) <= markers.small_page_max_bytes
    marker = (next((m for m in markers.error_title if m in title.lower()), None)
              or _find_marker(content, markers.error_anywhere + (markers.error_small_page if small else ())))
    if marker is not None:
        raise ErrorPage(url, "the document",
                        f"an error or login page titled {title!r} ({len(content)} bytes, contains {marker!r})")


class HttpClient:
    """Fetches documents from allowlisted hosts. `fetch` returns a FetchResult or raises a FetchError.

    `allowed_hosts` defaults to `sources/allowed_hosts.toml`; `limiter` defaults to one limiter per client
    with the policy's interval (share one between clients that must not overlap on a host)."""

    def __init__(self, policy: FetchPolicy = FetchPolicy(), *, allowed_hosts: Iterable[str] | None = None,
                 limiter: HostRateLimiter | None = None, user_agent: str = USER_AGENT):
        self.policy = policy
        self.allowed_hosts = frozenset(host.lower() for host in (official_hosts() if allowed_hosts is None else allowed_hosts))
        self.limiter = limiter or HostRateLimiter(policy.min_request_interval)
        self._retry = _PoliteRetry(
            total=policy.retries, connect=policy.retries, read=policy.retries, status=policy.retries,
            other=0,  # TLS and protocol failures do not heal by retrying
            redirect=False,  # this client follows redirects itself, checking each hop's host
            allowed_methods=frozenset({"GET"}), status_forcelist=RETRY_STATUSES, respect_retry_after_header=True,
            raise_on_status=False,  # hand back the last answer so the error names its status
            backoff_factor=policy.backoff_factor, backoff_jitter=policy.backoff_jitter, backoff_max=policy.backoff_max,
            max_retry_after=policy.max_retry_after, limiter=self.limiter,
        )
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": user_agent, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        adapter = HTTPAdapter(max_retries=self._retry)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET `url`. With the ETag / Last-Modified of a previous fetch, an unchanged document comes back as
        `not_modified=True` without content."""
        headers = {name: value for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if value}
        current = url
        for _ in range(self.policy.max_redirects + 1):
            self._refuse_unlisted_host(current, requested=url)
            response = self._get(current, headers)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return self._result(url, response, etag, last_modified)
            current = urljoin(current, location)
        raise TooManyRedirects(url, f"at most {self.policy.max_redirects} redirects", f"more, the last to {current}")

    def _refuse_unlisted_host(self, url: str, *, requested: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme in ("http", "https") and host in self.allowed_hosts:
            return
        via = "" if url == requested else f", reached by a redirect from {requested}"
        raise HostNotAllowed(url, f"an http(s) URL on an allowed host ({', '.join(sorted(self.allowed_hosts))})",
                             f"host {host!r}{via}")

    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        self.limiter.wait((urlsplit(url).hostname or "").lower())
        try:
            return self._session.get(url, headers=headers, allow_redirects=False,
                                     timeout=(self.policy.connect_timeout, self.policy.read_timeout))
        except requests.RequestException as error:
            raise _transport_error(url, error, self.policy) from error

    def _refuse_long_retry_after(self, url: str, response: requests.Response) -> None:
        value = response.headers.get("Retry-After")
        if value is None or response.status_code < 400:
            return
        seconds = self._retry.parse_retry_after(value)
        if seconds > self.policy.max_retry_after:
            raise RetryAfterTooLong(url, f"a Retry-After of at most {self.policy.max_retry_after:g} s",
                                    f"HTTP {response.status_code} asking to wait {seconds:.0f} s (Retry-After: {value})",
                                    retry_after_seconds=seconds)

    def _result(self, url: str, response: requests.Response, etag: str | None, last_modified: str | None) -> FetchResult:
        final_url, status = response.url, response.status_code
        content_type = response.headers.get("Content-Type")
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        if status == 304:  # unchanged: the validators sent still hold unless the server sent new ones
            return FetchResult(url, final_url, status, None, response.headers.get("ETag", etag),
                               response.headers.get("Last-Modified", last_modified), None, None, content_type, fetched_at, True)
        self._refuse_long_retry_after(final_url, response)
        content = response.content
        declared = declared_charset(content_type, content)
        detected = decodable_charset(content, declared)
        _refuse_challenge(final_url, status, content)
        if not 200 <= status < 300:
            raise HttpStatusError(final_url, status, response.reason or "")
        if not content:
            raise EmptyBody(final_url, "a document", f"HTTP {status} with an empty body")
        _refuse_error_page(final_url, content, page_title(content.decode(detected or "gb18030", errors="replace")))
        if ("html" in (content_type or "").lower() or _HTML_START.match(content)) and not _HTML_END.search(content):
            raise TruncatedBody(final_url, "an HTML page ending in </html>", f"{len(content)} bytes ending in {content[-40:]!r}")
        if detected is None:
            raise UndecodableBody(final_url, f"bytes in {declared or 'an undeclared charset'}, UTF-8 or gb18030",
                                  f"{len(content)} bytes none of them decodes")
        return FetchResult(url, final_url, status, content, response.headers.get("ETag"), response.headers.get("Last-Modified"),
                           declared, detected, content_type, fetched_at, False)
