"""Stage editor (admins): pipelines from templates, their stages, the change log, the lost reasons."""

import pandas as pd
import streamlit as st

from core import lost_reasons, pipelines, stage_editor, webhooks
from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline
from core.deals import REQUIRABLE_FIELDS
from core.permissions import Actor
from core.pipelines import TASK_UNITS, PipelineInfo, StageInfo, task_due
from core.templates import TEMPLATES
from ui import format, resources, session
from ui.actions import perform, read
from ui.charts import current_pipeline_bars
from ui.confirm import Confirmation
from ui.i18n import language, t
from ui.state import StageEditor, key

AT_START = 0  # not a stage id: "place the new stage first"
DELETING = Confirmation(StageEditor.DELETE_CONFIRMATION)


def page() -> None:
    actor = session.actor()
    st.title(t("editor.title"))
    all_pipelines = read(pipelines.list_pipelines, include_archived=True)
    new_pipeline_form(actor, expanded=not all_pipelines)
    if not all_pipelines:
        st.stop()
    names = {p.id: p.name + (f" ({t('editor.archived')})" if p.is_archived else "") for p in all_pipelines}
    pipeline_id = st.selectbox(
        t("field.pipeline_id"),
        list(names),
        format_func=names.get,
        key=StageEditor.PIPELINE,
        on_change=lambda: st.session_state.pop(StageEditor.STAGE, None),
    )
    pipeline, stages, preview, changes, reasons, hooks = read(shown, actor, pipeline_id)
    deals_now = dict(zip(preview["stage_id"], preview["deals"], strict=True))
    editor = Editor(actor, pipeline, stages, seen_version(pipeline), deals_now, hooks)
    left, right = st.columns([3, 2], gap="large")
    with left:
        editor.stages_panel()
    with right:
        st.subheader(t("editor.preview"))
        st.caption(t("editor.preview_caption"))
        st.altair_chart(
            current_pipeline_bars(
                preview, stage_title=t("column.stage"), amount_title=t("column.amount"), deals_title=t("column.deals")
            ),
            width="stretch",
        )
        editor.pipeline_settings()
        change_log(changes)
        reasons_panel(actor, reasons)


def shown(db, actor: Actor, pipeline_id: int) -> tuple:
    """The pipeline, its stages, its open deals per stage now, its change log, every lost reason, the
    active webhooks (a stage may call them)."""
    pipeline = next(p for p in pipelines.list_pipelines(db, include_archived=True) if p.id == pipeline_id)
    return (
        pipeline,
        pipelines.list_stages(db, pipeline_id),
        current_pipeline(db, actor, DealFilter(pipeline_id)),
        stage_editor.pipeline_changes(db, actor, pipeline_id),
        lost_reasons.list_lost_reasons(db, active_only=False),
        [hook for hook in webhooks.list_webhooks(db, actor) if hook.is_active],
    )


def seen_version(pipeline: PipelineInfo) -> int:
    """The version the admin saw on the last run: a change made on top of another admin's is refused."""
    seen_versions = st.session_state.setdefault(StageEditor.SEEN_VERSION, {})
    seen = seen_versions.get(pipeline.id, pipeline.version)
    seen_versions[pipeline.id] = pipeline.version
    return seen


def act(action, success: str) -> None:
    if perform(action, success=success).ok:
        st.rerun()


def new_pipeline_form(actor: Actor, *, expanded: bool) -> None:
    form = StageEditor.NEW_PIPELINE
    with st.expander(t("editor.new_pipeline"), expanded=expanded), st.form(form):
        template = st.selectbox(
            t("editor.template"),
            [None, *TEMPLATES],
            key=StageEditor.TEMPLATE,
            format_func=lambda k: t("editor.empty") if k is None else TEMPLATES[k].name(language()),
        )
        names_language = st.radio(
            t("editor.stage_language"),
            ["en", "ru"],
            horizontal=True,
            key=StageEditor.NAMES_LANGUAGE,
            format_func={"en": "English", "ru": "Русский"}.get,
        )
        new_name = st.text_input(t("editor.pipeline_name"), key=StageEditor.NEW_NAME)
        if st.form_submit_button(t("editor.create_pipeline"), type="primary"):

            def create(db):
                if template is None:
                    return stage_editor.create_empty_pipeline(db, actor, new_name, names_language)
                return pipelines.create_from_template(db, actor, template, names_language, new_name or None)

            outcome = perform(create, success=t("editor.pipeline_created"))
            if outcome.ok:
                st.session_state[StageEditor.PIPELINE] = outcome.value
                st.rerun()


