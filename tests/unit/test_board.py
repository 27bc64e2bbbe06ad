"""The deals board's read side: each open stage's figures counted by hand, and its largest deals as cards."""

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import event

from core import activities, deals
from core.analytics.deal_list import MAX_BOARD_CARDS, board
from core.analytics.filters import DealFilter
from db.models import Activity, Deal

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def make(session, world, actor, title, amount=100, **fields) -> int:
    return deals.create_deal(
        session, actor, pipeline_id=world.pipeline_id, fields={"title": title, "amount": amount, **fields}
    )


def move(session, world, actor, deal_id: int, stage: str) -> None:
    deals.move_deal(session, actor, deal_id, world.stages[stage], session.get(Deal, deal_id).version)


def by_stage(columns) -> dict:
    return {column.stage: column for column in columns}


def test_each_open_stage_counts_and_sums_every_deal_of_it_and_weighs_it_by_the_stages_probability(session, world):
    for amount in (1000, 2000):
        make(session, world, world.anna, f"Qualified {amount}", amount)
    for amount in (400, 600):
        move(
            session, world, world.anna, make(session, world, world.anna, f"Presented {amount}", amount), "Presentation"
        )
    move(session, world, world.boris, make(session, world, world.boris, "Boris presents", 5000), "Presentation")
    won = make(session, world, world.anna, "Already won", 9000)
    deals.move_deal(session, world.anna, won, world.stages["Won"], 1, fields={"amount": "9000"})

    everyone = by_stage(board(session, world.executive, DealFilter(world.pipeline_id), now=NOW))
    annas = by_stage(board(session, world.anna, DealFilter(world.pipeline_id), now=NOW))

    # The open stages in pipeline order; a closed deal is on none of them.
    assert list(everyone) == ["Qualification", "Presentation", "Commercial proposal", "Contracting"]
    # Qualification weighs 10 %, Presentation 25 %.
    assert [(c.deals, c.amount, c.weighted_amount) for c in everyone.values()] == [
        (2, 3000.0, 300.0),
        (3, 6000.0, 1500.0),
        (0, 0.0, 0.0),
        (0, 0.0, 0.0),
    ]
    assert (annas["Presentation"].deals, annas["Presentation"].amount, annas["Presentation"].weighted_amount) == (
        2,
        1000.0,
        250.0,
    )
    assert annas["Presentation"].cards["title"].tolist() == ["Presented 600", "Presented 400"]


def test_the_workspace_filters_narrow_the_figures_and_the_cards_alike(session, world):
    make(session, world, world.anna, "Licences for Acme", 700)
    make(session, world, world.anna, "Support renewal", 300)

    qualification = board(session, world.anna, DealFilter(world.pipeline_id, search="acme"), now=NOW)[0]

    assert (qualification.deals, qualification.amount, qualification.weighted_amount) == (1, 700.0, 70.0)
    assert qualification.cards["title"].tolist() == ["Licences for Acme"]


def test_a_column_shows_its_largest_deals_first_and_more_when_asked(session, world):
    for amount in (10, 20, 30, 40, 50):
        make(session, world, world.anna, f"Card {amount}", amount=amount)
    presented = make(session, world, world.anna, "Presented", amount=1)
    move(session, world, world.anna, presented, "Presentation")
    everyone = DealFilter(world.pipeline_id)
    qualification_id = world.stages["Qualification"]

    first = board(session, world.anna, everyone, now=NOW, cards_per_stage=2)
    more = board(session, world.anna, everyone, now=NOW, cards_per_stage=2, limits={qualification_id: 4})
    everything = board(session, world.anna, everyone, now=NOW, cards_per_stage=2, limits={qualification_id: 10_000})

    assert (first[0].deals, first[0].cards["title"].tolist(), first[0].hidden) == (5, ["Card 50", "Card 40"], 3)
    assert (more[0].cards["title"].tolist(), more[0].hidden) == (["Card 50", "Card 40", "Card 30", "Card 20"], 1)
    assert (everything[0].cards["title"].tolist()[-1], everything[0].hidden) == ("Card 10", 0)
    # Asking one column for more leaves the others at the first few.
    assert more[1].cards["title"].tolist() == ["Presented"]
    assert more[0].amount == first[0].amount == 150.0


