"""Webhooks (admins): where the deals' events go, and every delivery with its attempts; one that
failed (or that a receiver lost) is sent again from here."""

import pandas as pd
import streamlit as st

from core import webhooks
from core.outbox import EVENTS
from ui import resources, session
from ui.actions import perform, read
from ui.confirm import shown_once
from ui.format import plain
from ui.i18n import t
from ui.state import Webhooks, forget, key


def page() -> None:
    actor = session.actor()
    st.title(t("webhooks.title"))
    st.caption(t("webhooks.intro"))
    shown_once(Webhooks.CREATED, Webhooks.DISMISS, new_secret)
    hooks = read(webhooks.list_webhooks, actor)
    if hooks:
        st.dataframe(
            pd.DataFrame(
                {
                    t("field.url"): [hook.url for hook in hooks],
                    t("field.events"): [", ".join(t(f"event.{e}") for e in hook.events) for hook in hooks],
                    t("webhooks.active"): [hook.is_active for hook in hooks],
                }
            ),
            hide_index=True,
            width="stretch",
            key=Webhooks.TABLE,
        )
        labels = {hook.id: f"{hook.url} ({t('webhooks.on' if hook.is_active else 'webhooks.off')})" for hook in hooks}
        chosen = st.selectbox(t("webhooks.choose"), list(labels), format_func=labels.get, key=Webhooks.CHOSEN)
        hook = next(h for h in hooks if h.id == chosen)
        if (
            st.button(t("webhooks.stop" if hook.is_active else "webhooks.start"), key=Webhooks.TOGGLE)
            and perform(
                lambda db: webhooks.set_active(db, actor, hook.id, not hook.is_active), success=t("editor.saved")
            ).ok
        ):
            st.rerun()
    else:
        st.caption(t("webhooks.none"))
    add_form(actor)
    deliveries(actor)


def new_secret(created: tuple[str, str]) -> None:
    """The webhook just added, with its secret for the receiver."""
    url, secret = created
    st.success(t("webhooks.created", url=plain(url)))
    st.warning(t("webhooks.secret_once"))
    st.code(secret, language=None)


def add_form(actor) -> None:
    form = Webhooks.NEW
    with st.form(form):
        st.subheader(t("webhooks.new"))
        url = st.text_input(t("field.url"), key=key(form, "url"), placeholder="https://example.com/hooks/funnel")
        events = st.multiselect(
            t("field.events"),
            list(EVENTS),
            default=list(EVENTS),
            format_func=lambda e: t(f"event.{e}"),
            key=key(form, "events"),
        )
        if st.form_submit_button(t("webhooks.add"), type="primary", key=Webhooks.ADD):
            outcome = perform(lambda db: webhooks.create_webhook(db, actor, url, events))
            if outcome.ok:
                st.session_state[Webhooks.CREATED] = (url.strip(), outcome.value[1])
                forget(form)
                st.rerun()


def deliveries(actor) -> None:
    st.subheader(t("webhooks.deliveries"))
    found = read(webhooks.list_deliveries, actor)
    if not found:
        st.caption(t("webhooks.no_deliveries"))
        return
    zone = resources.settings().zone

    def when(moment) -> str:
        return "—" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S}"

    st.dataframe(
        pd.DataFrame(
            {
                "#": [d.id for d in found],
                t("webhooks.event"): [t(f"event.{d.event}") for d in found],
                t("webhooks.deal"): ["—" if d.deal_id is None else str(d.deal_id) for d in found],
                t("field.url"): [d.url for d in found],
                t("webhooks.status"): [t(f"delivery.{d.status.value}") for d in found],
                t("webhooks.attempts"): [d.attempts for d in found],
                t("webhooks.answer"): ["—" if d.last_status_code is None else str(d.last_status_code) for d in found],
                t("webhooks.error"): [d.last_error or "—" for d in found],
                t("webhooks.next"): [when(d.next_attempt_at) if d.status.value == "pending" else "—" for d in found],
            }
        ),
        hide_index=True,
        width="stretch",
        key=Webhooks.DELIVERIES,
    )
    labels = {d.id: f"#{d.id} · {t(f'event.{d.event}')} · {d.url}" for d in found}
    chosen = st.selectbox(t("webhooks.delivery"), list(labels), format_func=labels.get, key=Webhooks.DELIVERY)
    attempts = read(webhooks.delivery_attempts, actor, chosen)
    st.dataframe(
        pd.DataFrame(
            {
                t("webhooks.at"): [when(a.at) for a in attempts],
                t("webhooks.answer"): ["—" if a.status_code is None else str(a.status_code) for a in attempts],
                t("webhooks.error"): [a.error or "—" for a in attempts],
                t("webhooks.took"): [f"{a.duration_ms} ms" for a in attempts],
            }
        ),
        hide_index=True,
        width="stretch",
        key=Webhooks.ATTEMPTS,
    )
    if (
        st.button(t("webhooks.resend"), key=Webhooks.RESEND)
        and perform(lambda db: webhooks.resend(db, actor, chosen), success=t("webhooks.resent")).ok
    ):
        st.rerun()


page()
