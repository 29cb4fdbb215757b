"""The Dagster UI end to end in a real browser: Debian's /usr/bin/chromium driven by Playwright.

dagster-webserver (launching runs itself: no run queue, so no daemon) serves this checkout with its
own DAGSTER_HOME and a copy of the suite's warehouse. The browser finds the marts in
the asset lineage, materializes one mart from the UI and waits until the run page says Success; GraphQL
then confirms the run materialized that mart. Screenshots go to tests/artifacts/ (ui-failure.png when a
step fails).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from warehouse import build_state

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LINEAGE_PNG, RUN_PNG, AUTOMATION_PNG, FAILURE_PNG = (
    ARTIFACTS / f"ui-{name}.png" for name in ("asset-lineage-marts", "run-succeeded", "automation", "failure"))
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium dials Google services, and this machine's closed
# network refuses the connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MART_GROUP = "marts"
MARTS = ["cluster_indicators", "cluster_stage_efficiency", "province_rd_ranking", "rd_vintage_revisions", "tech_market_balance"]
MART = "cluster_stage_efficiency"  # the one the browser materializes: one dbt model and its tests
DIRECT_RUN_LAUNCH = """
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
"""
SERVER_START_SECONDS = 120
UI_SECONDS = 30  # one page or element; dagster, dbt and the browser share two loaded cores
RUN_SECONDS = 180
STOP_SECONDS = 15

WORKSPACE_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
# Every schedule and sensor of the code location, with the status this (fresh) instance gives it.
AUTOMATION_QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  schedules { name scheduleState { status } } sensors { name sensorState { status } } } } } }"""
# Opt-in: what reaches the live site.
STOPPED_BY_DEFAULT = {"nbs_rd_bulletin_release_sensor"}
RUN_QUERY = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status
  assetSelection { path } assetMaterializations { assetKey { path } } } } }"""


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: in CI the browser test must run")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(base_url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{base_url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


@dataclass
class DagsterUI:
    url: str
    log: Path
    processes: list[subprocess.Popen]

    @property
    def group(self) -> int:
        return self.processes[0].pid

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def group_alive(self) -> bool:
        for process in self.processes:
            process.poll()  # reap our own children: a zombie still counts as a member of the group
        try:
            os.killpg(self.group, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        """SIGINT lets the webserver shut down cleanly; SIGKILL whatever of the group is left."""
        for sig in (signal.SIGINT, signal.SIGKILL):
            try:
                os.killpg(self.group, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + STOP_SECONDS
            while self.group_alive() and time.monotonic() < deadline:
                time.sleep(0.2)
            if not self.group_alive():
                return

    def wait_until_loaded(self) -> None:
        """Poll until the webserver answers with the definitions loaded; fail with its log otherwise."""
        deadline = time.monotonic() + SERVER_START_SECONDS
        last = "no answer yet"
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                pytest.fail(f"dagster-webserver exited early; its log:\n{self.log_tail()}")
            try:
                entries = graphql(self.url, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
            except (OSError, KeyError, TypeError, ValueError) as exc:  # not listening yet, or still starting
                last = repr(exc)
            else:
                if entries and entries[0]["loadStatus"] == "LOADED":
                    location = entries[0]["locationOrLoadError"]
                    if location["__typename"] == "PythonError":
                        pytest.fail(f"the definitions failed to load in the webserver:\n{location['message']}")
                    return
                last = f"location entries: {entries}"
            time.sleep(0.5)
        pytest.fail(f"dagster-webserver not ready after {SERVER_START_SECONDS} s ({last}); its log:\n{self.log_tail()}")


@contextmanager
def sigint_not_ignored() -> Iterator[None]:
    """Children of a shell's background job inherit an ignored SIGINT, and dagster maps SIGTERM onto the
    SIGINT handler, so neither could stop them. A signal with a handler is reset to default across exec."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def dagster_ui(root: Path) -> Iterator[DagsterUI]:
    """dagster-webserver on a free port, in a process group (its code server and run workers too) that is always stopped."""
    home = root / "dagster_home"
    home.mkdir()
    # The project's instance settings, but runs launched straight away by the webserver rather than
    # queued for a daemon: one process fewer to start (each loads the definitions, seconds of CPU).
    settings = (REPO_ROOT / "orchestration" / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text(settings + DIRECT_RUN_LAUNCH)
    DagsterInstance.from_config(str(home)).dispose()  # storage created before the webserver starts
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        # All run-time state (core/paths.py) out of the repo.
        "WAREHOUSE_DATA_DIR": str(root / "data"),
    }
    # Not `dagster dev`: it sets DAGSTER_IS_DEV_CLI, so every code server and run worker re-parses the dbt
    # project (seconds each) and rewrites dbt_project/target/manifest.json under other running tests.
    env.pop("DAGSTER_IS_DEV_CLI", None)
    bin_dir = Path(sys.executable).parent
    code = ["-m", "orchestration.definitions"]
    port = free_port()
    log_path = root / "dagster.log"
    with log_path.open("wb") as log:
        def spawn(command: list, group: int) -> subprocess.Popen:
            with sigint_not_ignored():
                return subprocess.Popen([bin_dir / command[0], *command[1:], *code], cwd=REPO_ROOT, env=env,
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, process_group=group)

        webserver = spawn(["dagster-webserver", "-h", "127.0.0.1", "-p", str(port)], 0)  # 0: a new group, its own id
        ui = DagsterUI(f"http://127.0.0.1:{port}", log_path, [webserver])
        try:
            yield ui
        finally:
            ui.stop()


