"""Every session-state and widget key of the app, named once, one namespace per page (a page's keys
start with its name, so no two pages share one), and initialised in one place. The AppTests and the
browser tests find widgets by these same names."""

from collections.abc import Callable

import streamlit as st

from core.settings import Settings


def key(*parts: object) -> str:
    """A key made of parts: a widget's or a form's, repeated per record (`deals_card_12_go`)."""
    return "_".join(map(str, parts))


def _each(name: str) -> Callable[..., str]:
    """The keys of a widget repeated per record: name_<id>[_<part>…]."""
    return lambda *parts: key(name, *parts)


def keep(*names: str) -> None:
    """Keep the values of widgets a run does not draw (the deal list's filters while one deal is
    open), which Streamlit would otherwise forget."""
    for name in names:
        if name in st.session_state:
            st.session_state[name] = st.session_state[name]


def forget(prefix: str) -> None:
    """Drop every key made from `prefix` (a form's widgets, its errors), so that it starts afresh."""
    for name in [k for k in st.session_state if str(k) == prefix or str(k).startswith(f"{prefix}_")]:
        del st.session_state[name]


PHONE = "phone_layout"  # the browser window's width class, reported by ui.phone
LANGUAGE = "language"
SESSION_ID = "session_id"  # the signed-in session (core.sessions), checked on every run
HANDOFF = "session_handoff"  # a fresh sign-in's ticket for the cookie, and when it was issued (ui.session)
USER = "user"  # the signed-in UserInfo, re-read from the database on every run
SIGN_OUT = "sidebar_sign_out"
SIGN_OUT_EVERYWHERE = "sidebar_sign_out_everywhere"
TOASTS = "toasts"  # what went well, shown when the run that draws the page ends (ui.actions.toast)


class Live:
    """A live part of a page (ui.actions.live), by its name."""

    SHOWN = _each("live_shown")  # the views it shows and the data version of each
    TICKER = _each("live_ticker")


class SignIn:
    FORM = "sign_in"
    LOGIN = "sign_in_login"
    PASSWORD = "sign_in_password"


class Overview:
    PIPELINE = _each("overview_pipeline")  # the container of one pipeline
    TABLE = _each("overview_table")
    DOWNLOAD = _each("overview_download")
    AS_OF = "overview_as_of"


class Funnel:
    PIPELINE = "funnel_pipeline"
    PRESET = "funnel_preset"
    FROM = "funnel_from"
    TO = "funnel_to"
    COMPARE = "funnel_compare"
    TEAM = "funnel_team"
    CATEGORY = _each("funnel")  # source, region, segment
    VIEW = "funnel_view"
    CHART = "funnel_chart"
    TABLE = "funnel_table"
    BEHIND = "funnel_behind"  # the figure whose deals are listed (ui.behind.Asked), and its panel's keys
    BEHIND_TILE = _each("funnel_behind_tile")  # a tile's Deals button
    CHANGE_AGAINST = "funnel_change_against"  # the period the win rate's change is measured against
    CHANGE_TABLE = "funnel_change_table"
    DOWNLOAD = "funnel_download"
    COMPARISON = "funnel_comparison"
    TIME = "funnel_time"
    TIME_DOWNLOAD = "funnel_time_download"
    LOST = "funnel_lost"
    LOST_DOWNLOAD = "funnel_lost_download"
    CHANGES_SHOWN = "funnel_changes_shown"
    CHANGES_FROM = "funnel_changes_from"
    CHANGES_TO = "funnel_changes_to"
    CHANGES_CLOSING = "funnel_changes_closing"
    CHANGES_CHART = "funnel_changes_chart"
    CHANGES_TABLE = "funnel_changes_table"
    CHANGES_DOWNLOAD = "funnel_changes_download"
    CHANGES_BUCKET = "funnel_changes_bucket"  # the bar whose deals are listed
    CHANGES_DEAL = _each("funnel_changes_deal")


class Dashboard:
    PRESET = "dashboard_preset"
    TEAM = "dashboard_team"
    MANAGER = "dashboard_manager"
    OVERDUE = _each("dashboard_overdue")  # an overdue activity's "open the deal"
    ROTTING = _each("dashboard_rotting")
    LEADERBOARD = "dashboard_leaderboard"
    DOWNLOAD = "dashboard_download"
    BEHIND = "dashboard_behind"  # the figure whose deals or activities are listed (ui.behind.Asked)
    BEHIND_TILE = _each("dashboard_behind_tile")


