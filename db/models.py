"""The domain's tables (SPEC §2): one metadata, one declarative base."""

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import Money, UTCDateTime

# Alembic needs stable constraint names to alter them later, especially in SQLite batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Role(enum.StrEnum):
    MANAGER = "manager"
    EXECUTIVE = "executive"
    ADMIN = "admin"


class StageKind(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ActivityKind(enum.StrEnum):
    CALL = "call"
    MEETING = "meeting"
    TASK = "task"
    EMAIL = "email"


def _enum(cls: type[enum.StrEnum], name: str, length: int = 16) -> Enum:
    # Stored as plain strings with a CHECK, so adding a value is a small migration on both databases.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


intpk = Annotated[int, mapped_column(primary_key=True)]
name_str = Annotated[str, mapped_column(String(200))]
short_str = Annotated[str | None, mapped_column(String(100))]
created_ts = Annotated[datetime, mapped_column(UTCDateTime())]
money = Annotated[Decimal, mapped_column(Money(), default=Decimal(0))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[intpk]
    name: Mapped[name_str] = mapped_column(unique=True)

    members: Mapped[list["User"]] = relationship(back_populates="team")


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    # Stored lower-cased, so uniqueness is case-insensitive on every database.
    login: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[name_str]
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[created_ts]
    # Where the app's e-mails to them go (a notification of a stage entered); none: no e-mail.
    email: Mapped[str | None] = mapped_column(String(200))

    team: Mapped[Team | None] = relationship(back_populates="members")


class UserSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256.

    Sign-in writes the row with a one-time ticket (its hash too) that the browser trades, within a
    minute, for the cookie; the Streamlit session that signed in knows the row by id from the start.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_revoked_at", "user_id", "revoked_at"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "session_role"))  # the role it was opened with
    created_at: Mapped[created_ts]
    last_seen_at: Mapped[created_ts]
    expires_at: Mapped[created_ts]
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    client: Mapped[str] = mapped_column(String(45), default="")
    revoked_at: Mapped[datetime | None]


class TokenScope(enum.StrEnum):
    API = "api"  # the REST API, with its user's role and rights
    INTAKE = "intake"  # only the lead intake of one pipeline


class ApiToken(Base):
    """A personal API token: the caller holds a random secret, the table only its SHA-256.

    An intake token also says where its leads go: the pipeline, and the owner (a fixed one, or the
    active managers of a team in turn, the last one given kept here), and how many days a second
    request from the same phone or e-mail is the same person's (added to their open deal).
    """

    __tablename__ = "api_tokens"
    __table_args__ = (Index(None, "user_id", "revoked_at"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[name_str]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(_enum(TokenScope, "token_scope"))
    created_at: Mapped[created_ts]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    intake_pipeline_id: Mapped[int | None] = mapped_column(ForeignKey("pipelines.id"))
    intake_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    intake_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    intake_last_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    intake_window_days: Mapped[int] = mapped_column(default=30)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # given up: it kept failing for a whole day (an admin may send it again)


class Webhook(Base):
    """An address told of the deals' events: each delivery signed with the secret."""

    __tablename__ = "webhooks"

    id: Mapped[intpk]
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list[Any]] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_ts]


class OutboxEvent(Base):
    """A deal's event, written in the same transaction as the change it tells of (the outbox): the
    worker delivers it after the commit, so an event is never sent for a change that was undone,
    nor lost for one that was made."""

    __tablename__ = "outbox"

    id: Mapped[intpk]
    event: Mapped[str] = mapped_column(String(40))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[created_ts]


class Delivery(Base):
    """One event to one webhook (or, with no webhook, one e-mail to `email_to`), until it is delivered
    or given up. A worker takes it for a while (`locked_until`); one that dies meanwhile leaves it to
    be taken again when that runs out."""

    __tablename__ = "deliveries"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[intpk]
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id"), index=True)
    email_to: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "delivery_status"))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[created_ts]
    locked_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[created_ts]


class DeliveryAttempt(Base):
    """Every attempt of a delivery: when, what the receiver answered (or what went wrong), how long."""

    __tablename__ = "delivery_attempts"

    id: Mapped[intpk]
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    at: Mapped[created_ts]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int]


