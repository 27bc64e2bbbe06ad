"""The selected deal: its form, the move/close/reopen step, its activities and its stage history."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from core import activities, customers, deals, lost_reasons, pipelines, users
from core.clock import utcnow
from core.deals import DealView
from core.errors import NotFound, PermissionDenied
from core.permissions import Actor
from core.pipelines import next_stage
from ui import format, resources
from ui.actions import perform, read
from ui.i18n import error_text, language, t, translated
from ui.navigation import open_deal
from ui.state import Deals, forget, key

TEXT_FIELDS = ("source", "region", "segment")
CONFLICT_FIELDS = (
    "title",
    "amount",
    "expected_close_date",
    "source",
    "region",
    "segment",
    "stage_id",
    "status",
    "owner_id",
    "company_id",
    "contact_id",
)
ACTIVITY_KINDS = ("call", "meeting", "task", "email")


def field_message(errors: dict[str, str], name: str) -> None:
    """A validation message right under its field."""
    if name in errors:
        st.caption(f":red[{format.plain(translated(errors[name]))}]")


def _errors_key(prefix: str) -> str:
    return key(prefix, "errors")


def _company_and_contact(prefix: str, company_id: int | None, contact_id: int | None) -> dict:
    """Pick a company (searchable) and one of its contacts, or name new ones to create on save."""
    company_name, _ = read(customers.names, company_id, contact_id)
    options = dict(read(customers.search_companies, st.session_state.get(key(prefix, "company_search"), "")))
    if company_id is not None:
        options.setdefault(company_id, company_name)
    left, right = st.columns(2)
    left.text_input(t("deal.company_search"), key=key(prefix, "company_search"))
    chosen_company = right.selectbox(
        t("field.company_id"),
        [None, *options],
        index=[None, *options].index(company_id),
        format_func=lambda i: t("deal.none") if i is None else options[i],
        key=key(prefix, "company"),
    )
    contacts = dict(read(customers.company_contacts, chosen_company))
    new_company = st.text_input(t("deal.new_company"), key=key(prefix, "new_company"))
    contact_options = [None, *contacts]
    chosen_contact = st.selectbox(
        t("field.contact_id"),
        contact_options,
        index=contact_options.index(contact_id) if contact_id in contact_options else 0,
        format_func=lambda i: t("deal.none") if i is None else contacts[i],
        key=key(prefix, "contact"),
    )
    new_contact = st.text_input(t("deal.new_contact"), key=key(prefix, "new_contact"))
    return {
        "company_id": chosen_company,
        "contact_id": chosen_contact,
        "new_company": new_company,
        "new_contact": new_contact,
    }


def _with_new_parties(session, actor: Actor, picked: dict, fields: dict) -> dict:
    """Create the company and contact the user typed in, in the deal's own transaction."""
    company_id = picked["company_id"]
    if picked["new_company"].strip():
        company_id = customers.create_company(session, actor, picked["new_company"])
    contact_id = picked["contact_id"] if company_id == picked["company_id"] else None
    if picked["new_contact"].strip():
        contact_id = customers.create_contact(session, actor, picked["new_contact"], company_id=company_id)
    return fields | {"company_id": company_id, "contact_id": contact_id}


def deal_fields(prefix: str, deal: DealView | None, errors: dict[str, str]) -> dict:
    """The deal's editable fields as widgets; returns what they hold now."""
    values = {"title": st.text_input(t("field.title"), value=deal.title if deal else "", key=key(prefix, "title"))}
    field_message(errors, "title")
    amount_default = "" if deal is None else f"{deal.amount:.2f}"
    # An empty amount is no amount yet: zero, which a stage that requires an amount refuses.
    values["amount"] = st.text_input(t("field.amount"), value=amount_default, key=key(prefix, "amount")) or "0"
    field_message(errors, "amount")
    values["expected_close_date"] = st.date_input(
        t("field.expected_close_date"),
        value=deal.expected_close_date if deal else None,
        min_value=date(2000, 1, 1),
        max_value=date(2100, 12, 31),
        key=key(prefix, "expected_close_date"),
    )
    field_message(errors, "expected_close_date")
    columns = st.columns(3)
    for column, name in zip(columns, TEXT_FIELDS, strict=True):
        with column:
            values[name] = st.text_input(
                t(f"field.{name}"), value=getattr(deal, name) or "" if deal else "", key=key(prefix, name)
            )
            field_message(errors, name)
    picked = _company_and_contact(prefix, deal.company_id if deal else None, deal.contact_id if deal else None)
    for name in ("company_id", "contact_id"):
        field_message(errors, name)
    return {"fields": values, "picked": picked}


