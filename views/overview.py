import streamlit as st

from core import pipelines
from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline
from db.engine import transaction
from db.models import Role
from ui import format, resources, session
from ui.charts import current_pipeline_bars
from ui.downloads import download_buttons
from ui.i18n import language, t

settings = resources.settings()
lang = language()
actor = session.actor()
st.title(t("overview.title"))
st.caption(t("overview.caption_own" if actor.role == Role.MANAGER else "overview.caption"))

with transaction(resources.engine()) as db:
    pipeline_list = pipelines.list_pipelines(db)
    frames = {p.id: current_pipeline(db, actor, DealFilter(p.id)) for p in pipeline_list}

if not pipeline_list:
    st.info(t("overview.empty"))
    st.stop()

for pipeline in pipeline_list:
    frame = frames[pipeline.id]
    with st.container(border=True, key=f"pipeline-{pipeline.id}"):
        st.subheader(pipeline.name)
        deals_col, amount_col, weighted_col = st.columns(3)
        deals_col.metric(t("overview.open_deals"), format.count(frame["deals"].sum(), lang))
        amount_col.metric(t("overview.amount"), format.money(frame["amount"].sum(), settings.currency, lang))
        weighted_col.metric(
            t("overview.weighted"), format.money(frame["weighted_amount"].sum(), settings.currency, lang)
        )
        chart_col, table_col = st.columns([2, 3])
        chart_col.altair_chart(
            current_pipeline_bars(
                frame,
                stage_title=t("column.stage"),
                amount_title=t("column.amount"),
                deals_title=t("column.deals"),
            ),
            width="stretch",
        )
        shown = frame[["stage", "probability", "deals", "amount", "weighted_amount"]].round({"weighted_amount": 0})
        table_col.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            key=f"overview-table-{pipeline.id}",
            column_config={
                "stage": st.column_config.TextColumn(t("column.stage")),
                "probability": st.column_config.NumberColumn(t("column.probability")),
                "deals": st.column_config.NumberColumn(t("column.deals")),
                "amount": st.column_config.NumberColumn(t("column.amount"), format="localized"),
                "weighted_amount": st.column_config.NumberColumn(t("column.weighted_amount"), format="localized"),
            },
        )
        download_buttons(shown, f"pipeline-{pipeline.name}", key=f"overview-download-{pipeline.id}", where=table_col)
