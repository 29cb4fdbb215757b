"""Tests in the build (issue 15): model contracts and one set-based `rules` test per model in place of 138
single-column dbt tests, with no check lost. tests/data/dbt_checks_before.json lists the 138 tests of main at
2cc6f03 (from its manifest); every one must have a home in today's manifest — a contract's NOT NULL constraint
or a rule of a `rules` test — and docs/dbt_checks.md lists them side by side:

    .venv/bin/python -m tests.test_dbt_checks   # rewrites docs/dbt_checks.md from the manifest
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb

from core import paths
from core.paths import REPO_ROOT
from tests.conftest import edited_copy

BEFORE = Path(__file__).parent / "data" / "dbt_checks_before.json"
DOC = REPO_ROOT / "docs" / "dbt_checks.md"
MARTS = ["province_rd_ranking", "cluster_indicators", "cluster_stage_efficiency", "tech_market_balance",
         "rd_vintage_revisions", "cluster_endowment", "province_patent_stock"]
CONTRACTED = [*MARTS, "int_rd_vintages", "int_endowment_gaps"]


def manifest() -> dict:
    return json.loads((paths.DBT_PROJECT_DIR / "target" / "manifest.json").read_text())


def models_and_seeds(nodes: dict) -> dict[str, dict]:
    return {n["name"]: n for n in nodes.values() if n["resource_type"] in ("model", "seed")}


def attached_tests(nodes: dict) -> dict[str, list[dict]]:
    """Each model's or seed's data tests, by its name."""
    attached: dict[str, list[dict]] = {}
    for node in nodes.values():
        if node["resource_type"] == "test":
            attached.setdefault(node["attached_node"].split(".")[-1], []).append(node)
    return attached


def not_null_constraints(node: dict) -> set[str]:
    """The columns a model's enforced contract builds NOT NULL."""
    if not node.get("contract", {}).get("enforced"):
        return set()
    return {name for name, column in node["columns"].items()
            if any(c["type"] == "not_null" for c in column.get("constraints", []))}


def rule_of(old: dict, rules: dict) -> str | None:
    """The rule of a `rules` test's arguments that checks what the old test checked, as the test names it."""
    kind, column, arguments = old["test"], old["column"], old["arguments"]
    uniques = [{"columns": rules["grain"]}] + [u if isinstance(u, dict) else {"columns": u} for u in rules.get("unique", [])]
    if kind in ("unique_combination", "unique"):
        columns = arguments["columns"] if kind == "unique_combination" else [column]
        wanted = {"columns": columns, **({"where": old["where"]} if old.get("where") else {})}
        return (f"unique({', '.join(columns)})" + (f" where {old['where']}" if old.get("where") else "")
                if wanted in uniques else None)
    if kind == "not_null":
        return f"not_null({column})" if column in rules.get("not_null", []) else None
    if kind == "null_has_reason":
        reason = arguments["reason_column"]
        return f"null_has_reason({column}, {reason})" if rules.get("null_has_reason", {}).get(column) == reason else None
    if kind == "accepted_values":
        return f"accepted_values({column})" if rules.get("accepted_values", {}).get(column) == arguments["values"] else None
    if kind == "relationships":
        parent = re.findall(r"'(\w+)'", arguments["to"])[-1]  # ref('provinces'), source('landing', 'documents')
        return (f"relationships({column} -> {parent}.{arguments['field']})"
                if rules.get("relationships", {}).get(column) == arguments else None)
    if kind == "rows_per_year":
        return (f"rows_per_year({arguments['year_column']}) = {arguments['expected']}"
                if rules.get("rows_per_year") == arguments else None)
    if kind == "not_above":
        return old["name"] if rules.get("not_above", {}).get(old["name"]) == {"column": column, **arguments} else None
    return None


def new_home(old: dict, nodes: dict) -> str | None:
    """Where an old test's check lives in `nodes` (a manifest's), or None where it was lost."""
    model = models_and_seeds(nodes)[old["model"]]
    if old["test"] == "not_null" and old["column"] in not_null_constraints(model):
        return f"contract: `{old['column']}` NOT NULL"
    for test in attached_tests(nodes).get(old["model"], []):
        if test["config"]["severity"].lower() != old["severity"]:
            continue
        if test["test_metadata"]["name"] == "rules":
            rule = rule_of(old, test["test_metadata"]["kwargs"])
            if rule is not None:
                return f"`{test['name']}`: `{rule}`"
        elif test["name"] == old["name"] and test["test_metadata"]["kwargs"] == {"model": test["test_metadata"]["kwargs"]
                                                                                 .get("model"), **old["arguments"]}:
            return f"`{test['name']}` (unchanged)"
    return None


def before() -> list[dict]:
    return json.loads(BEFORE.read_text())