def new_deal_form(actor: Actor, pipeline_id: int) -> None:
    prefix = Deals.NEW_DEAL
    errors = st.session_state.get(_errors_key(prefix), {})
    open_stages = [s for s in read(pipelines.list_stages, pipeline_id) if s.is_open]
    owners = read(users.list_managers) if actor.is_admin else []  # an admin creates deals for a manager
    stage_id = st.selectbox(
        t("field.stage_id"),
        [s.id for s in open_stages],
        format_func={s.id: s.name for s in open_stages}.get,
        key=key(prefix, "stage"),
    )
    owner_id = None
    if owners:
        owner_id = st.selectbox(
            t("field.owner_id"),
            [u.id for u in owners],
            format_func={u.id: u.display_name for u in owners}.get,
            key=key(prefix, "owner"),
        )
    form = deal_fields(prefix, None, errors)
    if st.button(t("deal.create"), type="primary", key=key(prefix, "save")):
        outcome = perform(
            lambda session: deals.create_deal(
                session,
                actor,
                pipeline_id=pipeline_id,
                stage_id=stage_id,
                owner_id=owner_id,
                fields=_with_new_parties(session, actor, form["picked"], form["fields"]),
            ),
            success=t("deal.created"),
        )
        if outcome.ok:
            forget(prefix)
            open_deal(outcome.value)
        st.session_state[_errors_key(prefix)] = outcome.errors
        if outcome.errors:
            st.rerun()


def _loaded_key(deal_id: int) -> str:
    return Deals.DEAL(deal_id, "loaded")


def _forget_form(deal_id: int) -> None:
    forget(Deals.DEAL(deal_id))


def edit_form(actor: Actor, deal: DealView, stage_names: dict[int, str]) -> None:
    """Edit with the version the user loaded; a save over someone else's change shows what changed."""
    prefix = Deals.DEAL(deal.id)
    loaded: DealView = st.session_state.setdefault(_loaded_key(deal.id), deal)
    errors = st.session_state.get(_errors_key(prefix), {})
    form = deal_fields(prefix, loaded, errors)
    save, reload = st.columns(2)
    if save.button(t("deal.save"), type="primary", key=key(prefix, "save")):
        outcome = perform(
            lambda session: deals.update_deal(
                session,
                actor,
                deal.id,
                loaded.version,
                _with_new_parties(session, actor, form["picked"], form["fields"]),
            ),
            success=t("deal.saved"),
        )
        if outcome.ok:
            _forget_form(deal.id)
            st.rerun()
        st.session_state[_errors_key(prefix)] = outcome.errors
        if outcome.errors:
            st.rerun()
        if outcome.conflict:
            st.session_state[key(prefix, "conflict")] = True
    if st.session_state.get(key(prefix, "conflict")) and loaded.version != deal.version:
        st.warning(t("deal.conflict"))
        changes = [name for name in CONFLICT_FIELDS if getattr(loaded, name) != getattr(deal, name)]
        st.table(
            {
                t("deal.change_field"): [t(f"field.{name}") for name in changes],
                t("deal.change_before"): [_shown(name, getattr(loaded, name), stage_names) for name in changes],
                t("deal.change_now"): [_shown(name, getattr(deal, name), stage_names) for name in changes],
            }
        )
    if reload.button(t("deal.reload"), key=key(prefix, "reload")):
        _forget_form(deal.id)
        st.rerun()


