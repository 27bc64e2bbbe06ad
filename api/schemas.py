"""The API's request and response bodies: the same models validate a request and write the OpenAPI
document (api.openapi). They check the shape (types, which fields); the services check the values
(lengths, ranges, the stage's required fields), as they do for every other edge."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from db.models import ActivityKind, Role, StageKind, TokenScope

MAX_PAGE_SIZE = 200  # the Deals page's largest page: within the 500 items an API page may hold


class Body(BaseModel):
    """A request: unknown fields are refused, so a misspelt field is not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Text = str | None


def _money_text(value: Any) -> Any:
    """An amount as the services read it: a JSON number or a string ("1 500,50" too), as text."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str | None):
        raise ValueError("must be a number, or a number as text")
    return None if value is None else str(value)


# 1500, 1500.5 or "1500.50"; the services check the value (not negative, two decimals at most).
Money = Annotated[
    str | None,
    BeforeValidator(_money_text),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]}),
]


class DealFields(Body):
    """The fields of a deal a person edits; null clears one (not the title)."""

    title: str | None = Field(None, examples=["Acme — 20 seats"])
    amount: Money = Field(None, examples=["1500.00"])
    company_id: int | None = None
    contact_id: int | None = None
    source: Text = None
    region: Text = None
    segment: Text = None
    expected_close_date: date | None = Field(None, examples=["2027-03-15"])


class DealCreate(DealFields):
    pipeline_id: int
    title: str
    owner_id: int | None = Field(None, description="required of an admin; a manager's deals are their own")
    stage_id: int | None = Field(None, description="an open stage; default: the pipeline's first")
    external_id: str | None = Field(None, description="its id in another system, unique", max_length=100)


class DealUpdate(DealFields):
    expected_version: int = Field(description="the version read; a deal changed since answers 409")


class Versioned(Body):
    expected_version: int | None = Field(None, description="the version read; null: whatever it is now")


class DealMove(Versioned):
    stage_id: int
    fields: DealFields | None = Field(None, description="saved with the move: the stage's required fields")
    lost_reason_id: int | None = Field(None, description="required into a lost stage")
    lost_comment: str | None = None


class DealWon(Versioned):
    amount: Money = Field(None, description="the final amount")


class DealLost(Versioned):
    lost_reason_id: int
    lost_comment: str | None = None


class DealReopen(Versioned):
    stage_id: int | None = Field(None, description="an open stage; default: the one it was closed from")


class DealReassign(Versioned):
    owner_id: int


class DealQuery(Body):
    """The Deals page's filters, and a page of the result."""

    pipeline_id: int
    stage_id: list[int] = Field(default_factory=list, description="repeatable")
    status: StageKind | None = None
    search: str = Field("", max_length=200, description="in the title or the company's name")
    owner_id: list[int] = Field(default_factory=list, description="repeatable")
    rotting: bool = False
    overdue: bool = False
    sort: Literal["recent", "amount", "expected_close", "age_in_stage"] = "recent"
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class Deal(Out):
    id: int
    title: str
    amount: Decimal
    company_id: int | None
    contact_id: int | None
    source: str | None
    region: str | None
    segment: str | None
    expected_close_date: date | None
    owner_id: int
    pipeline_id: int
    stage_id: int
    status: StageKind
    lost_reason_id: int | None
    lost_comment: str | None
    created_at: datetime
    closed_at: datetime | None
    stage_entered_at: datetime
    version: int
    external_id: str | None


class DealRow(Out):
    """A deal as the Deals page lists it."""

    id: int
    version: int
    title: str
    company: str | None
    amount: float
    stage_id: int
    stage: str
    status: StageKind
    stage_entered_at: datetime
    days_in_stage: int
    next_activity_at: datetime | None
    expected_close_date: date | None
    owner_id: int
    owner: str
    overdue: bool
    rotting: bool


class DealPage(Out):
    items: list[DealRow]
    total: int
    page: int
    page_size: int


class ActivityCreate(Body):
    kind: ActivityKind
    subject: str
    deal_id: int | None = None
    owner_id: int | None = Field(None, description="default: the deal's owner, or the caller")
    due_at: datetime | None = Field(
        None, description="planned for then (with a time zone); none: done just now", examples=["2027-03-15T10:00:00Z"]
    )
    result: str | None = Field(None, description="what came of it (a done one only)")


class ActivityComplete(Body):
    result: str | None = None


class ActivityReschedule(Body):
    due_at: datetime


class Activity(Out):
    id: int
    kind: ActivityKind
    subject: str
    due_at: datetime | None
    done_at: datetime | None
    result: str | None
    owner_id: int


class Created(Out):
    id: int


class Pipeline(Out):
    id: int
    name: str
    is_archived: bool


class Stage(Out):
    id: int
    name: str
    position: int
    kind: StageKind
    probability: int
    rot_days: int
    required_fields: list[str]


class LostReason(Out):
    id: int
    name: str


class User(Out):
    id: int
    login: str
    display_name: str
    role: Role
    team_id: int | None


class ReportQuery(Body):
    """As `python -m cli report` takes them: names, not ids."""

    pipeline: str | None = Field(None, description="a pipeline's name")
    team: str | None = Field(None, description="a team's name")
    date_from: date | None = Field(None, alias="from", description="first day")
    date_to: date | None = Field(None, alias="to", description="last day, inclusive")
    period: str | None = Field(None, description="plan-fact: 2026-07, 2026-Q3 or 2026")
    manager: list[str] = Field(default_factory=list, description="a manager's login, repeatable")
    as_of: date | None = Field(None, description="pipeline: the end of this day (default today)")
    closing_in: str | None = Field(None, description="changes: deals expected to close in this period")


class Report(Out):
    rows: list[dict[str, Any]]


class Lead(Body):
    """A request from a website form or a phone system."""

    name: str = Field(examples=["Ivan Petrov"])
    phone: str | None = Field(None, examples=["+7 999 123-45-67"])
    email: str | None = Field(None, examples=["ivan@example.com"])
    company: str | None = None
    message: str | None = None
    source: str | None = Field(None, examples=["website"])
    amount: Money = None
    region: str | None = None
    segment: str | None = None
    channel: Literal["form", "call"] = "form"


class Received(Out):
    deal_id: int
    contact_id: int
    company_id: int | None
    activity_id: int
    owner_id: int
    new_deal: bool = Field(description="false: added to the person's open deal as an activity")


class Token(Out):
    id: int
    name: str
    scope: TokenScope


class Errors(Out):
    errors: dict[str, str] = Field(description="each field's problem")


class Error(Out):
    error: str