def document(nodes: dict) -> str:
    old = before()
    tests = [n for n in nodes.values() if n["resource_type"] == "test"]
    contracted = sorted(n["name"] for n in models_and_seeds(nodes).values() if n.get("contract", {}).get("enforced"))
    constraints = sum(len(not_null_constraints(n)) for n in models_and_seeds(nodes).values())
    kinds = ", ".join(f"{count} {kind}" for kind, count in Counter(o["test"] for o in old).most_common())
    lines = [
        "# dbt checks: before and after",
        "",
        "Generated by `.venv/bin/python -m tests.test_dbt_checks` from the dbt manifest; `tests/test_dbt_checks.py`",
        "fails if a check of the old list has no home or this page is stale. Before: main at 2cc6f03",
        "(`tests/data/dbt_checks_before.json`). After: model contracts and one set-based `rules` test per model",
        "(`dbt_project/macros/tests.sql`), each returning one row per broken rule and offending row (`rule`,",
        "`failing_row`); a failing one is named with its rules and rows in the refresh's failure message.",
        "",
        "| | before | after |",
        "|---|---|---|",
        f"| dbt data tests = Dagster asset checks from dbt | {len(old)} ({kinds}) | {len(tests)} "
        f"({', '.join(f'{c} {k}' for k, c in Counter(t['test_metadata']['name'] for t in tests).most_common())}) |",
        f"| models with an enforced contract (DuckDB) | 0 | {len(contracted)}: {', '.join(contracted)} |",
        f"| NOT NULL constraints built into those tables | 0 | {constraints} |",
        "",
        "Contracts are enforced on the DuckDB target only (`dbt_project.yml` says why); on Spark the `rules` tests",
        "run as on DuckDB. The staging models are views, where a contract checks types only: their NOT NULL",
        "checks stay rules (`not_null(...)`) of their `rules` tests, as do the seeds'.",
        "",
        "| old test | model | column | now |",
        "|---|---|---|---|",
    ]
    for check in old:
        home = new_home(check, nodes) or "**lost**"
        lines.append(f"| `{check['name']}` | {check['model']} | {check['column'] or ''} | {home} |")
    return "\n".join(lines) + "\n"


def test_every_old_check_has_a_home_and_the_page_lists_them():
    nodes = manifest()["nodes"]
    lost = [old["name"] for old in before() if new_home(old, nodes) is None]
    assert lost == []
    assert DOC.read_text() == document(nodes), "docs/dbt_checks.md is stale: python -m tests.test_dbt_checks"


def test_rule_of_finds_no_home_for_a_check_that_is_gone():
    """The mapping can fail: a rules test without the rule, or with other arguments, is no home."""
    old = {"name": "x", "test": "null_has_reason", "model": "m", "column": "a", "arguments": {"reason_column": "why"},
           "severity": "error"}
    assert rule_of(old, {"grain": ["k"], "null_has_reason": {"a": "why"}}) == "null_has_reason(a, why)"
    assert rule_of(old, {"grain": ["k"], "null_has_reason": {"a": "other"}}) is None
    assert rule_of(old, {"grain": ["k"]}) is None
    unique = {**old, "test": "unique_combination", "arguments": {"columns": ["k", "j"]}}
    assert rule_of(unique, {"grain": ["k", "j"]}) == "unique(k, j)"
    assert rule_of({**unique, "where": "flag"}, {"grain": ["k", "j"]}) is None


def test_every_mart_has_an_enforced_contract_and_every_model_its_rules_test():
    nodes = manifest()["nodes"]
    built = models_and_seeds(nodes)
    tests = attached_tests(nodes)
    for name in CONTRACTED:
        node = built[name]
        assert node["contract"]["enforced"] is True, name
        assert node["columns"] and all(c.get("data_type") for c in node["columns"].values()), name
        assert all(c.get("description") for c in node["columns"].values()), name
        assert not_null_constraints(node) >= set(rules_test(tests, name)["grain"]), name
    for name in built:  # every model and seed keeps a blocking set-based test
        assert rules_test(tests, name)["grain"], name


def rules_test(tests: dict[str, list[dict]], model: str) -> dict:
    (test,) = [t for t in tests.get(model, []) if t["test_metadata"]["name"] == "rules"]
    assert test["name"] == f"{model}_rules" and test["config"]["severity"].lower() == "error"
    return test["test_metadata"]["kwargs"]


def test_the_built_tables_hold_their_contracts_not_null(warehouse):
    """The contract is in the built table itself: DuckDB holds a NOT NULL constraint on exactly the declared columns."""
    built = models_and_seeds(manifest()["nodes"])
    for name in CONTRACTED:
        node = built[name]
        held = {row[0] for row in warehouse.execute(
            "SELECT unnest(constraint_column_names) FROM duckdb_constraints() WHERE constraint_type = 'NOT NULL' "
            "AND schema_name = ? AND table_name = ?", [node["schema"], node["alias"]]).fetchall()}
        assert held == not_null_constraints(node), name


