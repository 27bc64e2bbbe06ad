"""Demo data: a believable sales company, deterministic for a seed, scalable to a million deals.

Users, pipelines and lost reasons go through the services; the bulk (companies, deals, their
stage histories and activities) is generated in memory and written with Core executemany inserts
on the tables (the ORM's bulk insert starts a new batch wherever a row's NULLs differ from the last).
"""

import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from faker import Faker
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from core import customers, lost_reasons, pipelines, users
from core.periods import add_months
from core.permissions import Actor
from core.plans import scope_key
from core.templates import DEFAULT_LOST_REASONS, TEMPLATES
from db.engine import advance_sequences
from db.history import encoded
from db.models import (
    Activity,
    ActivityKind,
    ChangeOperation,
    Company,
    Contact,
    Deal,
    DealChange,
    Plan,
    Role,
    Stage,
    StageKind,
    StageTransition,
    User,
)
from db.rollups import build

DEMO_PASSWORD = "demo-pass"
DEMO_ADMIN = ("admin", "Alice Admin", Role.ADMIN)
DEMO_EXECUTIVE = ("ceo", "Victor Chief", Role.EXECUTIVE)
DEMO_TEAMS = {
    "Moscow office": [
        ("anna", "Anna Ivanova"),
        ("boris", "Boris Petrov"),
        ("irina", "Irina Volkova"),
        ("dmitry", "Dmitry Sokolov"),
    ],
    "London office": [
        ("clara", "Clara Smith"),
        ("emma", "Emma Brown"),
        ("hugo", "Hugo Martin"),
        ("jack", "Jack Wilson"),
    ],
    "Online sales": [
        ("fedor", "Fedor Kuznetsov"),
        ("grace", "Grace Lee"),
        ("ksenia", "Ksenia Orlova"),
        ("leo", "Leo Novak"),
    ],
}
HISTORY_DAYS = 450  # deals are created over the last ~15 months
CHUNK_DEALS = 20_000


@dataclass(frozen=True)
class PipelineProfile:
    """How deals behave in a pipeline: share of deals, typical amount, pace and drop-off."""

    share: float
    median_amount: float
    days_per_stage: float
    overall_win_rate: float


PROFILES = {
    "b2b_classic": PipelineProfile(0.45, 8_000, 9, 0.22),
    "inbound_lead": PipelineProfile(0.35, 2_500, 4, 0.28),
    "web_studio": PipelineProfile(0.20, 15_000, 6, 0.18),
}
SOURCES = ("website", "referral", "cold call", "exhibition", "advertising", "partner")
REGIONS = ("Moscow", "Saint Petersburg", "London", "Berlin", "Kazan", "Online")
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
PRODUCTS = {
    "en": {
        "b2b_classic": ("CRM licences", "Annual support", "Implementation", "Staff training", "Integration"),
        "inbound_lead": ("Demo request", "Trial upgrade", "Pricing enquiry", "Inbound request"),
        "web_studio": ("Corporate website", "Online store", "Landing page", "Mobile app", "Redesign"),
    },
    "ru": {
        "b2b_classic": ("Лицензии CRM", "Годовая поддержка", "Внедрение", "Обучение персонала", "Интеграция"),
        "inbound_lead": ("Запрос демо", "Переход с пробной версии", "Запрос цены", "Входящая заявка"),
        "web_studio": (
            "Корпоративный сайт",
            "Интернет-магазин",
            "Лендинг",
            "Мобильное приложение",
            "Редизайн",
        ),
    },
}
CALL_SUBJECTS = ("Intro call", "Follow-up call", "Clarify requirements", "Discuss the proposal")
MEETING_SUBJECTS = ("Meeting at the client's office", "Online demo", "Negotiation meeting")
TASK_SUBJECTS = ("Send the proposal", "Prepare the contract", "Call back", "Send materials")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SeedSummary:
    users: int
    companies: int
    deals: int
    transitions: int
    activities: int
    plans: int
    changes: int  # field edits (amounts, expected close dates)


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User)) and not session.scalar(
        select(func.count()).select_from(Deal)
    )


