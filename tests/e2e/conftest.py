"""Browser tests: a real Streamlit server on a free port, driven by Debian's Chromium."""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.floor import CHROMIUM, CHROMIUM_ARGS
from core import sessions, users
from core.settings import load_settings
from db.engine import make_engine, transaction
from deploy.floor import app_command, free_port, wait_healthy
from tests.conftest import DEMO_PASSWORD, copy_of

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Counts the script runs that finish, and notes when the script last started or stopped, so that a
# test can wait for the run its click started.
COUNT_RUNS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.finishedRuns = 0;
  window.scriptStateChanged = Date.now();
  new MutationObserver(() => {
    window.scriptStateChanged = Date.now();
    if (app.dataset.testScriptState === "notRunning") window.finishedRuns += 1;
  }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""
# Streamlit reruns the script after each action; give a busy 2-core machine time.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}; it is required (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


def start_streamlit(database_url: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    log = log_path.open("w")
    process = subprocess.Popen(
        app_command(port),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log_path, timeout=60)
    except RuntimeError:
        process.kill()
        raise
    return process, url


@pytest.fixture(scope="session")
def demo_database_url(demo_database_url, tmp_path_factory) -> str:
    """The browser tests' own copy of the demo database: what they write (imports, pipelines, moves)
    stays out of the one the page tests read and copy."""
    return copy_of(demo_database_url, tmp_path_factory.mktemp("e2e-demo") / "demo.db")


@pytest.fixture(scope="session")
def app_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("streamlit") / "server.log"


@pytest.fixture(scope="session")
def app_url(demo_database_url, app_log) -> Iterator[str]:
    process, url = start_streamlit(demo_database_url, app_log)
    yield url
    process.terminate()
    process.wait(10)


def open_address(page, url: str):
    """Open `url`, wait until its script has finished running, and start counting runs."""
    page.goto(url)
    page.wait_for_selector(READY, timeout=60_000)
    page.evaluate(COUNT_RUNS)
    return page


@pytest.fixture
def open_app(page, app_url, demo_database_url):
    """Open a path of the app and wait until its script has finished running; signed in as `login`
    when given, with a session opened for it as the sign-in form would (its own tests use the form)."""

    def opened(path: str = "/", login: str | None = None):
        if login is not None:
            signed_in(page.context, app_url, demo_database_url, login)
        return open_address(page, f"{app_url}{path}")

    return opened


def signed_in(context, app_url: str, database_url: str, login: str) -> None:
    """The browser `context` holds the cookie of a new session of `login`: what signing in gives it,
    without the form's run and password check (seconds a test, a hundred tests)."""
    engine = make_engine(database_url)
    with transaction(engine, write=True) as session:
        started = sessions.start(session, users.find_user(session, login), lifetimes=load_settings().session_lifetimes)
        token, _ = sessions.adopt(session, started.ticket)
    engine.dispose()
    cookie = {"name": sessions.COOKIE, "value": token, "url": app_url, "httpOnly": True, "sameSite": "Lax"}
    context.add_cookies([cookie])


# The run a click started has finished (or, should the observer have missed that run, three seconds
# have passed since the click) and the app has stayed idle for half a second since: a run that ends in
# st.rerun() stops, and its rerun starts tens of milliseconds later (up to ~200 ms on a busy machine).
# Callers then check the outcome they expect.
_RUN_FINISHED = """([finished, since]) =>
  (window.finishedRuns > finished || Date.now() - since > 3000)
  && document.querySelector("[data-testid='stApp']").dataset.testScriptState === "notRunning"
  && Date.now() - window.scriptStateChanged > 500"""


def runs_finished(page) -> tuple[int, float]:
    return page.evaluate("[window.finishedRuns, Date.now()]")


def wait_for_run_after(page, mark: tuple[int, float]) -> None:
    page.wait_for_function(_RUN_FINISHED, arg=list(mark), timeout=60_000)
    page.wait_for_selector(READY, timeout=60_000)


def click_and_wait(page, locator) -> None:
    """Click, then wait until the script run that the click started has finished."""
    mark = runs_finished(page)
    locator.click()
    wait_for_run_after(page, mark)


def choose(page, key: str, option: str, *, in_form: bool = False) -> None:
    box = page.locator(f".st-key-{key}").get_by_role("combobox")
    box.click()
    box.fill(option)  # filters the list down to the option wanted; Enter picks it
    expect(page.get_by_role("option", name=option, exact=True)).to_be_visible()
    if in_form:  # a form's widgets do not rerun the script until it is submitted
        box.press("Enter")
    else:
        finished = runs_finished(page)
        box.press("Enter")
        wait_for_run_after(page, finished)
    expect(box).to_have_value(option)  # the choice took, before anything is submitted


def session_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == sessions.COOKIE), None)


def sign_in(page, login: str, password: str = DEMO_PASSWORD):
    """Sign in, and wait until the browser holds the new session's cookie (downloads need it)."""
    before = session_cookie(page.context)
    page.get_by_role("textbox", name="Login").fill(login)
    page.get_by_role("textbox", name="Password").fill(password)
    click_and_wait(page, page.get_by_role("button", name="Sign in"))
    if page.get_by_role("button", name="Sign out", exact=True).count():
        deadline = time.monotonic() + 20
        while session_cookie(page.context) in (None, before) and time.monotonic() < deadline:
            page.wait_for_timeout(100)
    return page


def menu(page) -> list[str]:
    """The sidebar menu's page names (without the icons' ligature text)."""
    links = page.locator("[data-testid='stSidebar'] [data-testid='stPageLink']").all_inner_texts()
    return [text.split("\n")[-1] for text in links]
