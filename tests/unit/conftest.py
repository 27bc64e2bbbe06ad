from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import customers, lost_reasons, pipelines, users
from core.permissions import Actor
from db.models import Role, Stage

# Hashing is deliberately slow; the tests hash one password once.
PASSWORD = "correct horse battery"
PASSWORD_HASH = users.hash_password(PASSWORD)


@dataclass(frozen=True)
class World:
    """A small company: an admin, an executive, two managers, the B2B pipeline with stage rules."""

    admin: Actor
    executive: Actor
    anna: Actor
    boris: Actor
    pipeline_id: int
    stages: dict[str, int]
    reason_id: int
    company_id: int


def add_user(
    session: Session, login: str, role: Role, team_id: int | None = None, password_hash: str = PASSWORD_HASH
) -> Actor:
    user_id = users.create_user(
        session,
        Actor.system(),
        login=login,
        display_name=login.title(),
        role=role,
        password="",
        team_id=team_id,
        password_hash=password_hash,
    )
    return Actor(user_id, role, team_id)


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def make_world(session: Session) -> World:
    system = Actor.system()
    team_id = users.create_team(session, system, "North")
    pipeline_id = pipelines.create_from_template(session, system, "b2b_classic", "en")
    stages = {s.name: s for s in session.scalars(select(Stage).where(Stage.pipeline_id == pipeline_id))}
    stages["Commercial proposal"].required_fields = ["amount"]
    stages["Contracting"].required_fields = ["expected_close_date", "company_id"]
    stages["Contracting"].entry_tasks = [{"title": "Prepare the contract", "due_days": 2}]
    session.flush()
    return World(
        admin=add_user(session, "root", Role.ADMIN),
        executive=add_user(session, "chief", Role.EXECUTIVE),
        anna=add_user(session, "anna", Role.MANAGER, team_id),
        boris=add_user(session, "boris", Role.MANAGER, team_id),
        pipeline_id=pipeline_id,
        stages={name: stage.id for name, stage in stages.items()},
        reason_id=lost_reasons.create_lost_reason(session, system, "Too expensive"),
        company_id=customers.create_company(session, system, "Acme Ltd", email="info@acme.test"),
    )
