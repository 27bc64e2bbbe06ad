import pytest

from tests.conftest import HOSTILE_LOGIN, user_id_of
from tests.pages.conftest import open_view
from ui.state import Funnel


@pytest.mark.parametrize("login", ["admin", "ceo", HOSTILE_LOGIN])
def test_the_funnel_page_renders_for_every_role(app_as, login):
    app = open_view(app_as(login), "views/funnel.py")

    assert app.title[0].value == "Funnel"
    assert [m.label for m in app.metric] == [
        "Deals created",
        "Win rate (closed)",
        "Funnel win rate",
        "Average deal",
        "Sales cycle",
    ]
    assert {"Every figure", "Time in stage, days", "Lost, by stage and reason"} <= {h.value for h in app.subheader}


def test_a_manager_cannot_compare_others(app_as):
    app = open_view(app_as(HOSTILE_LOGIN), "views/funnel.py")

    assert app.multiselect(key=Funnel.COMPARE).options == []


def test_an_executive_compares_a_manager_with_the_team(app_as, demo_database_url):
    app = open_view(app_as("ceo"), "views/funnel.py")
    app.multiselect(key=Funnel.COMPARE).select(user_id_of(demo_database_url, "anna")).run()

    assert not app.exception
    assert "Next-step conversion: managers and the team" in [h.value for h in app.subheader]


def test_this_year_and_the_bar_view(app_as):
    app = open_view(app_as("admin"), "views/funnel.py")
    app.selectbox(key=Funnel.PRESET).set_value("this_year").run()

    assert not app.exception
    assert app.metric[0].value != "0"