class Editor:
    """The stages of one pipeline as the admin edits them, each change checked against `seen`."""

    def __init__(
        self, actor: Actor, pipeline: PipelineInfo, stages: list[StageInfo], seen: int, deals_now: dict, hooks: list
    ):
        self.actor, self.pipeline, self.stages, self.seen, self.deals_now = actor, pipeline, stages, seen, deals_now
        self.webhooks = hooks  # the active webhooks, which a stage may call on entry
        self.by_id = {s.id: s for s in stages}
        self.open_ids = [s.id for s in stages if s.is_open]

    def stages_panel(self) -> None:
        st.subheader(t("editor.stages"))
        st.dataframe(self.table(), hide_index=True, width="stretch", key=StageEditor.STAGES_TABLE)
        if st.session_state.get(StageEditor.STAGE) not in self.by_id:
            st.session_state.pop(StageEditor.STAGE, None)
        stage_id = st.selectbox(
            t("editor.stage"), list(self.by_id), format_func=lambda i: self.by_id[i].name, key=StageEditor.STAGE
        )
        stage = self.by_id[stage_id]
        if stage.is_open:
            self.move_buttons(stage)
        self.stage_form(stage)
        if stage.is_open:
            self.delete_panel(stage)
        self.add_stage_form()

    def table(self) -> pd.DataFrame:
        stages = self.stages
        return pd.DataFrame(
            {
                "#": [s.position + 1 for s in stages],
                t("column.stage"): [s.name for s in stages],
                t("editor.kind"): [t(f"status.{s.kind.value}") for s in stages],
                t("column.probability"): [s.probability for s in stages],
                t("field.rot_days"): [s.rot_days for s in stages],
                t("field.required_fields"): [", ".join(t(f"field.{f}") for f in s.required_fields) for s in stages],
                t("field.entry_tasks"): [", ".join(task_shown(task) for task in s.entry_tasks) for s in stages],
                t("editor.open_deals_now"): [int(self.deals_now.get(s.id, 0)) for s in stages],
            }
        )

    def move_buttons(self, stage: StageInfo) -> None:
        actor, seen, position = self.actor, self.seen, self.open_ids.index(stage.id)
        up, down, _ = st.columns([1, 1, 3])
        if up.button(t("editor.move_up"), icon=":material/arrow_upward:", key=StageEditor.UP, disabled=position == 0):
            act(lambda db: stage_editor.move_stage(db, actor, stage.id, -1, seen), t("editor.saved"))
        if down.button(
            t("editor.move_down"),
            icon=":material/arrow_downward:",
            key=StageEditor.DOWN,
            disabled=position == len(self.open_ids) - 1,
        ):
            act(lambda db: stage_editor.move_stage(db, actor, stage.id, 1, seen), t("editor.saved"))

    def stage_form(self, stage: StageInfo) -> None:
        form = StageEditor.EDIT_STAGE(stage.id)
        with st.form(form):
            st.markdown(f"**{t('editor.edit_stage')}**")
            name = st.text_input(t("field.name"), value=stage.name, key=key(form, "name"))
            number_cols = st.columns(3)
            probability = number_cols[0].number_input(
                t("column.probability"),
                0,
                100,
                stage.probability,
                key=key(form, "probability"),
                disabled=not stage.is_open,
            )
            rot_days = number_cols[1].number_input(
                t("field.rot_days"), 0, 3650, stage.rot_days, key=key(form, "rot_days")
            )
            color = number_cols[2].color_picker(t("field.color"), stage.color, key=key(form, "color"))
            required = st.multiselect(
                t("field.required_fields"),
                list(REQUIRABLE_FIELDS),
                default=list(stage.required_fields),
                format_func=lambda f: t(f"field.{f}"),
                key=key(form, "required"),
                placeholder=t("editor.no_required_fields"),
            )
            tasks = entry_tasks_editor(stage, key(form, "tasks"))
            rules = automation_fields(stage, form, self.webhooks)
            if st.form_submit_button(t("editor.save_stage"), type="primary"):
                settings = {
                    "name": name,
                    "rot_days": rot_days,
                    "color": color,
                    "required_fields": required,
                    "entry_tasks": tasks,
                    "automation": rules,
                }
                if stage.is_open:
                    settings["probability"] = probability
                actor, seen = self.actor, self.seen
                act(lambda db: stage_editor.update_stage(db, actor, stage.id, seen, **settings), t("editor.saved"))

    def delete_panel(self, stage: StageInfo) -> None:
        """Delete asks first, naming how many deals move and where; Confirm deletes."""
        with st.container(border=True, key=StageEditor.DELETE):
            st.markdown(f"**{t('editor.delete_stage', stage=format.plain(stage.name))}**")
            holding = int(self.deals_now.get(stage.id, 0))
            target = None
            if holding:
                st.caption(t("editor.delete_moves", count=holding))
                target = st.selectbox(
                    t("editor.move_deals_to"),
                    [i for i in self.open_ids if i != stage.id],
                    format_func=lambda i: self.by_id[i].name,
                    key=StageEditor.DELETE_TARGET(stage.id),
                )
            if st.button(t("editor.delete"), icon=":material/delete:", key=StageEditor.DELETE_GO):
                DELETING.ask((stage.id, target))
            if DELETING.waits((stage.id, target)):
                actor, seen = self.actor, self.seen
                moving = read(stage_editor.deals_to_move, actor, stage.id)
                if moving and target is None:  # deals came in since the page was drawn: redraw, to choose their stage
                    DELETING.forget()
                    st.rerun()
                name = format.plain(stage.name)
                question = (
                    t("editor.delete_question", stage=name, count=moving, target=format.plain(self.by_id[target].name))
                    if moving
                    else t("editor.delete_question_empty", stage=name)
                )
                if DELETING.confirmed(question, confirm=t("editor.delete_confirm")):
                    act(lambda db: stage_editor.delete_stage(db, actor, stage.id, target, seen), t("editor.deleted"))

    def add_stage_form(self) -> None:
        form = StageEditor.ADD_STAGE
        with st.form(form, clear_on_submit=True):
            st.markdown(f"**{t('editor.add_stage')}**")
            new_stage = st.text_input(t("field.name"), key=key(form, "name"))
            after = st.selectbox(
                t("editor.after"),
                [AT_START, *self.open_ids],
                index=len(self.open_ids),  # the last open stage: a new stage goes just before Won
                key=key(form, "after"),
                format_func=lambda i: t("editor.at_start") if i == AT_START else self.by_id[i].name,
            )
            add_cols = st.columns(2)
            probability = add_cols[0].number_input(t("column.probability"), 0, 100, 0, key=key(form, "probability"))
            rot_days = add_cols[1].number_input(t("field.rot_days"), 0, 3650, 0, key=key(form, "rot_days"))
            if st.form_submit_button(t("editor.add"), type="primary"):
                actor, pipeline_id, seen = self.actor, self.pipeline.id, self.seen
                act(
                    lambda db: stage_editor.add_stage(
                        db,
                        actor,
                        pipeline_id,
                        seen,
                        name=new_stage,
                        after_stage_id=None if after == AT_START else after,
                        probability=probability,
                        rot_days=rot_days,
                    ),
                    t("editor.saved"),
                )

    def pipeline_settings(self) -> None:
        actor, pipeline, seen = self.actor, self.pipeline, self.seen
        with st.form(StageEditor.PIPELINE_SETTINGS):
            st.markdown(f"**{t('editor.pipeline')}**")
            renamed = st.text_input(
                t("editor.pipeline_name"), value=pipeline.name, key=StageEditor.PIPELINE_NAME(pipeline.id)
            )
            if st.form_submit_button(t("editor.rename")):
                act(lambda db: stage_editor.rename_pipeline(db, actor, pipeline.id, renamed, seen), t("editor.saved"))
        archive_label = "editor.restore" if pipeline.is_archived else "editor.archive"
        if st.button(t(archive_label), key=StageEditor.ARCHIVE):
            act(
                lambda db: stage_editor.set_pipeline_archived(db, actor, pipeline.id, not pipeline.is_archived, seen),
                t("editor.saved"),
            )