def _shown(name: str, value, stage_names: dict[int, str]) -> str:
    """A value in the table of changes, whose cells are Markdown."""
    if value is None:
        return "—"
    return format.plain(stage_names.get(value, str(value)) if name == "stage_id" else str(value))


def move_panel(actor: Actor, deal: DealView, stages: list[pipelines.StageInfo]) -> None:
    """The pipeline with the deal's stage marked, then a move to any other stage (the next one by
    default), asking in the same step for what the target needs."""
    st.caption(format.plain(_stage_path(deal, stages)))
    by_id = {s.id: s for s in stages if s.id != deal.stage_id}
    targets = list(by_id)
    following = next_stage(stages, deal.stage_id)
    # A new step for each version of the deal: after any move it offers the new next stage.
    target_id = st.selectbox(
        t("deal.move_to"),
        targets,
        index=targets.index(following.id) if following else 0,
        format_func=lambda i: by_id[i].name,
        key=Deals.MOVE(deal.id, "target", deal.version),
    )
    move_form(actor, deal, by_id[target_id], Deals.MOVE(deal.id))


def _stage_path(deal: DealView, stages: list[pipelines.StageInfo]) -> str:
    """Qualification → [Presentation, current] → Contracting → Won · Lost."""

    def named(stage: pipelines.StageInfo) -> str:
        return f"[{stage.name}, {t('deal.current_stage')}]" if stage.id == deal.stage_id else stage.name

    open_part = " → ".join(named(s) for s in stages if s.is_open)
    return f"{open_part} → {' · '.join(named(s) for s in stages if not s.is_open)}"


def move_form(actor: Actor, deal: DealView, target: pipelines.StageInfo, prefix: str, *, scope: str = "app") -> None:
    """What moving `deal` into `target` asks for, and the button that moves it. A refusal names its
    fields under them; `scope` is what reruns to show it ("fragment" in a dialog)."""
    needs = _target_needs(prefix, deal, target)
    label = "deal.close_won" if target.is_won else "deal.close_lost" if target.is_lost else "deal.move"
    if not deal.is_open and target.is_open:
        label = "deal.reopen"
    if not st.button(t(label), type="primary", key=key(prefix, "go", deal.version)):
        return
    outcome = perform(
        lambda session: deals.move_deal(
            session,
            actor,
            deal.id,
            target.id,
            deal.version,
            fields=_with_new_parties(session, actor, needs.picked, needs.fields) if needs.picked else needs.fields,
            lost_reason_id=needs.reason_id,
            lost_comment=needs.comment,
        ),
        success=t("deal.moved", stage=format.plain(target.name)),
    )
    st.session_state[_errors_key(prefix)] = outcome.errors
    if outcome.ok:
        forget(prefix)
        _forget_form(deal.id)
        st.rerun()
    if outcome.errors:
        st.rerun(scope=scope)


@dataclass(frozen=True)
class Needs:
    """What the user gave for a target stage: its missing fields, the company and contact picked
    or typed (None when the stage requires neither), a lost reason and comment."""

    fields: dict
    picked: dict | None = None
    reason_id: int | None = None
    comment: str | None = None


def _target_needs(prefix: str, deal: DealView, target: pipelines.StageInfo) -> Needs:
    """Widgets for what moving into `target` asks: the fields it requires that the deal lacks, the
    final amount of a won deal, the reason (and a comment) of a lost one."""
    errors = st.session_state.get(_errors_key(prefix), {})
    missing = _missing(deal, target)
    if missing:
        st.info(
            t(
                "deal.stage_requires",
                stage=format.plain(target.name),
                fields=", ".join(t(f"field.{n}") for n in missing),
            )
        )
    fields, picked = {}, None
    for name in missing:
        if name in ("company_id", "contact_id"):
            continue
        fields[name] = _required_field_input(prefix, name)
        field_message(errors, name)
    if {"company_id", "contact_id"} & set(missing):
        picked = _company_and_contact(key(prefix, "parties"), deal.company_id, deal.contact_id)
        for name in ("company_id", "contact_id"):
            field_message(errors, name)
        fields |= {"company_id": picked["company_id"], "contact_id": picked["contact_id"]}
    if target.is_won and "amount" not in fields:
        fields["amount"] = st.text_input(
            t("deal.final_amount"), value=f"{deal.amount:.2f}", key=key(prefix, "won_amount")
        )
        field_message(errors, "amount")
    if not target.is_lost:
        return Needs(fields, picked)
    reasons = {r.id: r.name for r in read(lost_reasons.list_lost_reasons)}
    reason_id = st.selectbox(
        t("field.lost_reason_id"),
        [None, *reasons],
        key=key(prefix, "reason"),
        format_func=lambda i: t("deal.choose") if i is None else reasons[i],
    )
    field_message(errors, "lost_reason_id")
    comment = st.text_area(t("field.lost_comment"), key=key(prefix, "comment"))
    field_message(errors, "lost_comment")
    return Needs(fields, picked, reason_id, comment)