class PlanFact:
    KIND = "plan_period_kind"
    PERIOD = _each("plan_period")  # per kind of period
    PIPELINE = "plan_pipeline"
    TEAM = "plan_team"
    CUMULATIVE = "plan_cumulative"
    TABLE = "plan_table"
    DOWNLOAD = "plan_csv"
    BEHIND = "plan_behind"  # the row whose fact's deals are listed (ui.behind.Asked)
    BEHIND_TILE = "plan_behind_tile"
    CALCULATOR_MANAGER = "plan_calculator_manager"
    WHAT_IF = _each("plan_what_if")  # gap, win_rate or average; per manager, period and pipeline
    TARGET = "plan_target"
    GRID = "plan_grid"  # a new grid after each edit or copy, redrawn from the database (ui.grid.EditedGrid)
    COPY = "plan_copy"
    COPY_SOURCE = _each("plan_copy_source")  # per period shown
    COPY_TARGET = _each("plan_copy_target")
    COPY_UPLIFT = _each("plan_copy_uplift")
    COPY_MESSAGE = "plan_copy_message"  # what the last copy wrote, shown after the redraw
    COPY_CONFIRMATION = "plan_copy_confirmation"  # the copy asked for (ui.confirm), and its buttons


class Deals:
    PIPELINE = "deals_pipeline"
    STAGES = "deals_stages"
    STATUS = "deals_status"
    SEARCH = "deals_search"
    OWNER = "deals_owner"
    ONLY_ROTTING = "deals_only_rotting"
    ONLY_OVERDUE = "deals_only_overdue"
    SORT = "deals_sort"
    PAGE = "deals_page"
    PREVIOUS = "deals_previous"
    NEXT = "deals_next"
    GRID = "deals_grid"  # a new grid after each edit, redrawn from the database (ui.grid.EditedGrid)
    BOARD = "deals_board"  # the board (ui.board)
    BOARD_EVENT = "deals_board_event"  # what the user last did on the board, kept for the run it started
    BOARD_REDRAWS = "deals_board_redraws"  # events handled: the board is drawn anew after each (a refusal snaps back)
    BOARD_MORE = "deals_board_more"  # stage id → how many cards its column was asked to show
    TASK = _each("deals_task")
    FILTERS = (PIPELINE, STAGES, STATUS, SEARCH, OWNER, ONLY_ROTTING, ONLY_OVERDUE, SORT)
    OPENED = "deal"  # the query parameter of the deal open on its own page: /deals?deal=123
    BACK = "deals_back"  # from the deal page to the list
    TICKED = "deals_ticked"  # what to do with the deals ticked in the grid
    BULK_ACTION = "deals_bulk_action"
    BULK_JOB = "deals_bulk_job"  # a bulk action under way (ui.bulk.Job)
    BULK_RESULT = "deals_bulk_result"  # what the last bulk action did, shown after the redraw
    LIST_CARD = _each("deals_list_card")  # a deal's card in the list on a phone
    NEXT_STAGE = _each("deals_next_stage")  # a deal's one-click move to its next stage
    # The deal panel's forms: each widget's key is key(prefix, field).
    NEW_DEAL = "deals_new_deal"
    DEAL = _each("deals_deal")  # the edit form of a deal
    MOVE = _each("deals_move")  # the move step of a deal
    REASSIGN = _each("deals_reassign")
    ACTIVITIES = _each("deals_activities")
    TODO = _each("deals_todo")  # a deal's activities still to do: done, reschedule
    LOG_ACTIVITY = _each("deals_log_activity")


class StageEditor:
    NEW_PIPELINE = "stage_editor_new_pipeline"
    TEMPLATE = "stage_editor_new_pipeline_template"
    NAMES_LANGUAGE = "stage_editor_new_pipeline_language"
    NEW_NAME = "stage_editor_new_pipeline_name"
    PIPELINE = "stage_editor_pipeline"
    STAGE = "stage_editor_stage"
    SEEN_VERSION = "stage_editor_seen_version"  # pipeline id -> the version the page last showed
    STAGES_TABLE = "stage_editor_stages_table"
    UP = "stage_editor_up"
    DOWN = "stage_editor_down"
    EDIT_STAGE = _each("stage_editor_edit_stage")  # per stage: the form, and key(form, field)
    DELETE = "stage_editor_delete"
    DELETE_TARGET = _each("stage_editor_delete_target")  # per stage
    DELETE_GO = "stage_editor_delete_go"
    DELETE_CONFIRMATION = "stage_editor_delete_confirmation"  # the delete asked for (ui.confirm), and its buttons
    ADD_STAGE = "stage_editor_add_stage"  # the form, and key(form, field)
    PIPELINE_SETTINGS = "stage_editor_pipeline_settings"
    PIPELINE_NAME = _each("stage_editor_pipeline_name")
    ARCHIVE = "stage_editor_archive"
    CHANGE_LOG = "stage_editor_change_log"
    REASON_TOGGLE = _each("stage_editor_reason_toggle")
    REASON_FORM = "stage_editor_reason"
    REASON_PICK = "stage_editor_reason_pick"
    REASON_NAME = "stage_editor_reason_name"