def seed_warehouse(source: Path, target: Path) -> None:
    """The suite's warehouse, copied: in an empty one, one mart alone could not build (no landing tables).

    Its build record goes: a copy whose documents and code are those of its published build makes a run
    skip dbt (warehouse/build_state.py), and this mart is to be really rebuilt.
    """
    for suffix in ("", ".wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    with duckdb.connect(str(target)) as con:
        con.execute(f"DROP TABLE IF EXISTS {build_state.TABLE}")


def automation_statuses(base_url: str) -> dict[str, str]:
    """Schedule and sensor name -> RUNNING or STOPPED, as this instance (never touched) reports them."""
    nodes = graphql(base_url, AUTOMATION_QUERY)["repositoriesOrError"]["nodes"]
    return {**{s["name"]: s["scheduleState"]["status"] for node in nodes for s in node["schedules"]},
            **{s["name"]: s["sensorState"]["status"] for node in nodes for s in node["sensors"]}}


def dismiss_community_dialog(page) -> None:
    """The first visit shows a "Join the Dagster community" dialog over everything: dismiss it whenever it shows."""
    page.add_locator_handler(page.get_by_role("dialog").filter(has_text="Join the Dagster community"),
                             lambda dialog: dialog.get_by_role("button", name="Skip").click())


def show_automation(page, base_url: str, expected: dict[str, str]) -> None:
    """The Automation page lists the schedule and every sensor with its status: screenshot it."""
    from playwright.sync_api import expect

    page.set_default_timeout(UI_SECONDS * 1000)
    dismiss_community_dialog(page)
    page.goto(f"{base_url}/automation")
    expect(page.get_by_text("annual_refresh").first).to_be_visible(timeout=UI_SECONDS * 1000)
    expect(page.get_by_text("report_automation").first).to_be_visible(timeout=UI_SECONDS * 1000)
    # A row's toggle and kind ("Run status sensor", "Scheduled At …") render once its status has loaded; the
    # toggles are the page's only checked checkboxes: on for everything but the live-site sensors.
    expect(page.get_by_text("Automation condition sensor")).to_be_visible(timeout=UI_SECONDS * 1000)
    expect(page.get_by_text(re.compile(r"^Scheduled At"))).to_be_visible(timeout=UI_SECONDS * 1000)
    expect(page.get_by_role("checkbox", checked=True)).to_have_count(len(expected) - len(STOPPED_BY_DEFAULT))
    page.screenshot(path=AUTOMATION_PNG, full_page=True)


def materialize_mart_in_browser(page, base_url: str) -> str:
    """Catalog → lineage filtered to the marts → select the mart → Materialize → run page says Success; returns the run id."""
    from playwright.sync_api import expect

    expect.set_options(timeout=UI_SECONDS * 1000)
    page.set_default_timeout(UI_SECONDS * 1000)
    page.goto(f"{base_url}/assets")
    # The catalog renders only the rows in view (a virtual list), and the marts sort below the landing
    # tables of every feed: find the mart as a user would, through the catalog's search.
    catalog_search = page.get_by_role("textbox", name="Search and filter assets")
    catalog_search.fill(MART)
    catalog_search.press("Enter")
    expect(page.get_by_role("link", name=f"{MART_GROUP} / {MART}").first).to_be_visible()
    # The global lineage starts with every group collapsed: filter it down to the marts, as a user would.
    # Icon names are part of accessible names ("lineage Lineage", "column_lineage Jobs").
    page.get_by_role("navigation").get_by_role("link", name=re.compile(r"\bLineage$")).click()
    # The catalog has a search box of the same name: wait for the lineage page before typing into it.
    page.wait_for_url(re.compile(r"/asset-groups"))
    expect(page.get_by_text("Global asset lineage")).to_be_visible()
    search = page.get_by_role("textbox", name="Search and filter assets")
    search.fill(f'group:"{MART_GROUP}"')
    search.press("Enter")
    # Asset nodes are HTML inside the graph's SVG; the same names are also listed in the sidebar.
    nodes = {name: page.locator("svg foreignObject").get_by_text(name, exact=True) for name in MARTS}
    for node in nodes.values():
        expect(node).to_be_visible()
    expect(page.get_by_text("Loading...")).to_have_count(0)  # every node's status has arrived
    page.screenshot(path=LINEAGE_PNG)

    nodes[MART].click()
    page.get_by_role("button", name="Materialize selected").click()
    # This instance has no record of the upstream assets (their tables were copied in), so the UI asks first.
    confirm = page.get_by_role("dialog").get_by_role("button", name="Confirm")
    launched = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
    expect(confirm.or_(launched)).to_be_visible()
    if confirm.is_visible():
        confirm.click()
    # The "Launched run" toast lasts a few seconds, which a loaded machine can let pass before looking (this
    # failed once under load); the asset's side panel says so until the run ends, and the run stays in the list.
    targeting = page.get_by_text(re.compile(r"Run [0-9a-f]{8} is .* targets this asset"))
    # Launching starts a run process that loads the definitions: on two loaded cores that can take minutes.
    expect(launched.or_(targeting).first).to_be_visible(timeout=RUN_SECONDS * 1000)
    page.goto(f"{base_url}/runs")  # this instance's only run
    run_link = page.locator('a[href*="/runs/"]').get_by_text(re.compile(r"^[0-9a-f]{8}$")).first
    expect(run_link).to_be_visible()
    run_link.click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    run_id = re.search(r"/runs/([0-9a-f-]{36})", page.url).group(1)

    # The status tag in the run's header, and the run's last event in its log.
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=RUN_SECONDS * 1000)
    expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible()
    page.screenshot(path=RUN_PNG)
    return run_id


