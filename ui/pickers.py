"""The pickers the pages share: a pipeline, a team, a manager — each a select box over ids shown by
name, optionally with "everyone" (None) first."""

from collections.abc import Callable, Mapping

import streamlit as st

from core import pipelines
from core.pipelines import PipelineInfo
from core.users import TeamInfo, UserInfo
from ui.actions import read
from ui.i18n import t


def pick(
    label: str,
    names: Mapping[int, str],
    *,
    key: str,
    everyone: str | None = None,
    where=st,
    on_change: Callable[[], None] | None = None,
    **options,
) -> int | None:
    """One of `names` (id → name) by id; with `everyone`, None first, shown as `everyone`."""
    ids = list(names) if everyone is None else [None, *names]
    return where.selectbox(
        label,
        ids,
        key=key,
        format_func=lambda i: everyone if i is None else names[i],
        on_change=on_change,
        **options,
    )


def active_pipelines() -> list[PipelineInfo]:
    """The active pipelines; with none, the page says how to make some, and stops."""
    found = read(pipelines.list_pipelines)
    if not found:
        st.info(t("overview.empty"))
        st.stop()
    return found


def pipeline(choices: list[PipelineInfo], *, key: str, everyone: str | None = None, where=st, **options):
    names = {p.id: p.name for p in choices}
    return pick(t("field.pipeline_id"), names, key=key, everyone=everyone, where=where, **options)


def team(teams: list[TeamInfo], *, key: str, everyone: str, where=st, **options) -> int | None:
    names = {team.id: team.name for team in teams}
    return pick(t("field.team"), names, key=key, everyone=everyone, where=where, **options)


def manager(managers: list[UserInfo], *, key: str, everyone: str, where=st, label: str | None = None, **options):
    names = {user.id: user.display_name for user in managers}
    return pick(label or t("dashboard.manager"), names, key=key, everyone=everyone, where=where, **options)
