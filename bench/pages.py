"""Pages in a real browser: Chromium signs in and opens each page; the seconds until the page has
finished running, and the Streamlit process's peak memory, per database.

    python -m bench.pages --database-url sqlite:///data/bench/sqlite-10k.db --database-url sqlite:///data/bench/sqlite-1m.db

Seed the databases first (`make bench` does). For each database a fresh Streamlit server is started;
the executive (`ceo`, or --login) signs in on the Overview page, then each page is opened from the
menu. With two or more databases it prints the ratio of the largest to the smallest, per page and
for the peak memory.
"""

import argparse
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.error import URLError

from playwright.sync_api import sync_playwright
from sqlalchemy import func, select

from db.engine import make_engine, transaction
from db.models import Deal
from deploy.floor import app_command

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
PAGES = ("Overview", "Funnel", "Manager dashboard", "Plan vs fact", "Deals")


def start_server(database_url: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        app_command(port),
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except (URLError, ConnectionError, TimeoutError):  # not up yet, or too busy starting to answer
            time.sleep(0.3)
    process.kill()
    raise SystemExit("streamlit did not start")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def finished(page) -> None:
    page.wait_for_timeout(300)  # the run the click starts has begun
    page.wait_for_selector(READY, timeout=300_000)


def measure(database_url: str, login: str, password: str) -> tuple[int, dict[str, float], float]:
    engine = make_engine(database_url)
    with transaction(engine) as session:
        deals = session.scalar(select(func.count()).select_from(Deal))
    engine.dispose()
    process, url = start_server(database_url)
    seconds = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                args=["--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url)
            page.wait_for_selector(READY, timeout=120_000)
            page.get_by_role("textbox", name="Login").fill(login)
            page.get_by_role("textbox", name="Password").fill(password)
            started = time.perf_counter()
            page.get_by_role("button", name="Sign in").click()
            finished(page)
            seconds["Overview"] = time.perf_counter() - started
            for name in PAGES[1:]:
                started = time.perf_counter()
                page.locator("[data-testid='stSidebar']").get_by_role("link", name=name).click()
                page.get_by_role("heading", name=name).first.wait_for(timeout=300_000)
                finished(page)
                seconds[name] = time.perf_counter() - started
            browser.close()
        rss = peak_rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(10)
    return deals, seconds, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", action="append", required=True)
    parser.add_argument("--login", default="ceo")
    parser.add_argument("--password", default="demo-pass")
    args = parser.parse_args()
    measured = []
    for url in args.database_url:
        deals, seconds, rss = measure(url, args.login, args.password)
        measured.append((deals, seconds, rss))
        shown = ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())
        print(f"{deals:,} deals ({url.split('@')[-1]}): {shown}; Streamlit peak RSS {rss:.0f} MB")
    if len(measured) > 1:
        small, large = min(measured, key=lambda m: m[0]), max(measured, key=lambda m: m[0])
        ratios = ", ".join(f"{name} {large[1][name] / small[1][name]:.1f}x" for name in PAGES)
        print(f"{large[0]:,} / {small[0]:,} deals: {ratios}; peak RSS {large[2] / small[2]:.2f}x")


if __name__ == "__main__":
    main()
