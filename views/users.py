"""Users (admins): the users and teams, adding and editing them, resetting passwords."""

import pandas as pd
import streamlit as st

from core import sessions, users
from core.permissions import ROLES, Actor
from core.users import TeamInfo, UserInfo
from ui import resources, session
from ui.actions import perform, read
from ui.confirm import Confirmation
from ui.format import plain
from ui.i18n import t
from ui.login_log import render_login_log
from ui.state import Users, forget, key


def page() -> None:
    actor = session.actor()
    st.title(t("users.title"))
    user_list, teams = read(lambda db: (users.list_users(db, active_only=False), users.list_teams(db)))
    team_names = {team.id: team.name for team in teams}

    def team_label(team_id: int | None) -> str:
        return team_names[team_id] if team_id is not None else t("users.no_team")

    st.subheader(t("users.list"))
    st.dataframe(
        pd.DataFrame(
            {
                t("field.login"): [u.login for u in user_list],
                t("field.display_name"): [u.display_name for u in user_list],
                t("field.role"): [role_label(u.role.value) for u in user_list],
                t("field.team"): [team_label(u.team_id) for u in user_list],
                t("field.is_active"): [u.is_active for u in user_list],
            }
        ),
        hide_index=True,
        width="stretch",
        key=Users.TABLE,
    )
    add_column, edit_column = st.columns(2)
    with add_column:
        add_user_form(actor, teams, team_label)
    with edit_column:
        edit_user_forms(actor, user_list, teams, team_label)
    add_team_form(actor)
    sessions_panel(actor)
    render_login_log(actor)


def role_label(role: str) -> str:
    return t(f"role.{role}")


ROLE_VALUES = [role.value for role in ROLES]
DEACTIVATING = Confirmation(Users.DEACTIVATE_CONFIRMATION)


def add_user_form(actor: Actor, teams: list[TeamInfo], team_label) -> None:
    form = Users.ADD
    with st.form(form, clear_on_submit=False):
        st.subheader(t("users.add"))
        login = st.text_input(t("field.login"), key=key(form, "login"))
        display_name = st.text_input(t("field.display_name"), key=key(form, "display_name"))
        role = st.selectbox(t("field.role"), ROLE_VALUES, format_func=role_label, key=key(form, "role"))
        team_id = st.selectbox(
            t("field.team"), [None, *(team.id for team in teams)], format_func=team_label, key=key(form, "team")
        )
        password = st.text_input(t("field.password"), type="password", key=key(form, "password"))
        password_again = st.text_input(t("field.password_again"), type="password", key=key(form, "password_again"))
        if st.form_submit_button(t("users.create"), type="primary", key=Users.CREATE):
            if password != password_again:
                st.error(t("users.passwords_differ"))
            elif perform(
                lambda db: users.create_user(
                    db, actor, login=login, display_name=display_name, role=role, password=password, team_id=team_id
                ),
                success=t("users.created", login=plain(login.strip().lower())),
            ).ok:
                st.rerun()


