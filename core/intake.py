"""Lead intake: a request from a website form or a phone system becomes a deal, or joins one.

The request names a person (a phone or an e-mail at least). The same phone or e-mail as a known
contact is the same person: when they have a deal open in the pipeline that was created within the
token's window, the request is added to it as an activity; otherwise a new deal starts in the
pipeline's first stage with that contact, owned by the token's owner or the next active manager of
its team in turn, and gets the stage's entry tasks. Either way the request itself is kept as a done
activity with its message. Nothing is written unless all of it is.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import activities, customers, deals
from core.clock import utcnow
from core.errors import PermissionDenied, ValidationError
from core.messages import Message
from core.permissions import Actor
from core.tokens import TokenInfo
from core.validation import clean_money, clean_text
from db.models import ActivityKind, ApiToken, Company, Contact, Deal, Role, StageKind, TokenScope, User

MAX_MESSAGE_LENGTH = activities.MAX_RESULT_LENGTH
CHANNELS = {"form": ActivityKind.EMAIL, "call": ActivityKind.CALL}
_FIELDS = ("name", "phone", "email", "company", "message", "source", "amount", "region", "segment", "channel")


@dataclass(frozen=True)
class Received:
    deal_id: int
    contact_id: int
    company_id: int | None
    activity_id: int  # the request, as a done activity of the deal
    owner_id: int
    new_deal: bool  # False: added to the person's open deal


def receive(session: Session, actor: Actor, token: TokenInfo, lead: Mapping[str, Any]) -> Received:
    """The lead posted with an intake token (`actor` is the token's user)."""
    if token.scope != TokenScope.INTAKE or actor.role != Role.ADMIN:
        raise PermissionDenied(Message("intake.token"))
    values = _clean(lead)
    now = utcnow()
    contact = _known_contact(session, values["phone"], values["email"])
    open_deal = None
    if contact is not None:
        open_deal = session.scalar(
            select(Deal)
            .where(
                Deal.contact_id == contact.id,
                Deal.pipeline_id == token.intake_pipeline_id,
                Deal.status == StageKind.OPEN,
                Deal.created_at >= now - timedelta(days=token.intake_window_days),
            )
            .order_by(Deal.created_at.desc(), Deal.id.desc())
            .limit(1)
        )
    if open_deal is not None:
        deal_id, owner_id, company_id, new_deal = open_deal.id, open_deal.owner_id, open_deal.company_id, False
    else:
        company_id = contact.company_id if contact is not None else None
        if company_id is None and values["company"]:
            company_id = _company(session, actor, values["company"])
        if contact is None:
            contact_id = customers.create_contact(
                session, actor, values["name"], company_id=company_id, phone=values["phone"], email=values["email"]
            )
            contact = session.get(Contact, contact_id)
        owner_id = _next_owner(session, token)
        fields = {
            "title": _title(values),
            "amount": values["amount"],
            "company_id": company_id,
            "contact_id": contact.id,
            "source": values["source"],
            "region": values["region"],
            "segment": values["segment"],
        }
        deal_id = deals.create_deal(
            session,
            actor,
            pipeline_id=token.intake_pipeline_id,
            owner_id=owner_id,
            fields={name: value for name, value in fields.items() if value is not None},
        )
        new_deal = True
    activity_id = activities.log_activity(
        session,
        actor,
        kind=CHANNELS[values["channel"]],
        subject=_subject(values),
        deal_id=deal_id,
        result=values["message"],
        owner_id=owner_id,
    )
    return Received(deal_id, contact.id, company_id, activity_id, owner_id, new_deal)


def _clean(lead: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Message] = {}
    for name in lead:
        if name not in _FIELDS:
            errors[name] = Message("intake.unknown_field")
    values = {
        "name": clean_text(errors, "name", lead.get("name"), required=True),
        "phone": clean_text(errors, "phone", lead.get("phone"), max_length=100),
        "email": clean_text(errors, "email", lead.get("email"), max_length=100),
        "company": clean_text(errors, "company", lead.get("company")),
        "message": clean_text(errors, "message", lead.get("message"), max_length=MAX_MESSAGE_LENGTH, multiline=True),
        "source": clean_text(errors, "source", lead.get("source"), max_length=100),
        "region": clean_text(errors, "region", lead.get("region"), max_length=100),
        "segment": clean_text(errors, "segment", lead.get("segment"), max_length=100),
        "amount": clean_money(errors, "amount", lead.get("amount"), required=False),
        "channel": lead.get("channel") or "form",
    }
    if values["channel"] not in CHANNELS:
        errors["channel"] = Message("one_of", choices=", ".join(CHANNELS))
    if values["email"] and "@" not in values["email"]:
        errors["email"] = Message("email")
    if values["phone"] and customers.phone_key(values["phone"]) is None:
        errors["phone"] = Message("intake.phone")
    if not values["phone"] and not values["email"] and "phone" not in errors and "email" not in errors:
        errors["phone"] = Message("intake.phone_or_email")
    if errors:
        raise ValidationError(errors)
    return values


def _known_contact(session: Session, phone: str | None, email: str | None) -> Contact | None:
    """The newest contact with this phone or e-mail."""
    keys = []
    if (key := customers.phone_key(phone)) is not None:
        keys.append(Contact.phone_key == key)
    if (key := customers.email_key(email)) is not None:
        keys.append(Contact.email_key == key)
    return session.scalar(select(Contact).where(or_(*keys)).order_by(Contact.id.desc()).limit(1))


def _company(session: Session, actor: Actor, name: str) -> int:
    """The company of this name (in any case), created when there is none."""
    found = session.scalar(
        select(Company.id).where(func.lower(Company.name) == name.lower()).order_by(Company.id).limit(1)
    )
    return found if found is not None else customers.create_company(session, actor, name)


def _next_owner(session: Session, token: TokenInfo) -> int:
    """The token's fixed owner, or its team's next active manager after the one given the last lead.
    The token's row is locked meanwhile, so two requests at once go to two managers."""
    row = session.scalar(select(ApiToken).where(ApiToken.id == token.id).with_for_update())
    if row.intake_owner_id is not None:
        owner = session.get(User, row.intake_owner_id)
        if owner is None or not owner.is_active:
            raise ValidationError({"owner_id": Message("intake.owner_inactive")})
        return owner.id
    managers = list(
        session.scalars(
            select(User.id)
            .where(User.team_id == row.intake_team_id, User.role == Role.MANAGER, User.is_active.is_(True))
            .order_by(User.id)
        )
    )
    if not managers:
        raise ValidationError({"owner_id": Message("intake.no_managers")})
    last = row.intake_last_owner_id or 0
    owner_id = next((manager for manager in managers if manager > last), managers[0])
    row.intake_last_owner_id = owner_id
    return owner_id


def _title(values: Mapping[str, Any]) -> str:
    title = f"{values['company']} — {values['name']}" if values["company"] else values["name"]
    return title[:200]


def _subject(values: Mapping[str, Any]) -> str:
    """ "website: Need a quote for 20 seats": where the request came from, and its message's first line."""
    where = values["source"] or values["channel"]
    first_line = (values["message"] or "").strip().splitlines()[:1]
    return f"{where}: {first_line[0]}"[:200] if first_line else where
