"""A sales floor: two app processes on one PostgreSQL database behind nginx, started by the deploy
script (deploy/floor.py) as an installation would start them. nginx's access log names the process
(upstream) and the browser (its route cookie) of every request, so each test says which process
served which browser."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from core import sessions
from deploy import floor as deploy_floor
from tests.conftest import DEMO_DEALS, POSTGRES_URL, postgres_admin
from tests.e2e.conftest import (
    PROJECT_ROOT,
    READY,
    REQUIRE_BROWSER,
    choose,
    click_and_wait,
    open_address,
    session_cookie,
    sign_in,
)
from ui.state import Deals, Funnel, key

NGINX = os.environ.get("NGINX_PATH", "/usr/sbin/nginx")
PROCESSES = 2
ROUTE_COOKIE = "funnel_route"  # set by nginx (deploy/nginx.conf.template)
# A fresh browser lands on either process with even odds; this many fresh browsers all landing on one
# process would happen once in 2**19 runs.
FRESH_BROWSERS = 20
START_TIMEOUT_S = 300
LOG_WAIT_S = 15
LIVE_WITHIN_MS = 15_000  # the live pages' promise
LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) route=(?P<route>\S+) upstream=(?P<upstream>\S+)'
)


@dataclass(frozen=True)
class Floor:
    url: str
    app_ports: list[int]
    access_log: Path


@dataclass(frozen=True)
class Request:
    path: str
    status: int
    upstream: str


@pytest.fixture(scope="module")
def nginx() -> str:
    binary = shutil.which(NGINX)
    if binary is None:
        reason = f"nginx not found at {NGINX} (apt-get install nginx; .ci/run installs it)"
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}; it is required (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(f"sales floor tests skipped: {reason}")
    return binary


@pytest.fixture(scope="module")
def floor_database_url() -> Iterator[str]:
    """An empty PostgreSQL database of this run's own: the deploy script migrates it."""
    name = f"funnel_floor_{uuid.uuid4().hex[:12]}"
    admin = postgres_admin(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _wait_until_ready(process: subprocess.Popen, output: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while "floor: ready" not in output.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the floor did not start:\n{output.read_text()}")
        time.sleep(0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def floor(nginx, floor_database_url, tmp_path_factory) -> Iterator[Floor]:
    from core.seed import seed_demo
    from db.engine import make_engine, transaction

    run_dir = tmp_path_factory.mktemp("floor")
    port, app_port = deploy_floor.free_port(), deploy_floor.free_ports(PROCESSES)
    output = run_dir / "floor.out"
    env = {**os.environ, "DATABASE_URL": floor_database_url, "DEMO_MODE": "0"}
    command = [sys.executable, "-m", "deploy.floor", "--processes", str(PROCESSES), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--app-port", str(app_port), "--run-dir", str(run_dir), "--nginx", nginx]
    with output.open("w") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(process, output)
        # The script migrated the empty database (DEMO_MODE=0: it seeded nothing); the demo goes in now,
        # with both processes running, as any write would.
        engine = make_engine(floor_database_url)
        with transaction(engine, write=True) as session:
            seed_demo(session, deals=DEMO_DEALS, seed=1)
        engine.dispose()
        yield Floor(
            f"http://127.0.0.1:{port}", [app_port + number for number in range(PROCESSES)], run_dir / "access.log"
        )
    finally:
        children = [int(pid) for pid in re.findall(r", pid (\d+)", output.read_text())]
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        left = [pid for pid in children if _alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert process.returncode == 0, output.read_text()
    assert left == [], f"the floor left {left} running"


def route_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == ROUTE_COOKIE)


def requests_of(floor: Floor, route: str) -> list[Request]:
    return [
        Request(line["path"], int(line["status"]), line["upstream"])
        for line in map(LOG_LINE.search, floor.access_log.read_text().splitlines())
        if line and line["route"] == route
    ]


def process_of(floor: Floor, route: str) -> int:
    """The one app process (its port) that has served the browser of `route`."""
    upstreams = {request.upstream for request in requests_of(floor, route)}
    assert len(upstreams) == 1, f"route {route} was served by {upstreams}"
    return int(upstreams.pop().rsplit(":", 1)[1])


def websockets_closed(floor: Floor, route: str, count: int) -> list[Request]:
    """The browser's requests once nginx has logged `count` of its websockets (at their end)."""
    deadline = time.monotonic() + LOG_WAIT_S
    while time.monotonic() < deadline:
        requests = requests_of(floor, route)
        if sum(request.path.startswith("/_stcore/stream") for request in requests) >= count:
            return requests
        time.sleep(0.2)
    raise AssertionError(f"nginx logged fewer than {count} websockets of {route}: {requests_of(floor, route)}")


def context_on(browser, floor: Floor, app_port: int, cookies: list[dict] = ()):
    """A fresh browser (holding `cookies`) that nginx routed to the process on `app_port`."""
    for _ in range(FRESH_BROWSERS):
        context = browser.new_context()
        context.add_cookies(list(cookies))
        assert context.request.get(f"{floor.url}/_stcore/health").ok
        if process_of(floor, route_of(context)) == app_port:
            return context
        context.close()
    raise AssertionError(f"{FRESH_BROWSERS} fresh browsers, none routed to {app_port}")


def expect_signed_in(page) -> None:
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def test_several_processes_need_postgresql(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///data/funnel.db")

    assert deploy_floor.main(["--processes", "2"]) == 2
    assert "several processes need PostgreSQL" in capsys.readouterr().err


def test_fresh_browsers_spread_over_the_processes_and_each_stays_on_its_own(browser, floor):
    # Fresh browsers until one has landed on each process (context_on fails when none does).
    routes = {}
    for app_port in floor.app_ports:
        context = context_on(browser, floor, app_port)
        page = open_address(context.new_page(), f"{floor.url}/funnel")
        page.reload()
        page.wait_for_selector(READY)
        routes[app_port] = route_of(context)
        context.close()

    for app_port, route in routes.items():
        streams = [r for r in websockets_closed(floor, route, 2) if r.path.startswith("/_stcore/stream")]
        assert [stream.status for stream in streams] == [101, 101]
        assert process_of(floor, route) == app_port


def test_a_deal_created_through_one_process_shows_on_a_live_page_of_the_other(browser, floor):
    first, second = floor.app_ports
    watching, working = context_on(browser, floor, second), context_on(browser, floor, first)
    wall = sign_in(open_address(watching.new_page(), f"{floor.url}/funnel"), "ceo")
    choose(wall, Funnel.PRESET, "This month")
    tile = wall.locator("[data-testid='stMetric']").filter(has_text="Deals created")
    created = tile.locator("[data-testid='stMetricValue']")
    expect(created).to_have_text(re.compile(r"^\d"))
    before = int(created.inner_text().replace(",", ""))

    manager = sign_in(open_address(working.new_page(), f"{floor.url}/deals"), "anna")
    manager.get_by_role("tab", name="New deal").click()
    manager.locator(f".st-key-{key(Deals.NEW_DEAL, 'title')} input").fill("Made on the other process")
    click_and_wait(manager, manager.get_by_role("button", name="Create deal"))
    expect(manager.get_by_role("heading", name="Made on the other process")).to_be_visible()

    expect(created).to_have_text(f"{before + 1:,}", timeout=LIVE_WITHIN_MS)
    assert process_of(floor, route_of(working)) == first
    assert process_of(floor, route_of(watching)) == second
    working.close()
    watching.close()


def test_a_browser_stays_signed_in_across_reloads_tabs_a_restart_and_a_move_to_the_other_process(browser, floor):
    context = browser.new_context()
    page = sign_in(open_address(context.new_page(), f"{floor.url}/funnel"), "ceo")
    choose(page, Funnel.TEAM, "Moscow office")
    chosen, cookie = page.url, session_cookie(context)
    with page.expect_download() as download:  # the file is in the memory of the process that drew the button
        page.locator(f".st-key-{Funnel.DOWNLOAD}").get_by_role("button").click()
    assert Path(download.value.path()).read_text().strip()

    page.reload()
    page.wait_for_selector(READY)
    expect_signed_in(page)
    expect(page.locator(f".st-key-{Funnel.TEAM}").get_by_role("combobox")).to_have_value("Moscow office")
    second = open_address(context.new_page(), f"{floor.url}/plan-fact")
    expect_signed_in(second)
    expect(second.get_by_text("Victor Chief · executive")).to_be_visible()
    kept, route = context.storage_state(), route_of(context)
    context.close()

    restarted = browser.new_context(storage_state=kept)
    page = open_address(restarted.new_page(), chosen)
    expect_signed_in(page)
    expect(page.locator(f".st-key-{Funnel.TEAM}").get_by_role("combobox")).to_have_value("Moscow office")
    assert (route_of(restarted), session_cookie(restarted)) == (route, cookie)
    restarted.close()

    requests = websockets_closed(floor, route, 4)  # the first page, its reload, the second page, the restart
    assert any(request.path.startswith("/media/") and request.status == 200 for request in requests)
    served = process_of(floor, route)

    # Its process gone, a browser lands on another one: the sign-in is in the database, not the process.
    [other] = [app_port for app_port in floor.app_ports if app_port != served]
    signed_in = [c for c in kept["cookies"] if c["name"] == sessions.COOKIE]
    moved = context_on(browser, floor, other, cookies=signed_in)
    page = open_address(moved.new_page(), chosen)
    expect_signed_in(page)
    expect(page.locator(f".st-key-{Funnel.TEAM}").get_by_role("combobox")).to_have_value("Moscow office")
    assert process_of(floor, route_of(moved)) == other
    moved.close()


def test_an_address_the_browser_claims_is_replaced_by_nginx(browser, floor, floor_database_url):
    from db.models import LoginEvent

    claimed = "203.0.113.7"
    straight_to_a_process = f"http://127.0.0.1:{floor.app_ports[0]}"
    for url, login in ((floor.url, "boris"), (straight_to_a_process, "clara")):
        context = browser.new_context(extra_http_headers={"X-Forwarded-For": claimed})
        expect_signed_in(sign_in(open_address(context.new_page(), url), login))
        context.close()

    engine = create_engine(floor_database_url)
    with engine.connect() as connection:
        clients = dict(connection.execute(select(LoginEvent.login, LoginEvent.client)).all())
    engine.dispose()
    # A process believes the address from a local proxy (so the claim does reach it); through nginx
    # the address is the one nginx saw, this machine's, which the app records as unknown.
    assert clients["clara"] == claimed
    assert clients["boris"] == ""