def automation_fields(stage: StageInfo, form: str, self_hooks: list) -> dict:
    """What the stage does on its own: notify the owner on entry; the webhooks it calls on entry; a
    task after days without activity."""
    rules = stage.automation or {}
    st.markdown(f"**{t('editor.automation')}**")
    notify = st.checkbox(t("editor.notify_owner"), value=bool(rules.get("notify_owner")), key=key(form, "notify"))
    idle_cols = st.columns([1, 3])
    idle_days = idle_cols[0].number_input(
        t("field.idle_days"),
        min_value=0,
        max_value=365,
        value=int(rules.get("idle_days") or 0),
        step=1,
        key=key(form, "idle_days"),
        help=t("editor.idle_help"),
    )
    idle_task = idle_cols[1].text_input(
        t("field.idle_task"), value=rules.get("idle_task") or "", key=key(form, "idle_task"), max_chars=200
    )
    hooks = {hook.id: hook.url for hook in self_hooks}
    called = st.multiselect(
        t("field.webhook_ids"),
        list(hooks),
        default=[hook for hook in rules.get("webhook_ids", []) if hook in hooks],
        format_func=hooks.get,
        key=key(form, "webhooks"),
        placeholder=t("editor.no_webhooks"),
    )
    return {"notify_owner": notify, "idle_days": idle_days or None, "idle_task": idle_task, "webhook_ids": called}


