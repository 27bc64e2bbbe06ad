"""A page's filters live in its address (the URL query): loaded afresh at an address (a reload, a link
followed) a page shows those filters and the figures of them; a filter changed is written there; and
what the address says that is no choice is passed over, the default shown, the address cleaned."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from core import pipelines, users
from core.analytics import activity, funnel, plan_fact
from core.analytics.deal_list import list_deals
from core.analytics.filters import DealFilter, FunnelFilter
from core.clock import utcnow
from core.periods import Period, PeriodKind
from core.settings import load_settings
from db.engine import make_engine, transaction
from db.models import StageKind
from tests.pages.conftest import open_view
from ui import format
from ui.periods import period
from ui.state import Dashboard, Deals, Funnel, Overview, PlanFact

FUNNEL, DASHBOARD, PLAN, DEALS = "views/funnel.py", "views/dashboard.py", "views/plan_fact.py", "views/deals.py"
ZONE = load_settings().zone
HOSTILE_SEARCH = "[click](javascript:alert(1)) **bold** <b>x</b>"


def open_at(app, script: str, query: dict[str, str]):
    """`script`'s page loaded afresh at an address with `query`: nothing of it in session state yet."""
    app.run()
    app.query_params.update(query)
    app.switch_page(script).run()
    assert not app.exception
    return app


def today() -> date:
    return utcnow().astimezone(ZONE).date()


class Demo:
    """The demo database, read as `login` sees it."""

    def __init__(self, url: str, login: str = "ceo"):
        self.url, self.login = url, login

    def read(self, query):
        engine = make_engine(self.url)
        with transaction(engine) as session:
            result = query(session, users.find_user(session, self.login).as_actor())
        engine.dispose()
        return result

    def pipeline(self, name: str) -> int:
        return self.read(lambda db, _: next(p.id for p in pipelines.list_pipelines(db) if p.name == name))

    def stage(self, pipeline_id: int, name: str) -> int:
        return self.read(lambda db, _: next(s.id for s in pipelines.list_stages(db, pipeline_id) if s.name == name))

    def team(self, name: str) -> int:
        return self.read(lambda db, _: next(t.id for t in users.list_teams(db) if t.name == name))

    def user(self, login: str) -> int:
        return self.read(lambda db, _: users.find_user(db, login).id)


# Overview


def _open_deals(app) -> list[str]:
    return [m.value for m in app.metric if m.label == "Open deals"]


def overview_at(app, query: dict[str, str]):
    """The Overview, the first page, loaded afresh at an address with `query`."""
    app.query_params.update(query)
    app.run()
    assert not app.exception
    return app


def test_the_overview_at_an_address_shows_that_day_and_a_day_changed_is_written(app_as, demo_database_url):
    from core.analytics.history import pipeline_as_of

    day = today() - timedelta(days=30)
    then = Demo(demo_database_url).read(
        lambda db, actor: [
            format.count(int(pipeline_as_of(db, actor, p.id, day, ZONE)["deals"].sum()), "en")
            for p in pipelines.list_pipelines(db)
        ]
    )

    app = overview_at(app_as("ceo"), {"as_of": day.isoformat()})

    assert app.date_input(key=Overview.AS_OF).value == day
    assert _open_deals(app) == then
    assert app.query_params == {"as_of": day.isoformat()}
    app.date_input(key=Overview.AS_OF).set_value(day - timedelta(days=1)).run()
    assert app.query_params == {"as_of": (day - timedelta(days=1)).isoformat()}
    app.date_input(key=Overview.AS_OF).set_value(None).run()  # the pipeline now: a clean address
    assert app.query_params == {} and _open_deals(app) != then


@pytest.mark.parametrize("junk", ["abc", "15.03.2027", "2999-12-31", ""])
def test_junk_or_a_day_to_come_in_the_overviews_address_shows_the_pipeline_now(app_as, junk):
    now = _open_deals(overview_at(app_as("ceo"), {}))

    app = overview_at(app_as("ceo"), {"as_of": junk})

    assert app.date_input(key=Overview.AS_OF).value is None
    assert _open_deals(app) == now
    assert app.query_params == {}


# Funnel


