import pytest

from core import pipelines, users
from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline
from db.engine import make_engine, transaction
from tests.conftest import HOSTILE_LOGIN
from tests.pages.conftest import open_app
from ui import format


def expected_open_deals(url: str, login: str) -> dict[str, int]:
    engine = make_engine(url)
    with transaction(engine) as session:
        actor = users.find_user(session, login).as_actor()
        result = {
            p.name: int(current_pipeline(session, actor, DealFilter(p.id))["deals"].sum())
            for p in pipelines.list_pipelines(session)
        }
    engine.dispose()
    return result


@pytest.mark.parametrize("login", ["admin", "ceo", HOSTILE_LOGIN])
def test_overview_lists_every_pipeline_with_the_open_deals_the_role_may_see(app_as, demo_database_url, login):
    app = app_as(login).run()

    assert not app.exception
    assert app.title[0].value == "Pipelines overview"
    expected = expected_open_deals(demo_database_url, login)
    assert [h.value for h in app.subheader] == [format.plain(name) for name in expected]  # names as written
    open_deals = [m.value for m in app.metric if m.label == "Open deals"]
    assert open_deals == [format.count(n, "en") for n in expected.values()]
    assert sum(expected.values()) > 0


def test_a_manager_sees_fewer_deals_than_the_executive(demo_database_url):
    manager = expected_open_deals(demo_database_url, HOSTILE_LOGIN)
    executive = expected_open_deals(demo_database_url, "ceo")

    assert 0 < sum(manager.values()) < sum(executive.values())


def test_overview_speaks_russian(app_as):
    app = app_as("ceo").run()
    app.sidebar.selectbox[0].set_value("ru").run()

    assert not app.exception
    assert app.title[0].value == "Обзор воронок"
    assert {m.label for m in app.metric} == {"Открытые сделки", "Сумма", "Взвешенная сумма"}


def test_an_empty_database_says_how_to_create_the_first_admin(tmp_path, monkeypatch):
    app = open_app(f"sqlite:///{tmp_path / 'empty.db'}", monkeypatch).run()

    assert not app.exception
    assert "python -m cli user add" in app.warning[0].value


def test_overview_as_of_a_past_day_shows_the_pipeline_of_that_day(app_as, demo_database_url):
    """The demo's history began when it was seeded: a day before it shows the deals then open (by
    their transitions); today's date shows the pipeline now."""
    from datetime import timedelta

    from core.analytics.history import pipeline_as_of
    from core.clock import utcnow
    from ui import resources

    zone = resources.settings().zone
    today = utcnow().astimezone(zone).date()
    day = today - timedelta(days=30)
    engine = make_engine(demo_database_url)
    with transaction(engine) as session:
        actor = users.find_user(session, "ceo").as_actor()
        then = [
            int(pipeline_as_of(session, actor, p.id, day, zone)["deals"].sum())
            for p in pipelines.list_pipelines(session)
        ]
    engine.dispose()
    app = app_as("ceo").run()

    app.date_input(key="overview_as_of").set_value(day).run()

    assert not app.exception
    assert [m.value for m in app.metric if m.label == "Open deals"] == [format.count(n, "en") for n in then]
    assert then != list(expected_open_deals(demo_database_url, "ceo").values())
    assert any(day.isoformat() in c.value for c in app.caption)
    app.date_input(key="overview_as_of").set_value(today).run()
    assert [m.value for m in app.metric if m.label == "Open deals"] == [
        format.count(n, "en") for n in expected_open_deals(demo_database_url, "ceo").values()
    ]
