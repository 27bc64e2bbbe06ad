"""A step between a click and what one click cannot undo. The first click asks for it; the page then
shows a question naming what will happen, with Confirm and Cancel; nothing is written before Confirm.

The request is forgotten the moment Confirm or Cancel is clicked, and the question is drawn only while
a request waits: a second click on Confirm (a double click) reaches no button and does nothing."""

from collections.abc import Callable
from typing import Any

import streamlit as st

from ui.i18n import t
from ui.state import key

CONFIRM, CANCEL = "confirm", "cancel"  # the buttons' keys are key(name, CONFIRM) and key(name, CANCEL)


class Confirmation:
    """One kind of request of a page (delete this stage with its deals moved there, …), kept under `name`."""

    def __init__(self, name: str):
        self.name = name

    def ask(self, request: Any) -> None:
        """The first click: `request` (plain, comparable values) waits for its confirmation."""
        st.session_state[self.name] = request

    def waits(self, request: Any) -> bool:
        """Whether `request` waits. A request for something else (another stage, another file, other
        options) is forgotten: the page has moved on, and its question would no longer be true."""
        asked = st.session_state.get(self.name)
        if asked is not None and asked != request:
            del st.session_state[self.name]
        return asked is not None and asked == request

    def forget(self) -> None:
        """Drop the waiting request before its question is drawn (bad input, nothing to do, the page out of date)."""
        st.session_state.pop(self.name, None)

    def confirmed(self, question: str, *, confirm: str, on_cancel: Callable[[], None] | None = None) -> bool:
        """The question of the waiting request (markdown, user text escaped) with Confirm and Cancel.
        True on the run where Confirm was clicked, once; the caller then does what was asked. Cancel
        forgets the request before the page is redrawn, and runs `on_cancel` (a form put back as stored)."""
        slot = st.empty()
        with slot.container(border=True, key=key(self.name, "question")):
            st.warning(question, icon=":material/warning:")
            left, right, _ = st.columns([2, 1, 2])
            yes = left.button(confirm, type="primary", key=key(self.name, CONFIRM))
            right.button(t("confirm.cancel"), key=key(self.name, CANCEL), on_click=self._cancel, args=(on_cancel,))
        if yes:
            st.session_state.pop(self.name, None)
            slot.empty()
        return yes

    def _cancel(self, then: Callable[[], None] | None) -> None:
        st.session_state.pop(self.name, None)
        if then is not None:
            then()


def shown_once(state_key: str, dismiss_key: str, render: Callable[[Any], None]) -> None:
    """A secret just made (session_state[state_key]), drawn by `render` in a box until its user says
    they have copied it: it is not stored, and never shown again."""
    made = st.session_state.get(state_key)
    if made is None:
        return
    with st.container(border=True):
        render(made)
        if st.button(t("tokens.copied"), key=dismiss_key, type="primary"):
            del st.session_state[state_key]
            st.rerun()
