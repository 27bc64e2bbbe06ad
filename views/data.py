import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from core import pipelines
from core.clock import utcnow
from core.errors import ValidationError
from core.exchange import batches, files, foreign, native
from core.exchange.foreign import Mapping, NewPipeline
from core.messages import Message
from core.permissions import Actor
from ui import format, pickers, resources, session
from ui.actions import perform, read
from ui.confirm import Confirmation
from ui.i18n import field_errors, language, t, translated, translated_table
from ui.state import Data

NONE = ""
WON_WORDS = ("won", "closed won", "выиграна", "успешно реализовано", "успешно")
LOST_WORDS = ("lost", "closed lost", "проиграна", "отказ", "закрыто и не реализовано")
IMPORTING = Confirmation(Data.RUN_CONFIRMATION)
UNDOING = Confirmation(Data.UNDO_CONFIRMATION)
UPLOADS_KEPT = 4  # files read and kept by their content, for every session of the process


def page() -> None:
    actor = session.actor()
    st.title(t("data.title"))
    st.caption(t("data.caption"))
    import_tab, batches_tab, export_tab = st.tabs([t("data.import"), t("data.batches"), t("data.export")])
    with import_tab:
        import_wizard(actor)
    with batches_tab:
        past_imports(actor)
    with export_tab:
        export_panel(actor)


@st.cache_data(max_entries=UPLOADS_KEPT, ttl="1h", show_spinner=False)
def read_once(sha256: str, name: str, _data: bytes) -> files.Table | dict[str, Message]:
    """The file read once per content (`sha256` of `_data`): every rerun while the columns are mapped
    gets the table from here. A refusal is kept too, as its messages (a ValidationError does not pickle)."""
    try:
        return files.read(_data, name)
    except ValidationError as error:
        return error.errors


def read_upload(upload) -> pd.DataFrame | None:
    data = upload.getvalue()
    table = read_once(hashlib.sha256(data).hexdigest(), upload.name, data)
    if isinstance(table, dict):
        st.error(field_errors(ValidationError(table)))
        return None
    for note in table.notes:
        st.warning(translated(note))
    return table.frame


def column_choice(label: str, columns: list[str], guessed: str | None, key: str) -> str:
    options = [NONE, *columns]
    return st.selectbox(
        label,
        options,
        index=options.index(guessed) if guessed in options else 0,
        format_func=lambda c: t("data.not_in_file") if c == NONE else c,
        key=key,
    )


def import_wizard(actor: Actor) -> None:
    if result := st.session_state.pop(Data.IMPORT_RESULT, None):
        st.success(result)
    st.markdown(t("data.step_file"))
    upload = st.file_uploader(t("data.file"), type=["csv", "txt", "xlsx"], key=Data.FILE)
    frame = read_upload(upload) if upload is not None else None
    if frame is None:
        return
    st.caption(t("data.file_read", rows=format.count(len(frame), language()), columns=len(frame.columns)))
    st.dataframe(frame.head(5), hide_index=True, width="stretch", key=Data.FILE_HEAD)

    chosen = columns_step(list(frame.columns))
    if "stage" not in chosen or "owner" not in chosen:
        st.info(t("data.need_owner_and_stage"))
        return
    stages = stages_step(foreign.stage_values(frame, chosen["stage"]), Path(upload.name).stem)
    if stages is None:
        return
    pipeline_name, new_pipeline, stage_map = stages
    mapping = options_step(chosen, pipeline_name, new_pipeline, stage_map)
    check_and_import(actor, frame, mapping, upload.file_id, upload.name)