class Notification(Base):
    """Something a user is told in the app (the count in the sidebar, the Notifications page)."""

    __tablename__ = "notifications"
    __table_args__ = (Index(None, "user_id", "read_at"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[created_ts]
    read_at: Mapped[datetime | None]


class DataVersion(Base):
    """The change marker's counter rows (db.changes.SLOTS of them): any change to deals, their history,
    activities, stages or plans adds 1 to one row in its own transaction; the marker is their sum, which
    an open dashboard polls, recomputing only when it moved. Several rows, so writers do not queue on one."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class LoginAttempt(Base):
    """Sign-ins in a row per login and per client address, counted in the database so a lock holds
    across app instances (core.auth).

    Keyed "login:" + the login as typed (lower-cased), whether or not such a user exists, so a lock
    never tells anyone which logins are real; or "client:" + the address the attempts come from.
    """

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    # Counted before the password is checked, so parallel attempts cannot check more than the limit.
    failures: Mapped[int] = mapped_column(default=0)
    # The locks in a row: each lasts twice as long as the one before.
    locks: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]


class LoginOutcome(enum.StrEnum):
    SIGNED_IN = "signed_in"
    WRONG_CREDENTIALS = "wrong_credentials"  # wrong login, wrong password or deactivated: one answer
    LOCKED = "locked"


class LoginEvent(Base):
    """Every sign-in attempt and its answer, appended by core.auth: never updated, never deleted."""

    __tablename__ = "login_events"
    __table_args__ = (Index(None, "at"),)

    id: Mapped[intpk]
    at: Mapped[datetime]
    login: Mapped[str] = mapped_column(String(100))  # as typed
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the user of that login, if any
    client: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[LoginOutcome] = mapped_column(_enum(LoginOutcome, "login_outcome", length=20))


class Pipeline(Base):
    __tablename__ = "pipelines"

    id: Mapped[intpk]
    name: Mapped[name_str] = mapped_column(unique=True)
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_ts]
    # Bumped by every change to the pipeline or its stages: two admins editing at once conflict.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    stages: Mapped[list["Stage"]] = relationship(back_populates="pipeline", order_by="Stage.position")


class Stage(Base):
    __tablename__ = "stages"
    __table_args__ = (
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability_range"),
        CheckConstraint("rot_days >= 0", name="rot_days_non_negative"),
        Index(None, "pipeline_id", "position"),
    )

    id: Mapped[intpk]
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"))
    name: Mapped[name_str]
    position: Mapped[int]
    kind: Mapped[StageKind] = mapped_column(_enum(StageKind, "stage_kind"))
    probability: Mapped[int] = mapped_column(default=0)
    color: Mapped[str] = mapped_column(String(7), default="#4c78a8")
    rot_days: Mapped[int] = mapped_column(default=0)
    # Deal field names that must be filled before a deal may enter this stage.
    required_fields: Mapped[list[Any]] = mapped_column(default=list)
    # Task templates created when a deal enters: [{"title": str, "due_days": int}, ...]
    entry_tasks: Mapped[list[Any]] = mapped_column(default=list)
    # A deleted stage leaves the editor and the menus but stays in the history it appears in.
    deleted_at: Mapped[datetime | None]
    # When the stage was added to a pipeline that already existed; none for those it came with.
    added_at: Mapped[datetime | None]
    # What happens on its own (core.automation): {"notify_owner": bool, "idle_days": int, "idle_task": str}.
    automation: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")


class PipelineChange(Base):
    """The change log of a pipeline's configuration: who changed what, when, from what to what."""

    __tablename__ = "pipeline_changes"
    __table_args__ = (Index(None, "pipeline_id", "at"),)

    id: Mapped[intpk]
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"))
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    what: Mapped[str] = mapped_column(String(200))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class LostReason(Base):
    __tablename__ = "lost_reasons"

    id: Mapped[intpk]
    name: Mapped[name_str] = mapped_column(unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[intpk]
    name: Mapped[name_str] = mapped_column(index=True)
    phone: Mapped[short_str]
    email: Mapped[short_str]
    created_at: Mapped[created_ts]


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[intpk]
    name: Mapped[name_str]
    phone: Mapped[short_str]
    email: Mapped[short_str]
    # The phone's last ten digits and the e-mail lower-cased: a second request from the same person
    # finds them however the number was written (+7 999 123-45-67, 8 (999) 1234567).
    phone_key: Mapped[str | None] = mapped_column(String(20), index=True)
    email_key: Mapped[str | None] = mapped_column(String(100), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    created_at: Mapped[created_ts]


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        # Cohort funnel: deals of a pipeline created in a period.
        Index(None, "pipeline_id", "created_at"),
        # Current pipeline and closed-in-period metrics.
        Index(None, "pipeline_id", "status", "stage_id"),
        Index(None, "pipeline_id", "closed_at"),
        # A manager's own deals: by status, and a page of one pipeline's newest (counted from the index).
        Index(None, "owner_id", "status"),
        # Also covers the deals each owner created in a period, by status (deals-needed win rates).
        Index(None, "owner_id", "pipeline_id", "created_at", "status"),
        # Plan vs fact: deals closed in a period by their owner at close (read from the index alone),
        # and open deals expected to close in one.
        Index(None, "closed_at", "status", "closing_owner_id", "amount"),
        Index(None, "status", "expected_close_date"),
        # The median age of the open deals in a stage: walked in order of entry (deals in an open stage are open).
        Index(None, "stage_id", "stage_entered_at", "owner_id"),
        # The board: the largest deals of each stage.
        Index(None, "stage_id", "amount", "id"),
    )

    id: Mapped[intpk]
    title: Mapped[name_str]
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    amount: Mapped[money]
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    status: Mapped[StageKind] = mapped_column(_enum(StageKind, "deal_status"))
    lost_reason_id: Mapped[int | None] = mapped_column(ForeignKey("lost_reasons.id"))
    lost_comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[short_str]
    region: Mapped[short_str]
    segment: Mapped[short_str]
    expected_close_date: Mapped[date | None]
    created_at: Mapped[created_ts]
    closed_at: Mapped[datetime | None]
    # The owner when the deal was closed: the plan's fact counts for them, even if it is reassigned later.
    closing_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the deal entered its current stage: the age in stage and rotting start from here.
    stage_entered_at: Mapped[datetime]
    # The deal's id in the CRM it was imported from: importing the same file again skips it.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    stage: Mapped[Stage] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])

    # Every UPDATE carries "WHERE version = <loaded>", so a concurrent save cannot slip through.
    __mapper_args__ = {"version_id_col": version}


class StageTransition(Base):
    """Append-only stage history: never updated, never deleted."""

    __tablename__ = "stage_transitions"
    __table_args__ = (
        Index(None, "deal_id", "at"),
        Index(None, "to_stage_id", "at"),
        # Time in stage: the stays that ended in a period, read from the index alone.
        Index(None, "at", "from_stage_id", "from_entered_at", "deal_id"),
    )

    id: Mapped[intpk]
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the deal entered from_stage (the previous transition's `at`): a stay is (from_stage, this - that).
    from_entered_at: Mapped[datetime | None]


class ChangeOperation(enum.StrEnum):
    """What made a deal change (db/history.py)."""

    EDIT = "edit"
    MOVE = "move"
    CLOSE = "close"
    REOPEN = "reopen"
    REASSIGN = "reassign"
    IMPORT = "import"
    STAGE_DELETION = "stage_deletion"
    BULK = "bulk"
    API = "api"
    # Not a change: the deal existed when history began (migration 0013); what it held before is not known.
    BASELINE = "baseline"


class DealChange(Base):
    """Append-only field history of the deals: one row per field a write changed, never updated.

    A deal's value of a field at a moment is the old value of its first change after that moment, or
    its current value when none came after (so creating a deal writes no rows). Values are text: ids
    as digits, amounts as "1500.00", dates ISO, statuses as stored.
    """

    __tablename__ = "deal_changes"
    __table_args__ = (
        Index(None, "deal_id", "at"),
        # A deal's value of a field at a moment: its first change of the field after it (rollup_flow).
        Index(None, "deal_id", "field", "at"),
        # What changed between two days, and the first change after a day of every deal.
        Index(None, "at", "field", "deal_id"),
    )

    id: Mapped[intpk]
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    operation: Mapped[ChangeOperation] = mapped_column(_enum(ChangeOperation, "change_operation"))


class ImportBatch(Base):
    """One import: who, when, which file, what it created; undone (its deals removed) or not."""

    __tablename__ = "import_batches"

    id: Mapped[intpk]
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(8))  # "foreign" (another CRM's file) or "native" (an export)
    file_name: Mapped[str] = mapped_column(String(255))
    deals: Mapped[int]
    new_users: Mapped[int]
    new_companies: Mapped[int]
    undone_at: Mapped[datetime | None]
    undone_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    undone_deals: Mapped[int | None]


class ImportBatchRow(Base):
    """What a foreign import created: kind "deal", "user", "company", "team", "reason" or "pipeline", and the id."""

    __tablename__ = "import_batch_rows"

    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    row_id: Mapped[int] = mapped_column(primary_key=True)


NOT_DONE = text("done_at IS NULL")


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        Index(None, "owner_id", "due_at"),
        # Done in a period (by kind, on time or not), and still to do (done_at IS NULL) by due time:
        # my tasks, overdue counts, the dashboard — read from the index alone.
        Index(None, "owner_id", "done_at", "due_at", "kind"),
        # Per deal: its next activity, whether one is overdue, its last done one (rotting).
        Index(None, "deal_id", "done_at", "due_at"),
        # What is still to do, by due time (the oldest overdue first): the few not done, not the millions done.
        Index(None, "due_at", "owner_id", sqlite_where=NOT_DONE, postgresql_where=NOT_DONE),
        # One owner's oldest still to do, in the order shown (due, then id): the dashboard's overdue list.
        Index(None, "owner_id", "due_at", "id", sqlite_where=NOT_DONE, postgresql_where=NOT_DONE),
    )

    id: Mapped[intpk]
    kind: Mapped[ActivityKind] = mapped_column(_enum(ActivityKind, "activity_kind"))
    subject: Mapped[name_str]
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_ts]


class Plan(Base):
    """A monthly target for one manager or one team, optionally for one pipeline."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="exactly_one_of_user_or_team"),
        CheckConstraint(
            "target_amount >= 0 AND target_count >= 0"
            " AND (target_calls IS NULL OR target_calls >= 0)"
            " AND (target_meetings IS NULL OR target_meetings >= 0)",
            name="targets_non_negative",
        ),
        # NULLs are distinct in a UNIQUE constraint, so the scope is spelled out in one column.
        UniqueConstraint("month", "scope_key"),
    )

    id: Mapped[intpk]
    month: Mapped[date]  # the first day of the month
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    pipeline_id: Mapped[int | None] = mapped_column(ForeignKey("pipelines.id"))
    scope_key: Mapped[str] = mapped_column(String(60))
    target_amount: Mapped[money]
    target_count: Mapped[int] = mapped_column(default=0)
    target_calls: Mapped[int | None]
    target_meetings: Mapped[int | None]


class PlanChange(Base):
    """The history of plan edits: who changed which target of which plan, from what to what."""

    __tablename__ = "plan_changes"
    __table_args__ = (Index(None, "at"),)

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(String(40))
    new_value: Mapped[str | None] = mapped_column(String(40))


# Rollups: summary tables derived from the deals, their history and the activities, kept by db/rollups.py
# in the transaction of every write. No foreign keys (they are sums, rebuilt at will); 0 stands for "none"
# in a key column (a primary key cannot hold NULL). Time-keyed rollups hold each sum twice: per UTC day
# (grain "day") and per UTC month (grain "month", first_day = the 1st), so a period reads whole months
# and only its loose days.
ROLLUP_ROWID = {"sqlite_with_rowid": False}  # SQLite keeps the rows in key order: a period is one range


class _PerDayAndMonth:
    """A time-keyed rollup's time key columns: "day" rows per UTC day, "month" rows on the 1st."""

    grain: Mapped[str] = mapped_column(String(5))
    first_day: Mapped[date]


class _ByCategory:
    """The first key columns of a rollup the funnel filters: each deal counts under "" (every deal)
    and under each of its source, region and segment ("source", "web"), so a filter reads one range."""

    category: Mapped[str] = mapped_column(String(8))
    category_value: Mapped[str] = mapped_column(String(100))


CATEGORY = ("category", "category_value")


class RollupCreated(_ByCategory, _PerDayAndMonth, Base):
    """Deals by the day they were created: the cohort funnel, deals created and won."""

    __tablename__ = "rollup_created"
    __table_args__ = (
        PrimaryKeyConstraint(*CATEGORY, "grain", "first_day", "pipeline_id", "owner_id", "status", "entered_stages"),
        ROLLUP_ROWID,
    )

    pipeline_id: Mapped[int]
    owner_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(8))
    # The open stages the deal entered, bit k for the k-th open stage of its pipeline in the order they
    # were created: how far it got is read against the current order, so reordering changes no row.
    entered_stages: Mapped[int] = mapped_column(BigInteger)
    deals: Mapped[int]
    amount: Mapped[money]


