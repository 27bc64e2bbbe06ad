import random
import sqlite3
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, delete, text, update

from core import auth, deals, users
from core.auth import LOCKOUT, MAX_FAILED_SIGN_INS, MAX_FAILED_SIGN_INS_PER_CLIENT, MAX_LOCKOUT, Outcome
from core.clock import utcnow
from core.errors import NotFound, PermissionDenied, ValidationError
from core.permissions import Actor
from db.engine import make_engine, transaction
from db.models import LoginAttempt, LoginEvent, Role, User
from tests.conftest import POSTGRES_URL, new_database
from tests.unit.conftest import PASSWORD, PASSWORD_HASH, add_user

# The sign-ins below commit (each runs its own transactions), so they run on a database of their own,
# emptied of attempts and events after each test. Where the cost of a check does not matter, the
# hashes are cheap ones: the same code verifies them, in a thousandth of the time.
CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
DUMMY_PASSWORD = "not a real password"  # the password of core.users' dummy hash
SPRAYED = "Spring2026!"


@dataclass(frozen=True)
class Accounts:
    engine: Engine
    admin: Actor
    anna: Actor
    boris: Actor  # deactivated
    imported: Actor  # imported without a password: no usable hash


def _create(session, login: str, role: Role = Role.MANAGER, password_hash: str = PASSWORD_HASH) -> Actor:
    return add_user(session, login, role, password_hash=password_hash)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def signing_database(request, tmp_path_factory):
    engine, drop = new_database(request.param, tmp_path_factory.mktemp("sign_in"))
    cheap = CHEAP.hash(PASSWORD)
    with transaction(engine, write=True) as session:
        accounts = Accounts(
            engine,
            admin=_create(session, "root", Role.ADMIN, cheap),
            anna=_create(session, "anna", password_hash=cheap),
            boris=_create(session, "boris", password_hash=cheap),
            imported=_create(session, "imported", password_hash=users.NO_PASSWORD_HASH),
        )
        session.execute(update(User).where(User.id == accounts.boris.id).values(is_active=False))
    yield accounts
    drop()


@pytest.fixture
def accounts(signing_database):
    yield signing_database
    with transaction(signing_database.engine, write=True) as session:
        session.execute(delete(LoginAttempt))
        session.execute(delete(LoginEvent))


@pytest.fixture
def cheap_dummy(monkeypatch):
    """The unknown logins' dummy hash as cheap as the users' hashes here."""
    monkeypatch.setattr(users, "_DUMMY_HASH", CHEAP.hash(DUMMY_PASSWORD))


class CountingHasher:
    """core.users' hasher, counting the password checks (from any thread)."""

    def __init__(self, hasher: PasswordHasher):
        self.hasher, self.checks, self._lock = hasher, 0, threading.Lock()

    def verify(self, stored: str, password: str) -> bool:
        with self._lock:
            self.checks += 1
        return self.hasher.verify(stored, password)


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher(users._hasher)
    monkeypatch.setattr(users, "_hasher", counting)
    return counting


def failing(engine: Engine, login: str, times: int, *, now, client: str = "") -> list[Outcome]:
    return [auth.sign_in(engine, login, "wrong", client=client, now=now).outcome for _ in range(times)]


def test_the_right_password_signs_in(accounts, cheap_dummy):
    result = auth.sign_in(accounts.engine, "ANNA ", PASSWORD)

    assert result.outcome == Outcome.SIGNED_IN
    assert (result.user.id, result.user.role) == (accounts.anna.id, Role.MANAGER)


