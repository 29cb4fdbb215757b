"""Named failures of a live fetch. Each names the URL, what was expected and what was found (as every
DocumentError does), a short machine name `kind`, and whether the same request may succeed later
(`retryable`), so a scheduler can tell "come back tomorrow" from "fix the source list"."""

from __future__ import annotations

from typing import ClassVar

from core.errors import DocumentError


class FetchError(DocumentError):
    kind: ClassVar[str]
    retryable: bool

    def __init__(self, url: str, expected: str, found: str, *, retryable: bool | None = None):
        super().__init__(url, expected, found)
        if retryable is not None:
            self.retryable = retryable

    @property
    def url(self) -> str:
        return self.document


class NotPublished(FetchError):
    """The document of a data year is not (yet) online where the source looks: not a failure of the refresh."""

    kind, retryable = "not_published", False


class HostNotAllowed(FetchError):
    kind, retryable = "host_not_allowed", False


class TooManyRedirects(FetchError):
    kind, retryable = "too_many_redirects", False


class HttpStatusError(FetchError):
    """A status other than success, 304 or a redirect, after the retries; 429 and 5xx may pass."""

    kind = "http_status"

    def __init__(self, url: str, status: int, reason: str):
        self.status = status
        super().__init__(url, "HTTP 200 with the document", f"HTTP {status} {reason}".strip(),
                         retryable=status == 429 or status >= 500)


class RetryAfterTooLong(FetchError):
    """The server asked for a longer pause than the client will sleep; come back after `retry_after_seconds`."""

    kind, retryable = "retry_after_too_long", True

    def __init__(self, url: str, expected: str, found: str, *, retry_after_seconds: float):
        self.retry_after_seconds = retry_after_seconds
        super().__init__(url, expected, found)


class FetchTimeout(FetchError):
    kind, retryable = "timeout", True

    def __init__(self, url: str, expected: str, found: str, *, phase: str):
        self.phase = phase  # "connect" or "read"
        super().__init__(url, expected, found)


class ConnectionReset(FetchError):
    kind, retryable = "connection_reset", True


class ConnectionFailed(FetchError):
    """No connection (refused, name not resolved, TLS failure) or another transport failure."""

    kind, retryable = "connection_failed", True


class ChallengePage(FetchError):
    """An anti-bot page (JavaScript that sets a cookie, 验证 / 访问过于频繁) instead of the document."""

    kind, retryable = "challenge_page", True


class ErrorPage(FetchError):
    """An error or login page served as if it were content (a "soft 404")."""

    kind, retryable = "error_page", False


class EmptyBody(FetchError):
    kind, retryable = "empty_body", True


class TruncatedBody(FetchError):
    """Fewer bytes than the Content-Length, or an HTML page that stops before </html>."""

    kind, retryable = "truncated_body", True


class UndecodableBody(FetchError):
    """Bytes that neither the declared charset, UTF-8 nor gb18030 decode."""

    kind, retryable = "undecodable_body", False
