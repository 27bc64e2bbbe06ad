"""API tokens (every user, from their own menu): create one (shown once), see and revoke your own; an
admin also creates intake tokens for a website form or a phone system, and sees and revokes all."""

from datetime import datetime
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from core import pipelines, tokens, users
from core.permissions import Actor
from core.tokens import Intake, TokenInfo
from ui import resources, session
from ui.actions import perform, read
from ui.confirm import shown_once
from ui.format import plain
from ui.i18n import t
from ui.state import Tokens, forget, key

KINDS = ("api", "intake")
ROUND_ROBIN, FIXED = "team", "owner"


def page() -> None:
    actor = session.actor()
    st.title(t("tokens.title"))
    st.caption(t("tokens.intro"))
    shown_once(Tokens.CREATED, Tokens.DISMISS, new_secret)
    own = read(tokens.list_tokens, actor)
    st.subheader(t("tokens.yours"))
    token_table(own, Tokens.OWN, everyone=False)
    revoke_control(actor, own, Tokens.REVOKE_OWN)
    create_form(actor)
    if actor.is_admin:
        st.subheader(t("tokens.everyone"))
        everyone = read(tokens.list_tokens, actor, everyone=True)
        token_table(everyone, Tokens.EVERYONE, everyone=True)
        revoke_control(actor, everyone, Tokens.REVOKE_ANY)


def new_secret(created: tuple[str, str, int | None]) -> None:
    """The token just created, with a curl line to try it."""
    name, secret, pipeline_id = created
    st.success(t("tokens.created", name=plain(name)))
    st.warning(t("tokens.copy_now"))
    st.code(secret, language=None)
    origin = _origin()
    if pipeline_id is None:
        example = f'curl -H "Authorization: Bearer {secret}" {origin}/api/v1/me'
    else:
        example = (
            f'curl -X POST -H "Authorization: Bearer {secret}" -H "Content-Type: application/json" '
            f'-d \'{{"name": "Ivan Petrov", "phone": "+7 999 123-45-67", "message": "Need a quote"}}\' '
            f"{origin}/api/v1/intake/{pipeline_id}"
        )
    st.caption(t("tokens.try_it"))
    st.code(example, language="bash", wrap_lines=True)


def _origin() -> str:
    """Where this app is served, as its user's browser reached it."""
    address = urlsplit(st.context.url or "")
    return f"{address.scheme}://{address.netloc}" if address.netloc else "http://localhost:8501"


def token_table(found: list[TokenInfo], table_key: str, *, everyone: bool) -> None:
    if not found:
        st.caption(t("tokens.none"))
        return
    zone = resources.settings().zone

    def when(moment: datetime | None) -> str:
        return "—" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"

    columns = {
        t("tokens.name"): [token.name for token in found],
        t("tokens.kind"): [t(f"tokens.kind_{token.scope.value}") for token in found],
        t("tokens.created_at"): [when(token.created_at) for token in found],
        t("tokens.last_used"): [when(token.last_used_at) for token in found],
        t("tokens.expires"): [when(token.expires_at) if token.expires_at else t("tokens.never") for token in found],
    }
    if everyone:
        columns = {t("tokens.user"): [token.user_name for token in found], **columns}
    st.dataframe(pd.DataFrame(columns), hide_index=True, width="stretch", key=table_key)


def revoke_control(actor: Actor, found: list[TokenInfo], widget_key: str) -> None:
    if not found:
        return
    labels = {token.id: f"{token.name} · {token.user_name} · {token.created_at:%Y-%m-%d}" for token in found}
    chosen = st.multiselect(t("tokens.to_revoke"), list(labels), format_func=labels.get, key=key(widget_key, "ids"))
    if (
        st.button(t("tokens.revoke", count=len(chosen)), key=widget_key, disabled=not chosen)
        and perform(
            lambda db: [tokens.revoke(db, actor, token_id) for token_id in chosen],
            success=t("tokens.revoked", count=len(chosen)),
        ).ok
    ):
        forget(key(widget_key, "ids"))
        st.rerun()


def create_form(actor: Actor) -> None:
    form = Tokens.NEW
    st.subheader(t("tokens.new"))
    kind = "api"
    if actor.is_admin:
        kind = st.radio(
            t("tokens.kind"), KINDS, format_func=lambda k: t(f"tokens.kind_{k}"), horizontal=True, key=key(form, "kind")
        )
    intake = intake_fields(form) if kind == "intake" else None
    with st.form(form, clear_on_submit=False, border=False):
        name = st.text_input(t("tokens.name"), key=key(form, "name"), max_chars=200)
        expires_on = st.date_input(
            t("tokens.expires_on"), value=None, key=key(form, "expires_on"), help=t("tokens.expires_help")
        )
        if st.form_submit_button(t("tokens.create"), type="primary", key=Tokens.CREATE):
            outcome = perform(
                lambda db: tokens.create(db, actor, name, expires_on=expires_on, intake=intake() if intake else None)
            )
            if outcome.ok:
                _, secret = outcome.value
                pipeline_id = None if intake is None else intake().pipeline_id
                st.session_state[Tokens.CREATED] = (name.strip(), secret, pipeline_id)
                forget(form)
                st.rerun()


def intake_fields(form: str):
    """Where an intake token's leads go; returns what makes its Intake (read when the form is sent)."""
    found = read(lambda db: (pipelines.list_pipelines(db), users.list_teams(db), users.list_users(db)))
    active_pipelines, teams, people = found
    pipeline_names = {p.id: p.name for p in active_pipelines}
    pipeline_id = st.selectbox(
        t("tokens.pipeline"), list(pipeline_names), format_func=pipeline_names.get, key=key(form, "pipeline")
    )
    assign = st.radio(
        t("tokens.assign"),
        (ROUND_ROBIN, FIXED),
        format_func=lambda a: t(f"tokens.assign_{a}"),
        horizontal=True,
        key=key(form, "assign"),
    )
    if assign == ROUND_ROBIN:
        team_names = {team.id: team.name for team in teams}
        team_id = st.selectbox(t("field.team"), list(team_names), format_func=team_names.get, key=key(form, "team"))
        owner_id = None
    else:
        owners = {u.id: u.display_name for u in people if u.role.value != "executive"}
        owner_id = st.selectbox(t("tokens.owner"), list(owners), format_func=owners.get, key=key(form, "owner"))
        team_id = None
    window = st.number_input(
        t("tokens.window"),
        min_value=0,
        max_value=tokens.MAX_WINDOW_DAYS,
        value=tokens.DEFAULT_WINDOW_DAYS,
        step=1,
        key=key(form, "window"),
        help=t("tokens.window_help"),
    )
    return lambda: Intake(pipeline_id=pipeline_id, team_id=team_id, owner_id=owner_id, window_days=int(window))


page()
