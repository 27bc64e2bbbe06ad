import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core import pipelines
from core.clock import utcnow
from core.errors import ValidationError
from core.exchange import files, foreign, native
from core.exchange.foreign import Mapping, NewPipeline
from db.engine import transaction
from ui import format, resources, session
from ui.actions import perform
from ui.downloads import XLSX
from ui.i18n import field_errors, language, t, translated_table
from ui.state import DATA_IMPORT_RESULT

PAGE_EXPORT_MAX_DEALS = 200_000  # beyond this the export belongs to the CLI, not to a browser download
NONE = ""
WON_WORDS = ("won", "closed won", "выиграна", "успешно реализовано", "успешно")
LOST_WORDS = ("lost", "closed lost", "проиграна", "отказ", "закрыто и не реализовано")

actor = session.actor()
settings = resources.settings()
lang = language()
st.title(t("data.title"))
st.caption(t("data.caption"))

import_tab, export_tab = st.tabs([t("data.import"), t("data.export")])


def read_upload(upload) -> pd.DataFrame | None:
    try:
        return files.read_table(upload.getvalue(), upload.name)
    except ValidationError as error:
        st.error(field_errors(error))
        return None


def column_choice(label: str, columns: list[str], guessed: str | None, key: str) -> str:
    options = [NONE, *columns]
    return st.selectbox(
        label,
        options,
        index=options.index(guessed) if guessed in options else 0,
        format_func=lambda c: t("data.not_in_file") if c == NONE else c,
        key=key,
    )


def import_wizard() -> None:
    if result := st.session_state.pop(DATA_IMPORT_RESULT, None):
        st.success(result)
    st.markdown(t("data.step_file"))
    upload = st.file_uploader(t("data.file"), type=["csv", "txt", "xlsx"], key="data_file")
    frame = read_upload(upload) if upload is not None else None
    if frame is None:
        return
    st.caption(t("data.file_read", rows=format.count(len(frame), lang), columns=len(frame.columns)))
    st.dataframe(frame.head(5), hide_index=True, width="stretch", key="data_file_head")

    chosen = columns_step(list(frame.columns))
    if "stage" not in chosen or "owner" not in chosen:
        st.info(t("data.need_owner_and_stage"))
        return
    stages = stages_step(foreign.stage_values(frame, chosen["stage"]), Path(upload.name).stem)
    if stages is None:
        return
    pipeline_name, new_pipeline, stage_map = stages
    mapping = options_step(chosen, pipeline_name, new_pipeline, stage_map)
    check_and_import(frame, mapping)


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
                    key="data_map_title",
                    help=t("data.title_help"),
                )
                if parts:
                    chosen["title"] = tuple(parts)
                continue
            label = t(f"data.field.{name}") + (" *" if foreign.FIELDS[name][1] else "")
            column = column_choice(label, columns, guessed.get(name), f"data_map_{name}")
            if column:
                chosen[name] = column
    return chosen


def stages_step(values: list[str], file_stem: str) -> tuple[str | None, NewPipeline | None, dict[str, str]] | None:
    """Into which pipeline, and which of its stages each stage value of the file is (None: not ready)."""
    st.markdown(t("data.step_stages"))
    with transaction(resources.engine()) as db:
        pipeline_list = pipelines.list_pipelines(db)
    names = {p.id: p.name for p in pipeline_list}
    target = st.radio(
        t("data.into"),
        ["existing", "new"],
        format_func=lambda v: t(f"data.into_{v}"),
        horizontal=True,
        key="data_into",
        index=0 if pipeline_list else 1,
    )
    new_pipeline, pipeline_name, stage_map = None, None, {}
    if target == "existing" and pipeline_list:
        pipeline_id = st.selectbox(t("field.pipeline_id"), list(names), format_func=names.get, key="data_pipeline")
        pipeline_name = names[pipeline_id]
        with transaction(resources.engine()) as db:
            stage_names = [s.name for s in pipelines.list_stages(db, pipeline_id)]
        for value in values:
            by_name = next((s for s in stage_names if s.lower() == value.lower()), NONE)
            stage_map[value] = st.selectbox(
                t("data.stage_value", value=value),
                [NONE, *stage_names],
                index=[NONE, *stage_names].index(by_name),
                format_func=lambda s: t("data.stage_unmapped") if s == NONE else s,
                key=f"data_stage_{pipeline_id}_{value}",
            )
        stage_map = {value: stage for value, stage in stage_map.items() if stage}
    else:
        new_name = st.text_input(t("data.new_pipeline_name"), value=file_stem, key="data_new_name")
        st.caption(t("data.kinds_caption"))
        won_guess = next((v for v in values if v.lower() in WON_WORDS), None)
        lost_guess = [v for v in values if v.lower() in LOST_WORDS]
        kinds = st.columns(3)
        open_values = kinds[0].multiselect(
            t("data.open_stages"),
            values,
            default=[v for v in values if v != won_guess and v not in lost_guess],
            key="data_open_stages",
        )
        won_value = kinds[1].selectbox(
            t("data.won_stage"), values, index=values.index(won_guess) if won_guess else 0, key="data_won_stage"
        )
        lost_values = kinds[2].multiselect(t("data.lost_stages"), values, default=lost_guess, key="data_lost_stages")
        if (
            not open_values
            or not lost_values
            or won_value in (*open_values, *lost_values)
            or set(open_values) & set(lost_values)
        ):
            st.warning(t("data.kinds_needed"))
            return None
        new_pipeline = NewPipeline(new_name, tuple(open_values), won_value, tuple(lost_values))
    return pipeline_name, new_pipeline, stage_map