def task_shown(task: dict) -> str:
    """An entry task as the stage table lists it: "Call the lead (+1 h)"."""
    count, unit = task_due(task)
    return f"{task['title']} (+{count} {t(f'editor.short_{unit}')})"


def entry_tasks_editor(stage: StageInfo, widget_key: str) -> list[dict]:
    """The tasks a deal gets on entering the stage, as rows to edit (each due so many days, hours or
    minutes after entry); blank rows left out."""
    rows = [(task["title"], *task_due(task)) for task in stage.entry_tasks]
    tasks = st.data_editor(
        pd.DataFrame(rows, columns=["title", "due", "unit"]).astype({"due": "Int64"}),
        num_rows="dynamic",
        column_config={
            "title": st.column_config.TextColumn(t("editor.task_title")),
            "due": st.column_config.NumberColumn(t("editor.task_due"), min_value=0, step=1),
            "unit": st.column_config.SelectboxColumn(
                t("editor.task_unit"),
                options=list(TASK_UNITS),
                default="days",
                required=True,
                format_func=lambda unit: t(f"editor.unit_{unit}"),
            ),
        },
        key=widget_key,
        width="stretch",
    )
    return [
        {"title": row["title"], f"due_{row['unit'] or 'days'}": None if pd.isna(row["due"]) else int(row["due"])}
        for row in tasks.to_dict("records")
        if not (pd.isna(row["title"]) or str(row["title"]).strip() == "") or not pd.isna(row["due"])
    ]


def change_log(changes: pd.DataFrame) -> None:
    st.subheader(t("editor.change_log"))
    zone = resources.settings().zone
    st.dataframe(
        pd.DataFrame(
            {
                t("editor.when"): [format.moment(at, zone) for at in changes["at"]],
                t("editor.who"): changes["by"],
                t("editor.what"): changes["what"],
                t("editor.old"): changes["old_value"].fillna(""),
                t("editor.new"): changes["new_value"].fillna(""),
            }
        ),
        hide_index=True,
        width="stretch",
        key=StageEditor.CHANGE_LOG,
    )


def reasons_panel(actor: Actor, reasons: list[lost_reasons.LostReasonInfo]) -> None:
    """The lost-reason catalogue: deactivate or activate each, add one, rename one."""
    st.subheader(t("editor.lost_reasons"))
    for reason in reasons:
        name_col, toggle_col = st.columns([3, 2], vertical_alignment="center")
        name_col.text(reason.name + ("" if reason.is_active else f" ({t('editor.inactive')})"))
        label = "editor.deactivate" if reason.is_active else "editor.activate"
        if toggle_col.button(t(label), key=StageEditor.REASON_TOGGLE(reason.id)):
            act(
                lambda db, r=reason: lost_reasons.set_lost_reason_active(db, actor, r.id, not r.is_active),
                t("editor.saved"),
            )
    with st.form(StageEditor.REASON_FORM, clear_on_submit=True):
        reason_ids = {r.id: r.name for r in reasons}
        renamed_reason = st.selectbox(
            t("editor.rename_which"),
            [None, *reason_ids],
            key=StageEditor.REASON_PICK,
            format_func=lambda i: t("editor.new_reason") if i is None else reason_ids[i],
        )
        reason_name = st.text_input(t("field.name"), key=StageEditor.REASON_NAME)
        if st.form_submit_button(t("editor.save_reason")):
            if renamed_reason is None:
                act(lambda db: lost_reasons.create_lost_reason(db, actor, reason_name), t("editor.saved"))
            else:
                act(
                    lambda db: lost_reasons.rename_lost_reason(db, actor, renamed_reason, reason_name),
                    t("editor.saved"),
                )


page()
