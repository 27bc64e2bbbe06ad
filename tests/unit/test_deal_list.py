from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from core import activities, deals
from core.analytics.deal_list import deal_flags, list_deals, my_tasks
from core.analytics.filters import DealFilter
from core.errors import PermissionDenied
from db.models import Activity, Deal, StageKind

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def make(session, world, actor, title, amount=100, **fields) -> int:
    return deals.create_deal(
        session, actor, pipeline_id=world.pipeline_id, fields={"title": title, "amount": amount, **fields}
    )


def age(session, deal_id: int, days: int) -> None:
    """Pretend the deal entered its stage `days` ago (test set-up: history is not under test here)."""
    session.get(Deal, deal_id).stage_entered_at = NOW - timedelta(days=days)
    session.flush()


def titles(page) -> list[str]:
    return page.rows["title"].tolist()


def test_filters_search_status_stage_and_owner(session, world):
    make(session, world, world.anna, "Alpha licences", 300)
    beta = make(session, world, world.anna, "Beta support", 200)
    make(session, world, world.boris, "Gamma rollout", 100)
    deals.move_deal(session, world.anna, beta, world.stages["Presentation"], 1)
    everyone = DealFilter(world.pipeline_id)

    assert titles(list_deals(session, world.executive, everyone, now=NOW, sort="amount")) == [
        "Alpha licences",
        "Beta support",
        "Gamma rollout",
    ]
    assert titles(list_deals(session, world.anna, everyone, now=NOW, sort="amount")) == [
        "Alpha licences",
        "Beta support",
    ]
    assert titles(list_deals(session, world.executive, DealFilter(world.pipeline_id, search="SUPP"), now=NOW)) == [
        "Beta support"
    ]
    assert titles(list_deals(session, world.executive, DealFilter(world.pipeline_id, search="acme"), now=NOW)) == []
    by_stage = DealFilter(world.pipeline_id, stage_ids=(world.stages["Presentation"],))
    assert titles(list_deals(session, world.executive, by_stage, now=NOW)) == ["Beta support"]
    by_owner = DealFilter(world.pipeline_id, owner_ids=(world.boris.id,))
    assert titles(list_deals(session, world.executive, by_owner, now=NOW)) == ["Gamma rollout"]
    won = DealFilter(world.pipeline_id, status=StageKind.WON)
    assert list_deals(session, world.executive, won, now=NOW).total == 0


def test_a_manager_may_not_filter_on_someone_else(session, world):
    with pytest.raises(PermissionDenied):
        list_deals(session, world.anna, DealFilter(world.pipeline_id, owner_ids=(world.boris.id,)), now=NOW)


def test_search_treats_wildcards_literally(session, world):
    make(session, world, world.anna, "100% uptime")
    make(session, world, world.anna, "1000 seats")

    assert titles(list_deals(session, world.anna, DealFilter(world.pipeline_id, search="100%"), now=NOW)) == [
        "100% uptime"
    ]


def test_rotting_needs_both_the_stage_change_and_the_last_done_activity_to_be_old(session, world):
    # Qualification rots after 7 days in the B2B template.
    idle = make(session, world, world.anna, "Idle for ten days")
    called = make(session, world, world.anna, "Idle but called yesterday")
    planned = make(session, world, world.anna, "Idle with only a planned call")
    fresh = make(session, world, world.anna, "Entered two days ago")
    for deal_id in (idle, called, planned):
        age(session, deal_id, 10)
    age(session, fresh, 2)
    session.add(
        Activity(
            kind="call",
            subject="c",
            deal_id=called,
            owner_id=world.anna.id,
            done_at=NOW - timedelta(days=1),
            created_at=NOW,
        )
    )
    session.add(
        Activity(
            kind="call",
            subject="c",
            deal_id=planned,
            owner_id=world.anna.id,
            due_at=NOW + timedelta(days=1),
            created_at=NOW,
        )
    )
    session.flush()

    rotting = list_deals(session, world.anna, DealFilter(world.pipeline_id, only_rotting=True), now=NOW)

    assert sorted(titles(rotting)) == ["Idle for ten days", "Idle with only a planned call"]
    assert deal_flags(session, idle, now=NOW)["rotting"] and not deal_flags(session, called, now=NOW)["rotting"]


def test_overdue_means_not_done_and_due_before_now(session, world):
    late = make(session, world, world.anna, "Has a late task")
    on_time = make(session, world, world.anna, "Has a future task")
    activities.plan_activity(
        session, world.anna, kind="task", subject="t", deal_id=late, due_at=NOW - timedelta(minutes=1)
    )
    activities.plan_activity(
        session, world.anna, kind="task", subject="t", deal_id=on_time, due_at=NOW + timedelta(minutes=1)
    )

    overdue = list_deals(session, world.anna, DealFilter(world.pipeline_id, only_overdue=True), now=NOW)

    assert titles(overdue) == ["Has a late task"]
    assert overdue.rows["overdue"].tolist() == [True]


def test_pages_are_cut_in_sql(session, world, engine):
    for number in range(7):
        make(session, world, world.anna, f"Deal {number}", amount=number)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        page = list_deals(
            session, world.anna, DealFilter(world.pipeline_id), now=NOW, page=1, page_size=3, sort="amount"
        )
    finally:
        event.remove(engine, "before_cursor_execute", listener)

    assert (page.total, page.page, titles(page)) == (7, 1, ["Deal 3", "Deal 2", "Deal 1"])
    assert any("LIMIT" in statement.upper() and "OFFSET" in statement.upper() for statement in statements)
    last = list_deals(session, world.anna, DealFilter(world.pipeline_id), now=NOW, page=99, page_size=3)
    assert (last.page, len(last.rows)) == (2, 1)


def test_my_tasks_are_split_into_overdue_today_and_upcoming(session, world):
    zone = ZoneInfo("Europe/Moscow")  # NOW is 15:00 there; the day ends at 21:00 UTC
    for subject, due in (
        ("late", NOW - timedelta(hours=1)),
        ("tonight", NOW + timedelta(hours=8, minutes=59)),
        ("tomorrow", NOW + timedelta(hours=9)),
    ):
        activities.plan_activity(session, world.anna, kind="call", subject=subject, due_at=due)
    activities.plan_activity(session, world.boris, kind="call", subject="not mine", due_at=NOW)

    buckets = my_tasks(session, world.anna, now=NOW, zone=zone)

    assert {name: bucket.rows["subject"].tolist() for name, bucket in buckets.items()} == {
        "overdue": ["late"],
        "today": ["tonight"],
        "upcoming": ["tomorrow"],
    }
    assert [bucket.total for bucket in buckets.values()] == [1, 1, 1]


def test_my_tasks_show_the_first_ones_and_count_them_all(session, world):
    for hours in range(5):
        activities.plan_activity(
            session, world.anna, kind="task", subject=f"late {hours}", due_at=NOW - timedelta(hours=hours + 1)
        )

    overdue = my_tasks(session, world.anna, now=NOW, zone=ZoneInfo("UTC"), limit=2)["overdue"]

    assert (overdue.total, overdue.rows["subject"].tolist()) == (5, ["late 4", "late 3"])
