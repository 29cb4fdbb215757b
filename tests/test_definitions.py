"""The Definitions load, and the dbt project parses into the assets and checks Dagster expects."""

import json

from dagster import AssetKey, DagsterInstance

from scrapers.feeds import FEEDS

MARTS = ["province_rd_ranking", "cluster_indicators", "cluster_stage_efficiency", "tech_market_balance"]


def test_definitions_load_every_asset_check_job_and_schedule():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    for feed in FEEDS:
        assert AssetKey(["raw", feed]) in keys and AssetKey(["landing", feed]) in keys
    for mart in MARTS:
        assert AssetKey(["marts", mart]) in keys
    check_names = {k.name for k in graph.asset_check_keys}
    assert {f"{feed}_matches_schema" for feed in FEEDS} <= check_names
    assert any(name.startswith("unique_combination_cluster_stage_efficiency") for name in check_names)
    assert defs.resolve_job_def("materialize_everything") is not None
    assert defs.resolve_schedule_def("annual_refresh").cron_schedule == "0 6 20 12 *"


def test_one_year_feeds_are_partitioned_by_year_and_back_series_are_not():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    for name, feed in FEEDS.items():
        partitions = graph.get(AssetKey(["landing", name])).partitions_def
        assert (partitions is not None) == feed.one_year_per_document, name


def test_every_dbt_model_is_documented():
    # The manifest `make` parsed (the Definitions load the same file).
    from orchestration.dbt_project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for mart in MARTS:
        assert models[mart]["schema"] == "marts"
        assert models[mart]["description"], f"{mart} is undocumented"
    undocumented = [m for m, n in models.items() if not n["description"]]
    assert undocumented == []


def test_annual_schedule_requests_every_archived_year():
    from datetime import datetime

    from dagster import build_schedule_context

    from orchestration.schedules import annual_refresh

    context = build_schedule_context(scheduled_execution_time=datetime(2026, 12, 20, 6))
    request = annual_refresh(context)
    assert request.run_key == "annual-2026"
    assert request.tags["dagster/asset_partition_range_start"] == "2010"
    assert request.tags["dagster/asset_partition_range_end"] == "2023"


def test_the_private_dagster_names_we_lean_on_are_still_there():
    """orchestration/dagster_api.py holds every Dagster name outside its public API; a Dagster upgrade that
    moves one fails here, not in a run."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
    from dagster_dbt import DbtCliResource

    from orchestration import dagster_api

    assert (dagster_api.PARTITION_RANGE_START_TAG, dagster_api.PARTITION_RANGE_END_TAG) == (
        ASSET_PARTITION_RANGE_START_TAG, ASSET_PARTITION_RANGE_END_TAG)
    assert callable(DbtCliResource._initialize_dbt_core_adapter) and hasattr(DbtCliResource, "_cli_version")
    storage = DagsterInstance.ephemeral().event_log_storage
    assert callable(storage.get_concurrency_run_ids) and callable(storage.free_concurrency_slots_for_run)


def test_landing_sources_feed_dbt_lineage_from_their_assets():
    """dbt's landing sources name their producing assets (meta.dagster.asset_key): every landing table and
    landing.documents is upstream of the staging model that reads it."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    for name in [*FEEDS, "documents"]:
        staging = AssetKey(["staging", f"stg_{name}"])
        assert AssetKey(["landing", name]) in graph.get(staging).parent_keys, name
