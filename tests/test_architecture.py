"""The tree keeps its shape: imports run one way (core → scrapers → warehouse → serve → orchestration), every
feed is one folder found by convention, and dbt's landing sources name exactly the feeds."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from core import paths
from core.feed import FEED_FILE, feed_names
from scrapers.feeds import FEEDS

LAYERS = ["core", "scrapers", "warehouse", "serve", "orchestration"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(root)}, capture_output=True,
                          text=True, timeout=120)


def test_the_layers_contract_holds():
    result = lint_imports(paths.REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_an_import_that_climbs_a_layer_breaks_the_contract(tmp_path):
    """A copy of the tree in which core imports the orchestration, as a shortcut might: the contract fails and
    names the import."""
    for package in LAYERS:
        shutil.copytree(paths.REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(paths.REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    errors = tmp_path / "core" / "errors.py"
    errors.write_text(errors.read_text(encoding="utf-8") + "\nfrom orchestration.refresh import refresh  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout and "core.errors -> orchestration.refresh" in result.stdout


def test_every_folder_with_a_feed_toml_is_a_feed_with_its_parser_and_landing_model():
    folders = sorted(p.parent.name for p in paths.FEEDS_DIR.glob(f"*/{FEED_FILE}"))
    assert folders == feed_names() == sorted(FEEDS)
    for name, feed in FEEDS.items():
        assert feed.spec.folder == paths.FEEDS_DIR / name and callable(feed.parse)
        assert feed.schema.__module__ == f"scrapers.{name}.schema"
        assert (feed.source is not None) == (feed.spec.live is not None), name


def test_dbt_landing_sources_are_the_feeds_and_name_their_assets():
    sources = yaml.safe_load((paths.DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml").read_text(encoding="utf-8"))
    (landing,) = [s for s in sources["sources"] if s["name"] == "landing"]
    tables = {t["name"]: t["config"]["meta"]["dagster"]["asset_key"] for t in landing["tables"]}
    expected = {name: ["landing", name] for name in [*FEEDS, "documents", "known_jumps"]}
    assert tables == expected, (
        "models/staging/_sources.yml must list every feed's landing table (and documents, known_jumps), each with "
        "config: {meta: {dagster: {asset_key: [landing, <feed>]}}}")


def test_every_feed_has_its_staging_model_and_yml():
    staging = paths.DBT_PROJECT_DIR / "models" / "staging"
    for name in FEEDS:
        assert (staging / f"stg_{name}.sql").is_file() and (staging / f"stg_{name}.yml").is_file(), name