def asks_for_something(deal: DealView, target: pipelines.StageInfo) -> bool:
    """Whether moving into `target` needs more than a click: a field it requires that the deal
    lacks, the final amount of a won deal, the reason of a lost one."""
    return target.is_won or target.is_lost or bool(_missing(deal, target))


def _missing(deal: DealView, target: pipelines.StageInfo) -> list[str]:
    return [name for name in target.required_fields if _is_empty(name, getattr(deal, name))]


def _deal_and_stages(db, actor: Actor, deal_id: int) -> tuple[DealView, list[pipelines.StageInfo]]:
    deal = deals.get_deal(db, actor, deal_id)
    return deal, pipelines.list_stages(db, deal.pipeline_id)


def drop(actor: Actor, deal_id: int, version: int, stage_id: int) -> None:
    """A deal sent to a stage in one gesture (a card dropped, a "Next stage" button): moved at once
    when the stage asks nothing, else a dialog asks for what it needs. A refusal is said in place."""
    _send(actor, deal_id, version, lambda deal, stages: next((s for s in stages if s.id == stage_id), None))


def forward(actor: Actor, deal_id: int, version: int) -> None:
    """`drop` onto the deal's next stage, as it is in the database (nothing for a closed deal)."""
    _send(actor, deal_id, version, lambda deal, stages: next_stage(stages, deal.stage_id))


def _send(actor: Actor, deal_id: int, version: int, target_of) -> None:
    try:
        deal, stages = read(_deal_and_stages, actor, deal_id)
    except (NotFound, PermissionDenied) as error:
        st.error(t("error.permission", message=error_text(error)))
        return
    target = target_of(deal, stages)
    if target is None or target.id == deal.stage_id:
        return
    if deal.version != version:
        st.warning(t("deal.changed_meanwhile", title=format.plain(deal.title)))
        return
    if asks_for_something(deal, target):
        _move_dialog(actor, deal, target)
        return
    outcome = perform(
        lambda session: deals.move_deal(session, actor, deal.id, target.id, version),
        success=t("deal.moved", stage=format.plain(target.name)),
    )
    if outcome.ok:
        _forget_form(deal.id)
        st.rerun()


def _move_dialog(actor: Actor, deal: DealView, target: pipelines.StageInfo) -> None:
    def body() -> None:
        st.text(deal.title)
        move_form(actor, deal, target, Deals.MOVE(deal.id, "dialog", target.id), scope="fragment")

    st.dialog(t("deal.move_dialog", stage=format.plain(target.name)), width="medium")(body)()


def reassign_panel(actor: Actor, deal: DealView, managers: list[users.UserInfo]) -> None:
    """Executives and admins hand a deal, with its activities still to do, to another manager."""
    names = {u.id: u.display_name for u in managers if u.id != deal.owner_id}
    if not names:
        return
    with st.container(border=True):
        new_owner = st.selectbox(
            t("deal.reassign_to"), list(names), format_func=names.get, key=Deals.REASSIGN(deal.id, "owner")
        )
        if (
            st.button(t("deal.reassign"), key=Deals.REASSIGN(deal.id, "go"))
            and perform(
                lambda session: deals.reassign_deal(session, actor, deal.id, new_owner, deal.version),
                success=t("deal.reassigned", owner=format.plain(names[new_owner])),
            ).ok
        ):
            _forget_form(deal.id)
            st.rerun()


