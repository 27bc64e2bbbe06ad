"""Deals, the managers' workspace: the grid, the board, my tasks, a new deal, and the chosen deal."""

from datetime import datetime

import streamlit as st

from core import activities, customers, deals, pipelines, users
from core.analytics.deal_list import board, deal_flags, list_deals, my_tasks
from core.analytics.filters import STATUSES, DealFilter
from core.clock import utcnow
from core.errors import NotFound, PermissionDenied
from core.permissions import Actor
from core.users import UserInfo
from ui import bulk, deal_panel, format, navigation, phone, pickers, resources, session, url_state
from ui.actions import read
from ui.board import BoardEvent, board_data, board_event, deal_board
from ui.bulk import Ticked
from ui.deal_grid import EDITABLE_FIELDS, deal_grid, grid_frame
from ui.grid import EditedGrid
from ui.i18n import error_text, language, t
from ui.state import Deals, keep, key

PAGE_SIZE = 50
DEALS_GRID = EditedGrid(Deals.GRID)
GRID_COLUMNS = (
    "title",
    "company",
    "amount",
    "stage",
    "next_stage",
    "days_in_stage",
    "next_activity",
    "expected_close_date",
    "owner",
)
SORTS = ("recent", "amount", "expected_close", "age_in_stage")
BOARD_CARDS = 20  # the cards a column shows first, and how many more each "show more" adds
# The list's filters' names in the URL (/deals?status=all&search=volga&page=2); the deal page's is "deal".
ADDRESS = ("pipeline", "search", "status", "stages", "owner", "sort", "rotting", "overdue", "page")


def page() -> None:
    actor = session.actor()
    keep(*Deals.FILTERS)
    if bulk.run_pending():  # first, before anything on the page can cut the run short
        DEALS_GRID.renew()
    if (asked := navigation.opened_deal()) is not None:
        deal_page(actor, asked)
        return
    st.title(t("deals.title"))
    pipeline_list = pickers.active_pipelines()
    managers = read(users.list_managers) if actor.sees_everyone else []
    address = url_state.Address(*ADDRESS)
    deal_filter, sort, stages = filters(pipeline_list, managers, address)
    now = utcnow()
    grid_tab, board_tab, tasks_tab, new_tab = st.tabs(
        [t("deals.grid"), t("deals.board"), t("deals.my_tasks"), t("deals.new")]
    )
    with grid_tab:
        grid(actor, deal_filter, sort, now, stages, managers)
    address.note("page", st.session_state[Deals.PAGE] + 1, default=1)
    address.write()
    with board_tab:
        board_columns(actor, deal_filter, stages, now)
    with tasks_tab:
        tasks(actor, now)
    with new_tab:
        if actor.creates_deals:
            deal_panel.new_deal_form(actor, deal_filter.pipeline_id)
        else:
            st.info(t("deals.executives_do_not_create"))


def reset_page() -> None:
    st.session_state[Deals.PAGE] = 0


