import pandas as pd
import streamlit as st

from core import deals, pipelines, users
from core.analytics.deal_list import board, deal_flags, list_deals, my_tasks
from core.analytics.filters import DealFilter
from core.clock import utcnow
from core.errors import NotFound, PermissionDenied
from db.engine import transaction
from db.models import Role, StageKind
from ui import deal_panel, format, resources, session
from ui.actions import perform
from ui.deal_grid import EDITABLE_FIELDS, deal_grid, grid_frame
from ui.i18n import error_text, language, t
from ui.state import (
    DEALS_GRID_MESSAGE,
    DEALS_GRID_NONCE,
    DEALS_LAST_GRID_EVENT,
    DEALS_MOVE_TARGET,
    DEALS_PAGE,
    DEALS_PIPELINE,
    DEALS_SELECTED_ID,
)

PAGE_SIZE = 50
actor = session.actor()
settings = resources.settings()
lang = language()
now = utcnow()
st.title(t("deals.title"))

with transaction(resources.engine()) as db:
    pipeline_list = pipelines.list_pipelines(db)
    managers = users.list_users(db, role=Role.MANAGER) if actor.role != Role.MANAGER else []
if not pipeline_list:
    st.info(t("overview.empty"))
    st.stop()


def reset_page() -> None:
    st.session_state[DEALS_PAGE] = 0


by_pipeline = {p.id: p.name for p in pipeline_list}
filters = st.columns([2, 2, 2, 3, 2])
pipeline_id = filters[0].selectbox(
    t("field.pipeline_id"), list(by_pipeline), format_func=by_pipeline.get, key=DEALS_PIPELINE, on_change=reset_page
)
with transaction(resources.engine()) as db:
    stages = pipelines.list_stages(db, pipeline_id)
stage_names = {s.id: s.name for s in stages}
stage_ids = filters[1].multiselect(
    t("field.stage_id"),
    list(stage_names),
    format_func=stage_names.get,
    key="deals_stages",
    on_change=reset_page,
    placeholder=t("deals.all_stages"),
)
status = filters[2].selectbox(
    t("field.status"),
    [None, *StageKind],
    key="deals_status",
    on_change=reset_page,
    format_func=lambda s: t("deals.all") if s is None else t(f"status.{s.value}"),
)
search = filters[3].text_input(t("deals.search"), key="deals_search", on_change=reset_page)
owner_ids: tuple[int, ...] = ()
if managers:
    owner_names = {u.id: u.display_name for u in managers}
    owner = filters[4].selectbox(
        t("field.owner_id"),
        [None, *owner_names],
        key="deals_owner",
        on_change=reset_page,
        format_func=lambda i: t("deals.everyone") if i is None else owner_names[i],
    )
    owner_ids = () if owner is None else (owner,)
toggles = st.columns([1, 1, 1, 3])
only_rotting = toggles[0].toggle(t("deals.only_rotting"), key="deals_only_rotting", on_change=reset_page)
only_overdue = toggles[1].toggle(t("deals.only_overdue"), key="deals_only_overdue", on_change=reset_page)
sort = toggles[2].selectbox(
    t("deals.sort"),
    ["recent", "amount", "expected_close", "age_in_stage"],
    format_func=lambda s: t(f"deals.sort_{s}"),
    key="deals_sort",
    label_visibility="collapsed",
)
deal_filter = DealFilter(pipeline_id, tuple(stage_ids), status, search, owner_ids, only_rotting, only_overdue)

if st.session_state[DEALS_SELECTED_ID] is None:
    work, detail = st.container(), None
else:
    work, detail = st.columns([3, 2], gap="large")
grid_tab, board_tab, tasks_tab, new_tab = work.tabs(
    [t("deals.grid"), t("deals.board"), t("deals.my_tasks"), t("deals.new")]
)

with grid_tab:
    # Always there, so that the grid keeps its place in the page when a message appears above it.
    message_slot = st.empty()
    if message := st.session_state.pop(DEALS_GRID_MESSAGE, None):
        message_slot.error(message)
    with transaction(resources.engine()) as db:
        page = list_deals(
            db, actor, deal_filter, now=now, page=st.session_state[DEALS_PAGE], page_size=PAGE_SIZE, sort=sort
        )
    st.session_state[DEALS_PAGE] = page.page
    headers = {
        name: t(f"column.{name}")
        for name in (
            "title",
            "company",
            "amount",
            "stage",
            "days_in_stage",
            "next_activity",
            "expected_close_date",
            "owner",
            "flags",
        )
    }
    flags = {"overdue": t("flag.overdue"), "rotting": t("flag.rotting")}
    event = deal_grid(
        grid_frame(page.rows, settings.zone, flags), headers, key=f"deals_grid_{st.session_state[DEALS_GRID_NONCE]}"
    )
    if event is not None and event.at > st.session_state[DEALS_LAST_GRID_EVENT]:
        st.session_state[DEALS_LAST_GRID_EVENT] = event.at
        if event.kind == "select" and event.deal_id is not None:
            st.session_state[DEALS_SELECTED_ID] = int(event.deal_id)
            st.rerun()
        elif event.kind == "edit" and event.field in EDITABLE_FIELDS:
            outcome = perform(
                lambda db: deals.update_deal(
                    db, actor, int(event.deal_id), int(event.version), {event.field: event.value}
                ),
                success=t("deals.cell_saved"),
                where=None,
            )
            if not outcome.ok:
                st.session_state[DEALS_GRID_MESSAGE] = outcome.message
            st.session_state[DEALS_GRID_NONCE] += 1  # a new grid, drawn from the database: a refused edit snaps back
            st.rerun()
    first, last = page.page * page.page_size + 1, min((page.page + 1) * page.page_size, page.total)
    pager = st.columns([1, 1, 4], vertical_alignment="center")
    if pager[0].button(t("deals.previous"), disabled=page.page == 0, key="deals_previous"):
        st.session_state[DEALS_PAGE] -= 1
        st.rerun()
    if pager[1].button(t("deals.next"), disabled=last >= page.total, key="deals_next"):
        st.session_state[DEALS_PAGE] += 1
        st.rerun()
    if page.total == 0:
        pager[2].caption(t("deals.none_match"))
    else:
        pager[2].caption(
            t(
                "deals.showing",
                first=format.count(first, lang),
                last=format.count(last, lang),
                total=format.count(page.total, lang),
            )
        )

