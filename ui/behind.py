"""The deals behind a figure: which figure a person clicked (a tile's button, a chart's bar, a table's
row), kept in the session, and the panel that lists its deals under the part of the page it was
clicked in, with the figure's definition above them."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.analytics.behind import Behind
from core.definitions import definition
from ui import format, resources, url_state
from ui.downloads import download_buttons
from ui.i18n import language, t
from ui.navigation import open_deal
from ui.state import key

SHOWN_ROWS = 12  # the panel's list is this many rows high; it scrolls for the rest


@dataclass(frozen=True)
class Asked:
    """A figure whose deals were asked for: where on the page (`part`), which figure (a
    core.definitions name), of what (`label`: a stage, a stage and a reason, as their users named them)
    and the figure's arguments (a stage id …)."""

    part: str
    figure: str
    label: str = ""
    args: tuple = ()


ADDRESS = "deals"  # the list open, in the address: /funnel?deals=table~reached~12


def _written(asked: Asked) -> str:
    """How the address names a list: where, which figure, of what (its arguments; none: "-")."""
    return "~".join([asked.part, asked.figure, *("-" if arg is None else str(arg) for arg in asked.args)])


def kept(state: str, offered: Callable[[], Iterable[Asked]]) -> None:
    """The list open kept in the address, so that a link opens it too. A page loaded afresh opens the
    one its address names when the page offers it now (among `offered`, with its label, the page's:
    what the address says is never shown); then whichever list is open is written there. Called in
    the part of the page that reruns with the clicks that open a list, before its panels."""
    address = url_state.Address(ADDRESS)
    if state not in st.session_state:
        by_text = {_written(asked): asked for asked in offered()}

        def named(text: str) -> Asked:
            if text not in by_text:
                raise ValueError(text)
            return by_text[text]

        st.session_state[state] = address.asked(ADDRESS, parse=named)
    opened = st.session_state[state]
    address.note(ADDRESS, _written(opened) if isinstance(opened, Asked) else "", default="")
    address.write()


def choose(state: str, asked: Asked | None) -> None:
    """A click's callback: list the deals behind `asked` (None: close the list)."""
    st.session_state[state] = asked


def deals_button(state: str, asked: Asked, *, key: str, where=st) -> None:
    """The small "Deals" button under a tile: a click lists the deals behind `asked`."""
    where.button(
        t("behind.show"), key=key, type="tertiary", icon=":material/list:", on_click=choose, args=(state, asked)
    )


def asked_in(state: str, part: str) -> Asked | None:
    """The figure asked for, if it was asked for in `part` of the page."""
    asked = st.session_state.get(state)
    return asked if isinstance(asked, Asked) and asked.part == part else None


def help_of(figure: str) -> str:
    """A tile's help: its definition, one part per paragraph (translated constants, no user text)."""
    found = definition(figure)
    return "\n\n".join(f"**{heading}.** {text}" for heading, text in found.parts(language()))


def panel(state: str, asked: Asked, behind: Behind) -> None:
    """The deals behind `asked`: the definition, their count and amount, the list (a row opens its
    deal), a CSV and Excel of the list, and a button that closes it."""
    lang, currency = language(), resources.settings().currency
    found = definition(asked.figure)
    prefix = key(state, asked.part)
    with st.container(border=True, key=key(prefix, "panel")):
        top, close = st.columns([6, 1], vertical_alignment="center")
        title = found.title[lang] + (f" — {format.plain(asked.label)}" if asked.label else "")
        top.markdown(f"**{t('behind.title_activities' if behind.of_activities else 'behind.title', figure=title)}**")
        close.button(t("behind.close"), key=key(prefix, "close"), on_click=choose, args=(state, None), type="tertiary")
        with st.expander(t("behind.definition")):
            for heading, text in found.parts(lang):
                st.markdown(f"**{heading}.** {text}")
        summary = t(
            "behind.activities" if behind.of_activities else "behind.deals", deals=format.count(behind.deals, lang)
        )
        if behind.count != behind.deals:
            summary += " · " + t("behind.stays", stays=format.count(behind.count, lang))
        if behind.amount is not None:
            summary += " · " + format.money(behind.amount, currency, lang)
        st.caption(summary)
        if not behind.complete:
            st.caption(t("behind.first", shown=format.count(len(behind.rows), lang)))
        table = shown_table(behind, stays=behind.count != behind.deals)
        picked = st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            height=min(len(table), SHOWN_ROWS) * 35 + 38,
            key=key(prefix, "list"),
            on_select="rerun",
            selection_mode="single-row",
            column_config=_columns(),
        )
        rows = picked.selection.rows if picked else []
        target = behind.rows["deal_id" if behind.of_activities else "id"].iloc[rows[0]] if rows else None
        if not format.missing(target):
            open_deal(int(target))
        st.caption(t("behind.open_hint"))
        download_buttons(table, f"deals-{asked.figure}", key=key(prefix, "download"))


def shown_table(behind: Behind, *, stays: bool) -> pd.DataFrame:
    """The list as shown and downloaded: the status and kind in words, the days without their times."""
    zone = resources.settings().zone
    if behind.of_activities:
        table = behind.rows.drop(columns=["id", "deal_id"])
        table["kind"] = [t(f"activity.{kind}") for kind in table["kind"]]
        for name in ("due_at", "done_at"):
            table[name] = [format.moment(moment, zone) for moment in table[name]]
        return table
    table = behind.rows.drop(columns=["id"] if stays else ["id", "counted"])
    table["status"] = [t(f"status.{status}") for status in table["status"]]
    for name in ("created_at", "closed_at"):  # an open deal's closing day: a dash (the grid would say "None")
        table[name] = [
            format.DASH if format.missing(moment) else moment.astimezone(zone).date().isoformat()
            for moment in table[name]
        ]
    return table


def _columns() -> dict:
    return {
        "title": t("column.title"),
        "company": t("column.company"),
        "stage": t("column.stage"),
        "status": t("behind.status"),
        "amount": st.column_config.NumberColumn(t("column.amount"), format="localized"),
        "owner": t("column.owner"),
        "created_at": t("behind.created"),
        "closed_at": t("behind.closed"),
        "counted": st.column_config.NumberColumn(t("behind.stays_column")),
        "kind": t("behind.kind"),
        "subject": t("behind.subject"),
        "deal": t("behind.deal"),
        "due_at": t("behind.due"),
        "done_at": t("behind.done"),
    }
