import pandas as pd
import streamlit as st

from core import lost_reasons, pipelines, stage_editor
from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline
from core.deals import REQUIRABLE_FIELDS
from core.templates import TEMPLATES
from db.engine import transaction
from db.models import StageKind
from ui import resources, session
from ui.actions import perform
from ui.charts import current_pipeline_bars
from ui.i18n import language, t
from ui.state import STAGE_EDITOR_PIPELINE, STAGE_EDITOR_SEEN_VERSION, STAGE_EDITOR_STAGE

AT_START = 0  # not a stage id: "place the new stage first"
actor = session.actor()
engine = resources.engine()
st.title(t("editor.title"))

with transaction(engine) as db:
    all_pipelines = pipelines.list_pipelines(db, include_archived=True)
names = {p.id: p.name + (f" ({t('editor.archived')})" if p.is_archived else "") for p in all_pipelines}

with st.expander(t("editor.new_pipeline"), expanded=not all_pipelines), st.form("new_pipeline"):
    template = st.selectbox(
        t("editor.template"),
        [None, *TEMPLATES],
        key="new_pipeline_template",
        format_func=lambda k: t("editor.empty") if k is None else TEMPLATES[k].name(language()),
    )
    names_language = st.radio(
        t("editor.stage_language"),
        ["en", "ru"],
        horizontal=True,
        key="new_pipeline_lang",
        format_func={"en": "English", "ru": "Русский"}.get,
    )
    new_name = st.text_input(t("editor.pipeline_name"), key="new_pipeline_name")
    if st.form_submit_button(t("editor.create_pipeline"), type="primary"):

        def create(db):
            if template is None:
                return stage_editor.create_empty_pipeline(db, actor, new_name, names_language)
            return pipelines.create_from_template(db, actor, template, names_language, new_name or None)

        outcome = perform(create, success=t("editor.pipeline_created"))
        if outcome.ok:
            st.session_state[STAGE_EDITOR_PIPELINE] = outcome.value
            st.rerun()

if not all_pipelines:
    st.stop()
pipeline_id = st.selectbox(
    t("field.pipeline_id"),
    list(names),
    format_func=names.get,
    key=STAGE_EDITOR_PIPELINE,
    on_change=lambda: st.session_state.pop(STAGE_EDITOR_STAGE, None),
)
with transaction(engine) as db:
    pipeline = next(p for p in pipelines.list_pipelines(db, include_archived=True) if p.id == pipeline_id)
    stages = pipelines.list_stages(db, pipeline_id)
    preview = current_pipeline(db, actor, DealFilter(pipeline_id))
    changes = stage_editor.pipeline_changes(db, actor, pipeline_id)
    reasons = lost_reasons.list_lost_reasons(db, active_only=False)
# The version the admin saw on the last run: a change made on top of another admin's is refused.
seen_versions = st.session_state.setdefault(STAGE_EDITOR_SEEN_VERSION, {})
seen = seen_versions.get(pipeline_id, pipeline.version)
seen_versions[pipeline_id] = pipeline.version


def act(action, success: str) -> None:
    if perform(action, success=success).ok:
        st.rerun()


deals_now = dict(zip(preview["stage_id"], preview["deals"], strict=True))
by_id = {s.id: s for s in stages}
open_ids = [s.id for s in stages if s.kind == StageKind.OPEN]
left, right = st.columns([3, 2], gap="large")

