"""Bulk actions on the deals ticked in the grid: reassign, move to a stage, close lost with one
reason, plan an activity for each. Every deal goes through the same service and rules as one at a
time, each in its own transaction: the deals a rule refuses are listed with why, the rest are done."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

import streamlit as st

from core import activities, deals, lost_reasons, pipelines
from core.permissions import Actor
from core.users import UserInfo
from ui import format
from ui.actions import attempt, read
from ui.deal_panel import ACTIVITY_KINDS, zoned
from ui.i18n import language, t
from ui.state import Deals, key

ACTIONS = ("move", "lost", "plan", "reassign")


@dataclass(frozen=True)
class Ticked:
    id: int
    version: int
    title: str


@dataclass
class Job:
    """A bulk action under way: the deals still to do, how many were done, the refused ones by why.
    Kept in session state and advanced one deal at a time, so that a run cut short (a second click,
    the grid reporting a change) goes on where it stopped in the next run."""

    change: Callable[[Any, Ticked], Any]
    pending: list[Ticked]
    done: int = 0
    refused: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def start(ticked: list[Ticked], change: Callable[[Any, Ticked], Any]) -> None:
    """`change(session, deal)` for each ticked deal, each in its own transaction, from the next run on."""
    st.session_state[Deals.BULK_JOB] = Job(_in_bulk(change), list(ticked))
    st.rerun()


def _in_bulk(change: Callable[[Any, Ticked], Any]) -> Callable[[Any, Ticked], Any]:
    """`change`, its deal changes recorded in the history as a bulk action's."""

    def bulk_change(session: Any, deal: Ticked) -> Any:
        deals.in_bulk(session)
        return change(session, deal)

    return bulk_change


def run_pending() -> bool:
    """Carry the bulk action under way to its end; True when one ended in this run."""
    job: Job | None = st.session_state.get(Deals.BULK_JOB)
    if job is None:
        return False
    while job.pending:
        deal = job.pending[0]
        outcome = attempt(lambda session, deal=deal: job.change(session, deal))
        if outcome.ok:
            job.done += 1
        else:
            job.refused[outcome.message].append(deal.title)
        job.pending.pop(0)
    del st.session_state[Deals.BULK_JOB]
    st.session_state[Deals.BULK_RESULT] = (job.done, dict(job.refused))
    return True


def show_result() -> None:
    """What the last bulk action did, once, after the grid was redrawn."""
    if Deals.BULK_RESULT not in st.session_state:
        return
    done, refused = st.session_state.pop(Deals.BULK_RESULT)
    lang = language()
    if done:
        st.success(t("bulk.done", count=format.count(done, lang)))
    for why, titles in refused.items():
        # `why` is an outcome's message: Markdown with the user's text already escaped (ui.actions).
        st.error(t("bulk.refused", count=format.count(len(titles), lang), why=why))
        st.text("\n".join(f"• {title}" for title in titles))


def bulk_bar(actor: Actor, ticked: list[Ticked], stages: list[pipelines.StageInfo], managers: list[UserInfo]) -> None:
    """The actions for the ticked deals; the one chosen starts (see `start`)."""
    st.markdown(f"**{t('bulk.ticked', count=format.count(len(ticked), language()))}**")
    actions = [a for a in ACTIONS if a != "reassign" or actor.oversees]
    if not actor.creates_deals and not actor.is_admin:
        actions = [a for a in actions if a == "reassign"]
    if not actions:
        return
    action = st.segmented_control(
        t("bulk.action"), actions, format_func=lambda a: t(f"bulk.{a}"), key=Deals.BULK_ACTION, default=actions[0]
    )
    form = {"move": _move, "lost": _lost, "plan": _plan, "reassign": _reassign}.get(action)
    if form is None:
        return
    change = form(actor, stages, managers)
    if change is not None:
        start(ticked, change)


def _move(actor: Actor, stages: list[pipelines.StageInfo], managers: list[UserInfo]):
    names = {s.id: s.name for s in stages if not s.is_lost}
    stage_col, go_col = st.columns([2, 1], vertical_alignment="bottom")
    target = stage_col.selectbox(
        t("deal.move_to"), list(names), format_func=names.get, key=key(Deals.BULK_ACTION, "stage")
    )
    go = go_col.button(
        t("bulk.run_move", stage=format.plain(names[target])), type="primary", key=key(Deals.BULK_ACTION, "go_move")
    )
    st.caption(t("bulk.move_note"))
    if go:
        return lambda session, deal: deals.move_deal(session, actor, deal.id, target, deal.version)
    return None


def _lost(actor: Actor, stages: list[pipelines.StageInfo], managers: list[UserInfo]):
    reasons = {r.id: r.name for r in read(lost_reasons.list_lost_reasons)}
    reason_col, comment_col, go_col = st.columns([2, 2, 1], vertical_alignment="bottom")
    reason = reason_col.selectbox(
        t("field.lost_reason_id"),
        [None, *reasons],
        format_func=lambda i: t("deal.choose") if i is None else reasons[i],
        key=key(Deals.BULK_ACTION, "reason"),
    )
    comment = comment_col.text_input(t("field.lost_comment"), key=key(Deals.BULK_ACTION, "comment"))
    if not go_col.button(t("bulk.run_lost"), type="primary", key=key(Deals.BULK_ACTION, "go_lost")):
        return None
    if reason is None:
        st.error(t("bulk.choose_reason"))
        return None
    return lambda session, deal: deals.close_lost(
        session, actor, deal.id, deal.version, lost_reason_id=reason, lost_comment=comment or None
    )


def _plan(actor: Actor, stages: list[pipelines.StageInfo], managers: list[UserInfo]):
    prefix = key(Deals.BULK_ACTION, "plan")
    kind_col, subject_col, day_col, time_col, go_col = st.columns([2, 3, 2, 1, 2], vertical_alignment="bottom")
    kind = kind_col.selectbox(
        t("activity.kind"), ACTIVITY_KINDS, format_func=lambda k: t(f"activity.{k}"), key=key(prefix, "kind")
    )
    subject = subject_col.text_input(t("activity.subject"), key=key(prefix, "subject"))
    day = day_col.date_input(t("activity.due"), value=date.today() + timedelta(days=1), key=key(prefix, "day"))
    moment = time_col.time_input(t("activity.time"), value=time(10), key=key(prefix, "time"))
    if go_col.button(t("bulk.run_plan"), type="primary", key=key(prefix, "go")):
        due = zoned(day, moment)
        return lambda session, deal: activities.plan_activity(
            session, actor, kind=kind, subject=subject, deal_id=deal.id, due_at=due
        )
    return None


def _reassign(actor: Actor, stages: list[pipelines.StageInfo], managers: list[UserInfo]):
    names = {u.id: u.display_name for u in managers}
    owner_col, go_col = st.columns([2, 1], vertical_alignment="bottom")
    owner = owner_col.selectbox(
        t("deal.reassign_to"), list(names), format_func=names.get, key=key(Deals.BULK_ACTION, "owner")
    )
    if go_col.button(t("bulk.run_reassign"), type="primary", key=key(Deals.BULK_ACTION, "go_reassign")):
        return lambda session, deal: deals.reassign_deal(session, actor, deal.id, owner, deal.version)
    return None
