"""The registry of what each figure counts (core.definitions), and the rates' uncertainty
(core.analytics.rates: Wilson intervals, the two-proportion test), checked against values worked out by
hand."""

import re

import pytest

from core.analytics import funnel
from core.analytics.rates import TOO_FEW, differs, wilson
from core.definitions import DEFINITIONS, HEADINGS, LANGUAGES, explained

FUNNEL_TILES = ("created", "win_rate_closed", "funnel_win_rate", "average_deal", "cycle")
CYRILLIC = re.compile("[а-яА-ЯёЁ]")


def test_every_tile_and_every_listed_figure_has_a_definition():
    from core.analytics import activity

    assert {*FUNNEL_TILES, *funnel.FIGURES, *activity.DASHBOARD_FIGURES} <= set(DEFINITIONS)
    assert {"plan", "completion", "run_rate", "weighted_forecast", "gap", "deals_needed"} <= set(DEFINITIONS)


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_every_definition_is_written_in_both_languages(name):
    found = DEFINITIONS[name]

    for language in LANGUAGES:
        assert found.title[language] and all(text.strip() for _, text in found.parts(language)), language
    assert all(CYRILLIC.search(text) for _, text in found.parts("ru"))
    assert found.title["ru"] != found.title["en"]


def test_the_two_wons_have_different_names_in_both_languages():
    for language in LANGUAGES:
        assert DEFINITIONS["cohort_won"].title[language] != DEFINITIONS["won"].title[language]


def test_explained_is_the_title_then_each_part_under_its_heading():
    text = explained("cycle", "ru").splitlines()

    assert text[0] == "Цикл сделки"
    assert [line.split(":")[0] for line in text[1:]] == [HEADINGS[part]["ru"] for part in HEADINGS]


def test_wilson_intervals_equal_the_hand_computed_ones():
    # z = 1.644854 at 90 %, z² = 2.705543.
    # 5 of 10: denominator 1 + z²/10 = 1.270554; centre (0.5 + z²/20) / 1.270554 = 0.5;
    # half = z·√(0.025 + z²/400) / 1.270554 = 1.644854·0.178224 / 1.270554 = 0.230728.
    assert wilson(5, 10) == pytest.approx((0.269272, 0.730728), abs=1e-6)
    # 0 of 20: centre = (z²/40) / (1 + z²/20) = 0.067639 / 1.135277 = 0.059579 = half: from exactly 0.
    assert wilson(0, 20) == pytest.approx((0.0, 0.119158), abs=1e-6)
    # 20 of 20 mirrors it.
    assert wilson(20, 20) == pytest.approx((0.880842, 1.0), abs=1e-6)
    assert wilson(0, 0) is None


def test_a_difference_counts_only_beyond_chance_and_never_on_too_few_deals():
    # 30 of 100 against 50 of 100: pooled 0.4, spread √(0.4·0.6·0.02) = 0.069282, z = 0.2 / 0.069282 = 2.89.
    assert differs((30, 100), (50, 100))
    # 30 of 100 against 35 of 100: z = 0.05 / √(0.325·0.675·0.02) = 0.05 / 0.066238 = 0.75.
    assert not differs((30, 100), (35, 100))
    # 0 of 19 against 19 of 19 would be far beyond chance, but 19 deals are too few.
    assert TOO_FEW == 20 and not differs((0, 19), (19, 19))
    assert differs((0, 20), (20, 20))


def test_the_readme_lists_the_registry_s_definitions():
    from pathlib import Path

    from core.definitions import as_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = readme.split("<!-- definitions:start -->\n")[1].split("\n<!-- definitions:end -->")[0]
    assert listed == as_markdown("en")