def _is_empty(name: str, value) -> bool:
    return value is None or value == "" or (name == "amount" and value == 0)


def _required_field_input(prefix: str, name: str):
    if name == "expected_close_date":
        return st.date_input(t(f"field.{name}"), value=None, key=key(prefix, name))
    return st.text_input(t(f"field.{name}"), key=key(prefix, name))


def activities_panel(actor: Actor, deal: DealView, frame) -> None:
    """A deal's activities (`frame`, from activities.deal_activities): the list, the controls of
    the ones still to do, and a form to log or plan one."""
    zone = resources.settings().zone
    if frame.empty:
        st.caption(t("activity.none"))
    else:
        st.dataframe(
            {
                t("activity.kind"): [t(f"activity.{k}") for k in frame["kind"]],
                t("activity.subject"): frame["subject"],
                t("activity.due"): [format.moment(m, zone) for m in frame["due_at"]],
                t("activity.done"): [format.moment(m, zone) for m in frame["done_at"]],
                t("activity.result"): frame["result"].fillna(""),
            },
            hide_index=True,
            width="stretch",
            key=Deals.ACTIVITIES(deal.id),
        )
    todo = frame[frame["done_at"].isna()]
    can_write = actor.may_write(deal.owner_id)
    if can_write and not todo.empty:
        _todo_controls(actor, deal, todo)
    if can_write:
        _log_activity_form(actor, deal)


def _todo_controls(actor: Actor, deal: DealView, todo) -> None:
    prefix = Deals.TODO(deal.id)
    labels = dict(zip(todo["id"], todo["subject"], strict=True))
    activity_id = st.selectbox(t("activity.open_one"), list(labels), format_func=labels.get, key=key(prefix, "pick"))
    result = st.text_input(t("activity.result"), key=key(prefix, "result"))
    done_col, day_col, hour_col, move_col = st.columns([2, 2, 1, 2], vertical_alignment="bottom")
    if (
        done_col.button(t("activity.mark_done"), key=key(prefix, "done"))
        and perform(
            lambda session: activities.complete_activity(session, actor, activity_id, result=result or None),
            success=t("activity.completed"),
        ).ok
    ):
        st.rerun()
    new_day = day_col.date_input(t("activity.new_due"), value=date.today() + timedelta(days=1), key=key(prefix, "day"))
    new_time = hour_col.time_input(t("activity.time"), value=time(10), key=key(prefix, "time"))
    if (
        move_col.button(t("activity.reschedule"), key=key(prefix, "reschedule"))
        and perform(
            lambda session: activities.reschedule_activity(
                session, actor, activity_id, due_at=zoned(new_day, new_time)
            ),
            success=t("activity.rescheduled"),
        ).ok
    ):
        st.rerun()


def _log_activity_form(actor: Actor, deal: DealView) -> None:
    with st.form(Deals.LOG_ACTIVITY(deal.id), clear_on_submit=True):
        st.markdown(f"**{t('activity.log_title')}**")
        kind_col, when_col = st.columns(2)
        kind = kind_col.selectbox(t("activity.kind"), ACTIVITY_KINDS, format_func=lambda k: t(f"activity.{k}"))
        planned = when_col.radio(
            t("activity.when"),
            [False, True],
            horizontal=True,
            format_func=lambda p: t("activity.plan" if p else "activity.done_now"),
        )
        subject = st.text_input(t("activity.subject"))
        day_col, time_col = st.columns(2)
        day = day_col.date_input(t("activity.due"), value=date.today() + timedelta(days=1))
        moment = time_col.time_input(t("activity.time"), value=time(10))
        result = st.text_input(t("activity.result"))
        if st.form_submit_button(t("activity.save"), type="primary"):
            if planned:
                action = lambda session: activities.plan_activity(  # noqa: E731
                    session, actor, kind=kind, subject=subject, deal_id=deal.id, due_at=zoned(day, moment)
                )
            else:
                action = lambda session: activities.log_activity(  # noqa: E731
                    session, actor, kind=kind, subject=subject, deal_id=deal.id, result=result or None
                )
            if perform(action, success=t("activity.saved")).ok:
                st.rerun()


