"""Sensors: a drop in the inbox requests a refresh of its feed and years, once; a new bulletin on the
(local) NBS listing during the release window requests a live refresh of that year only."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from dagster import AssetKey, DagsterInstance, SkipReason, build_sensor_context

from core.paths import DOCUMENTS_DIR
from orchestration import sensors
from orchestration.resources import Acquisition
from orchestration.run_settings import run_years
from scrapers.feeds import FEEDS
from tests import local_http
from tests.local_http import LOOPBACK

loopback_server, httpserver = local_http.loopback_server, local_http.httpserver
# Every feed with a live source has a release sensor, named after it.
RELEASE_SENSOR = next(s for s in sensors.run_sensors if s.name == "nbs_rd_bulletin_release_sensor")


def test_inbox_drop_requests_one_refresh_of_its_feed_and_year(tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(tmp_path / "data"))
    context = build_sensor_context(instance=DagsterInstance.ephemeral())
    assert isinstance(sensors.inbox_sensor(context), SkipReason)

    drop = tmp_path / "data" / "inbox" / "csy_patent_grants" / "2022.xls"
    drop.parent.mkdir(parents=True)
    shutil.copyfile(DOCUMENTS_DIR / "csy-patent-grants-by-region" / "2022.xls", drop)
    drop.with_name("2022.xls.toml").write_text("data_year = 2022\n")  # sidecars do not trigger runs of their own

    result = sensors.inbox_sensor(context)
    (request,) = result.run_requests
    assert AssetKey(["raw", "csy_patent_grants"]) in request.asset_selection
    assert AssetKey(["raw", "nbs_rd_bulletin"]) not in request.asset_selection
    assert AssetKey(["warehouse", "published"]) in request.asset_selection
    assert run_years(request.tags) == [2022]

    again = sensors.inbox_sensor(build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=result.cursor))
    assert isinstance(again, SkipReason) and "already handed" in again.skip_message


LINK = '<a href="{href}" title="{year}年全国科技经费投入统计公报">{year}年全国科技经费投入统计公报</a>'
LISTING = ('<html><head><meta charset="utf-8"></head><body>'
           + LINK.format(href="/sj/zxfb/202510/t20251001_1.html", year=2024)
           + LINK.format(href="/sj/zxfb/202410/t20241002_1956810.html", year=2023)
           + '</body></html>').encode()


def test_new_bulletin_in_the_release_window_requests_a_live_refresh_of_that_year(httpserver, monkeypatch):
    httpserver.expect_request("/sj/tjgb/rdpcgb/qgkjjftrtjgb/").respond_with_data(LISTING, content_type="text/html")
    acquisition = Acquisition(base_url=httpserver.url_for("").rstrip("/"), allowed_hosts=[LOOPBACK],
                              min_request_interval_seconds=0.0, retries=0)
    monkeypatch.setattr(sensors, "in_release_window", lambda feed, moment: True)
    result = RELEASE_SENSOR(build_sensor_context(resources={"acquisition": acquisition}))
    (request,) = result.run_requests  # 2023 is archived; 2024 is new
    assert request.run_key == "nbs_rd_bulletin-2024"
    assert run_years(request.tags) == [2024]
    assert request.run_config["resources"]["acquisition"]["config"]["live"] is True


def test_outside_the_release_window_the_site_is_not_polled(monkeypatch):
    monkeypatch.setattr(sensors, "in_release_window", lambda feed, moment: False)
    result = RELEASE_SENSOR(build_sensor_context(resources={"acquisition": Acquisition()}))
    assert isinstance(result, SkipReason) and "outside the release window" in result.skip_message


def test_release_window_is_august_to_december_beijing_time():
    bulletin = FEEDS["nbs_rd_bulletin"]
    assert sensors.in_release_window(bulletin, datetime(2026, 7, 31, 17, 0, tzinfo=UTC))  # 1 August 01:00 in Beijing
    assert not sensors.in_release_window(bulletin, datetime(2026, 7, 31, 15, 0, tzinfo=UTC))
    assert not sensors.in_release_window(bulletin, datetime(2027, 1, 15, tzinfo=UTC))