with left:
    st.subheader(t("editor.stages"))
    st.dataframe(
        pd.DataFrame(
            {
                "#": [s.position + 1 for s in stages],
                t("column.stage"): [s.name for s in stages],
                t("editor.kind"): [t(f"status.{s.kind.value}") for s in stages],
                t("column.probability"): [s.probability for s in stages],
                t("field.rot_days"): [s.rot_days for s in stages],
                t("field.required_fields"): [", ".join(t(f"field.{f}") for f in s.required_fields) for s in stages],
                t("field.entry_tasks"): [
                    ", ".join(f"{x['title']} (+{x['due_days']})" for x in s.entry_tasks) for s in stages
                ],
                t("editor.open_deals_now"): [int(deals_now.get(s.id, 0)) for s in stages],
            }
        ),
        hide_index=True,
        width="stretch",
        key="editor_stages_table",
    )

    if st.session_state.get(STAGE_EDITOR_STAGE) not in by_id:
        st.session_state.pop(STAGE_EDITOR_STAGE, None)
    stage_id = st.selectbox(t("editor.stage"), list(by_id), format_func=lambda i: by_id[i].name, key=STAGE_EDITOR_STAGE)
    stage = by_id[stage_id]
    if stage.kind == StageKind.OPEN:
        up, down, _ = st.columns([1, 1, 3])
        if up.button(
            t("editor.move_up"), icon=":material/arrow_upward:", key="editor_up", disabled=open_ids.index(stage.id) == 0
        ):
            act(lambda db: stage_editor.move_stage(db, actor, stage.id, -1, seen), t("editor.saved"))
        if down.button(
            t("editor.move_down"),
            icon=":material/arrow_downward:",
            key="editor_down",
            disabled=open_ids.index(stage.id) == len(open_ids) - 1,
        ):
            act(lambda db: stage_editor.move_stage(db, actor, stage.id, 1, seen), t("editor.saved"))

    with st.form(f"edit_stage_{stage.id}"):
        st.markdown(f"**{t('editor.edit_stage')}**")
        name = st.text_input(t("field.name"), value=stage.name, key=f"stage_{stage.id}_name")
        number_cols = st.columns(3)
        probability = number_cols[0].number_input(
            t("column.probability"),
            0,
            100,
            stage.probability,
            key=f"stage_{stage.id}_probability",
            disabled=stage.kind != StageKind.OPEN,
        )
        rot_days = number_cols[1].number_input(
            t("field.rot_days"), 0, 3650, stage.rot_days, key=f"stage_{stage.id}_rot_days"
        )
        color = number_cols[2].color_picker(t("field.color"), stage.color, key=f"stage_{stage.id}_color")
        required = st.multiselect(
            t("field.required_fields"),
            list(REQUIRABLE_FIELDS),
            default=list(stage.required_fields),
            format_func=lambda f: t(f"field.{f}"),
            key=f"stage_{stage.id}_required",
            placeholder=t("editor.no_required_fields"),
        )
        tasks = st.data_editor(
            pd.DataFrame(list(stage.entry_tasks) or [], columns=["title", "due_days"]).astype({"due_days": "Int64"}),
            num_rows="dynamic",
            column_config={
                "title": st.column_config.TextColumn(t("editor.task_title")),
                "due_days": st.column_config.NumberColumn(t("editor.task_due_days"), min_value=0, step=1),
            },
            key=f"stage_{stage.id}_tasks",
            width="stretch",
        )
        if st.form_submit_button(t("editor.save_stage"), type="primary"):
            entry_tasks = [
                {"title": row["title"], "due_days": None if pd.isna(row["due_days"]) else int(row["due_days"])}
                for row in tasks.to_dict("records")
                if not (pd.isna(row["title"]) or str(row["title"]).strip() == "") or not pd.isna(row["due_days"])
            ]
            settings = {
                "name": name,
                "rot_days": rot_days,
                "color": color,
                "required_fields": required,
                "entry_tasks": entry_tasks,
            }
            if stage.kind == StageKind.OPEN:
                settings["probability"] = probability
            act(lambda db: stage_editor.update_stage(db, actor, stage.id, seen, **settings), t("editor.saved"))

    if stage.kind == StageKind.OPEN:
        with st.container(border=True, key="editor_delete"):
            st.markdown(f"**{t('editor.delete_stage', stage=stage.name)}**")
            holding = int(deals_now.get(stage.id, 0))
            others = [i for i in open_ids if i != stage.id]
            target = None
            if holding:
                st.caption(t("editor.delete_moves", count=holding))
                target = st.selectbox(
                    t("editor.move_deals_to"),
                    others,
                    format_func=lambda i: by_id[i].name,
                    key=f"stage_{stage.id}_delete_target",
                )
            if st.button(t("editor.delete"), icon=":material/delete:", key="editor_delete_go"):
                act(lambda db: stage_editor.delete_stage(db, actor, stage.id, target, seen), t("editor.deleted"))

    with st.form("add_stage", clear_on_submit=True):
        st.markdown(f"**{t('editor.add_stage')}**")
        new_stage = st.text_input(t("field.name"), key="add_stage_name")
        after = st.selectbox(
            t("editor.after"),
            [AT_START, *open_ids],
            key="add_stage_after",
            format_func=lambda i: t("editor.at_start") if i == AT_START else by_id[i].name,
        )
        add_cols = st.columns(2)
        new_probability = add_cols[0].number_input(t("column.probability"), 0, 100, 0, key="add_stage_probability")
        new_rot = add_cols[1].number_input(t("field.rot_days"), 0, 3650, 0, key="add_stage_rot_days")
        if st.form_submit_button(t("editor.add"), type="primary"):
            act(
                lambda db: stage_editor.add_stage(
                    db,
                    actor,
                    pipeline_id,
                    seen,
                    name=new_stage,
                    after_stage_id=None if after == AT_START else after,
                    probability=new_probability,
                    rot_days=new_rot,
                ),
                t("editor.saved"),
            )