def timeline(actor: Actor, deal: DealView, stage_names: dict[int, str], planned) -> None:
    """Everything that happened to the deal, latest first: its stage changes, its field changes
    (amount, close date, owner, …) and its activities, done and planned (with their results); each
    with who did it."""
    zone = resources.settings().zone
    history, (changes, known_since), people = read(
        lambda db: (
            deals.deal_history(db, actor, deal.id),
            deals.field_history(db, actor, deal.id),
            users.list_users(db, active_only=False),
        )
    )
    people = {u.id: u.display_name for u in people}
    events = []
    for move in history:
        source = stage_names.get(move.from_stage_id, "—") if move.from_stage_id else t("deal.created_event")
        who = people.get(move.by_user_id, t("deal.system"))
        target = stage_names.get(move.to_stage_id, "?")
        events.append((move.at, f"{t('timeline.stage', source=source, target=target)}  ({who})"))
    for change in changes:
        events.append((change.at, _change_line(change, people)))
    for item in planned.itertuples():
        done = item.done_at is not None and item.done_at == item.done_at  # not None, not NaT
        state = t("timeline.done") if done else t("timeline.planned")
        result = f" — {item.result}" if isinstance(item.result, str) and item.result else ""
        line = f"{t(f'activity.{item.kind}')} ({state}): {item.subject}{result}  ({people.get(item.owner_id, '?')})"
        events.append((item.done_at if done else item.due_at, line))
    for moment, line in sorted(events, key=lambda event: event[0], reverse=True):
        st.text(f"{format.moment(moment, zone)}  {line}")
    if known_since is not None:
        st.text(t("timeline.known_since", day=format.moment(known_since, zone)))


def _change_line(change: deals.ChangeView, people: dict[int, str]) -> str:
    """'Amount: 50,000 ₽ → 5,000 ₽  (Anna)', as plain text (st.text): the values as they were typed."""
    who = people.get(change.by_user_id, t("deal.system"))
    if change.part_of is not None:
        who = f"{who}, {t(f'operation.{change.part_of}')}"
    old, new = (_change_value(change.field, value) for value in (change.old, change.new))
    return f"{t(f'field.{change.field}')}: {old} → {new}  ({who})"


def _change_value(field: str, value) -> str:
    if value is None or value == "":
        return "—"
    if field == "amount":
        return format.money_exact(value, resources.settings().currency, language())
    if field == "expected_close_date":
        return value.isoformat()
    return str(value)


def next_step(planned, *, where) -> None:
    """The deal's next planned activity, or (in amber) that there is none."""
    todo = planned[planned["done_at"].isna()]
    if todo.empty:
        where.warning(t("deal.no_next_step"), icon=":material/schedule:")
        return
    first = todo.sort_values("due_at").iloc[0]
    where.text(
        t(
            "deal.next_step",
            kind=t(f"activity.{first['kind']}"),
            subject=first["subject"],
            due=format.moment(first["due_at"], resources.settings().zone),
        )
    )


def zoned(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, resources.settings().zone).astimezone(UTC)


def deal_header(
    deal: DealView,
    stage_names: dict[int, str],
    owner_name: str,
    parties: tuple[str | None, str | None],
    flags: dict[str, bool],
) -> None:
    """The deal's title, then its stage, status, amount, owner, company, contact, days in stage, flags."""
    lang, currency = language(), resources.settings().currency
    st.subheader(format.plain(deal.title), anchor=False)
    days = (utcnow() - deal.stage_entered_at).days
    parts = [
        stage_names.get(deal.stage_id, "?"),
        t(f"status.{deal.status.value}"),
        format.money(deal.amount, currency, lang),
        owner_name,
        *(name for name in parties if name),
        t("deal.days_in_stage", days=days),
        *(t(f"flag.{name}") for name, on in flags.items() if on),
    ]
    st.text(" · ".join(parts))
