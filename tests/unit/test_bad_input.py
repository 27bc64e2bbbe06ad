"""Property-based: any amount, title or date is either stored exactly or rejected with a clear
ValidationError naming the field, and a rejection leaves every table as it was."""

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core import deals
from core.errors import ValidationError
from db.models import Base, Deal

# Each example runs inside a savepoint of the test's transaction, rolled back after it.
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

amounts = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=0, max_value=10**12, places=2),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=20),
    st.sampled_from(["12.5", "-1", "NaN", "1e400", "0.001", "1 000,50", "", "DROP TABLE deals"]),
)
titles = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=1, max_value=10_240).map(lambda n: "x" * n),  # up to 10 kB
    st.sampled_from(["", "   ", "a\x00b", "tab\there", "'; DROP TABLE deals; --", "Robert'); --", "\u202eevil"]),
)
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


def snapshot(session) -> tuple:
    """Row counts of every table, and every deal's full row."""
    counts = tuple(session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables)
    rows = tuple(tuple(row) for row in session.execute(select(Deal.__table__).order_by(Deal.id)))
    return counts, rows


def check_update(session, world, deal_id, field, value, expected) -> None:
    nested = session.begin_nested()
    before = snapshot(session)
    try:
        deals.update_deal(session, world.anna, deal_id, 1, {field: value})
    except ValidationError as error:
        assert set(error.errors) == {field}
        assert error.errors[field]
        assert snapshot(session) == before
    else:
        session.expire_all()
        stored = getattr(deals.get_deal(session, world.anna, deal_id), field)
        assert stored == expected(value), f"{value!r} stored as {stored!r}"
    finally:
        nested.rollback()


def test_amounts_are_stored_exactly_or_rejected(session, world):
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "T"})

    @EXAMPLES
    @given(amounts)
    def run(value):
        check_update(
            session,
            world,
            deal_id,
            "amount",
            value,
            lambda v: Decimal(str(v).replace(" ", "").replace(",", ".")),
        )

    run()


def test_titles_are_stored_exactly_or_rejected(session, world):
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "T"})

    @EXAMPLES
    @given(titles)
    def run(value):
        check_update(session, world, deal_id, "title", value, str.strip)

    run()


def test_dates_are_stored_exactly_or_rejected(session, world):
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "T"})

    @EXAMPLES
    @given(dates)
    def run(value):
        check_update(session, world, deal_id, "expected_close_date", value, lambda v: v)

    run()


def test_a_rejected_create_writes_nothing(session, world):
    @EXAMPLES
    @given(titles, amounts)
    def run(title, amount):
        nested = session.begin_nested()
        before = snapshot(session)
        try:
            deals.create_deal(
                session, world.anna, pipeline_id=world.pipeline_id, fields={"title": title, "amount": amount}
            )
        except ValidationError as error:
            assert set(error.errors) <= {"title", "amount"}
            assert snapshot(session) == before
        else:
            assert snapshot(session) != before
        finally:
            nested.rollback()

    run()