def columns_step(columns: list[str]) -> dict[str, str | tuple[str, ...]]:
    """Which column is which deal field, starting from a guess by their names."""
    st.markdown(t("data.step_columns"))
    guessed = foreign.guess_columns(columns)
    chosen: dict[str, str | tuple[str, ...]] = {}
    grid = st.columns(4)
    for index, name in enumerate(foreign.FIELDS):
        with grid[index % 4]:
            if name == "title":
                parts = st.multiselect(
                    t("data.field.title"),
                    columns,
                    default=[guessed["title"]] if "title" in guessed else [],
                    key=Data.MAP("title"),
                    help=t("data.title_help"),
                )
                if parts:
                    chosen["title"] = tuple(parts)
                continue
            label = t(f"data.field.{name}") + (" *" if foreign.FIELDS[name][1] else "")
            column = column_choice(label, columns, guessed.get(name), Data.MAP(name))
            if column:
                chosen[name] = column
    return chosen


def stages_step(values: list[str], file_stem: str) -> tuple[str | None, NewPipeline | None, dict[str, str]] | None:
    """Into which pipeline, and which of its stages each stage value of the file is (None: not ready)."""
    st.markdown(t("data.step_stages"))
    pipeline_list = read(pipelines.list_pipelines)
    target = st.radio(
        t("data.into"),
        ["existing", "new"],
        format_func=lambda v: t(f"data.into_{v}"),
        horizontal=True,
        key=Data.INTO,
        index=0 if pipeline_list else 1,
    )
    if target == "existing" and pipeline_list:
        pipeline_name, stage_map = existing_pipeline_stages(values, pipeline_list)
        return pipeline_name, None, stage_map
    new_pipeline = new_pipeline_stages(values, file_stem)
    return None if new_pipeline is None else (None, new_pipeline, {})


def existing_pipeline_stages(values: list[str], pipeline_list: list[pipelines.PipelineInfo]) -> tuple[str, dict]:
    """The pipeline chosen, and the stage of it each stage value goes to (guessed by name)."""
    pipeline_id = pickers.pipeline(pipeline_list, key=Data.PIPELINE)
    stage_names = [s.name for s in read(pipelines.list_stages, pipeline_id)]
    stage_map = {}
    for value in values:
        by_name = next((s for s in stage_names if s.lower() == value.lower()), NONE)
        stage_map[value] = st.selectbox(
            t("data.stage_value", value=format.plain(value)),
            [NONE, *stage_names],
            index=[NONE, *stage_names].index(by_name),
            format_func=lambda s: t("data.stage_unmapped") if s == NONE else s,
            key=Data.STAGE(pipeline_id, value),
        )
    name = next(p.name for p in pipeline_list if p.id == pipeline_id)
    return name, {value: stage for value, stage in stage_map.items() if stage}


def new_pipeline_stages(values: list[str], file_stem: str) -> NewPipeline | None:
    """A new pipeline made of the file's stage values: which are open, which one is won, which lost."""
    new_name = st.text_input(t("data.new_pipeline_name"), value=file_stem, key=Data.NEW_NAME)
    st.caption(t("data.kinds_caption"))
    won_guess = next((v for v in values if v.lower() in WON_WORDS), None)
    lost_guess = [v for v in values if v.lower() in LOST_WORDS]
    kinds = st.columns(3)
    open_values = kinds[0].multiselect(
        t("data.open_stages"),
        values,
        default=[v for v in values if v != won_guess and v not in lost_guess],
        key=Data.OPEN_STAGES,
    )
    won_value = kinds[1].selectbox(
        t("data.won_stage"), values, index=values.index(won_guess) if won_guess else 0, key=Data.WON_STAGE
    )
    lost_values = kinds[2].multiselect(t("data.lost_stages"), values, default=lost_guess, key=Data.LOST_STAGES)
    if (
        not open_values
        or not lost_values
        or won_value in (*open_values, *lost_values)
        or set(open_values) & set(lost_values)
    ):
        st.warning(t("data.kinds_needed"))
        return None
    return NewPipeline(new_name, tuple(open_values), won_value, tuple(lost_values))


