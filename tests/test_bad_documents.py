"""A changed byte or a document without its table fails with a message naming the document, what
was expected and what was found, and lands nothing: the published warehouse stays byte-identical."""

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from core import paths
from core.errors import DocumentError
from orchestration.resources import Acquisition, WarehouseBuild
from orchestration.run_settings import years_tags
from scrapers.feeds import FEEDS
from warehouse.archive import load_registry, read_verified, record_document, write_registry
from warehouse.landing import ensure_schema, load, parse_documents

BULLETIN_2019 = "nbs-rd-bulletin/2019.html"


def landing_state(db) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT count(*), sum(hash(COLUMNS(*))) FROM landing.nbs_rd_bulletin"
        ).fetchone() + con.execute("SELECT count(*) FROM landing.documents").fetchone() + (db.read_bytes(),)


@pytest.fixture
def loaded_db(data_dir, raw_copy):
    """A published warehouse holding the good bulletins, built from the private raw copy."""
    db = paths.duckdb_path()
    feed = FEEDS["nbs_rd_bulletin"]
    with duckdb.connect(str(db)) as con:
        ensure_schema(con)
        load(con, parse_documents(feed, [r for r in load_registry(raw_copy) if r.feed == feed.name]), None)
    return db


def run_bulletin_2019(db):
    from orchestration.assets.feeds import feed_asset_defs

    bulletin = [a for a in feed_asset_defs if a.key.path[-1] == "nbs_rd_bulletin"]
    return materialize(bulletin, tags=years_tags([2019]), resources={"warehouse": WarehouseBuild(), "acquisition": Acquisition()},
                       instance=DagsterInstance.ephemeral(), raise_on_error=False)


def failure_message(result) -> str:
    return "\n".join(e.step_failure_data.user_failure_data.description
                     for e in result.all_events if e.is_step_failure)


def test_changed_byte_is_refused_before_parsing(raw_copy, loaded_db):
    before = landing_state(loaded_db)
    page = raw_copy / BULLETIN_2019
    content = bytearray(page.read_bytes())
    content[5000] ^= 0x01
    page.write_bytes(bytes(content))

    record = next(r for r in load_registry(raw_copy) if r.path == BULLETIN_2019)
    with pytest.raises(DocumentError, match=r"nbs-rd-bulletin/2019.html: expected sha256 .* found sha256"):
        read_verified(record, raw_copy)

    result = run_bulletin_2019(loaded_db)
    assert not result.success
    assert "nbs-rd-bulletin/2019.html: expected sha256" in failure_message(result)
    assert landing_state(loaded_db) == before


def test_document_without_its_table_fails_and_lands_nothing(raw_copy, loaded_db):
    before = landing_state(loaded_db)
    page = raw_copy / BULLETIN_2019
    html = page.read_text(encoding="utf-8")
    start = html.index("<table", html.index("年各地区研究与试验发展"))
    end = html.index("</table>", start) + len("</table>")
    page.write_text(html[:start] + html[end:], encoding="utf-8")
    # Re-record it, as if the publisher had served this page: the sha256 gate passes, the parser must not.
    records = load_registry(raw_copy)
    old = next(r for r in records if r.path == BULLETIN_2019)
    new = record_document(page, raw_copy, **{k: v for k, v in vars(old).items()
                                              if k not in ("path", "sha256", "bytes")})
    write_registry([r for r in records if r.path != BULLETIN_2019] + [new], raw_copy)

    result = run_bulletin_2019(loaded_db)
    assert not result.success
    message = failure_message(result)
    assert "nbs-rd-bulletin/2019.html: expected the regional table" in message
    assert "none with a 全国 row" in message
    assert landing_state(loaded_db) == before


def test_failed_pandera_check_stops_the_dbt_models(data_dir):
    """A bad row already in a landing table (written by anything but a validated load) fails the
    blocking check, and the models downstream do not run. (It names an archived document, or the load
    would remove it as a row of no archived document.)"""
    from dagster import AssetKey, AssetSelection

    from orchestration.definitions import defs

    db = paths.duckdb_path()
    archived = next(r.sha256 for r in load_registry() if r.feed == "nbs_rd_bulletin")
    with duckdb.connect(str(db)) as con:
        ensure_schema(con)
        con.execute("""INSERT INTO landing.nbs_rd_bulletin BY NAME SELECT
            '11' AS province_code, '北京' AS province, 2005 AS data_year, 'nbs_rd_bulletin' AS feed,
            'hand-edited' AS document_path, ? AS document_sha256, 2006 AS publication_year,
            382.1 AS rd_expenditure_100m_yuan, 61.7 AS rd_intensity_pct""", [archived])
    published = db.read_bytes()
    bulletin = [AssetKey(["raw", "nbs_rd_bulletin"]), AssetKey(["landing", "nbs_rd_bulletin"])]
    selection = AssetSelection.assets(*bulletin) | AssetSelection.checks_for_assets(*bulletin) \
        | AssetSelection.groups("staging", "intermediate", "marts", "reference")
    result = materialize(
        defs.assets, selection=selection, tags=years_tags([2019]),
        resources=defs.resources,
        instance=DagsterInstance.ephemeral(), raise_on_error=False,
    )
    checks = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    failed = checks["nbs_rd_bulletin_matches_schema"]
    assert failed.passed is False
    assert "61.7" in failed.metadata["failing_rows"].value and "hand-edited" in failed.metadata["failing_rows"].value
    materialized = {e.asset_key for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert AssetKey(["landing", "nbs_rd_bulletin"]) in materialized
    assert not any(key.path[0] in ("staging", "marts", "warehouse") for key in materialized)
    assert db.read_bytes() == published  # the bad row's warehouse was not republished, the run's copy dropped
