"""Deals, the managers' workspace: the grid, the board, my tasks, a new deal, and the chosen deal."""

from datetime import datetime

import pandas as pd
import streamlit as st

from core import deals, pipelines, users
from core.analytics.deal_list import board, deal_flags, list_deals, my_tasks
from core.analytics.filters import STATUSES, DealFilter
from core.clock import utcnow
from core.errors import NotFound, PermissionDenied
from core.permissions import Actor
from core.users import UserInfo
from ui import deal_panel, format, pickers, resources, session
from ui.actions import read
from ui.deal_grid import EDITABLE_FIELDS, deal_grid, grid_frame
from ui.grid import EditedGrid
from ui.i18n import error_text, language, t
from ui.state import Deals

PAGE_SIZE = 50
DEALS_GRID = EditedGrid(Deals.GRID)
GRID_COLUMNS = ("title", "company", "amount", "stage", "days_in_stage", "next_activity", "expected_close_date", "owner")
SORTS = ("recent", "amount", "expected_close", "age_in_stage")


def page() -> None:
    actor = session.actor()
    st.title(t("deals.title"))
    pipeline_list = pickers.active_pipelines()
    managers = read(users.list_managers) if actor.sees_everyone else []
    deal_filter, sort, stages = filters(pipeline_list, managers)
    now = utcnow()
    if st.session_state[Deals.SELECTED_ID] is None:
        work, detail = st.container(), None
    else:
        work, detail = st.columns([3, 2], gap="large")
    grid_tab, board_tab, tasks_tab, new_tab = work.tabs(
        [t("deals.grid"), t("deals.board"), t("deals.my_tasks"), t("deals.new")]
    )
    with grid_tab:
        grid(actor, deal_filter, sort, now)
    with board_tab:
        board_columns(actor, deal_filter, stages, now)
    with tasks_tab:
        tasks(actor, now)
    with new_tab:
        if actor.creates_deals:
            deal_panel.new_deal_form(actor, deal_filter.pipeline_id)
        else:
            st.info(t("deals.executives_do_not_create"))
    if detail is None:
        work.info(t("deals.pick_one"))
        return
    with detail:
        chosen_deal(actor, managers, now)


def reset_page() -> None:
    st.session_state[Deals.PAGE] = 0


def filters(
    pipeline_list: list[pipelines.PipelineInfo], managers: list[UserInfo]
) -> tuple[DealFilter, str, list[pipelines.StageInfo]]:
    """The deals shown: pipeline, stages, status, text, owner, rotting, overdue; and their order."""
    row = st.columns([2, 2, 2, 3, 2])
    pipeline_id = pickers.pipeline(pipeline_list, key=Deals.PIPELINE, where=row[0], on_change=reset_page)
    stages = read(pipelines.list_stages, pipeline_id)
    stage_names = {s.id: s.name for s in stages}
    stage_ids = row[1].multiselect(
        t("field.stage_id"),
        list(stage_names),
        format_func=stage_names.get,
        key=Deals.STAGES,
        on_change=reset_page,
        placeholder=t("deals.all_stages"),
    )
    status = row[2].selectbox(
        t("field.status"),
        [None, *STATUSES],
        key=Deals.STATUS,
        on_change=reset_page,
        format_func=lambda s: t("deals.all") if s is None else t(f"status.{s.value}"),
    )
    search = row[3].text_input(t("deals.search"), key=Deals.SEARCH, on_change=reset_page)
    owner = None
    if managers:
        owner = pickers.manager(
            managers,
            label=t("field.owner_id"),
            key=Deals.OWNER,
            everyone=t("deals.everyone"),
            where=row[4],
            on_change=reset_page,
        )
    toggles = st.columns([1, 1, 1, 3])
    only_rotting = toggles[0].toggle(t("deals.only_rotting"), key=Deals.ONLY_ROTTING, on_change=reset_page)
    only_overdue = toggles[1].toggle(t("deals.only_overdue"), key=Deals.ONLY_OVERDUE, on_change=reset_page)
    sort = toggles[2].selectbox(
        t("deals.sort"), SORTS, format_func=lambda s: t(f"deals.sort_{s}"), key=Deals.SORT, label_visibility="collapsed"
    )
    owners = () if owner is None else (owner,)
    chosen = DealFilter(pipeline_id, tuple(stage_ids), status, search, owners, only_rotting, only_overdue)
    return chosen, sort, stages


