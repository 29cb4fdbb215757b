"""Finding and fetching the NBS R&D bulletin against a local copy of the site on 127.0.0.1, serving the
real saved pages re-encoded as GBK (offline)."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

import pytest

from scrapers._sources.fetch_errors import ChallengePage
from scrapers.nbs_rd_bulletin.source import (
    BulletinNotFound,
    WrongDocument,
    bulletin_sources,
    discover,
    fetch,
    rebase,
)
from tests import local_http
from tests.local_http import CHALLENGE_PAGE, bulletin_as_gbk

# Fixtures shared with test_http_client.py (assigned, not imported: see there).
loopback_server, httpserver, client = local_http.loopback_server, local_http.httpserver, local_http.client

LISTING_PATH = urlsplit(bulletin_sources().listing_urls[0]).path
GBK_HTML = "text/html; charset=gbk"
ARTICLE_2023 = "/sj/zxfb/202410/t20241002_1956810.html"
ARTICLE_2022 = "/sj/zxfb/202309/t20230918_1942920.html"
# Not a confirmed URL: a /tjsj/-era path as an old listing would link it, to exercise the move to /sj/.
ARTICLE_2018_OLD = "/tjsj/zxfb/201908/t20190830_1694746.html"


def listing_page(links: list[tuple[str, str, str]]) -> bytes:
    """A listing page like the site's: (link text, title attribute, href) per item, served as GBK."""
    items = "".join(f'<li><a href="{href}" title="{title}" target="_blank">{text}</a><span>2024-10-02</span></li>'
                    for text, title, href in links)
    return (f'<!DOCTYPE html><html><head><meta charset="gbk"><title>全国科技经费投入统计公报 - 国家统计局</title></head>'
            f'<body><ul class="list-content">{items}</ul></body></html>').encode("gbk")


def title(year: int) -> str:
    return bulletin_sources().title(year)


STANDARD_LISTING = listing_page([
    ("国家统计局社科文司统计师解读《2023年全国科技经费投入统计公报》", "", "/sj/sjjd/202410/t20241002_1956811.html"),
    (title(2023), title(2023), "https://www.stats.gov.cn" + ARTICLE_2023),  # absolute, on the official host
    (title(2022), title(2022), "../../../zxfb/202309/t20230918_1942920.html"),  # relative to the listing
    ("2021年全国科技经费投入统...", title(2021), "/sj/zxfb/202302/t20230203_1901565.html"),  # text cut, full title kept
    ("2023年国民经济和社会发展统计公报", "", "/sj/zxfb/202402/t20240228_1947915.html"),
    (title(2018), title(2018), ARTICLE_2018_OLD),
])


def serve_listing(httpserver, page: bytes = STANDARD_LISTING) -> None:
    httpserver.expect_request(LISTING_PATH).respond_with_data(page, content_type=GBK_HTML)


def test_discover_reads_the_titled_links_only(httpserver, client):
    serve_listing(httpserver)
    base = httpserver.url_for("/")
    assert discover(client, base_url=base) == {
        2023: httpserver.url_for(ARTICLE_2023),
        2022: httpserver.url_for(ARTICLE_2022),
        2021: httpserver.url_for("/sj/zxfb/202302/t20230203_1901565.html"),
        2018: httpserver.url_for(ARTICLE_2018_OLD),
    }
    assert rebase("https://www.gov.cn/zhengce/", base) == "https://www.gov.cn/zhengce/"  # only official hosts move


def test_fetch_bulletin_finds_verifies_and_keeps_the_real_gbk_page(httpserver, client):
    serve_listing(httpserver)
    page = bulletin_as_gbk(2023)
    httpserver.expect_request(ARTICLE_2023).respond_with_data(page, content_type=GBK_HTML)
    result = fetch(client, 2023, base_url=httpserver.url_for("/"))
    assert (result.final_url, result.content, result.not_modified) == (httpserver.url_for(ARTICLE_2023), page, False)
    assert title(2023) in result.text()


def test_old_tjsj_path_that_is_gone_is_tried_under_sj(httpserver, client):
    serve_listing(httpserver)
    moved = ARTICLE_2018_OLD.replace("/tjsj/", "/sj/", 1)
    httpserver.expect_request(ARTICLE_2018_OLD).respond_with_data("", status=404)
    httpserver.expect_request(moved).respond_with_data(bulletin_as_gbk(2018), content_type=GBK_HTML)
    result = fetch(client, 2018, base_url=httpserver.url_for("/"))
    assert result.final_url == httpserver.url_for(moved) and title(2018) in result.text()
    assert [request.path for request, _ in httpserver.log] == [LISTING_PATH, ARTICLE_2018_OLD, moved]