def filters(
    pipeline_list: list[pipelines.PipelineInfo], managers: list[UserInfo], address: url_state.Address
) -> tuple[DealFilter, str, list[pipelines.StageInfo]]:
    """The deals shown: pipeline, status (open deals unless asked), text; then, folded away, stages,
    owner, rotting, overdue and the order. Each from the address the first time the list is shown
    (and its page); afterwards as the user left them, even after a deal's own page."""
    if Deals.PIPELINE not in st.session_state:  # the list afresh: a reload, a link or from another page
        st.session_state[Deals.PAGE] = (address.asked("page", parse=_page_number) or 1) - 1
    row = st.columns([2, 3, 3], vertical_alignment="bottom")
    ids = [p.id for p in pipeline_list]
    address.restore("pipeline", Deals.PIPELINE, default=ids[0], options=ids)
    pipeline_id = pickers.pipeline(pipeline_list, key=Deals.PIPELINE, where=row[0], on_change=reset_page)
    address.restore("search", Deals.SEARCH, default="", parse=str)
    search = row[1].text_input(t("deals.search"), key=Deals.SEARCH, on_change=reset_page)
    by_name = {s.value: s for s in STATUSES}
    address.restore("status", Deals.STATUS, default="open", options=[*by_name, "all"])
    status = by_name.get(
        row[2].radio(
            t("field.status"),
            [*by_name, "all"],  # open first: the default
            key=Deals.STATUS,
            on_change=reset_page,
            horizontal=True,
            format_func=lambda s: t("deals.all") if s == "all" else t(f"status.{s}").capitalize(),
        )
    )
    stages = read(pipelines.list_stages, pipeline_id)
    stage_names = {s.id: s.name for s in stages}
    with st.expander(t("deals.more_filters")):
        more = st.columns([3, 2, 2])
        address.restore("stages", Deals.STAGES, default=[], options=stage_names, many=True)
        stage_ids = more[0].multiselect(
            t("field.stage_id"),
            list(stage_names),
            format_func=stage_names.get,
            key=Deals.STAGES,
            on_change=reset_page,
            placeholder=t("deals.all_stages"),
        )
        owner = None
        if managers:
            address.restore("owner", Deals.OWNER, default=None, options=[u.id for u in managers])
            owner = pickers.manager(
                managers,
                label=t("field.owner_id"),
                key=Deals.OWNER,
                everyone=t("deals.everyone"),
                where=more[1],
                on_change=reset_page,
            )
        address.restore("sort", Deals.SORT, default=SORTS[0], options=SORTS)
        sort = more[2].selectbox(t("deals.sort"), SORTS, format_func=lambda s: t(f"deals.sort_{s}"), key=Deals.SORT)
        address.restore("rotting", Deals.ONLY_ROTTING, default=False, parse=url_state.flag)
        only_rotting = st.toggle(t("deals.only_rotting"), key=Deals.ONLY_ROTTING, on_change=reset_page)
        address.restore("overdue", Deals.ONLY_OVERDUE, default=False, parse=url_state.flag)
        only_overdue = st.toggle(t("deals.only_overdue"), key=Deals.ONLY_OVERDUE, on_change=reset_page)
    owners = () if owner is None else (owner,)
    chosen = DealFilter(pipeline_id, tuple(stage_ids), status, search, owners, only_rotting, only_overdue)
    return chosen, sort, stages


def _page_number(text: str) -> int:
    """The list's page as the address writes it, counted from 1."""
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number