def grid(actor: Actor, deal_filter: DealFilter, sort: str, now: datetime) -> None:
    """One page of deals; title, amount and expected close edited in place through the deal service."""
    lang = language()
    # Always there, so that the grid keeps its place in the page when a message appears above it.
    message_slot = st.empty()
    if message := DEALS_GRID.refusal():
        message_slot.error(message)
    page = read(
        list_deals, actor, deal_filter, now=now, page=st.session_state[Deals.PAGE], page_size=PAGE_SIZE, sort=sort
    )
    st.session_state[Deals.PAGE] = page.page
    headers = {name: t(f"column.{name}") for name in (*GRID_COLUMNS, "flags")}
    flags = {"overdue": t("flag.overdue"), "rotting": t("flag.rotting")}
    event = deal_grid(grid_frame(page.rows, resources.settings().zone, flags), headers, key=DEALS_GRID.key())
    if event is not None and DEALS_GRID.is_new(event.at):
        if event.kind == "select" and event.deal_id is not None:
            st.session_state[Deals.SELECTED_ID] = int(event.deal_id)
            st.rerun()
        elif event.kind == "edit" and event.field in EDITABLE_FIELDS:
            DEALS_GRID.save(
                lambda db: deals.update_deal(
                    db, actor, int(event.deal_id), int(event.version), {event.field: event.value}
                ),
                success=t("deals.cell_saved"),
            )
    first, last = page.page * page.page_size + 1, min((page.page + 1) * page.page_size, page.total)
    pager = st.columns([1, 1, 4], vertical_alignment="center")
    if pager[0].button(t("deals.previous"), disabled=page.page == 0, key=Deals.PREVIOUS):
        st.session_state[Deals.PAGE] -= 1
        st.rerun()
    if pager[1].button(t("deals.next"), disabled=last >= page.total, key=Deals.NEXT):
        st.session_state[Deals.PAGE] += 1
        st.rerun()
    if page.total == 0:
        pager[2].caption(t("deals.none_match"))
    else:
        shown = {"first": first, "last": last, "total": page.total}
        pager[2].caption(t("deals.showing", **{name: format.count(n, lang) for name, n in shown.items()}))


def board_columns(actor: Actor, deal_filter: DealFilter, stages: list[pipelines.StageInfo], now: datetime) -> None:
    """The open stages as columns, each with its count, amount and largest deals."""
    lang, currency = language(), resources.settings().currency
    columns = read(board, actor, deal_filter, now=now)
    stage_choices = {s.id: s.name for s in stages}
    for column, board_column in zip(st.columns(max(len(columns), 1)), columns, strict=False):
        with column, st.container(key=Deals.BOARD_STAGE(board_column.stage_id)):
            st.markdown(f"**{format.plain(board_column.stage)}**")
            st.caption(
                f"{format.count(board_column.deals, lang)} · {format.money(board_column.amount, currency, lang)}"
            )
            for card in board_column.cards.itertuples():
                board_card(card, stage_choices)
            hidden = board_column.deals - len(board_column.cards)
            if hidden > 0:
                st.caption(t("deals.more_cards", count=format.count(hidden, lang)))