def edit_user_forms(actor: Actor, user_list: list[UserInfo], teams: list[TeamInfo], team_label) -> None:
    """The user picked: name, role, team and active flag; and a new password."""
    st.subheader(t("users.edit"))
    by_id = {u.id: u for u in user_list}
    edited = by_id[
        st.selectbox(
            t("users.pick"),
            list(by_id),
            format_func=lambda i: f"{by_id[i].display_name} ({by_id[i].login})",
            key=Users.EDITED_ID,
        )
    ]
    team_options = [None, *(team.id for team in teams)]
    form = Users.EDIT(edited.id)
    with st.form(form):
        new_name = st.text_input(t("field.display_name"), value=edited.display_name, key=key(form, "name"))
        new_role = st.selectbox(
            t("field.role"),
            ROLE_VALUES,
            index=ROLE_VALUES.index(edited.role.value),
            format_func=role_label,
            key=key(form, "role"),
        )
        new_team = st.selectbox(
            t("field.team"),
            team_options,
            index=team_options.index(edited.team_id),
            format_func=team_label,
            key=key(form, "team"),
        )
        new_email = st.text_input(
            t("field.email"), value=edited.email or "", key=key(form, "email"), help=t("users.email_help")
        )
        new_active = st.checkbox(t("field.is_active"), value=edited.is_active, key=key(form, "active"))
        submitted = st.form_submit_button(t("users.save"), type="primary", key=key(form, "save"))

    def save(db) -> None:
        users.update_user(
            db, actor, edited.id, display_name=new_name, role=new_role, team_id=new_team, is_active=new_active
        )
        users.set_email(db, actor, edited.id, new_email)

    request = (edited.id, new_name, new_role, new_team, new_active, new_email)
    if submitted and edited.is_active and not new_active:
        DEACTIVATING.ask(request)
    elif submitted and perform(save, success=t("users.saved", login=plain(edited.login))).ok:
        st.rerun()
    if DEACTIVATING.waits(request):
        deals = read(users.open_deal_count, actor, edited.id)
        question = t(
            "users.deactivate_question" if deals else "users.deactivate_question_no_deals",
            name=plain(edited.display_name),
            login=plain(edited.login),
            deals=deals,
        )
        if (
            DEACTIVATING.confirmed(question, confirm=t("users.deactivate_confirm"), on_cancel=lambda: forget(form))
            and perform(save, success=t("users.saved", login=plain(edited.login))).ok
        ):
            st.rerun()
    password_form(actor, edited)


def password_form(actor: Actor, edited: UserInfo) -> None:
    form = Users.RESET_PASSWORD(edited.id)
    with st.form(form, clear_on_submit=True):
        st.markdown(f"**{t('users.reset_password')}**")
        new_password = st.text_input(t("field.password"), type="password", key=key(form, "password"))
        new_password_again = st.text_input(t("field.password_again"), type="password", key=key(form, "again"))
        if st.form_submit_button(t("users.reset_password")):
            if new_password != new_password_again:
                st.error(t("users.passwords_differ"))
            else:
                perform(
                    lambda db: (
                        users.set_password(db, actor, edited.id, new_password),
                        sessions.end_all(db, edited.id),
                    ),
                    success=t("users.password_reset", login=plain(edited.login)),
                )


def add_team_form(actor: Actor) -> None:
    with st.form(Users.ADD_TEAM, clear_on_submit=True):
        st.subheader(t("users.add_team"))
        team_name = st.text_input(t("field.name"), key=Users.TEAM_NAME)
        if (
            st.form_submit_button(t("users.add_team"))
            and perform(
                lambda db: users.create_team(db, actor, team_name),
                success=t("users.team_created", name=plain(team_name.strip())),
            ).ok
        ):
            st.rerun()


def sessions_panel(actor: Actor) -> None:
    """Who is signed in where; an admin ends any of those sessions (that browser is signed out at its
    next run, a live page within one refresh)."""
    st.subheader(t("users.sessions"))
    settings = resources.settings()
    open_now = read(sessions.open_sessions, actor, lifetimes=settings.session_lifetimes)
    if not open_now:
        st.caption(t("users.no_sessions"))
        return

    def when(moment) -> str:
        return f"{moment.astimezone(settings.zone):%Y-%m-%d %H:%M}"

    st.dataframe(
        pd.DataFrame(
            {
                t("users.session_user"): [s.user_name for s in open_now],
                t("users.session_since"): [when(s.created_at) for s in open_now],
                t("users.session_seen"): [when(s.last_seen_at) for s in open_now],
                t("users.session_client"): [s.client for s in open_now],
                t("users.session_browser"): [s.user_agent for s in open_now],
            }
        ),
        hide_index=True,
        width="stretch",
        key=Users.SESSIONS,
    )
    labels = {s.id: f"{s.user_name} · {s.client or '—'} · {when(s.created_at)}" for s in open_now}
    ids = st.multiselect(t("users.sessions_to_end"), list(labels), format_func=labels.get, key=Users.SESSIONS_TO_END)
    ending = st.button(t("users.end_sessions", count=len(ids)), key=Users.END_SESSIONS, disabled=not ids)
    if (
        ending
        and perform(
            lambda db: [sessions.revoke(db, actor, session_id) for session_id in ids],
            success=t("users.sessions_ended", count=len(ids)),
        ).ok
    ):
        st.rerun()


page()
