"""A local HTTP server, socket faults and fast fetch settings for the live-fetch tests: all on 127.0.0.1."""

from __future__ import annotations

import re
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from pytest_httpserver import HTTPServer

from core.paths import DOCUMENTS_DIR
from scrapers._sources.http_client import FetchPolicy, HttpClient

LOOPBACK = "127.0.0.1"
BULLETIN_DIR = DOCUMENTS_DIR / "nbs-rd-bulletin"
# Small timeouts, no backoff and no pacing, so a fault costs tenths of a second; tests that are about
# pacing or Retry-After set their own.
FAST_POLICY = FetchPolicy(connect_timeout=0.3, read_timeout=0.3, retries=2, backoff_factor=0.0, backoff_jitter=0.0,
                          max_retry_after=5.0, min_request_interval=0.0)
# What a WAF serves a fast client instead of the page: small, UTF-8, JavaScript that sets a cookie.
CHALLENGE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>安全验证</title>
<script>document.cookie="__jsl_clearance=1732600000.123|0|abc;max-age=3600;path=/";location.href=location.pathname</script>
</head><body>访问过于频繁，请稍后再试</body></html>""".encode()


@pytest.fixture(scope="module")
def loopback_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host=LOOPBACK, port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def httpserver(loopback_server: HTTPServer) -> HTTPServer:
    """pytest-httpserver's fixture, on 127.0.0.1 (the plugin's own listens on "localhost"), cleared per test."""
    loopback_server.clear()
    return loopback_server


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(FAST_POLICY, allowed_hosts={LOOPBACK}) as fast_client:
        yield fast_client


def fast_client(**policy_changes) -> HttpClient:
    return HttpClient(replace(FAST_POLICY, **policy_changes), allowed_hosts={LOOPBACK})


def saved_bulletin(data_year: int) -> str:
    """The real bulletin page as saved from the official site (UTF-8)."""
    return (BULLETIN_DIR / f"{data_year}.html").read_text(encoding="utf-8")


def bulletin_as_gbk(data_year: int, *, meta_charset: str = "gbk") -> bytes:
    """The real page as a GBK site serves it: `meta_charset` in its <meta>, characters GBK lacks as numeric references."""
    page = re.sub(r'(<meta\s+charset=")[^"]*(")', rf"\g<1>{meta_charset}\g<2>", saved_bulletin(data_year), count=1, flags=re.I)
    page = re.sub(r"(<meta[^>]*content=\"text/html;\s*charset=)[^\"]*", rf"\g<1>{meta_charset}", page, count=1, flags=re.I)
    return page.encode("gbk", errors="xmlcharrefreplace")


def _read_request(connection: socket.socket) -> None:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(4096)
        if not chunk:
            return
        received += chunk


def reset(connection: socket.socket) -> None:
    """Read the request, then abort the connection with a TCP RST (SO_LINGER 0) instead of answering."""
    _read_request(connection)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def answer(raw_response: bytes) -> Callable[[socket.socket], None]:
    """Read the request, send these bytes as they are (headers and all), close."""

    def send(connection: socket.socket) -> None:
        _read_request(connection)
        connection.sendall(raw_response)
        connection.close()

    return send


class ScriptedSocketServer:
    """A TCP server on 127.0.0.1 that treats the n-th connection with the n-th behaviour (the last one
    repeats): for faults an HTTP server will not commit, such as a reset or a short body."""

    def __init__(self, *behaviours: Callable[[socket.socket], None]):
        self.behaviours, self.connections = behaviours, 0
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(0.05)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self._listener.getsockname()[1]}{path}"

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            behaviour = self.behaviours[min(self.connections, len(self.behaviours) - 1)]
            self.connections += 1
            behaviour(connection)

    def __enter__(self) -> ScriptedSocketServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        self._thread.join()
        self._listener.close()


@contextmanager
def silent_port() -> Iterator[int]:
    """A port whose listener never accepts: the kernel completes the handshake, then nothing ever answers."""
    with socket.create_server((LOOPBACK, 0), backlog=8) as listener:
        yield listener.getsockname()[1]


@contextmanager
def full_backlog_port() -> Iterator[int]:
    """A port whose listener never accepts and whose accept queue is full, so the kernel drops new SYNs and
    connect() times out: a connect timeout without leaving 127.0.0.1."""
    fillers: list[socket.socket] = []
    with socket.create_server((LOOPBACK, 0), backlog=0) as listener:
        try:
            for _ in range(8):
                filler = socket.socket()
                filler.settimeout(0.1)
                fillers.append(filler)
                try:
                    filler.connect(listener.getsockname())
                except TimeoutError:
                    break  # the queue is full
            else:
                raise AssertionError("the accept queue never filled; no connect timeout to test")
            yield listener.getsockname()[1]
        finally:
            for filler in fillers:
                filler.close()