def seed_demo(
    session: Session,
    *,
    deals: int = 5_000,
    seed: int = 42,
    today: date | None = None,
    language: str = "en",
    progress: Progress | None = None,
) -> SeedSummary:
    """Fill an empty database with a demo company. Same seed and day → the same data."""
    if not database_is_empty(session):
        raise ValueError("The database already has users or deals; demo data goes into an empty one.")
    rng = random.Random(seed)
    fake = Faker(["en_US", "ru_RU"])
    fake.seed_instance(seed)
    now = datetime.combine(today or datetime.now(UTC).date(), time(0), UTC)
    system = Actor.system()

    managers = _create_users(session, system, rng)
    stage_ids = _create_pipelines(session, system, language)
    reason_ids = [lost_reasons.create_lost_reason(session, system, name) for name in DEFAULT_LOST_REASONS[language]]
    company_ids = _create_companies(session, fake, rng, deals)
    generator = _DealGenerator(rng, now, managers, stage_ids, reason_ids, company_ids, language)
    counts = _insert_deals(session, generator, deals, progress)
    plan_count = _create_plans(session, rng, now, managers, generator.won_by_manager_month)
    advance_sequences(session)
    # Fresh statistics, so the query planner knows how the tables look after a bulk load: before the
    # rollups are computed from them (PostgreSQL took minutes without), and after, for the rollups.
    session.execute(text("ANALYZE"))
    build.rebuild(session.connection())
    session.execute(text("ANALYZE"))
    return SeedSummary(
        users=len(managers) + 2,
        companies=len(company_ids),
        deals=counts[Deal],
        transitions=counts[StageTransition],
        activities=counts[Activity],
        plans=plan_count,
        changes=counts[DealChange],
    )


def _create_pipelines(session: Session, system: Actor, language: str) -> dict[str, list[Stage]]:
    """One pipeline of each template, by template: its stages in order."""
    stage_ids = {}
    for key in TEMPLATES:
        pipeline_id = pipelines.create_from_template(session, system, key, language)
        stage_ids[key] = list(
            session.scalars(select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position))
        )
    _demo_stage_rules(stage_ids["b2b_classic"], language)
    _demo_intake_task(stage_ids["web_studio"], language)
    return stage_ids


def _insert_deals(session: Session, generator: "_DealGenerator", deals: int, progress: Progress | None) -> dict:
    """The deals, their histories and activities, generated and written in chunks; rows written per model."""
    counts = defaultdict(int)
    for start in range(0, deals, CHUNK_DEALS):
        batch = generator.generate(range(start + 1, min(start + CHUNK_DEALS, deals) + 1))
        written = ((Deal, batch.deals), (StageTransition, batch.transitions), (Activity, batch.activities))
        for model, rows in (*written, (DealChange, batch.changes)):
            if rows:
                session.execute(insert(model.__table__), rows)
            counts[model] += len(rows)
        if progress:
            progress(min(start + CHUNK_DEALS, deals), deals)
    return counts


@dataclass
class _Manager:
    id: int
    skill: float  # multiplies the chance to move a deal forward


def _create_users(session: Session, system: Actor, rng: random.Random) -> list[_Manager]:
    password_hash = users.hash_password(DEMO_PASSWORD)
    for login, name, role in (DEMO_ADMIN, DEMO_EXECUTIVE):
        users.create_user(
            session,
            system,
            login=login,
            display_name=name,
            role=role,
            password="",
            password_hash=password_hash,
        )
    managers = []
    for team_name, members in DEMO_TEAMS.items():
        team_id = users.create_team(session, system, team_name)
        for login, name in members:
            user_id = users.create_user(
                session,
                system,
                login=login,
                display_name=name,
                role=Role.MANAGER,
                password="",
                team_id=team_id,
                password_hash=password_hash,
            )
            managers.append(_Manager(user_id, rng.uniform(0.85, 1.12)))
    return managers