def options_step(
    chosen: dict, pipeline_name: str | None, new_pipeline: NewPipeline | None, stage_map: dict[str, str]
) -> Mapping:
    st.markdown(t("data.step_options"))
    left, right = st.columns(2)
    create_owners = left.radio(
        t("data.unknown_owners"), [True, False], format_func=lambda v: t(f"data.create_{v}"), key=Data.OWNERS
    )
    create_companies = right.radio(
        t("data.unknown_companies"), [True, False], format_func=lambda v: t(f"data.create_{v}"), key=Data.COMPANIES
    )
    today = utcnow().astimezone(resources.settings().zone).date()
    default_created = left.date_input(t("data.default_created"), value=today, key=Data.DEFAULT_CREATED)
    day_first = right.toggle(t("data.day_first"), value=True, key=Data.DAY_FIRST)
    teams_upload = st.file_uploader(t("data.teams_file"), type=["csv", "txt", "xlsx"], key=Data.TEAMS_FILE)
    owner_teams: dict[str, str] = {}
    if teams_upload is not None and (teams := read_upload(teams_upload)) is not None:
        team_columns = list(teams.columns)
        pick = st.columns(2)
        with pick[0]:
            owner_column = column_choice(t("data.teams_owner"), team_columns, chosen["owner"], Data.TEAMS_OWNER)
        with pick[1]:
            team_column = column_choice(t("data.teams_team"), team_columns, None, Data.TEAMS_TEAM)
        if owner_column and team_column:
            try:
                owner_teams = foreign.owner_teams(teams, owner_column, team_column)
            except ValidationError as error:
                st.error(field_errors(error))

    return Mapping(
        columns=chosen,
        pipeline=pipeline_name,
        new_pipeline=new_pipeline,
        stages=stage_map,
        create_owners=create_owners,
        create_companies=create_companies,
        day_first=day_first,
        default_created_at=default_created,
        owner_teams=owner_teams,
    )


def check_and_import(actor: Actor, frame: pd.DataFrame, mapping: Mapping, file_id: str, file_name: str) -> None:
    """Every problem and the first rows as stored; the import button once nothing blocks, which asks
    first, naming what the import writes; Confirm imports. `file_id`: the upload the question is of."""
    zone = resources.settings().zone
    today = utcnow().astimezone(zone).date()
    st.markdown(t("data.step_check"))
    try:
        prepared = read(foreign.prepare, actor, frame, mapping, zone=zone, today=today)
    except ValidationError as error:
        st.error(field_errors(error))
        return
    check_shown(prepared)
    request = (file_id, mapping)
    if st.button(t("data.run"), type="primary", disabled=bool(prepared.errors) or not prepared.deals, key=Data.RUN):
        IMPORTING.ask(request)
    if not IMPORTING.waits(request):
        return
    lang = language()
    question = t(
        "data.run_question_new_pipeline" if mapping.new_pipeline else "data.run_question",
        deals=format.count(len(prepared.deals), lang),
        pipeline=format.plain(prepared.pipeline),
        before=format.count(prepared.already_imported, lang),
        owners=len(prepared.new_owners),
        companies=len(prepared.new_companies),
    )
    if not IMPORTING.confirmed(question, confirm=t("data.run_confirm")):
        return
    bar = st.progress(0.0, text=t("data.importing"))

    def run(db):
        again = foreign.prepare(db, actor, frame, mapping, zone=zone, today=today)
        return foreign.apply(
            db,
            actor,
            again,
            mapping,
            progress=lambda done, total: bar.progress(done / total, text=f"{done:,}/{total:,}"),
            file_name=file_name,
        )

    outcome = perform(run)
    if outcome.ok:
        st.session_state[Data.IMPORT_RESULT] = t(
            "data.done",
            deals=format.count(outcome.value.deals, lang),
            before=format.count(outcome.value.already_imported, lang),
            owners=outcome.value.new_owners,
            companies=outcome.value.new_companies,
        )
        st.rerun()


