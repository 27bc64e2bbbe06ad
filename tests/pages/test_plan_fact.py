import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select

from core import users
from core.clock import utcnow
from core.periods import Period, PeriodKind
from db.engine import make_engine, transaction
from db.models import Plan, PlanChange, User
from tests.conftest import HOSTILE_LOGIN, HOSTILE_NAME
from tests.pages.conftest import open_view
from ui.state import PlanFact

PAGE = "views/plan_fact.py"
THIS_QUARTER = Period.containing(PeriodKind.QUARTER, utcnow().date())


@pytest.mark.parametrize("login", ["admin", "ceo", HOSTILE_LOGIN])
def test_the_page_renders_for_every_role(app_as, login):
    app = open_view(app_as(login), PAGE)

    assert app.title[0].value == "Plan vs fact"
    assert [m.label for m in app.metric] == [
        "Plan",
        "Fact",
        "Completion",
        "New deals needed",
        "Run-rate forecast",
        "Weighted forecast",
        "Gap",
        "New deals needed",
    ]
    assert {"Completion by manager", "Every figure", "Deals needed: what it takes", "Plans"} <= {
        h.value for h in app.subheader
    }


def test_a_manager_reads_only_their_own_row_and_cannot_edit(app_as):
    app = open_view(app_as(HOSTILE_LOGIN), PAGE)

    assert app.dataframe[0].value["name"].tolist() == [HOSTILE_NAME]
    assert not [s for s in app.selectbox if s.key in ("plan_team", "plan_calculator_manager")]
    assert not [b for b in app.button if b.label == "Copy"]
    assert "Your plans, set by your head of sales." in [c.value for c in app.caption]


def test_an_executive_sees_managers_teams_and_the_company(app_as):
    app = open_view(app_as("ceo"), PAGE)

    table = app.dataframe[0].value
    assert set(table["level"]) == {"manager", "team", "company"}
    assert table[table["level"] == "company"]["name"].tolist() == ["Whole company"]
    company = table[table["level"] == "company"].iloc[0]
    managers = table[table["level"] == "manager"]
    assert company["fact_amount"] == pytest.approx(managers["fact_amount"].sum())
    assert company["plan_amount"] > 0


def test_a_quarter_without_plans_says_no_plan(app_as):
    app = open_view(app_as("ceo"), PAGE)
    later = THIS_QUARTER.shifted(4)  # the seed plans up to three months ahead
    app.selectbox(key=PlanFact.PERIOD("quarter")).set_value(later).run()

    assert not app.exception
    assert app.metric[2].value == "no plan"
    assert set(app.dataframe[0].value["completion_amount"]) == {"no plan"}


def test_the_calculator_recomputes_with_what_if_values(app_as):
    app = open_view(app_as("ceo"), PAGE)
    gap, win_rate, average = (
        next(n for n in app.number_input if n.key.startswith(PlanFact.WHAT_IF(name)))
        for name in ("gap", "win_rate", "average")
    )

    gap.set_value(100_000.0)
    win_rate.set_value(20.0)
    average.set_value(3_000.0).run()

    assert not app.exception
    assert app.metric[-1].value == str(math.ceil(100_000 / (3_000 * 0.2)))  # 167
    win_rate.set_value(0.0).run()
    assert app.metric[-1].value == "—"
    assert "Cannot estimate" in app.warning[0].value


def test_an_executive_copies_a_teams_quarter_with_an_uplift(writable_app_as, writable_demo_url):
    engine = make_engine(writable_demo_url)

    def other_teams_changes(session) -> int:
        return session.scalar(
            select(func.count())
            .select_from(PlanChange)
            .join(Plan, Plan.id == PlanChange.plan_id)
            .join(User, User.id == Plan.user_id)
            .where(User.team_id != team_id)
        )

    with transaction(engine) as session:
        team_id = users.find_team(session, "Moscow office")
        changes_before = other_teams_changes(session)
    following = THIS_QUARTER.shifted(1)
    app = open_view(writable_app_as("ceo"), PAGE)
    app.selectbox(key=PlanFact.PERIOD("quarter")).set_value(following).run()
    app.selectbox(key=PlanFact.TEAM).set_value(team_id).run()
    app.number_input(key=PlanFact.COPY_UPLIFT(following)).set_value(10.0)
    next(b for b in app.button if b.label == "Copy").click().run()

    assert not app.exception
    assert app.success[0].value == f"12 plans copied from {THIS_QUARTER} to {following}."  # 4 managers × 3 months

    def amounts(month: date) -> dict[str, Decimal]:
        return dict(
            session.execute(
                select(User.display_name, Plan.target_amount)
                .join(User, User.id == Plan.user_id)
                .where(Plan.month == month, User.team_id == team_id)
            ).all()
        )

    with transaction(engine) as session:
        pairs = [
            (amounts(before), amounts(after))
            for before, after in zip(THIS_QUARTER.months, following.months, strict=True)
        ]
        changes_after = other_teams_changes(session)
    engine.dispose()
    for before, after in pairs:
        assert len(before) == 4 and before.keys() == after.keys()
        assert after == {
            name: (amount * Decimal("1.1")).quantize(Decimal(1), ROUND_HALF_UP) for name, amount in before.items()
        }
    assert changes_after == changes_before  # the other teams' plans were not touched


def test_the_page_in_russian(app_as):
    app = app_as("ceo")
    app.run()
    app.sidebar.selectbox[0].set_value("ru").run()
    app.switch_page(PAGE).run()

    assert not app.exception
    assert app.title[0].value == "План-факт"
    assert "Планы" in [h.value for h in app.subheader]