class Users:
    TABLE = "users_table"
    ADD = "users_add"  # the form, and key(form, field)
    CREATE = "users_create"
    EDITED_ID = "users_edited_id"
    EDIT = _each("users_edit")  # per user: the form, and key(form, field)
    RESET_PASSWORD = _each("users_reset_password")
    DEACTIVATE_CONFIRMATION = "users_deactivate_confirmation"  # the deactivation asked for (ui.confirm)
    ADD_TEAM = "users_add_team"
    SESSIONS = "users_sessions"  # the open sessions
    SESSIONS_TO_END = "users_sessions_to_end"
    LOGIN_LOG = "users_login_log"
    END_SESSIONS = "users_end_sessions"
    TEAM_NAME = "users_add_team_name"


class Tokens:
    NEW = "tokens_new"  # the form, and key(form, field)
    CREATE = "tokens_create"
    CREATED = "tokens_created"  # the token just created: (name, secret, intake pipeline), until dismissed
    DISMISS = "tokens_dismiss"
    OWN = "tokens_own"
    EVERYONE = "tokens_everyone"
    REVOKE_OWN = "tokens_revoke_own"  # the button, and key(it, "ids") the tokens chosen
    REVOKE_ANY = "tokens_revoke_any"


class Webhooks:
    TABLE = "webhooks_table"
    CHOSEN = "webhooks_chosen"
    TOGGLE = "webhooks_toggle"
    NEW = "webhooks_new"  # the form, and key(form, field)
    ADD = "webhooks_add"
    CREATED = "webhooks_created"  # the webhook just added: (url, secret), until dismissed
    DISMISS = "webhooks_dismiss"
    DELIVERIES = "webhooks_deliveries"
    DELIVERY = "webhooks_delivery"  # the delivery whose attempts are shown
    ATTEMPTS = "webhooks_attempts"
    RESEND = "webhooks_resend"


class Notifications:
    MARK_READ = "notifications_mark_read"
    OPEN = _each("notifications_open")  # per notification


class Data:
    FILE = "data_file"
    FILE_HEAD = "data_file_head"
    MAP = _each("data_map")  # per deal field
    INTO = "data_into"
    PIPELINE = "data_pipeline"
    STAGE = _each("data_stage")  # per pipeline and stage value of the file
    NEW_NAME = "data_new_name"
    OPEN_STAGES = "data_open_stages"
    WON_STAGE = "data_won_stage"
    LOST_STAGES = "data_lost_stages"
    OWNERS = "data_owners"
    COMPANIES = "data_companies"
    DEFAULT_CREATED = "data_default_created"
    DAY_FIRST = "data_day_first"
    TEAMS_FILE = "data_teams_file"
    TEAMS_OWNER = "data_teams_owner"
    TEAMS_TEAM = "data_teams_team"
    PROBLEMS = "data_problems"
    PREVIEW = "data_preview"
    RUN = "data_run"
    RUN_CONFIRMATION = "data_run_confirmation"  # the import asked for (ui.confirm), and its buttons
    IMPORT_RESULT = "data_import_result"  # what the last import wrote, shown after the rerun
    BATCHES = "data_batches"
    BATCH = "data_batch"  # the import chosen to undo
    KEEP_CHANGED = "data_keep_changed"
    UNDO = "data_undo"
    UNDO_CONFIRMATION = "data_undo_confirmation"
    UNDO_RESULT = "data_undo_result"


def init_state(settings: Settings) -> None:
    st.session_state.setdefault(LANGUAGE, settings.language)
    st.session_state.setdefault(SESSION_ID, None)
    st.session_state.setdefault(USER, None)
    st.session_state.setdefault(Deals.PAGE, 0)


def clear_for_sign_out() -> None:
    """Forget everything of the session but the chosen language."""
    language = st.session_state.get(LANGUAGE)
    st.session_state.clear()
    st.session_state[LANGUAGE] = language
