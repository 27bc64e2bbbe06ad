"""Browser tests: a real Streamlit server on a free port, driven by Debian's Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


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
        # As root in a container; no GPU; no calls home from a machine without a network.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_streamlit(database_url: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except (URLError, ConnectionError):
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"streamlit did not become healthy: {log_path.read_text()}")


@pytest.fixture(scope="session")
def app_url(demo_database_url, tmp_path_factory) -> Iterator[str]:
    process, url = start_streamlit(demo_database_url, tmp_path_factory.mktemp("streamlit") / "server.log")
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def open_app(page, app_url):
    """Open a path of the app and wait until its script has finished running."""

    def _open(path: str = "/"):
        page.goto(f"{app_url}{path}")
        page.wait_for_selector(READY, timeout=60_000)
        return page

    return _open
