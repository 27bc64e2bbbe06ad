"""Every page, in English and in Russian, as an admin sees it (every menu entry): no raw value leaks
into what a person reads — no "None" or "nan", no snake_case name in the text or a table's headers —
and no tile cuts its value."""

import re

import pytest

from tests.e2e.conftest import choose, open_address
from ui.navigation import PAGES
from ui.state import LANGUAGE

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
RAW = re.compile(r"\b(?:None|nan|NaN|NaT)\b")
# The page's text as read, without icon names (Material icons are ligatures: "keyboard_arrow_right")
# and without code (the CLI's names: `report deals --figure cohort_won`).
READ = """() => {
  const main = document.querySelector("[data-testid='stMain']").cloneNode(true);
  main.querySelectorAll("[data-testid='stIconMaterial'], code").forEach((e) => e.remove());
  return main.innerText;
}"""
HEADERS = """() => [...document.querySelectorAll("[data-testid='stDataFrame'] table thead th")]
  .map((e) => e.innerText).join(" | ")"""
CUT = """() => [...document.querySelectorAll("[data-testid='stMetricValue']")]
  .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.innerText)"""


@pytest.mark.parametrize("language", ["English", "Русский"])
def test_no_page_shows_a_raw_value_a_snake_case_name_or_a_cut_tile(open_app, app_url, language):
    page = open_app("/", "admin")
    if language != "English":
        choose(page, LANGUAGE, language)
    found = {}
    for spec in PAGES:
        open_address(page, f"{app_url}/{spec.url_path}")
        page.wait_for_timeout(500)  # the live parts' first draw
        text, headers, cut = page.evaluate(READ), page.evaluate(HEADERS), page.evaluate(CUT)
        problems = {
            "raw": RAW.findall(text),
            "snake": SNAKE.findall(text) + SNAKE.findall(headers),
            "cut": cut,
        }
        found[spec.url_path] = {name: values for name, values in problems.items() if values}
    assert not {path: problems for path, problems in found.items() if problems}
