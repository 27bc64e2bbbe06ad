"""Slipped deals: whose expected close dates were pushed later in a period (the Funnel page and the
Manager dashboard)."""

import streamlit as st

from core.analytics import history
from core.live import data_version
from core.permissions import Actor
from ui import resources, url_state
from ui.actions import figures, read
from ui.i18n import t
from ui.navigation import deal_line
from ui.state import key

SHOWN_DEALS = 15


def _slipped(db, actor: Actor, first, last, zone, pipeline_id, team_id, owner_ids) -> history.Slippage:
    """history.slippage with its arguments in order: a view of the shared figures (ui.actions.figures),
    computed once per data version for every viewer, not on every rerun of the page."""
    return history.slippage(
        db, actor, first, last, zone, pipeline_id=pipeline_id, team_id=team_id, owner_ids=owner_ids, limit=SHOWN_DEALS
    )


def slippage_section(
    actor: Actor, first, last, *, where: str, pipeline_id: int | None = None, team_id: int | None = None, owner_ids=()
) -> None:
    """Per manager, the share of their deals open in the period whose close date was pushed, the
    pushes and the average push; then the most pushed deals, each opening its deal. `where` keys the
    widgets of the page it is on."""
    st.subheader(t("slippage.title"), anchor=False)
    address = url_state.Address("slippage")
    address.restore("slippage", key(where, "slippage_shown"), default=False, parse=url_state.flag)
    # Read from the deals' history, not the summary tables (seconds at a million deals): when asked.
    shown = st.toggle(t("slippage.show"), key=key(where, "slippage_shown"))
    address.write()
    if not shown:
        return
    zone, owners = resources.settings().zone, tuple(owner_ids)
    found = figures(read(data_version), _slipped, actor, first, last, zone, pipeline_id, team_id, owners)
    st.caption(t("slippage.caption", first=first, last=last))
    st.dataframe(
        found.managers.drop(columns=["manager_id"]),
        hide_index=True,
        width="stretch",
        key=key(where, "slippage_managers"),
        column_config={
            "manager": st.column_config.TextColumn(t("slippage.manager")),
            "open_deals": st.column_config.NumberColumn(t("slippage.open_deals")),
            "slipped": st.column_config.NumberColumn(t("slippage.slipped")),
            "share": st.column_config.NumberColumn(t("slippage.share"), format="percent"),
            "pushes": st.column_config.NumberColumn(t("slippage.pushes")),
            "average_push_days": st.column_config.NumberColumn(t("slippage.average_push"), format="%.1f"),
        },
    )
    if found.deals.empty:
        st.caption(t("slippage.none"))
        return
    st.caption(t("slippage.most_pushed", shown=len(found.deals), total=found.pushed_deals))
    for item in found.deals.itertuples():
        text = f"{item.title} — {t('slippage.deal_line', pushes=item.pushes, days=item.days)} ({item.owner})"
        deal_line(text, item.id, key=key(where, "slippage_deal", item.id))
