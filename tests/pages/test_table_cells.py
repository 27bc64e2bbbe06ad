"""No table of an analytics page shows "None" or "nan": a figure that does not exist shows a dash. The
grid draws a missing value as "None" whatever a pandas styler formats it as, so the cell must hold
the dash itself."""

import pytest

from tests.pages.conftest import open_view
from ui.state import Funnel

PAGES = ["views/overview.py", "views/funnel.py", "views/dashboard.py", "views/plan_fact.py", "views/definitions.py"]
RAW = ("None", "none", "nan", "NaN", "NaT", "<NA>")


def raw_cells(app) -> list[tuple[list[str], str]]:
    """The columns of the page's tables with a cell the browser shows as "None": a missing value
    (whatever a styler says for it, the grid shows "None"), or a text that reads so."""
    found = []
    for element in app.dataframe:
        cells = element.value
        empty = cells.isna() | cells.astype(str).isin(RAW)
        for column in cells.columns[empty.any()]:
            found.append((list(cells.columns), str(column)))
    return found


@pytest.mark.parametrize("script", PAGES)
def test_no_table_shows_none(app_as, script):
    app = open_view(app_as("ceo"), script)

    assert raw_cells(app) == []


def test_no_table_of_the_funnel_shows_none_with_managers_compared_and_a_year_shown(app_as, demo_database_url):
    from tests.conftest import user_id_of

    app = open_view(app_as("ceo"), "views/funnel.py")
    app.selectbox(key=Funnel.PRESET).set_value("this_year").run()
    app.multiselect(key=Funnel.COMPARE).select(user_id_of(demo_database_url, "anna")).run()
    app.toggle(key=Funnel.CHANGES_SHOWN).set_value(True).run()

    assert raw_cells(app) == []


def test_no_list_of_the_deals_behind_a_figure_shows_none(app_as):
    """The deals created: open ones too, with no closing day, some with no company or source."""
    app = open_view(app_as("ceo"), "views/funnel.py")
    app.button(key=Funnel.BEHIND_TILE("created")).click().run()

    listed = next(d.value for d in app.dataframe if "closed_at" in d.value.columns)
    assert (listed["status"] == "open").any()
    assert raw_cells(app) == []