def test_a_wrong_password_an_unknown_login_a_deactivated_user_and_one_without_a_password_get_one_answer(
    accounts, cheap_dummy
):
    with transaction(accounts.engine, write=True) as session:
        emptied = _create(session, "emptied", password_hash="x")
        session.execute(update(User).where(User.id == emptied.id).values(password_hash=""))

    results = [
        auth.sign_in(accounts.engine, "anna", "wrong"),
        auth.sign_in(accounts.engine, "nobody", PASSWORD),
        auth.sign_in(accounts.engine, "boris", PASSWORD),
        # A user without a usable hash is checked against the dummy hash, whose password opens nothing.
        auth.sign_in(accounts.engine, "imported", DUMMY_PASSWORD),
        auth.sign_in(accounts.engine, "emptied", DUMMY_PASSWORD),
        auth.sign_in(accounts.engine, "emptied", ""),
    ]

    assert [r.outcome for r in results] == [Outcome.WRONG_CREDENTIALS] * 6
    assert all(r.user is None and r.locked_until is None for r in results)


def test_five_failures_in_a_row_lock_the_login_even_for_the_right_password(accounts, cheap_dummy):
    now = utcnow()

    outcomes = failing(accounts.engine, "anna", MAX_FAILED_SIGN_INS, now=now)

    assert outcomes == [Outcome.WRONG_CREDENTIALS] * (MAX_FAILED_SIGN_INS - 1) + [Outcome.LOCKED]
    locked = auth.sign_in(accounts.engine, "anna", PASSWORD, now=now + timedelta(minutes=1))
    assert (locked.outcome, locked.locked_until) == (Outcome.LOCKED, now + LOCKOUT)
    later = now + LOCKOUT + timedelta(seconds=1)
    assert auth.sign_in(accounts.engine, "anna", PASSWORD, now=later).outcome == Outcome.SIGNED_IN


def test_a_success_resets_the_count(accounts, cheap_dummy):
    now = utcnow()
    failing(accounts.engine, "anna", MAX_FAILED_SIGN_INS - 1, now=now)
    assert auth.sign_in(accounts.engine, "anna", PASSWORD, now=now).outcome == Outcome.SIGNED_IN

    outcomes = failing(accounts.engine, "anna", MAX_FAILED_SIGN_INS - 1, now=now)

    assert outcomes == [Outcome.WRONG_CREDENTIALS] * (MAX_FAILED_SIGN_INS - 1)


def test_unknown_logins_lock_like_real_ones_so_a_lock_reveals_nothing(accounts, cheap_dummy):
    now = utcnow()

    ghost = failing(accounts.engine, "ghost", MAX_FAILED_SIGN_INS + 1, now=now)
    anna = failing(accounts.engine, "anna", MAX_FAILED_SIGN_INS + 1, now=now)

    assert ghost == anna == [Outcome.WRONG_CREDENTIALS] * (MAX_FAILED_SIGN_INS - 1) + [Outcome.LOCKED] * 2


def test_each_further_lock_of_a_login_lasts_twice_as_long_until_a_success(accounts, cheap_dummy):
    now, lengths = utcnow(), []
    for _ in range(3):
        failing(accounts.engine, "anna", MAX_FAILED_SIGN_INS - 1, now=now)
        locked = auth.sign_in(accounts.engine, "anna", "wrong", now=now)
        lengths.append(locked.locked_until - now)
        now = locked.locked_until + timedelta(seconds=1)
    assert lengths == [LOCKOUT, 2 * LOCKOUT, 4 * LOCKOUT]

    assert auth.sign_in(accounts.engine, "anna", PASSWORD, now=now).outcome == Outcome.SIGNED_IN
    failing(accounts.engine, "anna", MAX_FAILED_SIGN_INS - 1, now=now)
    assert auth.sign_in(accounts.engine, "anna", "wrong", now=now).locked_until == now + LOCKOUT


def test_the_back_off_stops_at_a_day():
    minutes = [auth.lock_duration(locks) / timedelta(minutes=1) for locks in range(1, 12)]

    assert minutes == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440, 1440]
    assert auth.lock_duration(10_000) == MAX_LOCKOUT