with board_tab:
    with transaction(resources.engine()) as db:
        columns = board(db, actor, deal_filter, now=now)
    stage_choices = {s.id: s.name for s in stages}
    for column, board_column in zip(st.columns(max(len(columns), 1)), columns, strict=False):
        with column, st.container(key=f"board-stage-{board_column.stage_id}"):
            st.markdown(f"**{format.plain(board_column.stage)}**")
            st.caption(
                f"{format.count(board_column.deals, lang)} · "
                f"{format.money(board_column.amount, settings.currency, lang)}"
            )
            for card in board_column.cards.itertuples():
                with st.container(border=True, key=f"card-{card.id}"):
                    st.text(card.title + (f"  ⚠ {t('flag.rotting')}" if card.rotting else ""))
                    st.caption(
                        f"{format.money(card.amount, settings.currency, lang)} · "
                        f"{format.plain(card.owner)} · {t('deal.days_in_stage', days=card.days_in_stage)}"
                    )
                    with st.popover(t("deal.move"), width="stretch"):
                        choices = [i for i in stage_choices if i != card.stage_id]
                        target = st.selectbox(
                            t("deal.move_to"), choices, format_func=stage_choices.get, key=f"card_{card.id}_target"
                        )
                        if st.button(t("deal.move"), key=f"card_{card.id}_go"):
                            st.session_state[DEALS_SELECTED_ID] = card.id
                            st.session_state[DEALS_MOVE_TARGET] = target
                            st.rerun()
            hidden = board_column.deals - len(board_column.cards)
            if hidden > 0:
                st.caption(t("deals.more_cards", count=format.count(hidden, lang)))

with tasks_tab:
    with transaction(resources.engine()) as db:
        buckets = my_tasks(db, actor, now=now, zone=settings.zone)
    for name, bucket in buckets.items():
        tasks = bucket.rows
        st.markdown(f"**{t(f'tasks.{name}')}** ({format.count(bucket.total, lang)})")
        if tasks.empty:
            st.caption(t("tasks.none"))
        for task in tasks.itertuples():
            line, button = st.columns([5, 1], vertical_alignment="center")
            due = task.due_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
            deal_title = task.deal if isinstance(task.deal, str) else "—"
            line.text(f"{due}  {t(f'activity.{task.kind}')}: {task.subject} — {deal_title}")
            if pd.notna(task.deal_id) and button.button(t("tasks.open_deal"), key=f"task_{task.id}_open"):
                st.session_state[DEALS_SELECTED_ID] = int(task.deal_id)
                st.rerun()
        if bucket.total > len(tasks):
            st.caption(t("tasks.more", count=format.count(bucket.total - len(tasks), lang)))

with new_tab:
    if actor.role == Role.EXECUTIVE:
        st.info(t("deals.executives_do_not_create"))
    else:
        deal_panel.new_deal_form(actor, pipeline_id)

if detail is None:
    work.info(t("deals.pick_one"))
    st.stop()
with detail:
    selected = st.session_state[DEALS_SELECTED_ID]
    try:
        with transaction(resources.engine()) as db:
            deal = deals.get_deal(db, actor, selected)
            owner_name = users.get_user(db, deal.owner_id).display_name
            deal_stages = pipelines.list_stages(db, deal.pipeline_id)
            every_stage = pipelines.list_stages(db, deal.pipeline_id, include_deleted=True)
            flags_now = deal_flags(db, deal.id, now=now)
    except (NotFound, PermissionDenied) as error:
        st.session_state[DEALS_SELECTED_ID] = None
        st.warning(error_text(error))
        st.stop()
    all_stage_names = {s.id: s.name for s in every_stage}
    if st.button(t("deals.close_panel"), icon=":material/close:", key="deals_close_panel"):
        st.session_state[DEALS_SELECTED_ID] = None
        st.rerun()
    deal_panel.deal_header(deal, all_stage_names, owner_name, flags_now)
    can_edit = actor.role == Role.ADMIN or actor.id == deal.owner_id
    move_tab, edit_tab, activity_tab, history_tab = st.tabs(
        [t("deal.tab_move"), t("deal.tab_edit"), t("deal.tab_activities"), t("deal.tab_history")]
    )
    with move_tab:
        if can_edit:
            deal_panel.move_panel(actor, deal, deal_stages)
        else:
            st.caption(t("deal.read_only"))
        if actor.role in (Role.EXECUTIVE, Role.ADMIN):
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