with right:
    st.subheader(t("editor.preview"))
    st.caption(t("editor.preview_caption"))
    st.altair_chart(
        current_pipeline_bars(
            preview, stage_title=t("column.stage"), amount_title=t("column.amount"), deals_title=t("column.deals")
        ),
        width="stretch",
    )
    with st.form("pipeline_settings"):
        st.markdown(f"**{t('editor.pipeline')}**")
        renamed = st.text_input(t("editor.pipeline_name"), value=pipeline.name, key=f"pipeline_{pipeline.id}_name")
        if st.form_submit_button(t("editor.rename")):
            act(lambda db: stage_editor.rename_pipeline(db, actor, pipeline.id, renamed, seen), t("editor.saved"))
    archive_label = "editor.restore" if pipeline.is_archived else "editor.archive"
    if st.button(t(archive_label), key="editor_archive"):
        act(
            lambda db: stage_editor.set_pipeline_archived(db, actor, pipeline.id, not pipeline.is_archived, seen),
            t("editor.saved"),
        )

    st.subheader(t("editor.change_log"))
    zone = resources.settings().zone
    st.dataframe(
        pd.DataFrame(
            {
                t("editor.when"): [at.astimezone(zone).strftime("%Y-%m-%d %H:%M") for at in changes["at"]],
                t("editor.who"): changes["by"],
                t("editor.what"): changes["what"],
                t("editor.old"): changes["old_value"].fillna(""),
                t("editor.new"): changes["new_value"].fillna(""),
            }
        ),
        hide_index=True,
        width="stretch",
        key="editor_change_log",
    )

    st.subheader(t("editor.lost_reasons"))
    for reason in reasons:
        name_col, toggle_col = st.columns([3, 1], vertical_alignment="center")
        name_col.text(reason.name + ("" if reason.is_active else f" ({t('editor.inactive')})"))
        label = "editor.deactivate" if reason.is_active else "editor.activate"
        if toggle_col.button(t(label), key=f"reason_{reason.id}_toggle"):
            act(
                lambda db, r=reason: lost_reasons.set_lost_reason_active(db, actor, r.id, not r.is_active),
                t("editor.saved"),
            )
    with st.form("lost_reason", clear_on_submit=True):
        reason_ids = {r.id: r.name for r in reasons}
        renamed_reason = st.selectbox(
            t("editor.rename_which"),
            [None, *reason_ids],
            key="reason_pick",
            format_func=lambda i: t("editor.new_reason") if i is None else reason_ids[i],
        )
        reason_name = st.text_input(t("field.name"), key="reason_name")
        if st.form_submit_button(t("editor.save_reason")):
            if renamed_reason is None:
                act(lambda db: lost_reasons.create_lost_reason(db, actor, reason_name), t("editor.saved"))
            else:
                act(
                    lambda db: lost_reasons.rename_lost_reason(db, actor, renamed_reason, reason_name),
                    t("editor.saved"),
                )
