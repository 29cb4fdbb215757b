"""A live refresh against a local NBS site (127.0.0.1): every fault ends in a named outcome in the run
summary, and the published warehouse is byte-identical afterwards; a revised bulletin becomes a new
version of the document, listed row by row in the summary, and the vintage rule decides what marts use.

The client-level behaviour of each fault is in test_http_client.py; here each one goes through a
real refresh (Dagster job, staging copy, publish step).
"""

from __future__ import annotations

import pytest
from dagster import DagsterInstance
from werkzeug import Response

from orchestration.refresh import refresh
from tests import local_http
from tests.local_http import (
    CHALLENGE_PAGE,
    LOOPBACK,
    ScriptedSocketServer,
    answer,
    bulletin_as_gbk,
    full_backlog_port,
    reset,
    saved_bulletin,
    silent_port,
)
from tests.test_malformed_documents import append_differing_copy, edited_page, row_cells, set_cell, set_text

loopback_server, httpserver = local_http.loopback_server, local_http.httpserver

LISTING = "/sj/tjgb/rdpcgb/qgkjjftrtjgb/"
ARTICLE_2023 = "/sj/zxfb/202410/t20241002_1956810.html"
TITLE_2023 = "2023年全国科技经费投入统计公报"
LISTING_PAGE = (f'<html><head><meta charset="utf-8"><title>全国科技经费投入统计公报</title></head><body><ul>'
                f'<li><a href="{ARTICLE_2023}" title="{TITLE_2023}">{TITLE_2023}</a></li></ul></body></html>').encode()


def acquisition(base_url: str) -> dict:
    """The Acquisition resource pointed at the local site, with tenth-of-a-second timeouts and no pacing."""
    return {"base_url": base_url, "allowed_hosts": [LOOPBACK], "connect_timeout_seconds": 0.3,
            "read_timeout_seconds": 0.3, "retries": 1, "backoff_factor_seconds": 0.0,
            "max_retry_after_seconds": 2.0, "min_request_interval_seconds": 0.0}


def refresh_2023(base_url: str):
    return refresh(years=[2023], live=True, feeds=["nbs_rd_bulletin"], acquisition=acquisition(base_url),
                   instance=DagsterInstance.ephemeral())


def site(server, page: bytes | Response, *, listing: bytes | Response = LISTING_PAGE) -> str:
    for path, body in ((LISTING, listing), (ARTICLE_2023, page)):
        if isinstance(body, Response):
            server.expect_request(path).respond_with_response(body)
        else:
            server.expect_request(path).respond_with_data(body, content_type="text/html; charset=utf-8")
    return server.url_for("").rstrip("/")


def edited_2023(edit) -> bytes:
    """The real 2023 page with `edit(root, regional_tables)` applied (to both copies the page carries)."""
    return edited_page(edit)(saved_bulletin(2023).encode("utf-8"))


def rename_expenditure_header(root, tables) -> None:
    for table in tables:
        set_text(row_cells(next(table.iter("tr")))[1], "经费支出（亿元）")


def revise_beijing(root, tables) -> None:
    """北京's 2023 R&D expenditure revised from 2947.1 to 2950.0 亿元 (the national total stays within rounding)."""
    for table in tables:
        set_cell(table, "北京", 1, "2950.0")


def summary_reason(result) -> str:
    return "\n".join(o["reason"] for o in result.summary.outcomes if o["status"] == "failed")


@pytest.fixture
def published(built_warehouse):
    """The session's published warehouse; every test here must leave its bytes exactly as they were."""
    before = built_warehouse.read_bytes()
    yield built_warehouse
    assert built_warehouse.read_bytes() == before, "the published warehouse changed"


def test_connect_timeout(published):
    with full_backlog_port() as port:
        result = refresh_2023(f"http://{LOOPBACK}:{port}")
    assert not result.success and "timeout:" in summary_reason(result) and "connect" in summary_reason(result)


