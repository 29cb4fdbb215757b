"""New documents through both acquisition paths in one refresh — a revised bulletin fetched live from
a local NBS site and a licensed Torch table dropped into the inbox — and the vintage switch.

One refresh (one dbt build) serves all the assertions, to keep the suite fast:
- the revised bulletin lands as a second version of its document; the run summary names the changed
  row with old and new values; the marts follow the vintage rule (earliest by default);
- the Torch table flows into marts.cluster_stage_efficiency.transformation_stage_efficiency;
- rebuilding with `vintage: latest` switches both publication vintages (天津 2018: bulletin 2.62 →
  CSY 2024 3.68) and document versions (北京 2023 bulletin: 2947.1 → the revised 2950.0).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from core import paths
from orchestration.refresh import refresh
from tests import local_http
from tests.local_http import saved_bulletin
from tests.test_inbox import write_test_only_torch_table
from tests.test_live_refresh import acquisition, edited_2023, revise_beijing, site

loopback_server, httpserver = local_http.loopback_server, local_http.httpserver
# One worker takes the whole module (`make test` runs --dist loadgroup): its fixture is a refresh, paid once.
pytestmark = pytest.mark.xdist_group("new_documents")


@pytest.fixture(scope="module")
def refreshed(built_warehouse, loopback_server, tmp_path_factory):
    """A copy of the session's warehouse after one refresh that brought both new documents."""
    root = tmp_path_factory.mktemp("new-documents")
    copy = root / "data" / "innovation.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(built_warehouse, copy)
    variables = {"WAREHOUSE_DATA_DIR": str(root / "data")}
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        profits = write_test_only_torch_table(root / "data" / "inbox" / "torch_hightech_enterprise" / "2023.xls", 2023)
        page = edited_2023(revise_beijing)
        loopback_server.clear()
        result = refresh(years=[2023], live=True, feeds=["nbs_rd_bulletin", "torch_hightech_enterprise"],
                         acquisition=acquisition(site(loopback_server, page)), instance=DagsterInstance.ephemeral())
        yield {"result": result, "warehouse": copy, "archive": root / "data" / "archive", "page": page,
               "profits": profits, "root": root}
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_the_refresh_published(refreshed):
    assert refreshed["result"].success, refreshed["result"].failures
    assert refreshed["result"].summary.status == "published"


def test_revised_bulletin_lands_as_a_second_version(refreshed):
    result, copy = refreshed["result"], refreshed["warehouse"]
    assert refreshed["page"] != saved_bulletin(2023).encode()
    (year,) = [o for o in result.summary.outcomes if o["feed"] == "nbs_rd_bulletin" and o["data_year"] == 2023]
    assert year["status"] == "revised"
    assert [(r["province"], r["rd_expenditure_100m_yuan"]) for r in year["rows_changed"]] == [("北京", [2947.1, 2950.0])]
    assert "北京: rd_expenditure_100m_yuan 2947.1 → 2950.0" in result.summary.text
    with duckdb.connect(str(copy), read_only=True) as con:
        versions = con.execute("SELECT version_number, archive, is_selected_version FROM staging.stg_documents "
                               "WHERE document_key = 'nbs_rd_bulletin/2024/2023' ORDER BY version_number").fetchall()
        mart = con.execute("SELECT rd_expenditure_100m_yuan FROM marts.province_rd_ranking "
                           "WHERE year = 2023 AND province = '北京'").fetchall()
    assert versions == [(1, "bundled", True), (2, "acquired", False)]  # earliest: the first copy received
    assert mart == [(2947.1,)]
    (stored,) = (refreshed["archive"] / "objects").rglob("*.html")
    assert stored.read_bytes() == refreshed["page"] and not stored.stat().st_mode & 0o222  # immutable copy


def test_licensed_torch_table_flows_into_transformation_stage_efficiency(refreshed):
    result, copy, profits = refreshed["result"], refreshed["warehouse"], refreshed["profits"]
    assert "torch_hightech_enterprise" in result.summary.text and "new 2023" in result.summary.text
    assert not list((refreshed["root"] / "inbox").rglob("*.xls"))  # taken in, out of the inbox
    with duckdb.connect(str(copy), read_only=True) as con:
        rows = con.execute("""
            SELECT cluster, transformation_stage_efficiency, hightech_enterprise_net_profit_next_year_100m_yuan,
                   rd_expenditure_100m_yuan
            FROM marts.cluster_stage_efficiency WHERE year = 2022 ORDER BY cluster""").fetchall()
        members = dict(con.execute("""SELECT cluster, list(province) FROM reference.cluster_membership
                                      WHERE 2023 BETWEEN valid_from_year AND valid_to_year GROUP BY cluster""").fetchall())
        still_null = con.execute("SELECT count(*) FROM marts.cluster_stage_efficiency WHERE year = 2021 "
                                 "AND transformation_stage_efficiency IS NULL").fetchall()[0][0]
    assert len(rows) == 4
    for cluster, efficiency, profit, rd in rows:
        assert profit == pytest.approx(sum(profits[p] for p in members[cluster]))
        assert efficiency == pytest.approx(profit / rd)
    assert still_null == 4  # no Torch table for 2022, so t = 2021 stays NULL with its reason


def test_latest_vintage_switches_publications_and_document_versions(refreshed, tmp_path):
    copy = tmp_path / "latest.duckdb"
    shutil.copy(refreshed["warehouse"], copy)
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run([str(dbt), "run", "--quiet", "--profiles-dir", ".", "--target-path", str(tmp_path / "target"),
                    "--select", "stg_documents+", "--exclude", "rd_vintage_revisions", "--vars", "{vintage: latest}"],
                   cwd=paths.DBT_PROJECT_DIR, env={**os.environ, "DBT_BUILD_DUCKDB_PATH": str(copy)}, check=True)
    with duckdb.connect(str(copy), read_only=True) as con:
        tianjin = con.execute("SELECT rd_intensity_pct, rd_intensity_vintage FROM marts.province_rd_ranking "
                              "WHERE year = 2018 AND province = '天津'").fetchall()
        beijing = con.execute("SELECT rd_expenditure_100m_yuan FROM staging.stg_nbs_rd_bulletin "
                              "WHERE data_year = 2023 AND province = '北京'").fetchall()
    assert tianjin == [(3.68, "csy 2024")]  # the newest edition instead of the bulletin's 2.62
    assert beijing == [(2950.0,)]  # the newest copy of the bulletin instead of the first one