class RollupClosed(_ByCategory, _PerDayAndMonth, Base):
    """Deals by the day they were closed, won or lost: win rates, plan vs fact, the dashboard's results."""

    __tablename__ = "rollup_closed"
    __table_args__ = (
        PrimaryKeyConstraint(*CATEGORY, "grain", "first_day", "pipeline_id", "owner_id", "closing_owner_id", "status"),
        ROLLUP_ROWID,
    )

    pipeline_id: Mapped[int]
    owner_id: Mapped[int]
    closing_owner_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(8))
    deals: Mapped[int]
    amount: Mapped[money]


class RollupLost(_ByCategory, _PerDayAndMonth, Base):
    """Deals lost by the day, the stage they were lost from and the reason: the lost analysis."""

    __tablename__ = "rollup_lost"
    __table_args__ = (
        PrimaryKeyConstraint(*CATEGORY, "grain", "first_day", "pipeline_id", "owner_id", "stage_id", "lost_reason_id"),
        ROLLUP_ROWID,
    )

    pipeline_id: Mapped[int]
    owner_id: Mapped[int]
    stage_id: Mapped[int]
    lost_reason_id: Mapped[int]
    deals: Mapped[int]
    amount: Mapped[money]


class RollupCycle(_ByCategory, _PerDayAndMonth, Base):
    """Deals won by the day they were won and the completed days from creation: the sales cycle."""

    __tablename__ = "rollup_cycles"
    __table_args__ = (
        PrimaryKeyConstraint(*CATEGORY, "grain", "first_day", "pipeline_id", "owner_id", "closing_owner_id", "days"),
        ROLLUP_ROWID,
    )

    pipeline_id: Mapped[int]
    owner_id: Mapped[int]
    closing_owner_id: Mapped[int]
    days: Mapped[int]
    deals: Mapped[int]
    seconds: Mapped[int] = mapped_column(BigInteger)


