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
from ui.confirm import CANCEL, CONFIRM
from ui.state import PlanFact, key

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


COPY_CONFIRM = key(PlanFact.COPY_CONFIRMATION, CONFIRM)
COPY_CANCEL = key(PlanFact.COPY_CONFIRMATION, CANCEL)


def plans_of(url: str, months: list[date]) -> list[tuple]:
    """Every plan of these months, and every plan change: what a copy would touch."""
    engine = make_engine(url)
    with transaction(engine) as session:
        plans = session.execute(
            select(Plan.month, Plan.scope_key, Plan.target_amount).where(Plan.month.in_(months)).order_by(Plan.id)
        ).all()
        changes = session.scalar(select(func.count()).select_from(PlanChange))
    engine.dispose()
    return [*plans, changes]


def ask_to_copy_a_teams_quarter(app, team_id: int, source: Period, target: Period):
    """The Moscow office's plans of `source` onto `target`, 10% up: Copy clicked once."""
    app.selectbox(key=PlanFact.PERIOD("quarter")).set_value(target).run()
    app.selectbox(key=PlanFact.TEAM).set_value(team_id).run()
    app.selectbox(key=PlanFact.COPY_SOURCE(target, team_id, None)).set_value(source)
    app.selectbox(key=PlanFact.COPY_TARGET(target, team_id, None)).set_value(target)
    app.number_input(key=PlanFact.COPY_UPLIFT(target)).set_value(10.0)
    next(b for b in app.button if b.label == "Copy").click().run()


def moscow_office(url: str) -> int:
    engine = make_engine(url)
    with transaction(engine) as session:
        team_id = users.find_team(session, "Moscow office")
    engine.dispose()
    return team_id


def test_copy_first_names_how_many_plans_it_replaces_and_changes_nothing(writable_app_as, writable_demo_url):
    team_id, following = moscow_office(writable_demo_url), THIS_QUARTER.shifted(1)
    before = plans_of(writable_demo_url, following.months)
    app = open_view(writable_app_as("ceo"), PAGE)

    ask_to_copy_a_teams_quarter(app, team_id, THIS_QUARTER, following)

    assert not app.exception and not app.success
    engine = make_engine(writable_demo_url)
    with transaction(engine) as session:
        replaced = session.scalar(
            select(func.count())
            .select_from(Plan)
            .join(User, User.id == Plan.user_id)
            .where(Plan.month.in_(following.months), User.team_id == team_id)
        )
    engine.dispose()
    question = app.warning[0].value
    assert question.startswith(f"Copy 12 plans from {THIS_QUARTER} to {following}, each target changed by +10%?")
    assert (
        f"{replaced} of them replace plans already set for {following}." in question
        if replaced
        else "nothing is replaced" in question
    )
    assert plans_of(writable_demo_url, following.months) == before


def test_cancel_copies_nothing(writable_app_as, writable_demo_url):
    team_id, following = moscow_office(writable_demo_url), THIS_QUARTER.shifted(1)
    before = plans_of(writable_demo_url, following.months)
    app = open_view(writable_app_as("ceo"), PAGE)
    ask_to_copy_a_teams_quarter(app, team_id, THIS_QUARTER, following)

    app.button(key=COPY_CANCEL).click().run()

    assert not app.exception and not app.warning and not app.success
    assert plans_of(writable_demo_url, following.months) == before


def test_an_executive_copies_a_teams_quarter_with_an_uplift_once_confirmed(writable_app_as, writable_demo_url):
    engine = make_engine(writable_demo_url)

    def other_teams_changes(session) -> int:
        return session.scalar(
            select(func.count())
            .select_from(PlanChange)
            .join(Plan, Plan.id == PlanChange.plan_id)
            .join(User, User.id == Plan.user_id)
            .where(User.team_id != team_id)
        )

    team_id = moscow_office(writable_demo_url)
    with transaction(engine) as session:
        changes_before = other_teams_changes(session)
    following = THIS_QUARTER.shifted(1)
    app = open_view(writable_app_as("ceo"), PAGE)
    ask_to_copy_a_teams_quarter(app, team_id, THIS_QUARTER, following)
    confirm = app.button(key=COPY_CONFIRM)

    confirm.click().run()

    assert not app.exception
    assert app.success[0].value == f"12 plans copied from {THIS_QUARTER} to {following}."  # 4 managers × 3 months
    assert not app.warning  # the question is gone
    copied = plans_of(writable_demo_url, following.months)
    confirm.run()  # a double click: the same Confirm once more, from the page as it was drawn
    assert not app.exception and not app.error and not app.success
    assert plans_of(writable_demo_url, following.months) == copied

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


@pytest.mark.parametrize("shown_step", [0, 1, 2, 3])
def test_the_copy_offered_first_replaces_no_plans(app_as, demo_database_url, shown_step):
    shown = THIS_QUARTER.shifted(shown_step)
    app = open_view(app_as("ceo"), PAGE)
    app.selectbox(key=PlanFact.PERIOD("quarter")).set_value(shown).run()

    source = app.selectbox(key=PlanFact.COPY_SOURCE(shown, None, None)).value
    target = app.selectbox(key=PlanFact.COPY_TARGET(shown, None, None)).value
    next(b for b in app.button if b.label == "Copy").click().run()

    assert source != target and shown in (source, target)
    assert not [p for p in plans_of(demo_database_url, target.months)[:-1]]  # the target has no plans yet
    assert "nothing is replaced" in app.warning[0].value


def test_in_russian_the_copy_question_is_in_russian(writable_app_as, writable_demo_url, russian):
    team_id, following = moscow_office(writable_demo_url), THIS_QUARTER.shifted(1)
    app = open_view(russian(writable_app_as("ceo")), PAGE)

    app.selectbox(key=PlanFact.PERIOD("quarter")).set_value(following).run()
    app.selectbox(key=PlanFact.TEAM).set_value(team_id).run()
    app.selectbox(key=PlanFact.COPY_SOURCE(following, team_id, None)).set_value(THIS_QUARTER)
    app.selectbox(key=PlanFact.COPY_TARGET(following, team_id, None)).set_value(following)
    next(b for b in app.button if b.label == "Скопировать").click().run()

    assert app.warning[0].value.startswith(
        f"Скопировать планы из {THIS_QUARTER} в {following}, изменив каждый показатель на +10%? Планов: 12;"
    )
    assert [b.label for b in app.button if b.key in (COPY_CONFIRM, COPY_CANCEL)] == ["Да, скопировать", "Отмена"]


def test_the_page_in_russian(app_as):
    app = app_as("ceo")
    app.run()
    app.sidebar.selectbox[0].set_value("ru").run()
    app.switch_page(PAGE).run()

    assert not app.exception
    assert app.title[0].value == "План-факт"
    assert "Планы" in [h.value for h in app.subheader]


def test_the_fact_tile_lists_the_deals_behind_the_fact(app_as):
    app = open_view(app_as("ceo"), "views/plan_fact.py")
    fact = next(m.value for m in app.metric if m.label == "Fact")
    app.button(key=PlanFact.BEHIND_TILE).click().run()

    assert not app.exception
    caption = next(c.value for c in app.caption if c.value.endswith(" USD") and " deals · " in c.value)
    assert caption.split(" · ")[1] == fact