def test_an_address_spraying_one_password_over_many_logins_is_locked_for_every_login(accounts, cheap_dummy, hasher):
    now, sprayer = utcnow(), "203.0.113.9"

    def spray(logins, at) -> list[auth.SignInResult]:
        return [auth.sign_in(accounts.engine, login, SPRAYED, client=sprayer, now=at) for login in logins]

    first = spray([f"user{n}" for n in range(MAX_FAILED_SIGN_INS_PER_CLIENT)], now)
    assert [r.outcome for r in first] == [Outcome.WRONG_CREDENTIALS] * (MAX_FAILED_SIGN_INS_PER_CLIENT - 1) + [
        Outcome.LOCKED
    ]
    assert first[-1].locked_until == now + LOCKOUT
    checks = hasher.checks
    # Locked for every login, the right password of a real one too; not from another address.
    refused = auth.sign_in(accounts.engine, "anna", PASSWORD, client=sprayer, now=now + timedelta(minutes=1))
    assert (refused.outcome, refused.locked_until, hasher.checks) == (Outcome.LOCKED, now + LOCKOUT, checks)
    elsewhere = auth.sign_in(accounts.engine, "anna", PASSWORD, client="198.51.100.1", now=now + timedelta(minutes=1))
    assert elsewhere.outcome == Outcome.SIGNED_IN

    # The next lock of the address lasts twice as long.
    again = now + LOCKOUT + timedelta(seconds=1)
    second = spray([f"other{n}" for n in range(MAX_FAILED_SIGN_INS_PER_CLIENT)], again)
    assert (second[-1].outcome, second[-1].locked_until) == (Outcome.LOCKED, again + 2 * LOCKOUT)

    # A success from the address starts its count and its back-off afresh.
    after = again + 2 * LOCKOUT + timedelta(seconds=1)
    assert auth.sign_in(accounts.engine, "anna", PASSWORD, client=sprayer, now=after).outcome == Outcome.SIGNED_IN
    third = spray([f"third{n}" for n in range(MAX_FAILED_SIGN_INS_PER_CLIENT)], after)
    assert [r.outcome for r in third[:-1]] == [Outcome.WRONG_CREDENTIALS] * (MAX_FAILED_SIGN_INS_PER_CLIENT - 1)
    assert third[-1].locked_until == after + LOCKOUT


@pytest.mark.parametrize(
    "attack",
    ["one login from many addresses", "many logins from one address"],
)
def test_fifty_parallel_attackers_get_no_more_password_checks_than_the_limit(accounts, hasher, attack):
    """50 threads × 10 wrong passwords at once, with a real (slow) hash: the count is taken before each
    check, in one statement, so no more checks than the limit pass, and no attempt fails."""
    with transaction(accounts.engine, write=True) as session:
        target = f"carol{'_many' if attack.startswith('many') else ''}"
        _create(session, target)
    one_login = attack.startswith("one login")
    limit = MAX_FAILED_SIGN_INS if one_login else MAX_FAILED_SIGN_INS_PER_CLIENT
    now, start = utcnow(), threading.Barrier(50)

    def attacker(number: int) -> list[Outcome]:
        start.wait()
        outcomes = []
        for attempt in range(10):
            login = target if one_login else f"{target}{number}_{attempt}"
            client = f"198.51.100.{number}" if one_login else "203.0.113.50"
            outcomes.append(auth.sign_in(accounts.engine, login, f"guess {attempt}", client=client, now=now).outcome)
        return outcomes

    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(attacker, number) for number in range(50)]
    errors = [future.exception() for future in futures if future.exception() is not None]
    assert errors == []
    outcomes = Counter(outcome for future in futures for outcome in future.result())

    assert hasher.checks == limit
    assert outcomes == {Outcome.WRONG_CREDENTIALS: limit - 1, Outcome.LOCKED: 500 - limit + 1}


def _others_can_write(engine: Engine) -> bool:
    """Whether another writer would get in now: on SQLite, nobody holds the database's write lock; on
    PostgreSQL, nobody holds a row of the sign-in tables."""
    if engine.dialect.name == "sqlite":
        probe = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            probe.close()
    with engine.connect() as connection:
        return not connection.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND c.relnamespace = current_schema()::regnamespace"
                " AND c.relname IN ('login_attempts', 'login_events') AND l.mode = 'RowExclusiveLock'"
            )
        ).scalar_one()