def options_step(
    chosen: dict, pipeline_name: str | None, new_pipeline: NewPipeline | None, stage_map: dict[str, str]
) -> Mapping:
    st.markdown(t("data.step_options"))
    left, right = st.columns(2)
    create_owners = left.radio(
        t("data.unknown_owners"), [True, False], format_func=lambda v: t(f"data.create_{v}"), key="data_owners"
    )
    create_companies = right.radio(
        t("data.unknown_companies"), [True, False], format_func=lambda v: t(f"data.create_{v}"), key="data_companies"
    )
    default_created = left.date_input(
        t("data.default_created"), value=utcnow().astimezone(settings.zone).date(), key="data_default_created"
    )
    day_first = right.toggle(t("data.day_first"), value=True, key="data_day_first")
    teams_upload = st.file_uploader(t("data.teams_file"), type=["csv", "txt", "xlsx"], key="data_teams_file")
    owner_teams: dict[str, str] = {}
    if teams_upload is not None and (teams := read_upload(teams_upload)) is not None:
        team_columns = list(teams.columns)
        pick = st.columns(2)
        with pick[0]:
            owner_column = column_choice(t("data.teams_owner"), team_columns, chosen["owner"], "data_teams_owner")
        with pick[1]:
            team_column = column_choice(t("data.teams_team"), team_columns, None, "data_teams_team")
        if owner_column and team_column:
            owner_teams = foreign.owner_teams(teams, owner_column, team_column)

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


def check_and_import(frame: pd.DataFrame, mapping: Mapping) -> None:
    """Every problem and the first rows as stored; the import button once nothing blocks."""
    today = utcnow().astimezone(settings.zone).date()
    st.markdown(t("data.step_check"))
    try:
        with transaction(resources.engine()) as db:
            prepared = foreign.prepare(db, actor, frame, mapping, zone=settings.zone, today=today)
    except ValidationError as error:
        st.error(field_errors(error))
        return
    summary = t(
        "data.summary",
        deals=format.count(len(prepared.deals), lang),
        pipeline=prepared.pipeline,
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
            key="data_problems",
            column_config={name: t(f"data.problem_{name}") for name in problems.columns},
        )
    st.caption(t("data.preview"))
    st.dataframe(prepared.preview(), hide_index=True, width="stretch", key="data_preview")
    if st.button(t("data.run"), type="primary", disabled=bool(prepared.errors) or not prepared.deals, key="data_run"):
        bar = st.progress(0.0, text=t("data.importing"))

        def run(db):
            again = foreign.prepare(db, actor, frame, mapping, zone=settings.zone, today=today)
            return foreign.apply(
                db,
                actor,
                again,
                mapping,
                progress=lambda done, total: bar.progress(done / total, text=f"{done:,}/{total:,}"),
            )

        outcome = perform(run)
        if outcome.ok:
            st.session_state[DATA_IMPORT_RESULT] = t(
                "data.done",
                deals=format.count(outcome.value.deals, lang),
                before=format.count(outcome.value.already_imported, lang),
                owners=outcome.value.new_owners,
                companies=outcome.value.new_companies,
            )
            st.rerun()


def export_panel() -> None:
    st.markdown(t("data.export_caption"))
    with transaction(resources.engine()) as db:
        deal_count = native.deal_count(db)
    if deal_count > PAGE_EXPORT_MAX_DEALS:
        st.info(t("data.export_cli", deals=format.count(deal_count, lang)))
        return
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    if st.button(t("data.export_prepare"), key="data_export_prepare"):
        with transaction(resources.engine()) as db, tempfile.TemporaryDirectory() as folder:
            native.export_csv(db, actor, Path(folder))
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(Path(folder).glob("*.csv")):
                    archive.write(path, path.name)
            workbook = native.export_excel(db, actor)
        columns = st.columns(2)
        columns[0].download_button(
            t("data.export_zip"), buffer.getvalue(), file_name=f"funnel-export-{stamp}.zip", mime="application/zip",
            key="data_export_zip",
        )  # fmt: skip
        columns[1].download_button(
            t("data.export_xlsx"), workbook, file_name=f"funnel-export-{stamp}.xlsx",
            mime=XLSX, key="data_export_xlsx",
        )  # fmt: skip


with import_tab:
    import_wizard()
with export_tab:
    export_panel()