def grid(
    actor: Actor,
    deal_filter: DealFilter,
    sort: str,
    now: datetime,
    stages: list[pipelines.StageInfo],
    managers: list[UserInfo],
) -> None:
    """One page of deals; title, amount and expected close edited in place through the deal service;
    the ticked ones opened, moved to their next stage or changed together."""
    lang = language()
    # Always there, so that the grid keeps its place in the page when a message appears above it.
    message_slot = st.empty()
    if message := DEALS_GRID.refusal():
        message_slot.error(message)
    bulk.show_result()
    page = read(
        list_deals, actor, deal_filter, now=now, page=st.session_state[Deals.PAGE], page_size=PAGE_SIZE, sort=sort
    )
    st.session_state[Deals.PAGE] = page.page
    headers = {name: t(f"column.{name}") for name in (*GRID_COLUMNS, "flags")}
    flags = {"overdue": t("flag.overdue"), "rotting": t("flag.rotting")}
    following = {s.id: pipelines.next_stage(stages, s.id) for s in stages}
    next_labels = {i: t("deal.next_stage", stage=s.name) for i, s in following.items() if s is not None}
    frame = grid_frame(page.rows, resources.settings().zone, flags, next_labels)
    event, bar = None, st.container()  # the ticked deals' actions, above the grid
    if phone.is_narrow():
        deal_cards(frame)
    else:
        event = deal_grid(frame, headers, key=DEALS_GRID.key())
    # Each ticked deal once, even should the grid report a row twice while its rows are replaced.
    rows = {int(r["id"]): r for r in (event.ticked if event else ())}
    ticked = [Ticked(deal_id, int(r["version"]), str(r["title"])) for deal_id, r in rows.items()]
    if ticked:
        with bar:
            ticked_deals(actor, ticked, stages, managers)
    if event is not None and event.kind == "next" and DEALS_GRID.is_new(event.at):
        deal_panel.forward(actor, int(event.deal_id), int(event.version))
    if event is not None and event.kind == "edit" and event.field in EDITABLE_FIELDS and DEALS_GRID.is_new(event.at):
        DEALS_GRID.save(
            lambda db: deals.edit_cell(db, actor, int(event.deal_id), int(event.version), event.field, event.value),
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


def ticked_deals(actor: Actor, ticked: list[Ticked], stages: list[pipelines.StageInfo], managers: list[UserInfo]):
    """Above the grid: one ticked deal opened or sent to its next stage, or several changed at once."""
    with st.container(border=True, key=Deals.TICKED):
        if len(ticked) == 1:
            one = ticked[0]
            open_col, next_col = st.columns(2)
            if open_col.button(t("deals.open_ticked"), icon=":material/open_in_new:", key=key(Deals.TICKED, "open")):
                navigation.open_deal(one.id)
            stage_of = read(lambda db: deals.get_deal(db, actor, one.id).stage_id)
            following = pipelines.next_stage(stages, stage_of)
            if following is not None and next_col.button(
                t("deal.next_stage", stage=format.plain(following.name)), type="primary", key=key(Deals.TICKED, "next")
            ):
                deal_panel.drop(actor, one.id, one.version, following.id)
        bulk.bulk_bar(actor, ticked, stages, managers)


def deal_cards(frame) -> None:
    """The page of deals as cards, for a phone: title, company, amount, stage, next activity."""
    lang, currency = language(), resources.settings().currency
    for row in frame.itertuples():
        with st.container(border=True, key=Deals.LIST_CARD(row.id)):
            st.text(row.title)
            company = f"{row.company} · " if row.company else ""
            st.caption(format.plain(f"{company}{format.money(row.amount, currency, lang)} · {row.stage}"))
            upcoming = f"{t('column.next_activity')}: {row.next_activity}" if row.next_activity else ""
            if upcoming or row.flags:
                st.caption(format.plain(" · ".join(part for part in (upcoming, row.flags) if part)))
            if st.button(t("tasks.open_deal"), key=Deals.LIST_CARD(row.id, "open"), width="stretch"):
                navigation.open_deal(row.id)


def board_columns(actor: Actor, deal_filter: DealFilter, stages: list[pipelines.StageInfo], now: datetime) -> None:
    """The open stages as columns (count, amount, weighted amount, the largest deals first), then Won and
    Lost. What the user did on the board last is done first, so that the board shows its outcome."""
    event = board_event()
    if event is not None:
        board_action(actor, event)
    limits = st.session_state.setdefault(Deals.BOARD_MORE, {})
    columns = read(board, actor, deal_filter, now=now, cards_per_stage=BOARD_CARDS, limits=limits)
    data = board_data(columns, stages, may_move=actor.may_write, now=now, more_step=BOARD_CARDS)
    deal_board(data, key=Deals.BOARD)


def board_action(actor: Actor, event: BoardEvent) -> None:
    """A card clicked opens its deal; dropped on a stage or sent on, it moves through the deal service
    (a dialog asks for what the stage needs); a column asked for more shows BOARD_CARDS more."""
    if event.kind == "opened" and event.deal_id is not None:
        navigation.open_deal(event.deal_id)
    elif event.kind == "moved" and None not in (event.deal_id, event.version, event.stage_id):
        deal_panel.drop(actor, event.deal_id, event.version, event.stage_id)
    elif event.kind == "more" and event.stage_id is not None:
        limits = st.session_state.setdefault(Deals.BOARD_MORE, {})
        limits[event.stage_id] = limits.get(event.stage_id, BOARD_CARDS) + BOARD_CARDS


def tasks(actor: Actor, now: datetime) -> None:
    """My activities still to do: overdue, today, later."""
    lang, zone = language(), resources.settings().zone
    for name, bucket in read(my_tasks, actor, now=now, zone=zone).items():
        st.markdown(f"**{t(f'tasks.{name}')}** ({format.count(bucket.total, lang)})")
        if bucket.rows.empty:
            st.caption(t("tasks.none"))
        for task in bucket.rows.itertuples():
            due = format.moment(task.due_at, zone)
            deal_title = task.deal if isinstance(task.deal, str) else "—"
            text = f"{due}  {t(f'activity.{task.kind}')}: {task.subject} — {deal_title}"
            navigation.deal_line(text, task.deal_id, key=Deals.TASK(task.id, "open"))
        if bucket.total > len(bucket.rows):
            st.caption(t("tasks.more", count=format.count(bucket.total - len(bucket.rows), lang)))


def deal_context(db, actor: Actor, deal_id: int, now: datetime) -> tuple:
    """The deal, its owner's name, its company's and contact's, its pipeline's stages (and with the
    deleted ones) and its flags."""
    deal = deals.get_deal(db, actor, deal_id)
    return (
        deal,
        users.get_user(db, deal.owner_id).display_name,
        customers.names(db, deal.company_id, deal.contact_id),
        pipelines.list_stages(db, deal.pipeline_id),
        pipelines.list_stages(db, deal.pipeline_id, include_deleted=True),
        deal_flags(db, deal.id, now=now),
    )


def deal_page(actor: Actor, asked: str) -> None:
    """One deal on its own page: header, next step, the one-click move to the next stage, then the
    move step, its activities, its details and its timeline."""
    if st.button(t("deal.back_to_list"), icon=":material/arrow_back:", key=Deals.BACK):
        st.switch_page("views/deals.py")
    try:
        deal, owner_name, parties, deal_stages, every_stage, flags_now = read(deal_context, actor, int(asked), utcnow())
    except ValueError:
        st.warning(t("deal.no_such_deal", value=format.plain(asked[:40])))
        return
    except (NotFound, PermissionDenied) as error:
        st.warning(error_text(error))
        return
    all_stage_names = {s.id: s.name for s in every_stage}
    planned = read(activities.deal_activities, actor, deal.id)
    deal_panel.deal_header(deal, all_stage_names, owner_name, parties, flags_now)
    can_edit = actor.may_write(deal.owner_id)
    step, next_button = st.columns([3, 1], vertical_alignment="center")
    deal_panel.next_step(planned, where=step)
    following = pipelines.next_stage(deal_stages, deal.stage_id)
    if (
        can_edit
        and following is not None
        and next_button.button(
            t("deal.next_stage", stage=format.plain(following.name)),
            type="primary",
            key=Deals.NEXT_STAGE(deal.id, deal.version),
            width="stretch",
        )
    ):
        deal_panel.drop(actor, deal.id, deal.version, following.id)
    move_tab, activity_tab, edit_tab, timeline_tab = st.tabs(
        [t("deal.tab_move"), t("deal.tab_activities"), t("deal.tab_edit"), t("deal.tab_timeline")]
    )
    with move_tab:
        if can_edit:
            deal_panel.move_panel(actor, deal, deal_stages)
        else:
            st.caption(t("deal.read_only"))
        if actor.oversees:
            deal_panel.reassign_panel(actor, deal, read(users.list_managers))
    with activity_tab:
        deal_panel.activities_panel(actor, deal, planned)
    with edit_tab:
        if can_edit:
            deal_panel.edit_form(actor, deal, all_stage_names)
        else:
            st.caption(t("deal.read_only"))
    with timeline_tab:
        deal_panel.timeline(actor, deal, all_stage_names, planned)


page()