class RollupStay(_ByCategory, _PerDayAndMonth, Base):
    """Stays in an open stage by the day they ended and their completed days: time in stage."""

    __tablename__ = "rollup_stays"
    __table_args__ = (
        PrimaryKeyConstraint(*CATEGORY, "grain", "first_day", "pipeline_id", "stage_id", "owner_id", "days"),
        ROLLUP_ROWID,
    )

    pipeline_id: Mapped[int]
    stage_id: Mapped[int]
    owner_id: Mapped[int]
    days: Mapped[int]
    stays: Mapped[int]
    seconds: Mapped[int] = mapped_column(BigInteger)


class RollupActivity(_PerDayAndMonth, Base):
    """Activities by day, owner, kind and event: done (on time, late, without a due time) on the day
    they were done; due, and still to do, on the day they are due."""

    __tablename__ = "rollup_activities"
    __table_args__ = (PrimaryKeyConstraint("grain", "first_day", "owner_id", "kind", "event"), ROLLUP_ROWID)

    owner_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(16))
    activities: Mapped[int]


class RollupOpen(_ByCategory, Base):
    """The open deals now, per stage and owner: the current pipeline, the ages in stage."""

    __tablename__ = "rollup_open"
    __table_args__ = (PrimaryKeyConstraint(*CATEGORY, "pipeline_id", "stage_id", "owner_id"), ROLLUP_ROWID)

    pipeline_id: Mapped[int]
    stage_id: Mapped[int]
    owner_id: Mapped[int]
    deals: Mapped[int]
    amount: Mapped[money]
    # Σ of when each entered its stage (epoch seconds): their mean age at any moment.
    entered_seconds: Mapped[int] = mapped_column(BigInteger)


