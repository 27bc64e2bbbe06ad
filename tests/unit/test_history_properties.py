"""Random sequences of deal changes through the services, dated day by day: the pipeline of any day,
what changed between any two days and the slipped deals agree with a replay of the same sequence kept
in the test (both databases)."""

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from core import deals, users
from core.analytics.history import pipeline_as_of, pipeline_changes, slippage
from core.analytics.sums import from_rows
from core.errors import ValidationError
from core.periods import DateRange
from core.permissions import Actor
from db.models import Deal, DealChange, Role, StageTransition
from db.rollups.build import rebuild
from tests.unit.conftest import add_user

ZONE = ZoneInfo("Europe/Moscow")
DAY = date(2026, 10, 1)
DAYS = 10
CLOSING = DateRange(date(2026, 11, 1), date(2026, 11, 30))
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

steps = st.lists(
    st.tuples(
        st.integers(0, DAYS - 1),  # the day
        st.sampled_from(["create", "amount", "close_date", "move", "won", "lost", "reopen", "reassign"]),
        st.integers(0, 7),  # which deal (modulo the deals made)
        st.integers(1, 60),  # an amount in hundreds, a date's day in Oct–Dec, an owner
    ),
    min_size=1,
    max_size=14,
)


@dataclass(frozen=True)
class Kept:
    """A deal as the test replays it."""

    stage: str
    amount: Decimal
    owner: int
    close: date | None
    closed_from: str = "Qualification"


@dataclass
class Replay:
    days: dict[int, dict[int, Kept]] = field(default_factory=dict)  # day → deal → as at its end
    pushes: Counter = field(default_factory=Counter)  # (deal, day) → pushes later made that day


def open_at(replay: Replay, day: int, owners=None, closing: DateRange | None = None) -> dict[str, tuple[int, float]]:
    found: dict[str, list] = {}
    for kept in replay.days.get(day, {}).values():
        if kept.stage in ("Won", "Lost") or (owners and kept.owner not in owners):
            continue
        if closing and not (kept.close and closing.first <= kept.close <= closing.last):
            continue
        found.setdefault(kept.stage, [0, 0.0])
        found[kept.stage][0] += 1
        found[kept.stage][1] += float(kept.amount)
    return {stage: (n, amount) for stage, (n, amount) in found.items()}


def perform(session, world, carl, script) -> Replay:
    s, made, state, replay = world.stages, [], {}, Replay()
    owners = [world.anna.id, world.boris.id, carl.id]
    marks = {
        model: session.scalar(select(func.coalesce(func.max(model.id), 0)))
        for model in (Deal, StageTransition, DealChange)
    }
    ordered = sorted(enumerate(script), key=lambda item: (item[1][0], item[0]))
    for index, (day, action, which, value) in ordered:
        deal_id = made[which % len(made)] if made else None
        kept = state.get(deal_id)
        version = session.get(Deal, deal_id).version if deal_id else None
        try:
            if action == "create" or deal_id is None:
                amount = Decimal(value * 100)
                deal_id = deals.create_deal(
                    session,
                    world.anna,
                    pipeline_id=world.pipeline_id,
                    fields={"title": f"D{index}", "amount": str(amount)},
                )
                made.append(deal_id)
                state[deal_id] = Kept("Qualification", amount, world.anna.id, None)
            elif action == "amount":
                amount = Decimal(value * 100)
                deals.update_deal(session, world.admin, deal_id, version, {"amount": str(amount)})
                state[deal_id] = replace(kept, amount=amount)
            elif action == "close_date":
                day_of = date(2026, 10, 1) + timedelta(days=value)
                deals.update_deal(session, world.admin, deal_id, version, {"expected_close_date": day_of.isoformat()})
                if kept.close is not None and day_of > kept.close:
                    replay.pushes[(deal_id, day)] += 1
                state[deal_id] = replace(kept, close=day_of)
            elif action == "move":
                target = "Presentation" if kept.stage == "Qualification" else "Qualification"
                deals.move_deal(session, world.admin, deal_id, s[target], version)
                state[deal_id] = replace(kept, stage=target)
            elif action in ("won", "lost"):
                if action == "won":
                    deals.close_won(session, world.admin, deal_id, version)
                else:
                    deals.close_lost(session, world.admin, deal_id, version, lost_reason_id=world.reason_id)
                # A reopen goes back to the open stage it was closed from; closed from a closed one, to the first.
                was_open = kept.stage not in ("Won", "Lost")
                state[deal_id] = replace(
                    kept, stage=action.title(), closed_from=kept.stage if was_open else "Qualification"
                )
            elif action == "reopen":
                deals.reopen_deal(session, world.admin, deal_id, version)
                state[deal_id] = replace(kept, stage=kept.closed_from)
            else:
                owner = owners[value % 3]
                deals.reassign_deal(session, world.executive, deal_id, owner, version)
                state[deal_id] = replace(kept, owner=owner)
        except ValidationError:  # not possible now (reopen an open deal, move a closed one, the same owner): skipped
            pass
        moment = datetime.combine(DAY + timedelta(days=day), time(12), ZONE).astimezone(UTC) + timedelta(seconds=index)
        session.execute(
            update(Deal).where(Deal.id > marks[Deal]).where(Deal.created_at > moment).values(created_at=moment)
        )
        for model in (StageTransition, DealChange):
            session.execute(update(model).where(model.id > marks[model]).where(model.at > moment).values(at=moment))
        session.expire_all()
        replay.days[day] = dict(state)
    rebuild(session.connection())  # the rollups count the rows as redated
    for day in range(DAYS):  # a day without steps ends as the one before
        replay.days.setdefault(day, dict(replay.days.get(day - 1, {})))
    return replay


