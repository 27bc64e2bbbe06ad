"""The pages, who may open them, and the menu built from the signed-in user's role."""

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from core.permissions import Actor
from core.users import UserInfo
from ui.i18n import t


@dataclass(frozen=True)
class PageSpec:
    script: str
    url_path: str
    title_key: str
    icon: str
    admin_only: bool = False
    default: bool = False

    def open_to(self, actor: Actor) -> bool:
        return actor.is_admin or not self.admin_only


PAGES = (
    PageSpec("views/overview.py", "overview", "nav.overview", ":material/dashboard:", default=True),
    PageSpec("views/funnel.py", "funnel", "nav.funnel", ":material/filter_alt:"),
    PageSpec("views/dashboard.py", "dashboard", "nav.dashboard", ":material/monitoring:"),
    PageSpec("views/plan_fact.py", "plan-fact", "nav.plan_fact", ":material/flag:"),
    PageSpec("views/deals.py", "deals", "nav.deals", ":material/handshake:"),
    PageSpec("views/definitions.py", "definitions", "nav.definitions", ":material/menu_book:"),
    PageSpec("views/stage_editor.py", "stage-editor", "nav.stage_editor", ":material/tune:", admin_only=True),
    PageSpec("views/users.py", "users", "nav.users", ":material/group:", admin_only=True),
    PageSpec("views/data.py", "data", "nav.data", ":material/swap_vert:", admin_only=True),
    PageSpec("views/webhooks.py", "webhooks", "nav.webhooks", ":material/webhook:", admin_only=True),
)
# The signed-in user's own pages: linked beside their name, not in the menu of reports.
OWN_PAGES = (
    PageSpec("views/notifications.py", "notifications", "nav.notifications", ":material/notifications:"),
    PageSpec("views/tokens.py", "tokens", "nav.tokens", ":material/key:"),
)


def _stand_in(render: Callable[[], None], spec: PageSpec) -> st.Page:
    """A page served at `spec`'s address that renders something else (sign-in, "not permitted")."""
    return st.Page(render, title=t(spec.title_key), url_path=spec.url_path, default=spec.default)


def signed_out_navigation(render_sign_in: Callable[[], None]):
    """Every address shows the sign-in form, and after sign-in the page that was asked for."""
    return st.navigation([_stand_in(render_sign_in, spec) for spec in (*PAGES, *OWN_PAGES)], position="hidden")


def signed_in_navigation(user: UserInfo):
    """The role's pages in the menu; any other page's address answers "not permitted". The user's own
    pages (`OWN_PAGES`) are linked by `own_links`."""
    allowed, pages, actor = [], [], user.as_actor()
    for spec in PAGES:
        if spec.open_to(actor):
            page = st.Page(
                spec.script,
                title=t(spec.title_key),
                icon=spec.icon,
                url_path=spec.url_path,
                default=spec.default,
            )
            allowed.append(page)
        else:
            page = _stand_in(_not_permitted, spec)
        pages.append(page)
    own = [st.Page(spec.script, title=t(spec.title_key), icon=spec.icon, url_path=spec.url_path) for spec in OWN_PAGES]
    navigation = st.navigation([*pages, *own], position="hidden")  # registers the pages the menu links to
    for page in allowed:
        st.sidebar.page_link(page)
    return navigation


def own_links(unread: int) -> None:
    """Links to the signed-in user's own pages, in the sidebar under their name: the notifications
    with the count of the unread ones."""
    for spec in OWN_PAGES:
        label = t(spec.title_key)
        if spec.url_path == "notifications" and unread:
            label = t("nav.notifications_unread", count=unread)
        st.sidebar.page_link(spec.script, label=label, icon=spec.icon)


def _not_permitted() -> None:
    st.title(t("not_permitted.title"))
    st.error(t("not_permitted.body"))
    st.page_link(PAGES[0].script, label=t("not_permitted.back"), icon=":material/arrow_back:")


def open_deal(deal_id: int) -> None:
    """Open a deal on its own page, /deals?deal=123, with its own entry in the browser's history."""
    st.switch_page("views/deals.py", query_params={"deal": str(int(deal_id))})


def deal_line(text: str, deal_id, *, key: str) -> None:
    """One line of a list, as plain text, with an Open button beside it that opens its deal (none
    when the line has no deal: None or NaN)."""
    line, button = st.columns([5, 1], vertical_alignment="center")
    line.text(text)
    if deal_id is not None and deal_id == deal_id and button.button(t("tasks.open_deal"), key=key):
        open_deal(deal_id)


def opened_deal() -> str | None:
    """The deal the address asks for (as written there), if any."""
    return st.query_params.get("deal")