def test_the_password_check_holds_no_write_transaction(accounts, cheap_dummy, monkeypatch):
    """A check takes ~0.1 s; holding a write transaction through it would queue every other writer."""
    real, free = users._hasher, []

    class Probing:
        def verify(self, stored: str, password: str) -> bool:
            free.append(_others_can_write(accounts.engine))
            return real.verify(stored, password)

    monkeypatch.setattr(users, "_hasher", Probing())
    outcomes = [
        auth.sign_in(accounts.engine, login, password, client="192.0.2.7").outcome
        for login, password in (("anna", "wrong"), ("nobody", "wrong"), ("anna", PASSWORD))
    ]

    assert outcomes == [Outcome.WRONG_CREDENTIALS, Outcome.WRONG_CREDENTIALS, Outcome.SIGNED_IN]
    assert free == [True, True, True]


TIMED_ROUNDS = 15  # per kind: ~100 ms each against the ~1 ms a skipped check would differ by
KINDS = {
    "unknown login": lambda n: (f"stranger{n}", PASSWORD),
    "wrong password": lambda n: (f"timed{n}", "wrong"),
    "no usable hash": lambda n: (f"unhashed{n}", PASSWORD),
}


def median_sign_in_times(engine: Engine) -> dict[str, float]:
    """The median seconds of TIMED_ROUNDS sign-ins of each kind, in rounds of one of each in a
    shuffled order, so that a slow moment of the machine hits every kind alike."""
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for n in range(TIMED_ROUNDS):
        for kind in random.Random(n).sample(list(KINDS), len(KINDS)):
            login, password = KINDS[kind](n)
            started = time.perf_counter()
            result = auth.sign_in(engine, login, password, client=f"192.0.2.{n}")
            times[kind].append(time.perf_counter() - started)
            assert result.outcome == Outcome.WRONG_CREDENTIALS
    return {kind: statistics.median(values) for kind, values in times.items()}


def test_every_kind_of_failure_takes_the_same_time(accounts):
    """An unknown login, a wrong password and a user without a usable hash, with the real hashes and
    distinct logins (no lock interferes): their medians are within 20 % of each other. A machine busy
    with other work can skew one measurement by chance, so up to three are taken; the difference a
    skipped check makes (~1 ms against ~100 ms) shows in every one."""
    with transaction(accounts.engine, write=True) as session:
        for n in range(TIMED_ROUNDS):
            _create(session, f"timed{n}")
            _create(session, f"unhashed{n}", password_hash=users.NO_PASSWORD_HASH if n % 2 else "")

    for _ in range(3):
        medians = median_sign_in_times(accounts.engine)
        print({kind: f"{median * 1000:.0f} ms" for kind, median in medians.items()})
        if max(medians.values()) <= 1.2 * min(medians.values()):
            break
    assert max(medians.values()) <= 1.2 * min(medians.values()), medians


def test_the_log_records_every_attempt_with_its_address_and_browser(accounts, cheap_dummy):
    now, browser = utcnow(), "Mozilla/5.0 " + "x" * 400
    attempts = [
        ("anna", PASSWORD, "198.51.100.7", Outcome.SIGNED_IN),
        ("Anna ", "wrong", "198.51.100.7", Outcome.WRONG_CREDENTIALS),
        ("<b>nobody</b>", "wrong", "2001:db8::1", Outcome.WRONG_CREDENTIALS),
    ] + [("ghost", "wrong", "192.0.2.1", Outcome.WRONG_CREDENTIALS)] * (MAX_FAILED_SIGN_INS - 1)
    attempts += [("ghost", "wrong", "192.0.2.1", Outcome.LOCKED)] * 2
    for n, (login, password, client, outcome) in enumerate(attempts):
        at = now + timedelta(seconds=n)
        assert auth.sign_in(accounts.engine, login, password, client=client, user_agent=browser, now=at).outcome == (
            outcome
        )

    with transaction(accounts.engine) as session:
        events = auth.login_events(session, accounts.admin)
        with pytest.raises(PermissionDenied):
            auth.login_events(session, accounts.anna)

    assert [(e.login, e.client, e.outcome) for e in reversed(events)] == [(a[0], a[2], a[3]) for a in attempts]
    assert [e.at for e in events] == [now + timedelta(seconds=n) for n in reversed(range(len(attempts)))]
    assert [(e.user_id, e.user_name) for e in events[-2:]] == [(accounts.anna.id, "Anna")] * 2
    assert {(e.user_id, e.user_name) for e in events[:-2]} == {(None, None)}
    assert {e.user_agent for e in events} == {browser[:300]}
    with transaction(accounts.engine) as session:
        assert len(auth.login_events(session, accounts.admin, limit=3)) == 3


