"""What each API route does: read its call, call the services (the same ones the pages and the CLI
call), return what the response model reads."""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from api import schemas
from api.app import Call, Endpoint
from core import activities, deals, intake, lost_reasons, pipelines, users
from core.analytics import reports
from core.analytics.deal_list import list_deals
from core.analytics.filters import DealFilter
from core.clock import utcnow
from core.errors import NotFound, PermissionDenied
from core.messages import Message
from db.models import TokenScope

NOT_FOUND = (401, 403, 404, 429)
WRITE_ERRORS = (401, 403, 404, 409, 413, 422, 429)


def _records(frame) -> list[dict]:
    """A table's rows, a missing value as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def deal_page(session: Session, call: Call) -> dict:
    query: schemas.DealQuery = call.query
    deal_filter = DealFilter(
        pipeline_id=query.pipeline_id,
        stage_ids=tuple(query.stage_id),
        status=query.status,
        search=query.search,
        owner_ids=tuple(query.owner_id),
        only_rotting=query.rotting,
        only_overdue=query.overdue,
    )
    found = list_deals(
        session, call.actor, deal_filter, now=utcnow(), page=query.page - 1, page_size=query.page_size, sort=query.sort
    )
    # The Deals page shows the last page for one past it; a client paging until an empty one must get it.
    items = _records(found.rows) if found.page == query.page - 1 else []
    return {"items": items, "total": found.total, "page": query.page, "page_size": found.page_size}


def create_deal(session: Session, call: Call) -> deals.DealView:
    body: schemas.DealCreate = call.body
    fields = body.model_dump(include=set(deals.DEAL_FIELDS), exclude_unset=True)
    deal_id = deals.create_deal(
        session,
        call.actor,
        pipeline_id=body.pipeline_id,
        fields=fields,
        owner_id=body.owner_id,
        stage_id=body.stage_id,
        external_id=body.external_id,
    )
    return deals.get_deal(session, call.actor, deal_id)


def _deal(session: Session, call: Call) -> deals.DealView:
    """The deal of the path (by id or external id), as the caller may see it."""
    if "external_id" in call.path:
        return deals.deal_by_external_id(session, call.actor, call.path["external_id"])
    return deals.get_deal(session, call.actor, call.path["deal_id"])


def get_deal(session: Session, call: Call) -> deals.DealView:
    return _deal(session, call)


def _version(deal: deals.DealView, body: schemas.Versioned) -> int:
    """The version the call expects: its own, or (none given) the deal's now."""
    return deal.version if body.expected_version is None else body.expected_version


def _changing(
    change: Callable[[Session, Call, deals.DealView, Any], object],
) -> Callable[[Session, Call], deals.DealView]:
    """A handler that reads the deal of the path (its rights first), makes `change` to it with the
    call's body, and answers the deal as it is then."""

    def handler(session: Session, call: Call) -> deals.DealView:
        deal = _deal(session, call)
        change(session, call.actor, deal, call.body)
        return deals.get_deal(session, call.actor, deal.id)

    handler.__name__ = change.__name__
    return handler


@_changing
def update_deal(session, actor, deal, body: schemas.DealUpdate):
    fields = body.model_dump(exclude={"expected_version"}, exclude_unset=True)
    deals.update_deal(session, actor, deal.id, body.expected_version, fields)


@_changing
def move_deal(session, actor, deal, body: schemas.DealMove):
    fields = body.fields.model_dump(exclude_unset=True) if body.fields else None
    deals.move_deal(
        session,
        actor,
        deal.id,
        body.stage_id,
        _version(deal, body),
        fields=fields,
        lost_reason_id=body.lost_reason_id,
        lost_comment=body.lost_comment,
    )


@_changing
def close_won(session, actor, deal, body: schemas.DealWon):
    deals.close_won(session, actor, deal.id, _version(deal, body), amount=body.amount)


@_changing
def close_lost(session, actor, deal, body: schemas.DealLost):
    deals.close_lost(
        session,
        actor,
        deal.id,
        _version(deal, body),
        lost_reason_id=body.lost_reason_id,
        lost_comment=body.lost_comment,
    )


@_changing
def reopen_deal(session, actor, deal, body: schemas.DealReopen):
    deals.reopen_deal(session, actor, deal.id, _version(deal, body), stage_id=body.stage_id)


@_changing
def reassign_deal(session, actor, deal, body: schemas.DealReassign):
    deals.reassign_deal(session, actor, deal.id, body.owner_id, _version(deal, body))


def deal_activities(session: Session, call: Call) -> list[dict]:
    return _records(activities.deal_activities(session, call.actor, call.path["deal_id"]))


def create_activity(session: Session, call: Call) -> dict:
    body: schemas.ActivityCreate = call.body
    common = {"kind": body.kind, "subject": body.subject, "deal_id": body.deal_id, "owner_id": body.owner_id}
    if body.due_at is None:
        activity_id = activities.log_activity(session, call.actor, result=body.result, **common)
    else:
        activity_id = activities.plan_activity(session, call.actor, due_at=body.due_at, **common)
    return {"id": activity_id}


def complete_activity(session: Session, call: Call) -> None:
    activities.complete_activity(session, call.actor, call.path["activity_id"], result=call.body.result)


def reschedule_activity(session: Session, call: Call) -> None:
    activities.reschedule_activity(session, call.actor, call.path["activity_id"], due_at=call.body.due_at)


def list_pipelines(session: Session, _call: Call) -> list:
    return pipelines.list_pipelines(session)


