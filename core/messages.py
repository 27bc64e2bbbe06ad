"""What the services tell a person, by code and parameters: the edge shows it in the person's language.

A Message is the English text itself (a str), so a comparison, a log line or the CLI reads it as
before; the code and the parameters let the UI render it from its own template (ui.i18n). A
parameter may itself be a Message (an action, a role, a part of a list), translated in turn.
"""

ENGLISH: dict[str, str] = {
    # Field cleaners (core.validation) and checks every service shares.
    "required": "is required",
    "not_text": "must be text",
    "control_characters": "must not contain control characters",
    "too_long": "must be at most {maximum} characters (got {length})",
    "at_most_characters": "must be at most {maximum} characters",
    "at_least_characters": "must be at least {minimum} characters",
    "not_a_number": "must be a number",
    "not_a_number_value": "must be a number, not {value!r}",
    "not_finite": "must be a finite number",
    "negative": "must not be negative",
    "amount_too_large": "must be at most {maximum:,}",
    "two_decimals": "must have at most two decimal places",
    "not_whole": "must be a whole number",
    "too_large": "is too large",
    "at_most": "must be at most {maximum}",
    "not_a_date": "must be a date",
    "not_a_date_value": "must be a date like 2026-03-31 or 31.03.2026, not {value!r}",
    "date_out_of_range": "must be between {earliest} and {latest}",
    "not_a_timestamp": "must be a date and time",
    "no_time_zone": "must carry a time zone",
    "one_of": "must be one of {choices}",
    "choose_one_of": "choose one of {choices}",
    "choose_active_user": "choose an active user",
    "cannot_change_here": "cannot be changed here",
    "email": "must look like name@example.com",
    "no_such.company": "no such company ({id})",
    "no_such.team": "no such team ({id})",
    "no_such.user": "no such user ({id})",
    "no_such.pipeline": "no such pipeline ({id})",
    "language": "must be en or ru",
    "template.unknown": "unknown template {template!r}",
    # Parts of longer messages.
    "or": "{first} or {second}",
    "semicolon": "{first}; {second}",
    "roles.admin": "admin",
    "roles.executive": "executive",
    "roles.manager": "manager",
    # Not found.
    "not_found.user_login": "No user with login {login!r}.",
    "not_found.user": "User {id} does not exist.",
    "not_found.pipeline": "Pipeline {id} does not exist.",
    "not_found.stage": "Stage {id} does not exist.",
    "not_found.deal": "Deal {id} does not exist.",
    "not_found.deal_external": "No deal has the external id {id!r}.",
    "not_found.report": "No report named {name!r}: choose one of {names}.",
    "not_found.batch": "Import {id} does not exist.",
    "not_found.activity": "Activity {id} does not exist.",
    "not_found.lost_reason": "Lost reason {id} does not exist.",
    "not_found.manager": "No such manager ({id}).",
    "not_found.team_named": "No team named {name!r}.",
    "not_found.pipeline_named": "No pipeline named {name!r}.",
    "not_found.stage_named": "No stage named {name!r} in the pipeline.",
    "not_found.reason_named": "No lost reason named {name!r}.",
    # Permissions (core.permissions): "Only {roles} users may {action}." and the owner's check.
    "permission.roles": "Only {roles} users may {action}.",
    "permission.owner": "You may not {action}: it belongs to another user.",
    "permission.own_deals": "Managers see their own deals only.",
    "permission.own_plans": "Managers see their own plans only.",
    "permission.create_own_deals": "Managers create deals for themselves only.",
    "permission.deal_of_another": "You may not see this deal: it belongs to another manager.",
    "action.add_companies": "add companies",
    "action.add_contacts": "add contacts",
    "action.add_deal_activities": "add activities to this deal",
    "action.add_activities_for_others": "add activities for another user",
    "action.complete_activity": "complete this activity",
    "action.reschedule_activity": "reschedule this activity",
    "action.create_deals": "create deals",
    "action.edit_deal": "edit this deal",
    "action.move_deal": "move this deal",
    "action.reassign_deals": "reassign deals",
    "action.create_teams": "create teams",
    "action.create_users": "create users",
    "action.edit_users": "edit users",
    "action.manage_sessions": "see and end other users' sessions",
    "action.reset_passwords": "reset other users' passwords",
    "action.create_pipelines": "create pipelines",
    "action.archive_pipelines": "archive pipelines",
    "action.configure_pipelines": "configure pipelines",
    "action.read_change_log": "read the change log",
    "action.read_login_log": "read the sign-in log",
    "action.edit_lost_reasons": "edit lost reasons",
    "action.edit_plans": "edit plans",
    "action.read_plan_history": "read the plan history",
    "action.export_database": "export the database",
    "action.import_database": "import a database",
    "action.import_deals": "import deals",
    "action.create_intake_tokens": "create intake tokens",
    "action.manage_tokens": "see and revoke other users' tokens",
    "action.manage_webhooks": "manage webhooks",
    # Users and teams.
    "team.exists": "a team named {name!r} already exists",
    "team.missing": "team {id} does not exist",
    "session.missing": "session {id} does not exist",
    "login.taken": "{login!r} is already taken",
    "user.last_admin": "the last active admin must stay an active admin; make someone else admin first",
    # Deals.
    "deal.conflict": (
        "Deal {title!r} was changed by someone else since you opened it. "
        "Reload it to see the changes, then apply yours again."
    ),
    "deal.conflict_same_moment": (
        "Deal {title!r} was changed by someone else at the same moment. "
        "Reload it to see the changes, then apply yours again."
    ),
    "deal.active_pipeline": "choose an active pipeline",
    "deal.own_pipeline_stage": "choose a stage of the deal's own pipeline",
    "deal.already_in_stage": "the deal is already in {stage!r}",
    "deal.lost_reason": "choose why the deal was lost",
    "deal.already_open": "the deal is already open",
    "deal.reopen_stage": "a deal reopens into an open stage",
    "deal.first_stage": "a new deal starts in an open stage of its pipeline",
    "deal.unknown_field": "is not a deal field",
    "deal.contact_company": "the contact works for another company",
    "deal.date_not_emptied": "an empty cell keeps the date; to remove it, clear it on the deal's Details tab",
    "deal.no_company": "no such company ({value!r})",
    "deal.no_contact": "no such contact ({value!r})",
    "deal.external_id_taken": "another deal already has this external id",
    "stage.required_to_enter": "is required to enter stage {stage!r}",
    # Activities.
    "activity.already_done": "the activity is already done",
    "activity.done_not_rescheduled": "a done activity cannot be rescheduled",
    # Lost reasons.
    "lost_reason.exists": "a lost reason named {name!r} already exists",
    # Pipelines and the stage editor.
    "pipeline.exists": "a pipeline named {name!r} already exists",
    "pipeline.conflict": (
        "Pipeline {name!r} was changed by another admin since you opened it. "
        "The page now shows the current version; make your change again."
    ),
    "pipeline.needs_stages": "a pipeline needs at least one open stage, a won stage and a lost stage",
    "pipeline.open_stages_limit": "a pipeline has at most {maximum} open stages",
    "pipeline.open_stages_limit_ever": "a pipeline has at most {maximum} open stages, deleted ones included",
    "pipeline.stage_names_differ": "stage names must differ",
    "pipeline.keeps_open_stage": "a pipeline keeps at least one open stage",
    "stage.name_taken": "the pipeline already has a stage named {name!r}",
    "stage.probability_range": "must be between 0 and 100",
    "stage.fixed_probability": "is always {probability} for a {kind} stage",
    "stage.kind_won": "won",
    "stage.kind_lost": "lost",
    "stage.colour": "must be a colour like #4c78a8",
    "stage.not_requirable": "{fields} is not a deal field that can be required",
    "stage.task": "task {number}: {problems}",
    "stage.task_problem": "{field} {message}",
    "stage.task_title": "title",
    "stage.task_due_days": "due_days",
    "stage.task_due_hours": "due_hours",
    "stage.task_due_minutes": "due_minutes",
    "stage.task_unit": "due",
    "stage.task_one_unit": "a task is due in one unit: days, hours or minutes",
    # API tokens.
    "token.user_only": "a token belongs to a user",
    "token.expiry_past": "must not be in the past",
    "token.team_or_owner": "choose a team (its managers in turn) or one owner",
    "token.missing": "token {id} does not exist",
    # Automation and webhooks.
    "automation.idle_days": "must be between 1 and {maximum} days",
    "automation.idle_days_for_task": "say after how many days without activity the task is given",
    "automation.webhooks": "choose webhooks the Webhooks page lists",
    "webhook.url": "must be an http:// or https:// address",
    "not_found.webhook": "Webhook {id} does not exist.",
    "not_found.delivery": "Delivery {id} does not exist.",
    # Lead intake.
    "intake.token": "only an intake token, of an admin, may post leads",
    "intake.other_pipeline": "this intake token posts leads into pipeline {id} only",
    "intake.unknown_field": "is not a field of a lead",
    "intake.phone": "must be a phone number",
    "intake.phone_or_email": "a lead needs a phone or an e-mail",
    "intake.owner_inactive": "the intake token's owner is no longer active; an admin must set a new owner",
    "intake.no_managers": "the intake token's team has no active manager",
    "stage.open_stage_after": "choose an open stage of this pipeline",
    "stage.closed_stay_last": "the won and lost stages stay last",
    "stage.already_first": "{name!r} is already the first open stage",
    "stage.already_last": "{name!r} is already the last open stage",
    "stage.closed_not_deleted": "the won and lost stages cannot be deleted",
    "stage.target_for_deals": "choose the open stage that the {count} deals move to",
    # Plans and periods.
    "plan.copy_same_kind": "copy a month to a month, a quarter to a quarter, a year to a year",
    "plan.copy_other_period": "choose a period other than the one copied",
    "plan.percent_range": "must be between -100 and {maximum}",
    "plan.one_scope": "a plan is for exactly one manager or one team",
    "period.format": "write a month (2026-07), a quarter (2026-Q3) or a year (2026), not {value!r}",
    # Files people send (core.exchange.files).
    "file.empty": "the file is empty",
    "file.too_big": "the file is {size_mb:.1f} MB; the limit is {limit_mb} MB — split it into smaller files",
    "file.no_header": "the first row must name the columns",
    "file.columns_twice": "columns named twice: {columns}",
    "file.not_excel": "not a readable Excel workbook ({error})",
    "file.not_csv": "not a readable CSV table ({error})",
    "file.encoding": "the text is neither UTF-8 nor Windows-1251; save it as UTF-8",
    "file.cannot_read": "cannot read {path}: {error}",
    "file.unpacked_too_big": (
        "the workbook unpacks to {size_mb:,.0f} MB; the limit is {limit_mb} MB unpacked — split it into smaller files"
    ),
    "file.packed_too_tightly": (
        "{part} in the workbook unpacks to {ratio:,.0f} times its packed size; the limit is {limit} times, "
        "far above what a real spreadsheet reaches"
    ),
    "file.size_lie": (
        "{part} in the workbook unpacks to more than the {declared:,} bytes it declares; the file is damaged"
    ),
    "file.doctype": "{part} in the workbook declares a document type (<!DOCTYPE>), which a real spreadsheet never does",
    "file.too_many_columns": (
        "the table has more than {limit} columns, which is the limit; remove the columns not imported"
    ),
    "file.too_many_cells": (
        "the table has more than {limit:,} cells (rows × columns), which is the limit; split it into smaller files"
    ),
    "file.mixed_encodings": (
        "the file mixes text encodings: rows {rows} were read as {odd}, the rest as {usual}; "
        "check those rows, or save the whole file as UTF-8"
    ),
    # The native format (core.exchange.native).
    "native.sheet_too_long": "{table} has {rows:,} rows, more than an Excel sheet holds; export CSV instead",
    "native.not_empty": "the native import needs an empty database; it has {tables}",
    "native.no_source": "{source} does not exist",
    "native.table_missing": "{table} is missing (expected {table}.csv or a sheet of it)",
    "native.columns": "the columns must be {columns}",
    "native.bad_value": "row {line}, {column}: cannot read {value!r} ({error})",
    # Importing from another CRM (core.exchange.foreign): the mapping, the files, and each row's problems.
    "mapping.columns": 'map at least the owner and stage columns, e.g. {{"owner": "sales_agent", ...}}',
    "mapping.unknown_fields": "unknown deal fields {unknown}; the fields are {fields}",
    "mapping.new_pipeline": "needs name, open (a list), won and lost (a list): {error}",
    "mapping.pipeline": "name an existing pipeline, or describe a new_pipeline",
    "mapping.create_or_reject": "must be create or reject",
    "mapping.date": "must be a date like 2026-01-31",
    "foreign.teams_file_columns": "no column {missing}; it has {columns}",
    "foreign.teams_file_row": "row {row}: {problem}",
    "foreign.file_columns": "the file has no column {missing}; it has {columns}",
    "foreign.map_required": "map a column to {fields}",
    "foreign.rows_with_problems": "{count} rows have problems; nothing was imported",
    "foreign.no_pipeline": "no pipeline named {name!r}",
    "foreign.no_stages": "{pipeline} has no stage {stages}",
    "problem.error": "error",
    "problem.note": "note",
    "problem.more_rows": "{rows} … ({count} rows)",
    "problem.same_id": "the same id {id!r} is on row {row}",
    "problem.no_owner": "no owner",
    "problem.unknown_owner": "no user named {name!r} (creating users is off)",
    "problem.no_stage": "no stage",
    "problem.unmapped_stage": "the stage {stage!r} is not mapped to a stage of the pipeline",
    "problem.default_created": "no created date: {day} is used",
    "problem.closed_date_needed": "a won or lost deal needs its closed date",
    "problem.closed_before_created": "closed before it was created",
    "problem.unknown_company": "no company named {name!r} (creating companies is off)",
    "problem.formula": "{text!r} looks like a spreadsheet formula; remove it or start it with '",
    "problem.too_long": "longer than {maximum} characters",
    "problem.not_amount": "{value!r} is not an amount",
    "problem.amount_range": "{value!r} must be an amount from 0 to {maximum:,}",
    "problem.not_date": "{value!r} is not a date (write 2026-07-31 or 31.07.2026)",
    "problem.nul": "contains a NUL character (code 0), which cannot be stored; remove it",
    "problem.undecodable": (
        "has bytes that are neither UTF-8 nor Windows-1251 (shown as �); fix them, or save the file as UTF-8"
    ),
    # The CLI's reports (cli.reports).
    "report.dates_required": "--from and --to are required for this report",
    "backup.exists": "{path} exists already: choose a new file",
    "backup.no_file": "{path} is not a file",
    "backup.not_empty": "the database has users or deals: restore into an empty one, or replace them with --replace",
    "backup.no_tool": "{tool} is not installed (Debian: apt-get install postgresql-client)",
    "backup.failed": "{tool} failed: {error}",
    "batch.changed": (
        "{count} of its deals were changed since (edited, moved, reassigned or given an activity): {titles}; "
        "undo the rest, or leave it"
    ),
    "batch.already_undone": "this import was undone already",
    "batch.native": "a native import restores a whole database; undo it by restoring a backup",
    "report.to_before_from": "the last day comes before the first",
    "report.required": "is required for this report",
    "report.period_required": "is required for this report, e.g. --period 2026-Q3",
}


class Message(str):
    """`Message(code, **params)`: the English text of ENGLISH[code] with the parameters, which it keeps
    (`.code`, `.params`) for a translation. An unknown code or a missing parameter raises at once."""

    code: str
    params: dict[str, object]

    def __new__(cls, code: str, /, **params: object) -> "Message":
        if code not in ENGLISH:
            raise KeyError(f"unknown message code {code!r}")
        message = super().__new__(cls, ENGLISH[code].format(**params))
        message.code, message.params = code, params
        return message

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, object]]:
        # str's own would rebuild from the English text; a Message is rebuilt from its code.
        return (self.code,), self.params


def joined(parts: list[Message], code: str) -> Message:
    """The parts one after another, each pair joined by the message `code` ("or", "semicolon")."""
    whole = parts[0]
    for part in parts[1:]:
        whole = Message(code, first=whole, second=part)
    return whole