def _demo_stage_rules(stages: list[Stage], language: str) -> None:
    """Show off stage rules in the demo: a proposal needs an amount, contracting a close date."""
    proposal, contracting = stages[2], stages[3]
    proposal.required_fields = ["amount"]
    contracting.required_fields = ["expected_close_date", "company_id"]
    title = "Подготовить договор" if language == "ru" else "Prepare the contract"
    contracting.entry_tasks = [{"title": title, "due_days": 2}]


def _demo_intake_task(stages: list[Stage], language: str) -> None:
    """The web studio classifies every incoming request within an hour."""
    title = "Классифицировать заявку" if language == "ru" else "Classify the request"
    stages[0].entry_tasks = [{"title": title, "due_hours": 1}]


def _create_companies(session: Session, fake: Faker, rng: random.Random, deals: int) -> list[int]:
    count = min(max(40, deals // 5), 20_000)
    now = datetime.now(UTC).replace(microsecond=0)
    companies, contacts = [], []
    for company_id in range(1, count + 1):
        companies.append(
            {
                "id": company_id,
                "name": fake.company()[:200],
                "phone": fake.phone_number()[:100],
                "email": fake.company_email()[:100],
                "created_at": now,
            }
        )
        name, phone, email = fake.name()[:200], fake.phone_number()[:100], fake.email()[:100]
        contacts.append(
            {
                "id": company_id,
                "name": name,
                "phone": phone,
                "email": email,
                "phone_key": customers.phone_key(phone),
                "email_key": customers.email_key(email),
                "company_id": company_id,
                "created_at": now,
            }
        )
    session.execute(insert(Company.__table__), companies)
    session.execute(insert(Contact.__table__), contacts)
    return list(range(1, count + 1))


@dataclass
class _Batch:
    deals: list[dict]
    transitions: list[dict]
    activities: list[dict]
    changes: list[dict]


class _DealGenerator:
    """Walks each deal forward through its pipeline in time, with drop-off, skips and reopens."""

    def __init__(self, rng, now, managers, stage_ids, reason_ids, company_ids, language):
        self.rng = rng
        self.now = now
        self.managers = managers
        self.pipelines = list(stage_ids)
        self.weights = [PROFILES[key].share for key in self.pipelines]
        self.stages = stage_ids
        self.reason_ids = reason_ids
        self.company_ids = company_ids
        self.language = language
        self.won_by_manager_month: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
        # The edits of amounts and close dates draw from a stream of their own, so the rest of the demo
        # is the same as before they were added; it starts from the main stream's state (read, not drawn
        # from, and never through hash(), which differs between processes): the same seed, the same edits.
        self.edits = random.Random(sum(word << (32 * i) for i, word in enumerate(rng.getstate()[1][:8])))

    def generate(self, deal_ids: range) -> _Batch:
        batch = _Batch([], [], [], [])
        for deal_id in deal_ids:
            self._deal(deal_id, batch)
        return batch

    def _deal(self, deal_id: int, batch: _Batch) -> None:
        rng = self.rng
        key = rng.choices(self.pipelines, self.weights)[0]
        profile = PROFILES[key]
        manager = rng.choice(self.managers)
        # Skewed toward recent days, so the company looks like it is growing.
        created = self.now - timedelta(days=HISTORY_DAYS * (1 - math.sqrt(rng.random())), seconds=rng.randrange(86400))
        company_id = rng.choice(self.company_ids)
        amount = Decimal(max(100, round(rng.lognormvariate(math.log(profile.median_amount), 0.6), -1)))
        stage, history, lost_reason_id = self._walk(self.stages[key], profile, manager, created)
        entered = history[-1][2]
        closed_at = entered if stage.kind != StageKind.OPEN else None
        if stage.kind == StageKind.WON:
            month = entered.date().replace(day=1)
            self.won_by_manager_month[(manager.id, month)] += amount
        product = rng.choice(PRODUCTS[self.language][key])
        batch.deals.append(
            {
                "id": deal_id,
                "title": f"{product} #{deal_id}",
                "company_id": company_id,
                "contact_id": company_id,
                "amount": amount,
                "owner_id": manager.id,
                "pipeline_id": stage.pipeline_id,
                "stage_id": stage.id,
                "status": stage.kind,
                "lost_reason_id": lost_reason_id if stage.kind == StageKind.LOST else None,
                "lost_comment": None,
                "source": rng.choice(SOURCES),
                "region": rng.choice(REGIONS),
                "segment": rng.choices(SEGMENTS, (6, 3, 1))[0],
                "expected_close_date": (closed_at or created + timedelta(days=rng.randint(20, 120))).date(),
                "created_at": created,
                "closed_at": closed_at,
                "closing_owner_id": manager.id if closed_at else None,
                "stage_entered_at": entered,
                "version": 1,
            }
        )
        batch.transitions.extend(_transitions(deal_id, manager.id, history))
        deal = batch.deals[-1]
        batch.changes.extend(
            self._edits(deal_id, manager.id, created, closed_at or self.now, amount, deal["expected_close_date"])
        )
        self._activities(deal_id, manager.id, created, closed_at or self.now, stage.kind == StageKind.OPEN, batch)

    def _walk(self, stages: list[Stage], profile: PipelineProfile, manager: _Manager, created: datetime):
        """The deal's way through its pipeline from `created` to now: the stage it ends in, each move
        (from, to, when), and why it was lost."""
        rng = self.rng
        open_stages = [s for s in stages if s.kind == StageKind.OPEN]
        won = next(s for s in stages if s.kind == StageKind.WON)
        lost = next(s for s in stages if s.kind == StageKind.LOST)
        step_rate = profile.overall_win_rate ** (1 / len(open_stages))
        at, index, stage = created, 0, open_stages[0]
        history = [(None, stage.id, at)]
        lost_reason_id = None
        while True:
            at = at + timedelta(days=rng.expovariate(1 / profile.days_per_stage) + 0.1)
            if at >= self.now:
                return stage, history, lost_reason_id
            # The first step leaks most; later steps convert better.
            advance = min(0.97, step_rate * manager.skill * (0.85 if index == 0 else 1.04))
            roll = rng.random()
            if roll < advance:
                if index == len(open_stages) - 1:
                    history.append((stage.id, won.id, at))
                    return won, history, lost_reason_id
                jump = 2 if index + 2 < len(open_stages) and rng.random() < 0.06 else 1
                index += jump
                history.append((stage.id, open_stages[index].id, at))
                stage = open_stages[index]
            elif roll < 0.97:
                history.append((stage.id, lost.id, at))
                lost_reason_id = rng.choice(self.reason_ids)
                if rng.random() < 0.04:  # the client came back: reopen where it was lost
                    at = at + timedelta(days=rng.uniform(3, 30))
                    if at < self.now:
                        history.append((lost.id, stage.id, at))
                        lost_reason_id = None
                        continue
                return lost, history, lost_reason_id
            # else: nothing happened in this period; the deal idles in its stage

    def _edits(self, deal_id, owner_id, start, end, amount, close_date) -> list[dict]:
        """The field history of a deal's edits while it was open (it ends at its values now): about
        one deal in four had its amount changed once to three times; about one in three had its
        expected close date pushed later, some several times (the last push is today's date)."""
        rng, rows = self.edits, []
        span = (end - start).total_seconds()
        if span < 3600:
            return rows

        def moments(count: int) -> list[datetime]:
            return sorted(start + timedelta(seconds=rng.uniform(0.05, 0.95) * span) for _ in range(count))

        edits = rng.choices((0, 1, 2, 3), (75, 16, 7, 2))[0]
        values = [Decimal(max(100, round(float(amount) * rng.uniform(0.4, 1.6), -1))) for _ in range(edits)] + [amount]
        for at, old, new in zip(moments(edits), values, values[1:], strict=False):
            if old != new:
                rows.append(_edit(deal_id, owner_id, at, "amount", old, new))
        pushes = rng.choices((0, 1, 2, 3), (65, 22, 9, 4))[0]
        dates = [close_date]
        for _ in range(pushes):
            dates.insert(0, dates[0] - timedelta(days=rng.randint(7, 45)))
        for at, old, new in zip(moments(pushes), dates, dates[1:], strict=False):
            rows.append(_edit(deal_id, owner_id, at, "expected_close_date", old, new))
        return rows

    def _activities(self, deal_id, owner_id, start, end, is_open, batch):
        rng = self.rng
        span = max((end - start).total_seconds(), 3600)
        done = [(ActivityKind.CALL, CALL_SUBJECTS)] * rng.randint(0, 3)
        done += [(ActivityKind.MEETING, MEETING_SUBJECTS)] * rng.choice((0, 0, 1, 1, 2))
        for kind, subjects in done:
            done_at = start + timedelta(seconds=rng.uniform(0, span))
            # Most are done on time; some slip a day or two past their due time.
            due_at = done_at + timedelta(hours=rng.choice((2, 5, 24, -30, -50)))
            batch.activities.append(
                {
                    "kind": kind,
                    "subject": rng.choice(subjects),
                    "deal_id": deal_id,
                    "owner_id": owner_id,
                    "due_at": due_at,
                    "done_at": done_at,
                    "result": None,
                    "created_at": min(due_at, done_at),
                }
            )
        if is_open:
            # The next step: usually planned ahead, sometimes already overdue.
            due_at = self.now + timedelta(days=rng.uniform(-10, 14))
            batch.activities.append(
                {
                    "kind": rng.choice((ActivityKind.TASK, ActivityKind.CALL)),
                    "subject": rng.choice(TASK_SUBJECTS),
                    "deal_id": deal_id,
                    "owner_id": owner_id,
                    "due_at": due_at,
                    "done_at": None,
                    "result": None,
                    "created_at": min(due_at, self.now),
                }
            )


def _edit(deal_id: int, owner_id: int, at: datetime, name: str, old, new) -> dict:
    return {
        "deal_id": deal_id,
        "field": name,
        "old_value": encoded(old),
        "new_value": encoded(new),
        "at": at,
        "by_user_id": owner_id,
        "operation": ChangeOperation.EDIT,
    }


def _transitions(deal_id: int, owner_id: int, history: list[tuple]) -> list[dict]:
    """The stage history rows of one deal's moves, each with when the deal entered the stage it left."""
    rows, previous_at = [], None
    for from_id, to_id, moved_at in history:
        rows.append(
            {
                "deal_id": deal_id,
                "from_stage_id": from_id,
                "to_stage_id": to_id,
                "at": moved_at,
                "by_user_id": owner_id,
                "from_entered_at": previous_at if from_id is not None else None,
            }
        )
        previous_at = moved_at
    return rows


def _create_plans(
    session: Session,
    rng: random.Random,
    now: datetime,
    managers: list[_Manager],
    won_by_manager_month: dict[tuple[int, date], Decimal],
) -> int:
    """Monthly plans for the last 12 months and the next 3, each a little above the manager's pace of
    the three months before it (of the last three finished months, for this month and later)."""
    this_month = now.date().replace(day=1)
    months = [add_months(this_month, offset) for offset in range(-12, 4)]
    rows = []
    for manager in managers:
        for month in months:
            before = add_months(min(month, this_month), -3)
            pace = sum(
                (won_by_manager_month.get((manager.id, add_months(before, step)), Decimal(0)) for step in range(3)),
                Decimal(0),
            )
            typical = max(pace / 3, Decimal(1000))
            target = (typical * Decimal(rng.uniform(0.9, 1.25))).quantize(Decimal("1000"))
            rows.append(
                {
                    "month": month,
                    "user_id": manager.id,
                    "team_id": None,
                    "pipeline_id": None,
                    "scope_key": scope_key(user_id=manager.id, team_id=None, pipeline_id=None),
                    "target_amount": max(target, Decimal(1000)),
                    "target_count": max(1, round(target / Decimal(6000))),
                    "target_calls": 60,
                    "target_meetings": 12,
                }
            )
    session.execute(insert(Plan.__table__), rows)
    return len(rows)
