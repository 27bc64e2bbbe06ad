"""How long the Deals page takes in Chromium, and how much memory Streamlit uses, on a big database.

    python -m bench.deals_page --database-url sqlite:///data/million.db [--login anna --login ceo]

Seed the database first (`python -m cli seed --deals 200000`, or `make seed-1m`). Prints, per login,
the seconds from signing in on /deals to the page having finished running with the grid drawn, the
rows the page shows, the seconds from the same click until the board has painted its first card (the
board is drawn in the same run, in its tab), and the Streamlit process's peak memory.
"""

import argparse
import time

from playwright.sync_api import sync_playwright

from bench.pages import READY, peak_rss_mb, start_server

GRID = "iframe[title='st_aggrid.AgGrid.agGrid']"
BOARD_CARD = ".board .card"  # inside the board component's shadow root, which Playwright's CSS enters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--login", action="append", help="demo logins to time (default: anna, ceo)")
    parser.add_argument("--password", default="demo-pass")
    args = parser.parse_args()
    process, url = start_server(args.database_url)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            for login in args.login or ["anna", "ceo"]:
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.goto(f"{url}/deals")
                page.wait_for_selector(READY, timeout=120_000)
                page.get_by_role("textbox", name="Login").fill(login)
                page.get_by_role("textbox", name="Password").fill(args.password)
                started = time.perf_counter()
                page.get_by_role("button", name="Sign in").click()
                page.locator(BOARD_CARD).first.wait_for(state="attached", timeout=120_000)
                board_seconds = time.perf_counter() - started
                page.frame_locator(GRID).locator(".ag-row").first.wait_for(timeout=120_000)
                page.wait_for_selector(READY, timeout=120_000)
                seconds = time.perf_counter() - started
                rows = page.frame_locator(GRID).locator(".ag-row").count()
                cards = page.locator(BOARD_CARD).count()
                shown = page.get_by_text("Deals 1–").first.inner_text()
                print(
                    f"{login}: deals page ready in {seconds:.2f} s; grid rows drawn {rows}; '{shown}'; "
                    f"board's first card painted in {board_seconds:.2f} s ({cards} cards)"
                )
                page.close()
            browser.close()
        print(f"streamlit peak RSS: {peak_rss_mb(process.pid):.0f} MB")
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
