"""Companies and contacts: the customer side of a deal."""

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import ValidationError
from core.messages import Message
from core.permissions import Actor, require_role
from core.validation import clean_text
from db.models import Company, Contact, Role

_EDITORS = (Role.MANAGER, Role.ADMIN)
_NOT_DIGITS = re.compile(r"\D")


def phone_key(phone: str | None) -> str | None:
    """What finds a person by phone however the number was written: its last ten digits (+7 999 123-45-67
    and 8 (999) 1234567 are one number), None for one of fewer than five digits."""
    digits = _NOT_DIGITS.sub("", phone or "")
    return digits[-10:] if len(digits) >= 5 else None


def email_key(email: str | None) -> str | None:
    return email.strip().lower() if email and email.strip() else None


def _clean_party(errors: dict[str, Message], name: str, phone: str | None, email: str | None) -> dict[str, str | None]:
    values = {
        "name": clean_text(errors, "name", name, required=True),
        "phone": clean_text(errors, "phone", phone, max_length=100),
        "email": clean_text(errors, "email", email, max_length=100),
    }
    if values["email"] and "@" not in values["email"]:
        errors["email"] = Message("email")
    return values


def create_company(
    session: Session, actor: Actor, name: str, *, phone: str | None = None, email: str | None = None
) -> int:
    require_role(actor, *_EDITORS, action="add_companies")
    errors: dict[str, Message] = {}
    values = _clean_party(errors, name, phone, email)
    if errors:
        raise ValidationError(errors)
    company = Company(**values, created_at=utcnow())
    session.add(company)
    session.flush()
    return company.id


def create_contact(
    session: Session,
    actor: Actor,
    name: str,
    *,
    company_id: int | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> int:
    require_role(actor, *_EDITORS, action="add_contacts")
    errors: dict[str, Message] = {}
    values = _clean_party(errors, name, phone, email)
    if company_id is not None and session.get(Company, company_id) is None:
        errors["company_id"] = Message("no_such.company", id=company_id)
    if errors:
        raise ValidationError(errors)
    contact = Contact(
        **values,
        company_id=company_id,
        phone_key=phone_key(values["phone"]),
        email_key=email_key(values["email"]),
        created_at=utcnow(),
    )
    session.add(contact)
    session.flush()
    return contact.id


def search_companies(session: Session, text: str, *, limit: int = 20) -> list[tuple[int, str]]:
    """Companies whose name contains `text` (case-insensitive), for a pick list."""
    query = select(Company.id, Company.name).order_by(Company.name, Company.id).limit(limit)
    if text.strip():
        query = query.where(func.lower(Company.name).contains(text.strip().lower(), autoescape=True))
    return [tuple(row) for row in session.execute(query)]


def company_contacts(session: Session, company_id: int | None) -> list[tuple[int, str]]:
    if company_id is None:
        return []
    query = select(Contact.id, Contact.name).where(Contact.company_id == company_id).order_by(Contact.name)
    return [tuple(row) for row in session.execute(query)]


def names(session: Session, company_id: int | None, contact_id: int | None) -> tuple[str | None, str | None]:
    company = session.get(Company, company_id) if company_id is not None else None
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    return (company.name if company else None, contact.name if contact else None)