def check_shown(prepared: foreign.Prepared) -> None:
    """What the import would write, every problem by row, and the first deals as stored."""
    lang = language()
    summary = t(
        "data.summary",
        deals=format.count(len(prepared.deals), lang),
        pipeline=format.plain(prepared.pipeline),
        before=format.count(prepared.already_imported, lang),
        owners=len(prepared.new_owners),
        companies=len(prepared.new_companies),
    )
    problems = translated_table(prepared.problem_table())
    if prepared.errors:
        st.error(t("data.blocked", count=format.count(len(prepared.errors), lang)) + " " + summary)
    else:
        st.success(summary)
    if not problems.empty:
        st.dataframe(
            problems,
            hide_index=True,
            width="stretch",
            key=Data.PROBLEMS,
            column_config={name: t(f"data.problem_{name}") for name in problems.columns},
        )
    st.caption(t("data.preview"))
    st.dataframe(prepared.preview(), hide_index=True, width="stretch", key=Data.PREVIEW)


def past_imports(actor: Actor) -> None:
    """Every import, the newest first; a foreign one not undone yet can be undone (asked first): its
    deals go with their history, and the users and companies it created that nothing else uses."""
    if result := st.session_state.pop(Data.UNDO_RESULT, None):
        st.success(result)
    listed = read(batches.list_batches, actor)
    if listed.empty:
        st.info(t("data.no_batches"))
        return
    zone, lang = resources.settings().zone, language()
    shown = listed.assign(
        at=[format.moment(moment, zone) for moment in listed["at"]],
        kind=[t(f"data.batch_{kind}") for kind in listed["kind"]],
        by=[name or t("deal.system") for name in listed["by"]],
        undone_at=[format.moment(moment, zone) for moment in listed["undone_at"]],
    ).drop(columns=["id"])
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key=Data.BATCHES,
        column_config={name: t(f"data.batch_column_{name}") for name in shown.columns},
    )
    undoable = listed[(listed["kind"] == "foreign") & listed["undone_at"].isna()]
    if undoable.empty:
        return
    labels = {
        int(row.id): f"{format.moment(row.at, zone)} · {row.file_name} · {format.count(row.deals, lang)}"
        for row in undoable.itertuples()
    }
    batch_id = st.selectbox(t("data.undo_which"), list(labels), format_func=labels.get, key=Data.BATCH)
    changed = read(batches.changed_deals, actor, batch_id)
    keep_changed = False
    if changed:
        names = ", ".join(title for _, title in changed[:20])
        st.warning(t("data.undo_changed", count=format.count(len(changed), lang), titles=format.plain(names)))
        keep_changed = st.checkbox(t("data.undo_keep_changed"), key=Data.KEEP_CHANGED)
    request = (batch_id, keep_changed)
    if st.button(t("data.undo"), disabled=bool(changed) and not keep_changed, key=Data.UNDO):
        UNDOING.ask(request)
    if not UNDOING.waits(request):
        return
    question = t("data.undo_question", batch=format.plain(labels[batch_id]))
    if not UNDOING.confirmed(question, confirm=t("data.undo_confirm")):
        return
    outcome = perform(lambda db: batches.undo(db, actor, batch_id, keep_changed=keep_changed))
    if outcome.ok:
        done = outcome.value
        st.session_state[Data.UNDO_RESULT] = t(
            "data.undone",
            deals=format.count(done.deals, lang),
            kept=format.count(len(done.kept), lang),
            users=done.users,
            companies=done.companies,
        )
        st.rerun()


def export_panel(actor: Actor) -> None:
    """Links to the server's export route, which builds the file when it is fetched, for an admin's
    session only (web.routes): no copy of the data waits at an address anyone could fetch."""
    st.markdown(t("data.export_caption"))
    deal_count = read(native.deal_count)
    if deal_count > native.BROWSER_EXPORT_MAX_DEALS:
        st.info(t("data.export_cli", deals=format.count(deal_count, language())))
        return
    columns = st.columns(2)
    columns[0].link_button(t("data.export_zip"), "/downloads/export.zip", icon=":material/download:")
    columns[1].link_button(t("data.export_xlsx"), "/downloads/export.xlsx", icon=":material/download:")


page()
