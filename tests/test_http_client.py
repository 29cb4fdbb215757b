"""Fault injection for the live HTTP client against real sockets on 127.0.0.1 (offline, a few seconds)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from werkzeug import Request, Response

from scrapers._sources.fetch_errors import (
    ChallengePage,
    EmptyBody,
    ErrorPage,
    FetchError,
    FetchTimeout,
    HostNotAllowed,
    HttpStatusError,
    RetryAfterTooLong,
    TruncatedBody,
    UndecodableBody,
)
from scrapers._sources.http_client import USER_AGENT, HostRateLimiter, HttpClient, official_hosts
from tests import local_http
from tests.local_http import (
    CHALLENGE_PAGE,
    FAST_POLICY,
    LOOPBACK,
    ScriptedSocketServer,
    answer,
    bulletin_as_gbk,
    fast_client,
    full_backlog_port,
    reset,
    saved_bulletin,
    silent_port,
)

# Fixtures shared with test_nbs_bulletin_source.py (assigned, not imported: the linter reads an imported
# fixture taken as an argument as a redefinition).
loopback_server, httpserver, client = local_http.loopback_server, local_http.httpserver, local_http.client

SMALL_PAGE = "<html><head><title>ok</title></head><body>ok</body></html>"


def assert_named(error: FetchError, kind: str, retryable: bool, url: str) -> None:
    assert (error.kind, error.retryable, error.url) == (kind, retryable, url)
    assert url in str(error) and error.expected in str(error) and error.found in str(error)


def recording(times: list[float], clock, response: Response):
    """A handler that notes when each request arrived (by `clock`) before answering."""

    def handler(request: Request) -> Response:
        times.append(clock())
        return response

    return handler


# Transport faults


def test_connect_timeout_is_retried_then_named():
    with full_backlog_port() as port, fast_client(connect_timeout=0.2, retries=1) as slow_host:
        url = f"http://{LOOPBACK}:{port}/sj/"
        with pytest.raises(FetchTimeout) as raised:
            slow_host.fetch(url)
    assert_named(raised.value, "timeout", True, url)
    assert raised.value.phase == "connect" and raised.value.found.endswith("in 2 attempts")


def test_read_timeout_is_retried_then_named():
    with silent_port() as port, fast_client(read_timeout=0.2, retries=1) as silent_host:
        url = f"http://{LOOPBACK}:{port}/sj/"
        with pytest.raises(FetchTimeout) as raised:
            silent_host.fetch(url)
    assert_named(raised.value, "timeout", True, url)
    assert raised.value.phase == "read" and raised.value.found.endswith("in 2 attempts")


def test_connection_reset_is_retried_then_named(client):
    with ScriptedSocketServer(reset) as server:
        url = server.url("/sj/zxfb/")
        with pytest.raises(FetchError) as raised:
            client.fetch(url)
    assert_named(raised.value, "connection_reset", True, url)
    assert server.connections == FAST_POLICY.retries + 1


def test_connection_reset_once_is_survived(client):
    body = SMALL_PAGE.encode()
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with ScriptedSocketServer(reset, answer(ok)) as server:
        result = client.fetch(server.url("/sj/"))
    assert (result.status, result.content, server.connections) == (200, body, 2)


def test_body_shorter_than_content_length_is_truncated(client):
    body = SMALL_PAGE.encode()
    short = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(body) + 5000, body)
    with ScriptedSocketServer(answer(short)) as server:
        url = server.url("/sj/")
        with pytest.raises(TruncatedBody) as raised:
            client.fetch(url)
    assert_named(raised.value, "truncated_body", True, url)
    assert "5000 bytes short" in raised.value.found


# Status codes and Retry-After


def test_server_error_is_retried_then_named(httpserver, client):
    httpserver.expect_request("/sj/").respond_with_data("busy", status=500)
    url = httpserver.url_for("/sj/")
    with pytest.raises(HttpStatusError) as raised:
        client.fetch(url)
    assert_named(raised.value, "http_status", True, url)
    assert raised.value.status == 500 and len(httpserver.log) == FAST_POLICY.retries + 1


def test_not_found_is_not_retried_nor_taken_for_a_challenge(httpserver, client):
    cookie_setting_404 = "<html><script>document.cookie='visited=1'</script><body>页面不存在</body></html>"
    httpserver.expect_request("/tjsj/gone.html").respond_with_data(cookie_setting_404, status=404)
    url = httpserver.url_for("/tjsj/gone.html")
    with pytest.raises(HttpStatusError) as raised:
        client.fetch(url)
    assert_named(raised.value, "http_status", False, url)
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_is_honoured_then_success(httpserver, client, status):
    arrivals: list[float] = []
    httpserver.expect_ordered_request("/sj/").respond_with_handler(
        recording(arrivals, time.monotonic, Response("later", status=status, headers={"Retry-After": "1"})))
    httpserver.expect_ordered_request("/sj/").respond_with_handler(
        recording(arrivals, time.monotonic, Response(SMALL_PAGE, content_type="text/html; charset=utf-8")))
    result = client.fetch(httpserver.url_for("/sj/"))
    assert result.status == 200 and result.content == SMALL_PAGE.encode()
    assert arrivals[1] - arrivals[0] >= 1.0


@pytest.mark.parametrize("retry_after", ["3600", format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)],
                         ids=["seconds", "http_date"])
def test_retry_after_too_long_gives_up_without_sleeping(httpserver, client, retry_after):
    httpserver.expect_request("/sj/").respond_with_data("later", status=503, headers={"Retry-After": retry_after})
    url = httpserver.url_for("/sj/")
    started = time.monotonic()
    with pytest.raises(RetryAfterTooLong) as raised:
        client.fetch(url)
    assert_named(raised.value, "retry_after_too_long", True, url)
    assert raised.value.retry_after_seconds > 3000 and len(httpserver.log) == 1
    assert time.monotonic() - started < FAST_POLICY.max_retry_after


# Pages that are not the document


@pytest.mark.parametrize(("challenge_status", "content_type", "challenge"), ids=["200", "412", "521_labelled_gbk"], argvalues=[
    (200, "text/html; charset=utf-8", CHALLENGE_PAGE),
    (412, "text/html; charset=utf-8", CHALLENGE_PAGE),
    # Labelled with the site's usual charset, the UTF-8 words decode as gb18030 mojibake: still recognised.
    (521, "text/html; charset=gbk", "<html><head><title>安全验证</title></head><body>访问过于频繁</body></html>".encode()),
])
def test_challenge_page_on_a_gbk_site(httpserver, client, challenge_status, content_type, challenge):
    gbk_page = bulletin_as_gbk(2023)
    httpserver.expect_ordered_request("/sj/").respond_with_data(gbk_page, content_type="text/html; charset=gbk")
    httpserver.expect_ordered_request("/sj/").respond_with_data(challenge, status=challenge_status, content_type=content_type)
    url = httpserver.url_for("/sj/")
    assert client.fetch(url).detected_charset == "gb18030"
    with pytest.raises(ChallengePage) as raised:
        client.fetch(url)
    assert_named(raised.value, "challenge_page", True, url)


@pytest.mark.parametrize("page", ids=["soft_404", "login_form"], argvalues=[
    "<html><head><title>404 页面不存在</title></head><body>对不起，您访问的页面不存在</body></html>",
    '<html><head><title>国家统计局</title></head><body><form><input type="password" name="pw"></form></body></html>',
])
def test_error_or_login_page_served_as_200(httpserver, client, page):
    httpserver.expect_request("/sj/").respond_with_data(page, content_type="text/html; charset=utf-8")
    url = httpserver.url_for("/sj/")
    with pytest.raises(ErrorPage) as raised:
        client.fetch(url)
    assert_named(raised.value, "error_page", False, url)


def test_empty_body(httpserver, client):
    httpserver.expect_request("/sj/").respond_with_data(b"", content_type="text/html; charset=gbk")
    url = httpserver.url_for("/sj/")
    with pytest.raises(EmptyBody) as raised:
        client.fetch(url)
    assert_named(raised.value, "empty_body", True, url)


def test_html_cut_before_its_end_is_truncated(httpserver, client):
    page = bulletin_as_gbk(2023)
    httpserver.expect_request("/sj/").respond_with_data(page[: len(page) // 2], content_type="text/html; charset=gbk")
    url = httpserver.url_for("/sj/")
    with pytest.raises(TruncatedBody) as raised:
        client.fetch(url)
    assert_named(raised.value, "truncated_body", True, url)
    assert "</html>" in raised.value.expected


def test_bytes_no_charset_decodes(httpserver, client):
    httpserver.expect_request("/sj/").respond_with_data(b"<html>" + b"\x80\xff" * 20 + b"</html>", content_type="text/html")
    url = httpserver.url_for("/sj/")
    with pytest.raises(UndecodableBody) as raised:
        client.fetch(url)
    assert_named(raised.value, "undecodable_body", False, url)


# Decoding the real bulletin


@pytest.mark.parametrize("data_year", [2018, 2023])
@pytest.mark.parametrize(("content_type", "meta_charset", "declared"), [
    ("text/html; charset=GBK", "gbk", "gbk"),  # declared in the header
    ("text/html", "gb2312", "gb2312"),  # only in the page; GBK characters (—, 體) beyond gb2312
    ("text/html; charset=utf-8", "utf-8", "utf-8"),  # declared wrongly: the bytes are GBK
])
def test_real_gbk_bulletin_is_decoded_and_kept_as_bytes(httpserver, client, data_year, content_type, meta_charset, declared):
    page = bulletin_as_gbk(data_year, meta_charset=meta_charset)
    httpserver.expect_request("/sj/zxfb/article.html").respond_with_data(page, content_type=content_type)
    result = client.fetch(httpserver.url_for("/sj/zxfb/article.html"))
    assert result.content == page
    assert (result.declared_charset, result.detected_charset) == (declared, "gb18030")
    assert result.text() == page.decode("gbk")
    assert f"{data_year}年全国科技经费投入统计公报" in result.text() and "各地区研究与试验发展" in result.text()


def test_saved_utf8_bulletin_is_decoded_as_utf8(httpserver, client):
    page = saved_bulletin(2022).encode()
    httpserver.expect_request("/sj/").respond_with_data(page, content_type="text/html")
    result = client.fetch(httpserver.url_for("/sj/"))
    assert (result.content, result.declared_charset, result.detected_charset) == (page, "utf-8", "utf-8")


# Conditional GET


def test_unchanged_page_comes_back_not_modified(httpserver, client):
    etag, last_modified = '"5f3a-61c2"', "Wed, 02 Oct 2024 01:00:00 GMT"
    httpserver.expect_ordered_request("/sj/").respond_with_data(
        SMALL_PAGE, content_type="text/html; charset=utf-8", headers={"ETag": etag, "Last-Modified": last_modified})
    httpserver.expect_ordered_request("/sj/", headers={"If-None-Match": etag, "If-Modified-Since": last_modified}
                                      ).respond_with_data(b"", status=304, headers={"ETag": etag})
    url = httpserver.url_for("/sj/")
    first = client.fetch(url)
    again = client.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert (first.etag, first.last_modified, first.not_modified) == (etag, last_modified, False)
    assert (again.status, again.not_modified, again.content) == (304, True, None)
    assert (again.etag, again.last_modified) == (etag, last_modified)
    with pytest.raises(ValueError, match="not modified"):
        again.text()


# Hosts and redirects


def test_redirect_within_the_allowlist_is_followed(httpserver, client):
    httpserver.expect_request("/tjsj/old.html").respond_with_data("", status=301, headers={"Location": "/sj/new.html"})
    httpserver.expect_request("/sj/new.html").respond_with_data(SMALL_PAGE, content_type="text/html; charset=utf-8")
    result = client.fetch(httpserver.url_for("/tjsj/old.html"))
    assert (result.url, result.final_url) == (httpserver.url_for("/tjsj/old.html"), httpserver.url_for("/sj/new.html"))


def test_redirect_to_a_host_off_the_allowlist_is_refused_unrequested(httpserver, client):
    # "localhost" reaches the same server, so a request that slipped through would show in its log.
    elsewhere = f"http://localhost:{httpserver.port}/elsewhere"
    httpserver.expect_request("/sj/").respond_with_data("", status=302, headers={"Location": elsewhere})
    httpserver.expect_request("/elsewhere").respond_with_data(SMALL_PAGE)
    with pytest.raises(HostNotAllowed) as raised:
        client.fetch(httpserver.url_for("/sj/"))
    assert_named(raised.value, "host_not_allowed", False, elsewhere)
    assert httpserver.url_for("/sj/") in str(raised.value)
    assert [request.path for request, _ in httpserver.log] == ["/sj/"]


def test_a_host_off_the_allowlist_is_never_requested(httpserver):
    url = f"http://localhost:{httpserver.port}/sj/"
    with HttpClient(FAST_POLICY) as official_only, pytest.raises(HostNotAllowed) as raised:
        official_only.fetch(url)
    assert_named(raised.value, "host_not_allowed", False, url)
    assert official_hosts() == {"www.stats.gov.cn", "stats.gov.cn"} and httpserver.log == []


def test_user_agent_names_the_project_and_a_contact(httpserver, client):
    httpserver.expect_request("/sj/", headers={"User-Agent": USER_AGENT}).respond_with_data(
        SMALL_PAGE, content_type="text/html; charset=utf-8")
    assert client.fetch(httpserver.url_for("/sj/")).status == 200
    assert USER_AGENT.startswith("innovation-warehouse/") and "+https://" in USER_AGENT


# Pacing


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_to_one_host_are_spaced_retries_included(httpserver):
    clock = FakeClock()
    limiter = HostRateLimiter(1.0, clock=clock.time, sleep=clock.sleep)
    arrivals: list[float] = []
    for status in (500, 503, 200):  # two retried answers, then the page
        httpserver.expect_ordered_request("/sj/a.html").respond_with_handler(
            recording(arrivals, clock.time, Response(SMALL_PAGE, status=status, content_type="text/html; charset=utf-8")))
    httpserver.expect_ordered_request("/sj/b.html").respond_with_handler(
        recording(arrivals, clock.time, Response(SMALL_PAGE, content_type="text/html; charset=utf-8")))
    with HttpClient(FAST_POLICY, allowed_hosts={LOOPBACK}, limiter=limiter) as paced:
        paced.fetch(httpserver.url_for("/sj/a.html"))
        paced.fetch(httpserver.url_for("/sj/b.html"))
    assert len(arrivals) == 4
    assert all(later - earlier >= limiter.min_interval for earlier, later in zip(arrivals, arrivals[1:], strict=False))


def test_rate_limit_is_per_host():
    clock = FakeClock()
    limiter = HostRateLimiter(1.0, clock=clock.time, sleep=clock.sleep)
    limiter.wait("www.stats.gov.cn")
    limiter.wait("stats.gov.cn")
    assert clock.now == 0.0
    clock.now = 0.25
    limiter.wait("www.stats.gov.cn")
    assert clock.now == 1.0