def test_equal_amounts_keep_one_order_so_that_more_cards_only_add_to_the_end(session, world):
    ids = [make(session, world, world.anna, f"Same {n}", amount=100) for n in range(4)]

    two = board(session, world.anna, DealFilter(world.pipeline_id), now=NOW, cards_per_stage=2)[0]
    four = board(session, world.anna, DealFilter(world.pipeline_id), now=NOW, cards_per_stage=4)[0]

    assert four.cards["id"].tolist() == sorted(ids, reverse=True)
    assert four.cards["id"].tolist()[:2] == two.cards["id"].tolist()


def test_the_cards_are_cut_in_sql_and_never_more_than_the_most_a_column_holds(session, world, engine):
    for number in range(3):
        make(session, world, world.anna, f"Deal {number}", amount=number + 1)
    statements = []

    def listener(_connection, _cursor, statement, parameters, *_) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        columns = board(
            session,
            world.anna,
            DealFilter(world.pipeline_id),
            now=NOW,
            limits={world.stages["Qualification"]: MAX_BOARD_CARDS * 10},
        )
    finally:
        event.remove(engine, "before_cursor_execute", listener)

    assert len(columns[0].cards) == 3
    card_queries = [(s, p) for s, p in statements if "LIMIT" in s.upper() and "next_activity" not in s]
    values = [list(p.values()) if isinstance(p, dict) else list(p) for _, p in card_queries]
    assert any(MAX_BOARD_CARDS in v for v in values)  # the column asked for ten times the most gets the most
    assert sum(20 in v for v in values) == 3  # and the other three columns their first 20


def test_a_card_shows_its_company_owner_days_in_stage_next_step_and_whether_it_rots(session, world):
    rich = make(session, world, world.anna, "With everything", 500, company_id=world.company_id)
    bare = make(session, world, world.anna, "With nothing", 400)
    session.get(Deal, rich).stage_entered_at = NOW - timedelta(days=9)  # Qualification rots after 7 days
    session.get(Deal, bare).stage_entered_at = NOW - timedelta(days=3)
    session.flush()
    activities.plan_activity(
        session, world.anna, kind="meeting", subject="later", deal_id=rich, due_at=NOW + timedelta(days=5)
    )
    activities.plan_activity(
        session, world.anna, kind="call", subject="sooner", deal_id=rich, due_at=NOW + timedelta(days=1)
    )
    session.add(
        Activity(kind="task", subject="undated", deal_id=rich, owner_id=world.anna.id, due_at=None, created_at=NOW)
    )
    session.add(  # done already: not a next step, whatever its due time
        Activity(
            kind="email",
            subject="sent",
            deal_id=bare,
            owner_id=world.anna.id,
            due_at=NOW + timedelta(hours=1),
            done_at=NOW - timedelta(days=8),
            created_at=NOW,
        )
    )
    session.flush()

    cards = board(session, world.anna, DealFilter(world.pipeline_id), now=NOW)[0].cards.set_index("title")

    first = cards.loc["With everything"]
    assert (first["company"], first["owner"], first["days_in_stage"], first["rotting"]) == ("Acme Ltd", "Anna", 9, True)
    assert first["next_activity_kind"] == "call"
    assert first["next_activity_at"].astimezone(UTC) == NOW + timedelta(days=1)
    second = cards.loc["With nothing"]
    assert pd.isna(second["company"]) and pd.isna(second["next_activity_kind"])
    assert (second["days_in_stage"], second["rotting"]) == (3, False)


def test_an_undated_activity_is_a_next_step_when_it_is_the_only_one(session, world):
    deal_id = make(session, world, world.anna, "Undated task only")
    session.add(
        Activity(kind="task", subject="undated", deal_id=deal_id, owner_id=world.anna.id, due_at=None, created_at=NOW)
    )
    session.flush()

    card = board(session, world.anna, DealFilter(world.pipeline_id), now=NOW)[0].cards.iloc[0]

    assert card["next_activity_kind"] == "task"