class RollupFlow(_PerDayAndMonth, Base):
    """What the changes of each UTC day added to the open pipeline, per stage and owner of the time:
    a deal entering an open stage, or its amount or owner changing there, adds its new state and takes
    away its old one. The open pipeline at a moment is the sum of every change before it (counts and
    amounts may be negative on a day)."""

    __tablename__ = "rollup_flow"
    __table_args__ = (
        PrimaryKeyConstraint("grain", "first_day", "pipeline_id", "stage_id", "owner_id"),
        ROLLUP_ROWID,
    )

    pipeline_id: Mapped[int]
    stage_id: Mapped[int]
    owner_id: Mapped[int]
    deals: Mapped[int]
    amount: Mapped[money]


class RollupChange(_PerDayAndMonth, Base):
    """Each deal's changes of the open pipeline per UTC day, in their bucket of the pipeline changes
    (db.rollups.sources._changes): how many, and what they added to it; with the deal's owner just
    before and just after (a reassignment counts in or out by the owners looked at), and a move's two
    stages (forward or backward by the stages' order when read)."""

    __tablename__ = "rollup_changes"
    __table_args__ = (
        PrimaryKeyConstraint(
            "grain",
            "first_day",
            "pipeline_id",
            "bucket",
            "stage_before",
            "stage_after",
            "owner_before",
            "owner_after",
            "deal_id",
        ),
        ROLLUP_ROWID,
    )

    pipeline_id: Mapped[int]
    bucket: Mapped[str] = mapped_column(String(20))
    stage_before: Mapped[int]  # of a move between open stages, else 0
    stage_after: Mapped[int]
    owner_before: Mapped[int]
    owner_after: Mapped[int]
    deal_id: Mapped[int]
    changes: Mapped[int]
    amount: Mapped[money]