def as_of(session, world, day: int, **options) -> dict[str, tuple[int, float]]:
    frame = pipeline_as_of(session, world.executive, world.pipeline_id, DAY + timedelta(days=day), ZONE, **options)
    return {row.stage: (row.deals, row.amount) for row in frame.itertuples() if row.deals}


@EXAMPLES
@given(script=steps, first=st.integers(0, DAYS - 1), span=st.integers(0, DAYS - 1))
def test_the_history_agrees_with_a_replay_of_what_was_done(session, world, script, first, span):
    nested = session.begin_nested()
    try:
        carl = add_user(
            session, f"carl{first}{span}", Role.MANAGER, users.create_team(session, Actor.system(), f"T{first}{span}")
        )
        replay = perform(session, world, carl, script)
        last = min(DAYS - 1, first + span)
        for day in (first, last):
            assert as_of(session, world, day) == open_at(replay, day)
            assert as_of(session, world, day, owner_ids=(carl.id,)) == open_at(replay, day, owners={carl.id})
        for options, owners, closing in (
            ({}, None, None),
            ({"owner_ids": (carl.id,)}, {carl.id}, None),
            ({"closing_in": CLOSING}, None, CLOSING),
        ):
            asked = (
                session,
                world.executive,
                world.pipeline_id,
                DAY + timedelta(days=first),
                DAY + timedelta(days=last),
            )
            found = pipeline_changes(*asked, ZONE, **options)
            start, end = open_at(replay, first, owners, closing), open_at(replay, last, owners, closing)
            assert found.start_deals == sum(n for n, _ in start.values())
            assert found.end_deals == sum(n for n, _ in end.values())
            assert float(found.start_amount) == sum(a for _, a in start.values())
            assert float(found.end_amount) == sum(a for _, a in end.values())
            assert found.start_amount + sum(b.amount for b in found.buckets) == found.end_amount
            if closing is None:  # from rollup_changes: bucket by bucket the replay of the changed deals
                with from_rows():
                    replayed = pipeline_changes(*asked, ZONE, **options)
                assert found.buckets == replayed.buckets
        slipped = slippage(
            session,
            world.executive,
            DAY + timedelta(days=first),
            DAY + timedelta(days=last),
            ZONE,
            pipeline_id=world.pipeline_id,
        )
        expected = sum(n for (_, day), n in replay.pushes.items() if first <= day <= last)
        assert int(slipped.managers["pushes"].sum()) == expected
    finally:
        nested.rollback()
        session.expire_all()
