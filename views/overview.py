"""Overview: every active pipeline with the open deals now in each stage, or at the end of a past day."""

from functools import partial

import pandas as pd
import streamlit as st

from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline
from core.analytics.history import pipeline_as_of
from core.clock import utcnow
from core.pipelines import PipelineInfo
from ui import format, pickers, resources, session, url_state
from ui.actions import read
from ui.charts import current_pipeline_bars, localised
from ui.downloads import download_buttons
from ui.i18n import language, t
from ui.state import Overview


def page() -> None:
    actor = session.actor()
    st.title(t("overview.title"))
    pipeline_list = pickers.active_pipelines()
    zone = resources.settings().zone
    today = utcnow().astimezone(zone).date()
    address = url_state.Address("as_of")
    address.restore("as_of", Overview.AS_OF, default=None, parse=partial(url_state.day, latest=today))
    st.session_state.setdefault(Overview.AS_OF, None)  # no day: the pipeline now (a date box shows today)
    day = st.date_input(t("overview.as_of"), max_value=today, key=Overview.AS_OF, help=t("overview.as_of_help"))
    address.write()
    if day is None or day >= today:
        st.caption(t("overview.caption" if actor.sees_everyone else "overview.caption_own"))
        frames = read(lambda db: {p.id: current_pipeline(db, actor, DealFilter(p.id)) for p in pipeline_list})
    else:
        st.caption(t("overview.as_of_caption" if actor.sees_everyone else "overview.as_of_caption_own", day=day))
        frames = read(lambda db: {p.id: pipeline_as_of(db, actor, p.id, day, zone) for p in pipeline_list})
    for pipeline in pipeline_list:
        pipeline_section(pipeline, frames[pipeline.id])


def pipeline_section(pipeline: PipelineInfo, frame: pd.DataFrame) -> None:
    currency, lang = resources.settings().currency, language()
    with st.container(border=True, key=Overview.PIPELINE(pipeline.id)):
        st.subheader(format.plain(pipeline.name), anchor=False)
        deals_col, amount_col, weighted_col = st.columns(3)
        deals_col.metric(t("overview.open_deals"), format.count(frame["deals"].sum(), lang))
        amount_col.metric(t("overview.amount"), format.money(frame["amount"].sum(), currency, lang))
        weighted_col.metric(t("overview.weighted"), format.money(frame["weighted_amount"].sum(), currency, lang))
        chart_col, table_col = st.columns([2, 3])
        chart_col.altair_chart(
            localised(
                current_pipeline_bars(
                    frame, stage_title=t("column.stage"), amount_title=t("column.amount"), deals_title=t("column.deals")
                )
            ),
            width="stretch",
        )
        shown = frame[["stage", "probability", "deals", "amount", "weighted_amount"]].round({"weighted_amount": 0})
        table_col.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            key=Overview.TABLE(pipeline.id),
            column_config={
                "stage": st.column_config.TextColumn(t("column.stage")),
                "probability": st.column_config.NumberColumn(t("column.probability")),
                "deals": st.column_config.NumberColumn(t("column.deals")),
                "amount": st.column_config.NumberColumn(t("column.amount"), format="localized"),
                "weighted_amount": st.column_config.NumberColumn(t("column.weighted_amount"), format="localized"),
            },
        )
        download_buttons(shown, f"pipeline-{pipeline.name}", key=Overview.DOWNLOAD(pipeline.id), where=table_col)


page()