def dbt(args: list[str], project: Path, database: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), *args, "--profiles-dir", ".", "--target-path", str(target),
         "--log-path", str(target / "logs")],
        cwd=project, env={**os.environ, "DBT_BUILD_DUCKDB_PATH": str(database)}, capture_output=True, text=True)


def test_a_contract_stops_the_model_on_a_null_and_on_a_wrong_type(built_warehouse, tmp_path):
    """On a copy of the built warehouse: the 全国 row of valid invention patents made NULL leaves every province's
    share of the national stock NULL, which province_patent_stock's contract refuses; and a project copy whose
    YAML declares tech_market_balance.year as text stops that model before it is built."""
    copy = edited_copy(built_warehouse, tmp_path, "UPDATE intermediate.int_province_endowment "
                       "SET valid_invention_patents_count = NULL WHERE is_national AND data_year = 2022")
    project = tmp_path / "dbt_project"
    shutil.copytree(paths.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    marts_yml = project / "models" / "marts" / "_marts.yml"
    text = marts_yml.read_text()
    balance = text.index("  - name: tech_market_balance")
    year_type = text.index("data_type: bigint", balance)
    marts_yml.write_text(text[:year_type] + "data_type: varchar" + text[year_type + len("data_type: bigint"):])
    run = dbt(["run", "--select", "province_patent_stock", "tech_market_balance"], project, copy, tmp_path / "target")
    assert run.returncode == 1, run.stdout + run.stderr
    results = {r["unique_id"].split(".")[-1]: r for r in json.loads((tmp_path / "target" / "run_results.json").read_text())
               ["results"]}
    assert results["province_patent_stock"]["status"] == "error"
    assert "NOT NULL constraint failed" in results["province_patent_stock"]["message"]
    assert "share_of_national_valid_invention_patents_pct" in results["province_patent_stock"]["message"]
    assert results["tech_market_balance"]["status"] == "error"
    assert "contract" in results["tech_market_balance"]["message"] and "year" in results["tech_market_balance"]["message"]
    with duckdb.connect(str(copy), read_only=True) as con:  # both tables as they were: nothing half-built
        assert con.execute("SELECT count(*) FROM marts.province_patent_stock WHERE year = 2022").fetchone()[0] == 31
        assert con.execute("SELECT data_type FROM duckdb_columns() WHERE schema_name = 'marts' "
                           "AND table_name = 'tech_market_balance' AND column_name = 'year'").fetchone()[0] == "BIGINT"


def test_a_failing_rules_test_names_its_rules_and_rows(built_warehouse, tmp_path):
    """Two rules of one test broken on a copy: the failure message (the refresh's, orchestration's dbt_failures)
    says which rules and which rows."""
    from orchestration.assets.dbt import dbt_failures

    copy = edited_copy(
        built_warehouse, tmp_path,
        "UPDATE marts.cluster_indicators SET rd_intensity_null_reason = NULL, rd_intensity_pct = NULL "
        "WHERE cluster = '成渝' AND year = 2020",
        "INSERT INTO marts.cluster_indicators SELECT * FROM marts.cluster_indicators WHERE cluster = '京津冀' AND year = 2021")
    run = dbt(["test", "--select", "cluster_indicators_rules"], paths.DBT_PROJECT_DIR, copy, tmp_path / "target")
    assert run.returncode == 1, run.stdout + run.stderr
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    with duckdb.connect(str(copy), read_only=True) as con:
        message = dbt_failures(results, con)
    assert re.search(r"test cluster_indicators_rules\.\w+: 3 failing rows \(", message), message
    assert "unique(year, cluster): year=2021, cluster=京津冀 (2 rows)" in message
    assert "rows_per_year(year) = 4: year=2021 (5 rows)" in message
    assert "null_has_reason(rd_intensity_pct, rd_intensity_null_reason): year=2020, cluster=成渝" in message



def test_the_release_order_rule_fails_outside_its_bound(built_warehouse, tmp_path):
    """vintage_order() sorts on publication_year * 100 + release_order_in_year: an order of 100 would sort a
    publication into the next year's, and the seed's `rules` test says so."""
    from orchestration.assets.dbt import dbt_failures

    copy = edited_copy(built_warehouse, tmp_path,
                       "UPDATE reference.publications SET release_order_in_year = 100 WHERE publication_code = 'torch'")
    run = dbt(["test", "--select", "publications_rules"], paths.DBT_PROJECT_DIR, copy, tmp_path / "target")
    assert run.returncode == 1, run.stdout + run.stderr
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    with duckdb.connect(str(copy), read_only=True) as con:
        message = dbt_failures(results, con)
    assert "within(release_order_in_year, 1, 99): publication_code=torch: 100" in message, message


if __name__ == "__main__":
    DOC.write_text(document(manifest()["nodes"]))
    print(f"wrote {DOC}")