def test_confirmed_url_when_the_listing_is_gone(httpserver, client):
    httpserver.expect_request(LISTING_PATH).respond_with_data("", status=404)
    httpserver.expect_request(ARTICLE_2022).respond_with_data(bulletin_as_gbk(2022), content_type=GBK_HTML)
    result = fetch(client, 2022, base_url=httpserver.url_for("/"))
    assert result.url == rebase(bulletin_sources().articles[2022], httpserver.url_for("/")) == httpserver.url_for(ARTICLE_2022)


def test_challenged_listing_is_raised_not_worked_around(httpserver, client):
    httpserver.expect_request(LISTING_PATH).respond_with_data(CHALLENGE_PAGE, content_type="text/html; charset=utf-8")
    with pytest.raises(ChallengePage) as raised:
        fetch(client, 2023, base_url=httpserver.url_for("/"))
    listing = httpserver.url_for(LISTING_PATH)
    assert (raised.value.kind, raised.value.retryable, raised.value.url) == ("challenge_page", True, listing)
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("page", ids=["other_year", "interpretation"], argvalues=[
    bulletin_as_gbk(2022),
    bulletin_as_gbk(2023).replace(title(2023).encode("gbk"), f"统计师解读《{title(2023)}》".encode("gbk")),
])
def test_page_that_is_not_the_years_bulletin(httpserver, client, page):
    serve_listing(httpserver)
    httpserver.expect_request(ARTICLE_2023).respond_with_data(page, content_type=GBK_HTML)
    url = httpserver.url_for(ARTICLE_2023)
    with pytest.raises(WrongDocument) as raised:
        fetch(client, 2023, base_url=httpserver.url_for("/"))
    assert (raised.value.kind, raised.value.retryable, raised.value.url) == ("wrong_document", False, url)
    assert url in str(raised.value) and title(2023) in raised.value.expected


def test_year_neither_listed_nor_confirmed(httpserver, client):
    serve_listing(httpserver)
    with pytest.raises(BulletinNotFound) as raised:
        fetch(client, 2017, base_url=httpserver.url_for("/"))
    assert (raised.value.kind, raised.value.retryable) == ("bulletin_not_found", False)
    assert httpserver.url_for(LISTING_PATH) in str(raised.value) and "2018, 2021, 2022, 2023" in raised.value.found


def test_every_candidate_gone(httpserver, client):
    serve_listing(httpserver, listing_page([(title(2022), title(2022), "/sj/zxfb/202309/t20230918_0000000.html")]))
    httpserver.expect_request("/sj/zxfb/202309/t20230918_0000000.html").respond_with_data("", status=404)
    httpserver.expect_request(ARTICLE_2022).respond_with_data("", status=410)
    with pytest.raises(BulletinNotFound) as raised:
        fetch(client, 2022, base_url=httpserver.url_for("/"))
    assert raised.value.kind == "bulletin_not_found"
    assert "HTTP 404 at" in raised.value.found and f"HTTP 410 at {httpserver.url_for(ARTICLE_2022)}" in raised.value.found


def test_unchanged_bulletin_comes_back_not_modified(httpserver, client):
    etag = '"2023-bulletin-v1"'
    page = bulletin_as_gbk(2023)
    httpserver.expect_ordered_request(ARTICLE_2023).respond_with_data(page, content_type=GBK_HTML, headers={"ETag": etag})
    httpserver.expect_ordered_request(ARTICLE_2023, headers={"If-None-Match": etag}).respond_with_data(b"", status=304)
    known = {2023: httpserver.url_for(ARTICLE_2023)}  # as discover() returned it: no listing request
    first = fetch(client, 2023, known_urls=known)
    again = fetch(client, 2023, dataclasses.asdict(first), known_urls=known)
    assert (first.etag, first.content) == (etag, page)
    assert (again.not_modified, again.content, again.etag) == (True, None, etag)
    assert [request.path for request, _ in httpserver.log] == [ARTICLE_2023, ARTICLE_2023]