def list_stages(session: Session, call: Call) -> list:
    return pipelines.list_stages(session, call.path["pipeline_id"])


def list_lost_reasons(session: Session, _call: Call) -> list:
    return lost_reasons.list_lost_reasons(session)


def list_users(session: Session, _call: Call) -> list:
    return users.list_users(session)


def me(session: Session, call: Call) -> users.UserInfo:
    return call.caller.user


def report(session: Session, call: Call) -> dict:
    query: schemas.ReportQuery = call.query
    if call.path["name"] not in reports.NAMES:
        raise NotFound(Message("not_found.report", name=call.path["name"], names=", ".join(reports.NAMES)))
    asked = reports.Query(name=call.path["name"], **query.model_dump(exclude={"manager"}), manager=tuple(query.manager))
    return {"rows": _records(reports.table(session, call.actor, asked, call.settings.zone))}


def post_lead(session: Session, call: Call) -> intake.Received:
    if call.caller.token.intake_pipeline_id != call.path["pipeline_id"]:
        raise PermissionDenied(Message("intake.other_pipeline", id=call.caller.token.intake_pipeline_id))
    return intake.receive(session, call.actor, call.caller.token, call.body.model_dump(exclude_unset=True))


DEAL = "/deals/{deal_id:int}"
EXTERNAL = "/deals/external/{external_id}"
ENDPOINTS = [
    Endpoint("GET", "/me", me, "The token's user", response=schemas.User),
    Endpoint(
        "GET",
        "/deals",
        deal_page,
        "A page of deals, with the Deals page's filters",
        query=schemas.DealQuery,
        response=schemas.DealPage,
        errors=(401, 403, 422, 429),
    ),
    Endpoint(
        "POST",
        "/deals",
        create_deal,
        "Create a deal",
        body=schemas.DealCreate,
        response=schemas.Deal,
        status=201,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint("GET", DEAL, get_deal, "A deal", response=schemas.Deal, errors=NOT_FOUND),
    Endpoint(
        "PATCH",
        DEAL,
        update_deal,
        "Edit a deal's fields",
        body=schemas.DealUpdate,
        response=schemas.Deal,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint(
        "POST",
        f"{DEAL}/move",
        move_deal,
        "Move a deal to a stage (a won or lost one closes it)",
        body=schemas.DealMove,
        response=schemas.Deal,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint(
        "POST",
        f"{DEAL}/won",
        close_won,
        "Close a deal won",
        body=schemas.DealWon,
        response=schemas.Deal,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint(
        "POST",
        f"{DEAL}/lost",
        close_lost,
        "Close a deal lost, with the reason",
        body=schemas.DealLost,
        response=schemas.Deal,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint(
        "POST",
        f"{DEAL}/reopen",
        reopen_deal,
        "Reopen a closed deal",
        body=schemas.DealReopen,
        response=schemas.Deal,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint(
        "POST",
        f"{DEAL}/reassign",
        reassign_deal,
        "Hand a deal to another owner (executives and admins)",
        body=schemas.DealReassign,
        response=schemas.Deal,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint(
        "GET",
        f"{DEAL}/activities",
        deal_activities,
        "A deal's activities",
        response=schemas.Activity,
        many=True,
        errors=NOT_FOUND,
    ),
    Endpoint(
        "GET", EXTERNAL, get_deal, "The deal another system knows by its id", response=schemas.Deal, errors=NOT_FOUND
    ),
    Endpoint(
        "POST",
        f"{EXTERNAL}/move",
        move_deal,
        "Move the deal another system knows by its id (an invoice paid)",
        body=schemas.DealMove,
        response=schemas.Deal,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint(
        "POST",
        "/activities",
        create_activity,
        "Log an activity done now, or plan one (due_at)",
        body=schemas.ActivityCreate,
        response=schemas.Created,
        status=201,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint(
        "POST",
        "/activities/{activity_id:int}/complete",
        complete_activity,
        "Mark an activity done",
        body=schemas.ActivityComplete,
        response=None,
        status=204,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint(
        "POST",
        "/activities/{activity_id:int}/reschedule",
        reschedule_activity,
        "Move an activity's due time",
        body=schemas.ActivityReschedule,
        response=None,
        status=204,
        writes=True,
        errors=WRITE_ERRORS,
    ),
    Endpoint("GET", "/pipelines", list_pipelines, "The active pipelines", response=schemas.Pipeline, many=True),
    Endpoint(
        "GET",
        "/pipelines/{pipeline_id:int}/stages",
        list_stages,
        "A pipeline's stages, in order",
        response=schemas.Stage,
        many=True,
        errors=NOT_FOUND,
    ),
    Endpoint(
        "GET", "/lost-reasons", list_lost_reasons, "The active lost reasons", response=schemas.LostReason, many=True
    ),
    Endpoint("GET", "/users", list_users, "The active users", response=schemas.User, many=True),
    Endpoint(
        "GET",
        "/reports/{name}",
        report,
        "A report, as `python -m cli report <name>` prints it",
        query=schemas.ReportQuery,
        response=schemas.Report,
        errors=(401, 403, 404, 422, 429),
        path_values={"name": reports.NAMES},
    ),
    Endpoint(
        "POST",
        "/intake/{pipeline_id:int}",
        post_lead,
        "Post a lead (an intake token)",
        body=schemas.Lead,
        response=schemas.Received,
        status=201,
        writes=True,
        scope=TokenScope.INTAKE,
        errors=(400, 401, 403, 413, 422, 429),
    ),
]