def test_control_characters_and_overlong_input_are_no_database_error(accounts, cheap_dummy):
    result = auth.sign_in(
        accounts.engine, "an\x00na" + "a" * 500, "wrong", client="1.2.3.4\x00" + "9" * 99, user_agent="\x00"
    )

    assert result.outcome == Outcome.WRONG_CREDENTIALS
    with transaction(accounts.engine) as session:
        (event,) = auth.login_events(session, accounts.admin)
    assert (len(event.login), event.client, event.user_agent) == (100, ("1.2.3.4" + "9" * 99)[:45], "")


def _another_instance(engine: Engine) -> Engine:
    """A second engine on the same database, as another app instance has."""
    if engine.dialect.name == "sqlite":
        return make_engine(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    return make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})


def test_the_lock_is_in_the_database_for_every_app_instance(accounts, cheap_dummy):
    now = utcnow()
    failing(accounts.engine, "anna", MAX_FAILED_SIGN_INS, now=now)

    other = _another_instance(accounts.engine)
    try:
        assert auth.sign_in(other, "anna", PASSWORD, now=now).outcome == Outcome.LOCKED
    finally:
        other.dispose()


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(session, world):
    admin = users.get_user(session, world.admin.id)
    with pytest.raises(ValidationError) as demoted:
        users.update_user(
            session, world.admin, admin.id, display_name="A", role="manager", team_id=None, is_active=True
        )
    with pytest.raises(ValidationError) as deactivated:
        users.update_user(session, world.admin, admin.id, display_name="A", role="admin", team_id=None, is_active=False)

    assert set(demoted.value.errors) == {"role"} and set(deactivated.value.errors) == {"is_active"}
    assert users.get_user(session, admin.id) == admin


def test_with_a_second_admin_the_first_may_step_down(session, world):
    add_user(session, "second_admin", world.admin.role)

    users.update_user(
        session,
        world.admin,
        world.admin.id,
        display_name="Former admin",
        role="executive",
        team_id=None,
        is_active=True,
    )

    assert users.get_user(session, world.admin.id).role.value == "executive"


def test_update_user_changes_name_team_and_active_flag(session, world):
    team_id = users.create_team(session, world.admin, "South")

    users.update_user(
        session, world.admin, world.boris.id, display_name="Boris P.", role="manager", team_id=team_id, is_active=False
    )

    boris = users.get_user(session, world.boris.id)
    assert (boris.display_name, boris.team_id, boris.is_active) == ("Boris P.", team_id, False)
    assert users.active_user(session, world.boris.id) is None
    assert users.active_user(session, world.anna.id).login == "anna"


def test_the_open_deals_a_deactivation_leaves_with_the_user_are_counted(session, world):
    won, *_ = (
        deals.create_deal(session, world.boris, pipeline_id=world.pipeline_id, fields={"title": title})
        for title in ("Won", "A", "B")
    )
    deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "Anna's"})
    deals.move_deal(session, world.boris, won, world.stages["Won"], 1)

    assert [users.open_deal_count(session, world.admin, u.id) for u in (world.boris, world.anna, world.admin)] == [
        2,
        1,
        0,
    ]
    with pytest.raises(PermissionDenied):
        users.open_deal_count(session, world.executive, world.boris.id)
    with pytest.raises(NotFound):
        users.open_deal_count(session, world.admin, 10_000)
