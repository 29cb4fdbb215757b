"""Print the run summaries of two live refreshes against a local NBS site (127.0.0.1), for people.

    WAREHOUSE_DUCKDB_PATH=/tmp/demo/w/innovation.duckdb WAREHOUSE_ARCHIVE_DIR=/tmp/demo/archive \
    DAGSTER_HOME=/tmp/demo/dh .venv/bin/python -m tests.live_site_demo

(after `make run` with the same variables has built the warehouse, and DAGSTER_HOME holds a copy of
orchestration/dagster.yaml). The site lists the bulletins of 2018-2023 and serves the real pages,
re-encoded to GBK as the live site does; first its 2023 page is a challenge page, then a revision of
北京's 2023 R&D expenditure (2947.1 → 2950.0 亿元). The same scenarios are asserted in
test_live_refresh.py.
"""

import hashlib

from pytest_httpserver import HTTPServer

from core import paths
from orchestration.refresh import refresh
from tests.local_http import CHALLENGE_PAGE, bulletin_as_gbk
from tests.test_live_refresh import LISTING, acquisition, edited_2023, revise_beijing

LINK = '<li><a href="/sj/zxfb/{year}.html" title="{year}年全国科技经费投入统计公报">{year}年全国科技经费投入统计公报</a></li>'


def serve(server: HTTPServer, page_2023: bytes) -> None:
    server.clear()
    links = "".join(LINK.format(year=year) for year in range(2018, 2024))
    listing = f'<html><head><meta charset="utf-8"></head><body><ul>{links}</ul></body></html>'
    server.expect_request(LISTING).respond_with_data(listing, content_type="text/html; charset=utf-8")
    for year in range(2018, 2023):
        server.expect_request(f"/sj/zxfb/{year}.html").respond_with_data(
            bulletin_as_gbk(year), content_type="text/html; charset=gbk", headers={"ETag": f'"{year}-a"'})
    server.expect_request("/sj/zxfb/2023.html").respond_with_data(page_2023, content_type="text/html; charset=utf-8")


def published_sha256() -> str:
    return hashlib.sha256(paths.duckdb_path().read_bytes()).hexdigest()


def main() -> None:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.no_handler_status_code = 404  # as a real site answers an unknown path
    server.start()
    try:
        settings = acquisition(server.url_for("").rstrip("/")) | {"min_request_interval_seconds": 1.0}
        serve(server, CHALLENGE_PAGE)
        before = published_sha256()
        result = refresh(live=True, acquisition=settings)
        print(f"=== 2023 page answered by a challenge page: success {result.success}; "
              f"published file byte-identical: {published_sha256() == before}")
        print(result.summary.text)
        serve(server, edited_2023(revise_beijing))
        result = refresh(live=True, acquisition=settings)
        print(f"=== 2023 bulletin revised on the site: success {result.success}")
        print(result.summary.text)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
