import datetime

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


def _changes_table(app):
    """The changes table (the only one with a bucket column), or None."""
    return next((d.value for d in app.dataframe if "bucket" in d.value.columns), None)


def _changes_expected(url: str, login: str, day_from, day_to):
    from core import pipelines, users
    from core.analytics.history import pipeline_changes
    from db.engine import make_engine, transaction
    from ui import resources

    engine = make_engine(url)
    with transaction(engine) as session:
        actor = users.find_user(session, login).as_actor()
        pipeline_id = pipelines.list_pipelines(session)[0].id
        found = pipeline_changes(session, actor, pipeline_id, day_from, day_to, resources.settings().zone)
    engine.dispose()
    return found


@pytest.mark.parametrize("login", ["ceo", HOSTILE_LOGIN])
def test_the_pipeline_changes_reconcile_and_a_bar_opens_its_deals(app_as, demo_database_url, login):
    """The executive: a past quarter; the manager (whose one deal was made today): the last week."""
    from datetime import date, timedelta

    from core.clock import utcnow
    from ui import resources

    today = utcnow().astimezone(resources.settings().zone).date()
    day_from, day_to = (date(2026, 7, 1), date(2026, 9, 30)) if login == "ceo" else (today - timedelta(7), today)
    found = _changes_expected(demo_database_url, login, day_from, day_to)
    app = open_view(app_as(login), "views/funnel.py")
    assert not [d for d in app.date_input if d.key == Funnel.CHANGES_FROM]  # computed when asked
    app.toggle(key=Funnel.CHANGES_SHOWN).set_value(True).run()

    app.date_input(key=Funnel.CHANGES_FROM).set_value(day_from)
    app.date_input(key=Funnel.CHANGES_TO).set_value(day_to).run()

    assert not app.exception
    assert "Pipeline changes between two days" in [h.value for h in app.subheader]
    table = _changes_table(app)
    assert table["amount"].iloc[0] == pytest.approx(float(found.start_amount))
    assert table["amount"].iloc[-1] == pytest.approx(float(found.end_amount))
    assert table["amount"].iloc[:-1].sum() == pytest.approx(table["amount"].iloc[-1])
    name, deals = next((b.name, b.deals) for b in found.buckets if b.deals)
    app.selectbox(key=Funnel.CHANGES_BUCKET).set_value(name).run()
    listed = [b for b in app.button if str(b.key).startswith("funnel_changes_deal")]
    assert len(listed) == min(deals, 200)
    assert name == "new"
    assert app.query_params == {
        "changes": "1",
        **({"changes_from": day_from.isoformat(), "changes_to": day_to.isoformat()} if login == "ceo" else {}),
        "moved": name,
    }


def test_the_second_day_before_the_first_is_named_and_nothing_is_computed(app_as):
    from datetime import date

    app = open_view(app_as("ceo"), "views/funnel.py")
    app.toggle(key=Funnel.CHANGES_SHOWN).set_value(True).run()
    app.date_input(key=Funnel.CHANGES_FROM).set_value(date(2026, 9, 30))
    app.date_input(key=Funnel.CHANGES_TO).set_value(date(2026, 7, 1)).run()

    assert not app.exception
    assert any("To the end of" in e.value for e in app.error)
    assert _changes_table(app) is None


def _funnel_figures(url: str, login: str):
    """The Funnel's default view (the first pipeline, last quarter) as the services compute it."""
    from core import pipelines, users
    from core.analytics import funnel
    from core.analytics.filters import FunnelFilter
    from core.clock import utcnow
    from db.engine import make_engine, transaction
    from ui import resources
    from ui.periods import period

    zone = resources.settings().zone
    engine = make_engine(url)
    with transaction(engine) as session:
        actor = users.find_user(session, login).as_actor()
        pipeline_id = pipelines.list_pipelines(session)[0].id
        scope = FunnelFilter(pipeline_id, *period("last_quarter", utcnow().astimezone(zone).date()), zone)
        found = funnel.win_rates(session, actor, scope), funnel.cohort_funnel(session, actor, scope)
    engine.dispose()
    return found


@pytest.mark.parametrize("login", ["ceo", "anna"])
def test_a_tiles_deals_button_lists_as_many_deals_as_the_tile_counts(app_as, demo_database_url, login):
    rates, _ = _funnel_figures(demo_database_url, login)
    app = open_view(app_as(login), "views/funnel.py")
    app.button(key=Funnel.BEHIND_TILE("win_rate_closed")).click().run()

    captions = [c.value for c in app.caption]
    assert not app.exception
    assert f"{rates['won'] + rates['lost']:,} deals" in " ".join(captions)
    assert any(m.value.startswith("**Deals behind: Win rate (closed)") for m in app.markdown)
    # A manager's own rates may rest on fewer than rates.TOO_FEW deals, and say so.
    assert any(
        f"n = {rates['won'] + rates['lost']:,}) · 90 %:" in c
        or c.startswith(f"n = {rates['won'] + rates['lost']:,} · 90 %:")
        for c in captions
    )
    app.button(key="funnel_behind_tiles_close").click().run()
    assert not any(m.value.startswith("**Deals behind") for m in app.markdown)