class RollupForecast(Base):
    """The open deals now by their expected close date: the weighted forecast."""

    __tablename__ = "rollup_forecast"
    __table_args__ = (
        PrimaryKeyConstraint("expected_close_date", "pipeline_id", "stage_id", "owner_id"),
        ROLLUP_ROWID,
    )

    expected_close_date: Mapped[date]
    pipeline_id: Mapped[int]
    stage_id: Mapped[int]
    owner_id: Mapped[int]
    deals: Mapped[int]
    amount: Mapped[money]


class RollupIdle(Base):
    """Each open deal with when it went idle (the later of its last stage change and its last done
    activity), per stage: the rotting deals are a range of it."""

    __tablename__ = "rollup_idle"
    __table_args__ = (
        PrimaryKeyConstraint("stage_id", "idle_since", "owner_id", "deal_id"),
        # One owner's longest idle in a stage, from the start of its range: the dashboard's list.
        Index(None, "stage_id", "owner_id", "idle_since", "deal_id"),
        ROLLUP_ROWID,
    )

    stage_id: Mapped[int]
    idle_since: Mapped[datetime]
    owner_id: Mapped[int]
    deal_id: Mapped[int]
    deals: Mapped[int]


class RollupCategory(Base):
    """Deals per pipeline and value of source, region and segment: the funnel's filter choices."""

    __tablename__ = "rollup_categories"
    __table_args__ = (PrimaryKeyConstraint("pipeline_id", "field", "value"), ROLLUP_ROWID)

    pipeline_id: Mapped[int]
    field: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(100))
    deals: Mapped[int]


class RollupState(Base):
    """Which definition of the rollups the stored rows follow: a newer one rebuilds them on upgrade."""

    __tablename__ = "rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