def test_the_funnel_at_an_address_shows_its_filters_and_their_figures(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    pipeline, team, anna = demo.pipeline("Inbound lead"), demo.team("Moscow office"), demo.user("anna")
    first, last = today() - timedelta(days=300), today() - timedelta(days=20)
    query = {
        "pipeline": str(pipeline),
        "from": first.isoformat(),  # dates alone: a custom period
        "to": last.isoformat(),
        "compare": str(anna),
        "team": str(team),
        "source": "website",
        "view": "bars",
    }

    app = open_at(app_as("ceo"), FUNNEL, query)

    assert app.selectbox(key=Funnel.PIPELINE).value == pipeline
    assert app.selectbox(key=Funnel.PRESET).value == "custom"
    assert (app.date_input(key=Funnel.FROM).value, app.date_input(key=Funnel.TO).value) == (first, last)
    assert app.multiselect(key=Funnel.COMPARE).value == [anna]
    assert app.selectbox(key=Funnel.TEAM).value == team
    assert app.selectbox(key=Funnel.CATEGORY("source")).value == "website"
    assert app.selectbox(key=Funnel.CATEGORY("region")).value is None
    assert app.segmented_control(key=Funnel.VIEW).value == "bars"
    chosen = FunnelFilter(pipeline, first, last, ZONE, team_id=team, source="website")
    rates = demo.read(lambda db, actor: funnel.win_rates(db, actor, chosen))
    everything = demo.read(lambda db, actor: funnel.win_rates(db, actor, FunnelFilter(pipeline, first, last, ZONE)))
    assert 0 < rates["created"] < everything["created"]
    assert app.metric[0].value == format.count(rates["created"], "en")
    assert "Next-step conversion: managers and the team" in [h.value for h in app.subheader]
    assert app.query_params == {**query, "period": "custom"}  # kept, with the period the dates imply


def test_a_funnel_filter_changed_is_written_to_the_address(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    team, anna, boris = demo.team("London office"), demo.user("anna"), demo.user("boris")
    app = open_view(app_as("ceo"), FUNNEL)
    assert app.query_params == {}  # every filter at its default: a clean address

    app.selectbox(key=Funnel.PRESET).set_value("this_year").run()
    app.selectbox(key=Funnel.TEAM).set_value(team).run()
    app.multiselect(key=Funnel.COMPARE).select(anna).select(boris).run()
    app.selectbox(key=Funnel.CATEGORY("segment")).set_value("SMB").run()
    app.segmented_control(key=Funnel.VIEW).set_value("trend").run()

    assert not app.exception
    assert app.query_params == {
        "period": "this_year",
        "team": str(team),
        "compare": f"{anna},{boris}",
        "segment": "SMB",
        "view": "trend",
    }

    app.selectbox(key=Funnel.PRESET).set_value("custom").run()
    app.date_input(key=Funnel.FROM).set_value(date(today().year - 1, 3, 1)).run()
    assert (app.query_params["period"], app.query_params["from"]) == ("custom", f"{today().year - 1}-03-01")
    assert "to" not in app.query_params  # still its default, today

    app.selectbox(key=Funnel.PRESET).set_value("last_quarter").run()  # the default: the dates go too
    assert not {"period", "from", "to"} & set(app.query_params)


def test_the_funnels_pipeline_changes_at_an_address_show_those_days_and_that_bar(app_as, demo_database_url):
    from core.analytics.history import pipeline_changes

    first, last = date(2026, 7, 1), date(2026, 9, 30)
    pipeline = Demo(demo_database_url).read(lambda db, _: pipelines.list_pipelines(db)[0].id)
    found = Demo(demo_database_url).read(lambda db, actor: pipeline_changes(db, actor, pipeline, first, last, ZONE))
    query = {"changes": "1", "changes_from": first.isoformat(), "changes_to": last.isoformat(), "moved": "won"}

    app = open_at(app_as("ceo"), FUNNEL, query)

    assert (app.date_input(key=Funnel.CHANGES_FROM).value, app.date_input(key=Funnel.CHANGES_TO).value) == (first, last)
    table = next(d.value for d in app.dataframe if "bucket" in d.value.columns)
    assert table["amount"].iloc[-1] == pytest.approx(float(found.end_amount))
    won = next(b.deals for b in found.buckets if b.name == "won")
    assert app.selectbox(key=Funnel.CHANGES_BUCKET).value == "won"
    assert len([b for b in app.button if str(b.key).startswith("funnel_changes_deal")]) == min(won, 200)
    assert app.query_params == query


def test_junk_in_the_funnels_pipeline_changes_address_is_passed_over(app_as):
    query = {"changes": "1", "changes_from": "15.03.2027", "changes_to": "2999-01-01", "closing": "x", "moved": "<b>"}

    app = open_at(app_as("ceo"), FUNNEL, query)

    assert app.date_input(key=Funnel.CHANGES_FROM).value == today() - timedelta(days=7)
    assert app.date_input(key=Funnel.CHANGES_TO).value == today()
    assert app.selectbox(key=Funnel.CHANGES_CLOSING).value is None
    assert app.selectbox(key=Funnel.CHANGES_BUCKET).value is None
    assert app.query_params == {"changes": "1"}
    app.toggle(key=Funnel.CHANGES_SHOWN).set_value(False).run()  # hidden: its days leave the address
    assert app.query_params == {}


@pytest.mark.parametrize("script, where", [(FUNNEL, "funnel"), (DASHBOARD, "dashboard")])
def test_the_slipping_deals_shown_at_an_address_are_shown_again(app_as, script, where):
    app = open_at(app_as("ceo"), script, {"slippage": "1"})

    assert app.toggle(key=f"{where}_slippage_shown").value is True
    assert any("slipped" in d.value.columns for d in app.dataframe)  # the managers' slippage, read when shown
    app.toggle(key=f"{where}_slippage_shown").set_value(False).run()
    assert app.query_params == {}


def _opened(app) -> list[str]:
    return [m.value for m in app.markdown if m.value.startswith("**Deals behind")]


def test_the_list_of_deals_open_is_in_the_address_and_a_link_opens_it(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    pipeline = demo.read(lambda db, _: pipelines.list_pipelines(db)[0].id)
    presentation = demo.stage(pipeline, "Presentation")
    app = open_view(app_as("ceo"), FUNNEL)
    app.button(key=Funnel.BEHIND_TILE("created")).click().run()
    assert app.query_params == {"deals": "tiles~created"}
    app.button(key="funnel_behind_tiles_close").click().run()
    assert app.query_params == {}

    app = open_at(app_as("ceo"), FUNNEL, {"deals": f"table~reached~{presentation}"})

    first, last = period("last_quarter", today())
    cohort = demo.read(lambda db, actor: funnel.cohort_funnel(db, actor, FunnelFilter(pipeline, first, last, ZONE)))
    reached = int(cohort.set_index("stage").loc["Presentation", "reached"])
    assert _opened(app) == ["**Deals behind: Reached the stage — Presentation**"]
    assert f"{reached:,} deals" in " ".join(c.value for c in app.caption)
    assert app.query_params == {"deals": f"table~reached~{presentation}"}


@pytest.mark.parametrize("junk", ["table~reached~99999", "tiles~nothing", "<b>x</b>", "table~reached~1~2", "~~"])
def test_a_list_the_funnel_does_not_offer_is_not_opened_from_the_address(app_as, junk):
    app = open_at(app_as("ceo"), FUNNEL, {"deals": junk})

    assert _opened(app) == []
    assert app.query_params == {}


def test_junk_in_the_funnels_address_is_passed_over(app_as, demo_database_url):
    first_pipeline = Demo(demo_database_url).read(lambda db, _: pipelines.list_pipelines(db)[0].id)
    junk = {
        "pipeline": "999",
        "period": "forever",
        "from": "2026-13-45",
        "to": "9999-12-31",  # a date, but none a period can end on
        "team": "abc",
        "compare": "x,999999",
        "source": "<b>nowhere</b>",
        "view": "pie",
    }
    app = open_at(app_as("ceo"), FUNNEL, {**junk, "region": "Kazan"})

    assert app.selectbox(key=Funnel.PIPELINE).value == first_pipeline
    assert app.selectbox(key=Funnel.PRESET).value == "last_quarter"  # no date that reads as one: no custom period
    assert app.selectbox(key=Funnel.TEAM).value is None
    assert app.multiselect(key=Funnel.COMPARE).value == []
    assert app.selectbox(key=Funnel.CATEGORY("source")).value is None
    assert app.selectbox(key=Funnel.CATEGORY("region")).value == "Kazan"
    assert app.segmented_control(key=Funnel.VIEW).value == "funnel"
    assert app.query_params == {"region": "Kazan"}
    assert not [m for m in app.markdown if "nowhere" in m.value]


# Manager dashboard


def test_the_dashboard_at_an_address_shows_its_filters_and_their_figures(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    team, boris = demo.team("Moscow office"), demo.user("boris")

    app = open_at(app_as("ceo"), DASHBOARD, {"period": "this_year", "team": str(team), "manager": str(boris)})

    assert app.selectbox(key=Dashboard.PRESET).value == "this_year"
    assert app.selectbox(key=Dashboard.TEAM).value == team
    assert app.selectbox(key=Dashboard.MANAGER).value == boris
    first, last = period("this_year", today())
    rows = demo.read(
        lambda db, actor: activity.manager_activity(
            db, actor, date_from=first, date_to=last, now=utcnow(), zone=ZONE, team_id=team
        )
    )
    assert set(app.dataframe[0].value["manager"]) == set(rows["manager"])  # the team's managers only
    mine = rows[rows["manager_id"] == boris].iloc[0]
    calls = next(m for m in app.metric if m.label == "Calls")
    assert int(mine["calls"]) > 0
    assert calls.value == format.count(mine["calls"], "en")


def test_a_dashboard_filter_changed_is_written_to_the_address(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    team, clara = demo.team("London office"), demo.user("clara")
    app = open_view(app_as("ceo"), DASHBOARD)
    assert app.query_params == {}

    app.selectbox(key=Dashboard.PRESET).set_value("last_month").run()
    app.selectbox(key=Dashboard.TEAM).set_value(team).run()
    app.selectbox(key=Dashboard.MANAGER).set_value(clara).run()

    assert not app.exception
    assert app.query_params == {"period": "last_month", "team": str(team), "manager": str(clara)}


def test_junk_in_the_dashboards_address_is_passed_over(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    moscow, clara = demo.team("Moscow office"), demo.user("clara")  # clara works in London
    app = open_at(app_as("ceo"), DASHBOARD, {"period": "custom", "team": str(moscow), "manager": str(clara)})

    assert app.selectbox(key=Dashboard.PRESET).value == "this_quarter"  # custom is no choice here
    assert app.selectbox(key=Dashboard.TEAM).value == moscow
    assert app.selectbox(key=Dashboard.MANAGER).value is None  # not one of the team
    assert app.query_params == {"team": str(moscow)}

    app = open_at(app_as("ceo"), DASHBOARD, {"team": "abc", "manager": "-1", "period": ""})
    assert (app.selectbox(key=Dashboard.TEAM).value, app.selectbox(key=Dashboard.MANAGER).value) == (None, None)
    assert app.query_params == {}


def test_a_manager_cannot_look_at_another_through_the_address(app_as, demo_database_url):
    clara = Demo(demo_database_url).user("clara")
    app = open_at(app_as("anna"), DASHBOARD, {"manager": str(clara), "period": "this_year"})

    assert not [s for s in app.selectbox if s.key in (Dashboard.TEAM, Dashboard.MANAGER)]
    assert app.dataframe[0].value["manager"].tolist() == ["Anna Ivanova"]
    assert app.query_params == {"period": "this_year"}


def test_a_leaderboard_cells_list_comes_back_from_the_address_but_never_another_managers(app_as, demo_database_url):
    clara = Demo(demo_database_url).user("clara")
    asked = {"period": "this_year", "deals": f"leaderboard~calls~{clara}"}

    app = open_at(app_as("ceo"), DASHBOARD, asked)
    assert any(m.value == "**Activities behind: Calls — Clara Smith**" for m in app.markdown)
    assert app.query_params == asked

    app = open_at(app_as("anna"), DASHBOARD, asked)  # not one of Anna's cells: nothing opens
    assert not any(m.value.startswith("**Activities behind") for m in app.markdown)
    assert app.query_params == {"period": "this_year"}


# Plan vs fact


def test_plan_vs_fact_at_an_address_shows_its_filters_and_their_figures(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    pipeline, team = demo.pipeline("B2B classic"), demo.team("Moscow office")
    month = Period.containing(PeriodKind.MONTH, today()).shifted(-2)
    query = {"period": str(month), "pipeline": str(pipeline), "team": str(team), "cumulative": "1"}

    app = open_at(app_as("ceo"), PLAN, query)  # a month alone says the kind of period too

    assert app.selectbox(key=PlanFact.KIND).value == PeriodKind.MONTH
    assert app.selectbox(key=PlanFact.PERIOD(PeriodKind.MONTH)).value == month
    assert app.selectbox(key=PlanFact.PIPELINE).value == pipeline
    assert app.selectbox(key=PlanFact.TEAM).value == team
    assert app.toggle(key=PlanFact.CUMULATIVE).value is True
    rows = demo.read(
        lambda db, actor: plan_fact.plan_fact(
            db, actor, period=month, today=today(), zone=ZONE, pipeline_id=pipeline, team_id=team
        )
    )
    expected = plan_fact.report_table(rows)
    table = app.dataframe[0].value
    assert table["name"].tolist() == expected["name"].tolist()
    assert table["fact_amount"].tolist() == pytest.approx(expected["fact_amount"].tolist())
    assert expected["fact_amount"].sum() > 0
    assert app.query_params == {**query, "kind": "month"}


def test_a_plan_filter_changed_is_written_to_the_address(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    pipeline, team = demo.pipeline("Inbound lead"), demo.team("Online sales")
    last_month = Period.containing(PeriodKind.MONTH, today()).shifted(-1)
    app = open_view(app_as("ceo"), PLAN)
    assert app.query_params == {}

    app.selectbox(key=PlanFact.KIND).set_value(PeriodKind.MONTH).run()
    assert app.query_params == {"kind": "month"}  # this month: the default period of the kind
    app.selectbox(key=PlanFact.PERIOD(PeriodKind.MONTH)).set_value(last_month).run()
    app.selectbox(key=PlanFact.PIPELINE).set_value(pipeline).run()
    app.selectbox(key=PlanFact.TEAM).set_value(team).run()
    app.toggle(key=PlanFact.CUMULATIVE).set_value(True).run()

    assert not app.exception
    assert app.query_params == {
        "kind": "month",
        "period": str(last_month),
        "pipeline": str(pipeline),
        "team": str(team),
        "cumulative": "1",
    }


def test_a_plan_rows_list_of_deals_comes_back_from_the_address(app_as):
    from ui.i18n import TEXTS

    app = open_at(app_as("ceo"), PLAN, {"deals": "table~won_at_close~company~-~-"})

    company = TEXTS["dashboard.company"]["en"]
    assert [m.value for m in app.markdown if m.value.startswith("**Deals behind")] == [
        f"**Deals behind: Won (by who closed it) — {company}**"
    ]
    assert app.query_params == {"deals": "table~won_at_close~company~-~-"}


def test_junk_in_the_plans_address_is_passed_over(app_as):
    junk = {"kind": "week", "period": "2019-Q1", "pipeline": "abc", "team": "999", "cumulative": "yes"}
    app = open_at(app_as("ceo"), PLAN, junk)

    current = Period.containing(PeriodKind.QUARTER, today())
    assert app.selectbox(key=PlanFact.KIND).value == PeriodKind.QUARTER
    assert app.selectbox(key=PlanFact.PERIOD(PeriodKind.QUARTER)).value == current  # 2019 is not offered
    assert (app.selectbox(key=PlanFact.PIPELINE).value, app.selectbox(key=PlanFact.TEAM).value) == (None, None)
    assert app.toggle(key=PlanFact.CUMULATIVE).value is False
    assert app.query_params == {}


# Deals


def test_the_deal_list_at_an_address_shows_its_filters_and_page(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    pipeline = demo.pipeline("B2B classic")
    total = demo.read(lambda db, actor: list_deals(db, actor, DealFilter(pipeline), now=utcnow(), page_size=50).total)
    assert total > 50  # a second page to be on

    app = open_at(app_as("ceo"), DEALS, {"pipeline": str(pipeline), "status": "all", "sort": "amount", "page": "2"})

    assert app.selectbox(key=Deals.PIPELINE).value == pipeline
    assert app.radio(key=Deals.STATUS).value == "all"
    assert app.selectbox(key=Deals.SORT).value == "amount"
    last = format.count(min(100, total), "en")
    assert f"Deals 51–{last} of {format.count(total, 'en')}" in [c.value for c in app.caption]
    assert app.query_params == {"status": "all", "sort": "amount", "page": "2"}  # the first pipeline: the default


def test_the_deal_lists_folded_filters_come_from_the_address(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    pipeline, jack = demo.pipeline("B2B classic"), demo.user("jack")
    stages = [demo.stage(pipeline, "Qualification"), demo.stage(pipeline, "Presentation")]
    chosen = DealFilter(pipeline, tuple(stages), StageKind.OPEN, owner_ids=(jack,), only_rotting=True)
    rotting = demo.read(lambda db, actor: list_deals(db, actor, chosen, now=utcnow()).rows)
    search = rotting["title"].iloc[0].split()[0]
    query = {"search": search, "stages": ",".join(map(str, stages)), "owner": str(jack), "rotting": "1"}

    app = open_at(app_as("ceo"), DEALS, query)

    assert app.text_input(key=Deals.SEARCH).value == search
    assert app.multiselect(key=Deals.STAGES).value == stages
    assert app.selectbox(key=Deals.OWNER).value == jack
    assert app.toggle(key=Deals.ONLY_ROTTING).value is True
    assert app.toggle(key=Deals.ONLY_OVERDUE).value is False
    total = demo.read(lambda db, actor: list_deals(db, actor, replace(chosen, search=search), now=utcnow()).total)
    everyone = demo.read(
        lambda db, actor: list_deals(db, actor, DealFilter(pipeline, status=StageKind.OPEN), now=utcnow())
    )
    assert 0 < total < everyone.total
    assert f"Deals 1–{format.count(total, 'en')} of {format.count(total, 'en')}" in [c.value for c in app.caption]
    assert app.query_params == query


def test_back_from_a_deal_the_list_has_its_filters_and_its_address(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    anna = demo.user("anna")
    app = open_at(app_as("ceo"), DEALS, {"status": "won", "owner": str(anna)})
    deal_id = demo.read(
        lambda db, actor: int(
            list_deals(db, actor, DealFilter(demo.pipeline("B2B classic")), now=utcnow()).rows["id"].iloc[0]
        )
    )

    app.query_params.clear()  # a deal opened: /deals?deal=<id>, as ui.navigation.open_deal does
    app.query_params["deal"] = str(deal_id)
    app.run()
    assert app.query_params == {"deal": str(deal_id)}  # the deal's address has none of the list's filters
    app.button(key=Deals.BACK).click().run()

    assert not app.exception
    assert app.radio(key=Deals.STATUS).value == "won"
    assert app.selectbox(key=Deals.OWNER).value == anna
    assert app.query_params == {"status": "won", "owner": str(anna)}


def test_a_deal_list_filter_changed_is_written_to_the_address(app_as, demo_database_url):
    demo = Demo(demo_database_url)
    pipeline = demo.pipeline("Inbound lead")
    first_contact = demo.stage(pipeline, "First contact")
    app = open_view(app_as("ceo"), DEALS)
    assert app.query_params == {}

    app.selectbox(key=Deals.PIPELINE).set_value(pipeline).run()
    app.radio(key=Deals.STATUS).set_value("all").run()
    app.button(key=Deals.NEXT).click().run()
    assert app.query_params == {"pipeline": str(pipeline), "status": "all", "page": "2"}

    app.text_input(key=Deals.SEARCH).input("volga").run()  # a new filter: back to the first page
    app.multiselect(key=Deals.STAGES).select(first_contact).run()
    app.toggle(key=Deals.ONLY_OVERDUE).set_value(True).run()
    app.selectbox(key=Deals.SORT).set_value("expected_close").run()

    assert not app.exception
    assert app.query_params == {
        "pipeline": str(pipeline),
        "search": "volga",
        "status": "all",
        "stages": str(first_contact),
        "sort": "expected_close",
        "overdue": "1",
    }


def test_junk_in_the_deal_lists_address_is_passed_over_and_the_search_is_plain_text(app_as):
    junk = {
        "pipeline": "abc",
        "status": "maybe",
        "stages": "x,999999",
        "owner": "-1",
        "sort": "drop table",
        "rotting": "2",
        "overdue": "yes",
        "page": "0",
    }
    app = open_at(app_as("ceo"), DEALS, {**junk, "search": HOSTILE_SEARCH})

    assert app.radio(key=Deals.STATUS).value == "open"
    assert app.multiselect(key=Deals.STAGES).value == []
    assert app.selectbox(key=Deals.OWNER).value is None
    assert app.selectbox(key=Deals.SORT).value == "recent"
    assert (app.toggle(key=Deals.ONLY_ROTTING).value, app.toggle(key=Deals.ONLY_OVERDUE).value) == (False, False)
    assert app.text_input(key=Deals.SEARCH).value == HOSTILE_SEARCH  # as typed into the address, nothing more
    assert not [m for m in (*app.markdown, *app.caption) if "javascript" in m.value]
    assert app.query_params == {"search": HOSTILE_SEARCH}
