import pytest

from tests.conftest import HOSTILE_LOGIN, user_id_of, user_of
from tests.pages.conftest import open_view
from ui.state import Dashboard


@pytest.mark.parametrize("login", ["admin", "ceo", HOSTILE_LOGIN])
def test_the_dashboard_renders_for_every_role(app_as, login):
    app = open_view(app_as(login), "views/dashboard.py")

    assert app.title[0].value == "Manager dashboard"
    labels = ["Calls", "Meetings", "Overdue now", "Active deals", "Rotting deals", "Won", "Win rate"]
    assert [m.label for m in app.metric] == labels
    assert {"Overdue activities", "Rotting deals", "Leaderboard"} <= {h.value for h in app.subheader}


def test_a_manager_sees_only_themselves_and_picks_nobody(app_as):
    app = open_view(app_as(HOSTILE_LOGIN), "views/dashboard.py")

    assert not [s for s in app.selectbox if s.key in (Dashboard.TEAM, Dashboard.MANAGER)]
    assert app.dataframe[0].value["manager"].tolist() == ["<script>alert(1)</script> Mallory"]


def test_an_executive_picks_a_manager(app_as, demo_database_url):
    app = open_view(app_as("ceo"), "views/dashboard.py")
    app.selectbox(key=Dashboard.MANAGER).set_value(user_id_of(demo_database_url, "anna")).run()

    assert not app.exception
    leaderboard = app.dataframe[0].value
    assert "Anna Ivanova" in leaderboard["manager"].tolist()
    assert list(leaderboard["won_amount"]) == sorted(leaderboard["won_amount"], reverse=True)


def test_a_manager_who_closed_nothing_shows_a_dash_for_the_win_rate(app_as, demo_database_url):
    """Not "nan%", and no change against the previous period (the rate exists in neither)."""
    app = open_view(app_as("ceo"), "views/dashboard.py")
    app.selectbox(key=Dashboard.MANAGER).set_value(user_id_of(demo_database_url, HOSTILE_LOGIN)).run()

    win_rate = next(m for m in app.metric if m.label == "Win rate")
    assert not app.exception
    assert (win_rate.value, win_rate.delta) == ("—", "")


@pytest.mark.parametrize("login", ["ceo", "anna"])
def test_the_slipped_deals_are_those_of_the_service_for_the_period_and_role(app_as, demo_database_url, login):
    from core import users
    from core.analytics.history import slippage
    from core.clock import utcnow
    from core.periods import DateRange
    from db.engine import make_engine, transaction
    from ui import resources
    from ui.periods import period

    zone = resources.settings().zone
    days = DateRange(*period("this_year", utcnow().astimezone(zone).date()))
    engine = make_engine(demo_database_url)
    with transaction(engine) as session:
        actor = users.find_user(session, login).as_actor()
        expected = slippage(session, actor, days.first, days.last, zone, limit=15)
    engine.dispose()
    app = open_view(app_as(login), "views/dashboard.py")

    app.selectbox(key=Dashboard.PRESET).set_value("this_year").run()
    assert not [d for d in app.dataframe if "pushes" in d.value.columns]  # computed when asked
    app.toggle(key="dashboard_slippage_shown").set_value(True).run()

    assert not app.exception
    assert "Slipped deals" in [h.value for h in app.subheader]
    table = next(d.value for d in app.dataframe if "pushes" in d.value.columns)
    assert table["manager"].tolist() == expected.managers["manager"].tolist()
    assert table["pushes"].tolist() == expected.managers["pushes"].tolist()
    assert expected.managers["pushes"].sum() > 0
    listed = [b for b in app.button if str(b.key).startswith("dashboard_slippage_deal")]
    assert len(listed) == len(expected.deals) > 0
    if login == "anna":
        assert table["manager"].tolist() == [user_of(demo_database_url, "anna").display_name]


@pytest.mark.parametrize(
    ("tile", "heading"), [("calls", "Activities behind: Calls"), ("rotting", "Deals behind: Rotting")]
)
def test_a_tiles_deals_button_lists_as_many_as_the_tile_shows(app_as, tile, heading):
    app = open_view(app_as("ceo"), "views/dashboard.py")
    shown = next(m.value for m in app.metric if m.label == {"calls": "Calls", "rotting": "Rotting deals"}[tile])
    app.button(key=Dashboard.BEHIND_TILE(tile)).click().run()

    assert not app.exception
    assert any(m.value.startswith(f"**{heading}") for m in app.markdown)
    noun = "activities" if tile == "calls" else "deals"
    assert any(c.value.startswith(f"{shown} {noun}") for c in app.caption)


def test_every_tile_s_help_says_what_it_counts(app_as):
    from core.definitions import DEFINITIONS

    app = open_view(app_as("ceo"), "views/dashboard.py")

    formulas = [d.formula["en"] for d in DEFINITIONS.values()]
    assert all(any(formula in metric.proto.help for formula in formulas) for metric in app.metric)
