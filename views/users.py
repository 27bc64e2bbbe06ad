import pandas as pd
import streamlit as st

from core import users
from db.engine import transaction
from db.models import Role
from ui import resources, session
from ui.actions import perform
from ui.i18n import t
from ui.state import USERS_EDITED_ID

actor = session.actor()
engine = resources.engine()
st.title(t("users.title"))


def run_action(action, success: str) -> bool:
    return perform(action, success=success).ok


with transaction(engine) as db:
    user_list = users.list_users(db, active_only=False)
    teams = users.list_teams(db)
team_names = {team.id: team.name for team in teams}
team_options = [None, *team_names]
roles = [role.value for role in Role]


def team_label(team_id: int | None) -> str:
    return team_names[team_id] if team_id is not None else t("users.no_team")


def role_label(role: str) -> str:
    return t(f"role.{role}")


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
    key="users_table",
)

add_column, edit_column = st.columns(2)
with add_column, st.form("add_user", clear_on_submit=False):
    st.subheader(t("users.add"))
    login = st.text_input(t("field.login"), key="add_login")
    display_name = st.text_input(t("field.display_name"), key="add_display_name")
    role = st.selectbox(t("field.role"), roles, format_func=role_label, key="add_role")
    team_id = st.selectbox(t("field.team"), team_options, format_func=team_label, key="add_team")
    password = st.text_input(t("field.password"), type="password", key="add_password")
    password_again = st.text_input(t("field.password_again"), type="password", key="add_password_again")
    if st.form_submit_button(t("users.create"), type="primary", key="create_user"):
        if password != password_again:
            st.error(t("users.passwords_differ"))
        elif run_action(
            lambda db: users.create_user(
                db,
                actor,
                login=login,
                display_name=display_name,
                role=role,
                password=password,
                team_id=team_id,
            ),
            t("users.created", login=login.strip().lower()),
        ):
            st.rerun()

with edit_column:
    st.subheader(t("users.edit"))
    by_id = {u.id: u for u in user_list}
    edited_id = st.selectbox(
        t("users.pick"),
        list(by_id),
        format_func=lambda i: f"{by_id[i].display_name} ({by_id[i].login})",
        key=USERS_EDITED_ID,
    )
    edited = by_id[edited_id]
    with st.form(f"edit_user_{edited.id}"):
        new_name = st.text_input(t("field.display_name"), value=edited.display_name, key=f"edit_name_{edited.id}")
        new_role = st.selectbox(
            t("field.role"),
            roles,
            index=roles.index(edited.role.value),
            format_func=role_label,
            key=f"edit_role_{edited.id}",
        )
        new_team = st.selectbox(
            t("field.team"),
            team_options,
            index=team_options.index(edited.team_id),
            format_func=team_label,
            key=f"edit_team_{edited.id}",
        )
        new_active = st.checkbox(t("field.is_active"), value=edited.is_active, key=f"edit_active_{edited.id}")
        if st.form_submit_button(t("users.save"), type="primary", key=f"save_user_{edited.id}") and run_action(
            lambda db: users.update_user(
                db,
                actor,
                edited.id,
                display_name=new_name,
                role=new_role,
                team_id=new_team,
                is_active=new_active,
            ),
            t("users.saved", login=edited.login),
        ):
            st.rerun()
    with st.form(f"reset_password_{edited.id}", clear_on_submit=True):
        st.markdown(f"**{t('users.reset_password')}**")
        new_password = st.text_input(t("field.password"), type="password")
        new_password_again = st.text_input(t("field.password_again"), type="password")
        if st.form_submit_button(t("users.reset_password")):
            if new_password != new_password_again:
                st.error(t("users.passwords_differ"))
            else:
                run_action(
                    lambda db: users.set_password(db, actor, edited.id, new_password),
                    t("users.password_reset", login=edited.login),
                )

with st.form("add_team", clear_on_submit=True):
    st.subheader(t("users.add_team"))
    team_name = st.text_input(t("field.name"), key="add_team_name")
    if st.form_submit_button(t("users.add_team")) and run_action(
        lambda db: users.create_team(db, actor, team_name), t("users.team_created", name=team_name.strip())
    ):
        st.rerun()