def test_materialize_a_mart_from_the_ui(tmp_path, request):
    require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    for stale in (LINEAGE_PNG, RUN_PNG, AUTOMATION_PNG, FAILURE_PNG):
        stale.unlink(missing_ok=True)
    started = time.monotonic()
    seconds = {}  # when each stage ended, from the server's start: printed for the record
    with dagster_ui(tmp_path) as ui:
        # The server starts while the suite's warehouse is built (or reused) in this process.
        (tmp_path / "data").mkdir()
        seed_warehouse(request.getfixturevalue("built_warehouse"), tmp_path / "data" / "innovation.duckdb")
        seconds["warehouse seeded"] = time.monotonic() - started
        ui.wait_until_loaded()
        seconds["definitions loaded"] = time.monotonic() - started
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1300})
            try:
                statuses = automation_statuses(ui.url)
                show_automation(page, ui.url, statuses)
                run_id = materialize_mart_in_browser(page, ui.url)
            except Exception:
                with suppress(Exception):  # the page's state, when there is one, beside the original error
                    page.screenshot(path=FAILURE_PNG)
                raise
            finally:
                browser.close()
        seconds["run succeeded in the page"] = time.monotonic() - started
        run = graphql(ui.url, RUN_QUERY, {"id": run_id})["runOrError"]
    seconds["server stopped"] = time.monotonic() - started
    assert not ui.group_alive(), "the webserver's process group outlived SIGKILL"
    # A fresh instance runs everything but what reaches the live site: the schedule, the inbox sensor, the
    # report's automation, the run-summary sensors.
    assert {name for name, status in statuses.items() if status != "RUNNING"} == STOPPED_BY_DEFAULT, statuses
    assert {"annual_refresh", "inbox_sensor", "report_automation", "summarize_failed_run"} <= set(statuses)
    print("Automation on a fresh instance: " + ", ".join(f"{n} {s}" for n, s in sorted(statuses.items())))
    assert run["status"] == "SUCCESS", (run, ui.log_tail())
    assert [MART_GROUP, MART] in [a["path"] for a in run["assetSelection"]], run
    assert [m["assetKey"]["path"] for m in run["assetMaterializations"]] == [[MART_GROUP, MART]], run
    print("UI test, seconds: " + ", ".join(f"{stage} {t:.1f}" for stage, t in seconds.items()))