def test_read_timeout(published):
    with silent_port() as port:
        result = refresh_2023(f"http://{LOOPBACK}:{port}")
    assert not result.success and summary_reason(result).startswith("timeout:")


def test_connection_reset(published):
    with ScriptedSocketServer(reset) as server:
        result = refresh_2023(server.url(""))
    assert not result.success and summary_reason(result).startswith("connection_reset:")


def test_truncated_body(published):
    short = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 90000\r\n\r\n<html><head>"
    with ScriptedSocketServer(answer(short)) as server:
        result = refresh_2023(server.url(""))
    assert not result.success and summary_reason(result).startswith("truncated_body:")


def test_server_error_500(published, httpserver):
    result = refresh_2023(site(httpserver, Response("busy", status=500), listing=Response("busy", status=500)))
    assert not result.success and summary_reason(result).startswith("http_status:") and "500" in summary_reason(result)


def test_503_with_retry_after_is_waited_out(published, httpserver):
    httpserver.expect_ordered_request(LISTING).respond_with_response(Response("later", status=503, headers={"Retry-After": "1"}))
    base = site(httpserver, saved_bulletin(2023).encode())
    result = refresh_2023(base)
    # The real page again, after the wait: same figures as the archived copy, so nothing to publish.
    assert result.success, result.failures
    assert "same figures as the archived version" in result.summary.text


def test_429_with_a_too_long_retry_after(published, httpserver):
    result = refresh_2023(site(httpserver, b"", listing=Response("slow down", status=429, headers={"Retry-After": "3600"})))
    assert not result.success and summary_reason(result).startswith("retry_after_too_long:")


def test_challenge_page_on_a_gbk_site(published, httpserver):
    result = refresh_2023(site(httpserver, CHALLENGE_PAGE))
    assert not result.success and summary_reason(result).startswith("challenge_page:")


def test_gbk_encoded_real_page_has_the_same_figures(published, httpserver):
    httpserver.expect_request(ARTICLE_2023).respond_with_data(bulletin_as_gbk(2023), content_type="text/html; charset=gbk")
    result = refresh_2023(site(httpserver, b"never served"))
    assert result.success, result.failures
    assert "same figures as the archived version" in result.summary.text and "gb18030" in result.summary.text


def test_renamed_header_is_refused(published, httpserver):
    result = refresh_2023(site(httpserver, edited_2023(rename_expenditure_header)))
    assert not result.success and summary_reason(result).startswith("unexpected_document:")
    assert ARTICLE_2023 in summary_reason(result) and "经费支出(亿元)" in summary_reason(result)


def test_duplicated_table_with_other_values_is_refused(published, httpserver):
    result = refresh_2023(site(httpserver, edited_2023(append_differing_copy)))
    assert not result.success and "copies that differ" in summary_reason(result)


def test_304_not_modified(published, httpserver):
    page = saved_bulletin(2023).encode()
    httpserver.expect_ordered_request(LISTING).respond_with_data(LISTING_PAGE, content_type="text/html")
    httpserver.expect_ordered_request(ARTICLE_2023).respond_with_response(Response(page, headers={"ETag": '"v1"'},
                                                                                  content_type="text/html; charset=utf-8"))
    httpserver.expect_ordered_request(LISTING).respond_with_data(LISTING_PAGE, content_type="text/html")
    httpserver.expect_ordered_request(ARTICLE_2023, headers={"If-None-Match": '"v1"'}).respond_with_response(Response(status=304))
    base = httpserver.url_for("").rstrip("/")
    assert refresh_2023(base).success
    second = refresh_2023(base)
    assert second.success, second.failures
    assert "304 not modified" in second.summary.text


def test_redirect_to_a_host_off_the_allowlist(published, httpserver):
    elsewhere = httpserver.url_for(ARTICLE_2023).replace(LOOPBACK, "localhost")
    result = refresh_2023(site(httpserver, Response(status=302, headers={"Location": elsewhere})))
    assert not result.success and summary_reason(result).startswith("host_not_allowed:")