def test_every_tile_s_help_is_its_definition_and_the_diagnosis_says_what_it_checked(app_as):
    from core.definitions import DEFINITIONS

    app = open_view(app_as("ceo"), "views/funnel.py")

    for metric in app.metric:
        found = next(d for d in DEFINITIONS.values() if d.title["en"] == metric.label)
        assert found.formula["en"] in metric.proto.help
    assert (
        any(
            "Checked: a leaky top" in box.value or "No problem" in box.value or box.value.startswith("Too few")
            for box in [*app.success, *app.info]
        )
        or app.warning
    )


def test_the_funnel_in_russian_names_its_tiles_and_its_columns(app_as, russian):
    app = open_view(russian(app_as("ceo")), "views/funnel.py")

    assert [m.label for m in app.metric][:2] == ["Создано сделок", "Доля выигранных (закрытые)"]
    assert app.button(key=Funnel.BEHIND_TILE("created")).label == "Сделки"


def test_the_change_of_the_win_rate_adds_up_to_the_change_shown(app_as):
    app = open_view(app_as("ceo"), "views/funnel.py")

    summary = next(m.value for m in app.markdown if m.value.startswith("Funnel win rate:"))
    table = next(d.value for d in app.dataframe if "part" in d.value.columns)
    points = float(summary.rsplit("(", 1)[1].split(" points")[0])
    assert table["part"].sum() == pytest.approx(points, abs=0.06)  # the summary rounds to a tenth
    app.segmented_control(key=Funnel.CHANGE_AGAINST).set_value("none").run()
    assert not any(m.value.startswith("Funnel win rate:") for m in app.markdown)


def test_all_pipelines_add_up_the_pipelines_and_say_why_the_stage_funnel_is_not_there(app_as, demo_database_url):
    from core import pipelines
    from core.analytics import funnel
    from core.analytics.behind import deals_behind
    from core.analytics.filters import FunnelFilter
    from core.permissions import Actor
    from db.engine import make_engine, transaction

    engine = make_engine(demo_database_url)
    with transaction(engine) as session:
        ids = [p.id for p in pipelines.list_pipelines(session)]
        period = (datetime.date(2026, 1, 1), datetime.date(2026, 9, 30))
        each = [funnel.win_rates(session, Actor.system(), FunnelFilter(i, *period)) for i in ids]
        every = FunnelFilter(None, *period)
        together = funnel.win_rates(session, Actor.system(), every)
        lost = funnel.lost_analysis(session, Actor.system(), every)
        listed = deals_behind(session, funnel.closed_deals(session, Actor.system(), every))
    engine.dispose()
    assert len(ids) > 1
    for name in ("created", "created_and_won", "won", "lost"):
        assert together[name] == sum(rates[name] for rates in each), name
    assert lost["deals"].sum() == together["lost"] and listed.count == together["won"] + together["lost"]
    assert all(" · " in stage for stage in lost["stage"].dropna())  # each stage named with its pipeline

    app = open_view(app_as("ceo"), "views/funnel.py")
    app.selectbox(key=Funnel.PIPELINE).set_value("all").run()
    assert not app.exception
    assert any(box.value.startswith("All pipelines: the deals") for box in app.info)
    assert app.query_params["pipeline"] == "all"
    assert "Every figure" not in [h.value for h in app.subheader]


def test_a_stage_added_today_is_marked_counted_as_passed_in_the_chart_and_the_table(writable_app_as, writable_demo_url):
    from core import pipelines, stage_editor, users
    from core.clock import utcnow
    from db.engine import make_engine, transaction
    from ui import resources

    engine = make_engine(writable_demo_url)
    with transaction(engine, write=True) as session:
        admin = users.find_user(session, "admin").as_actor()
        pipeline_id = pipelines.list_pipelines(session)[0].id
        contracting = next(s.id for s in pipelines.list_stages(session, pipeline_id) if s.name == "Contracting")
        version = stage_editor.pipeline_version(session, pipeline_id)
        stage_editor.add_stage(session, admin, pipeline_id, version, name="Legal review", after_stage_id=contracting)
    engine.dispose()
    _, cohort = _funnel_figures(writable_demo_url, "ceo")
    won = int(cohort["reached"].iloc[-1])  # last quarter's deals won by now: all past Legal review, none in it
    today = utcnow().astimezone(resources.settings().zone).date().isoformat()

    app = open_view(writable_app_as("ceo"), "views/funnel.py")

    assert won > 0
    assert f"Legal review: counted as passed (added on {today}) by {won:,} deals created before it" in " ".join(
        c.value for c in app.caption
    )
    table = next(d.value for d in app.dataframe if "reached_amount" in d.value.columns)
    marked = table.set_index("stage").loc[f"Legal review (counted as passed, added on {today})"]
    assert marked["reached"] == won
