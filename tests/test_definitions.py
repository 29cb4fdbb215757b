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
    for suffix in ("matches_schema", "is_plausible", "is_current", "quarantine_is_empty"):  # evaluated in the assets
        assert {f"{feed}_{suffix}" for feed in FEEDS} <= check_names
    assert {f"{mart}_rules" for mart in MARTS} <= check_names  # dbt's set-based tests, one per model
    assert defs.resolve_job_def("materialize_everything") is not None
    assert defs.resolve_schedule_def("annual_refresh").cron_schedule == "0 6 20 12 *"


def test_the_years_are_data_not_partitions():
    """One materialization per feed and layer handles every year (BENCHMARKS.md, "Years as data"), and each feed's
    checks run in the step of the asset they check: no asset is partitioned, no check is a step of its own."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    assert [key for key in graph.get_all_asset_keys() if graph.get(key).partitions_def is not None] == []
    assert list(defs.asset_checks or ()) == []
    blocking = {spec.name for assets in defs.assets for spec in getattr(assets, "check_specs", ()) if spec.blocking}
    assert {f"{feed}_matches_schema" for feed in FEEDS} <= blocking


def test_a_years_tag_limits_the_run_and_rejects_what_is_not_a_year():
    import pytest

    from orchestration.run_settings import YEARS_TAG, run_years, years_tags

    assert run_years(years_tags([2023, 2021, 2021])) == [2021, 2023]
    assert run_years({}) is None and years_tags(None) == {}
    with pytest.raises(ValueError, match="innovation/years='2021,twenty'"):
        run_years({YEARS_TAG: "2021,twenty"})


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

    from orchestration.run_settings import run_years
    from orchestration.schedules import annual_refresh

    context = build_schedule_context(scheduled_execution_time=datetime(2026, 12, 20, 6))
    request = annual_refresh(context)
    assert request.run_key == "annual-2026"
    assert run_years(request.tags) is None  # every archived year


def test_the_private_dagster_names_we_lean_on_are_still_there():
    """orchestration/dagster_api.py holds every Dagster name outside its public API; a Dagster upgrade that
    moves one fails here, not in a run."""
    from dagster_dbt import DbtCliResource

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