def board_card(card, stage_choices: dict[int, str]) -> None:
    lang, currency = language(), resources.settings().currency
    with st.container(border=True, key=Deals.CARD(card.id)):
        st.text(card.title + (f"  ⚠ {t('flag.rotting')}" if card.rotting else ""))
        st.caption(
            f"{format.money(card.amount, currency, lang)} · "
            f"{format.plain(card.owner)} · {t('deal.days_in_stage', days=card.days_in_stage)}"
        )
        with st.popover(t("deal.move"), width="stretch"):
            choices = [i for i in stage_choices if i != card.stage_id]
            target = st.selectbox(
                t("deal.move_to"), choices, format_func=stage_choices.get, key=Deals.CARD(card.id, "target")
            )
            if st.button(t("deal.move"), key=Deals.CARD(card.id, "go")):
                st.session_state[Deals.SELECTED_ID] = card.id
                st.session_state[Deals.MOVE_TARGET] = target
                st.rerun()


def tasks(actor: Actor, now: datetime) -> None:
    """My activities still to do: overdue, today, later."""
    lang, zone = language(), resources.settings().zone
    for name, bucket in read(my_tasks, actor, now=now, zone=zone).items():
        st.markdown(f"**{t(f'tasks.{name}')}** ({format.count(bucket.total, lang)})")
        if bucket.rows.empty:
            st.caption(t("tasks.none"))
        for task in bucket.rows.itertuples():
            line, button = st.columns([5, 1], vertical_alignment="center")
            due = task.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            deal_title = task.deal if isinstance(task.deal, str) else "—"
            line.text(f"{due}  {t(f'activity.{task.kind}')}: {task.subject} — {deal_title}")
            if pd.notna(task.deal_id) and button.button(t("tasks.open_deal"), key=Deals.TASK(task.id, "open")):
                st.session_state[Deals.SELECTED_ID] = int(task.deal_id)
                st.rerun()
        if bucket.total > len(bucket.rows):
            st.caption(t("tasks.more", count=format.count(bucket.total - len(bucket.rows), lang)))


def deal_context(db, actor: Actor, deal_id: int, now: datetime) -> tuple:
    """The deal, its owner's name, its pipeline's stages (and with the deleted ones) and its flags."""
    deal = deals.get_deal(db, actor, deal_id)
    return (
        deal,
        users.get_user(db, deal.owner_id).display_name,
        pipelines.list_stages(db, deal.pipeline_id),
        pipelines.list_stages(db, deal.pipeline_id, include_deleted=True),
        deal_flags(db, deal.id, now=now),
    )


def chosen_deal(actor: Actor, managers: list[UserInfo], now: datetime) -> None:
    """The deal picked in the grid, the board or the tasks: move, edit, activities, history."""
    try:
        deal, owner_name, deal_stages, every_stage, flags_now = read(
            deal_context, actor, st.session_state[Deals.SELECTED_ID], now
        )
    except (NotFound, PermissionDenied) as error:
        st.session_state[Deals.SELECTED_ID] = None
        st.warning(error_text(error))
        st.stop()
    all_stage_names = {s.id: s.name for s in every_stage}
    if st.button(t("deals.close_panel"), icon=":material/close:", key=Deals.CLOSE_PANEL):
        st.session_state[Deals.SELECTED_ID] = None
        st.rerun()
    deal_panel.deal_header(deal, all_stage_names, owner_name, flags_now)
    can_edit = actor.may_write(deal.owner_id)
    move_tab, edit_tab, activity_tab, history_tab = st.tabs(
        [t("deal.tab_move"), t("deal.tab_edit"), t("deal.tab_activities"), t("deal.tab_history")]
    )
    with move_tab:
        if can_edit:
            deal_panel.move_panel(actor, deal, deal_stages)
        else:
            st.caption(t("deal.read_only"))
        if actor.oversees:
            deal_panel.reassign_panel(actor, deal, managers)
    with edit_tab:
        if can_edit:
            deal_panel.edit_form(actor, deal, all_stage_names)
        else:
            st.caption(t("deal.read_only"))
    with activity_tab:
        deal_panel.activities_panel(actor, deal)
    with history_tab:
        deal_panel.history_panel(actor, deal, all_stage_names)


page()
