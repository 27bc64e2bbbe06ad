"""Reusable column types that behave the same on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

CENTS = Decimal(100)


class Money(TypeDecorator):
    """A non-negative amount in the installation's currency, stored as whole cents.

    Integers sum exactly on every database, so SQL aggregates give identical totals on SQLite
    (which has no exact decimal type) and PostgreSQL. Python sees `Decimal` with two places.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        cents = Decimal(value) * CENTS
        if cents != cents.to_integral_value():
            raise ValueError(f"{value} has more than two decimal places")
        return int(cents)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / CENTS).quantize(Decimal("0.01"))


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware (UTC).

    SQLite has no time zone support and PostgreSQL's `timestamptz` converts on the session time
    zone; storing naive UTC everywhere keeps comparisons and string ordering identical.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _portable(name: str, kind, sqlite: str, postgresql: str, doc: str) -> type[FunctionElement]:
    """A SQL function of one argument, written for each database (`{}` stands for the argument)."""
    function = type(name, (FunctionElement,), {"type": kind, "inherit_cache": True, "name": name, "__doc__": doc})
    for dialect, template in (("sqlite", sqlite), ("postgresql", postgresql)):
        compiles(function, dialect)(
            lambda element, compiler, template=template, **kw: template.format(compiler.process(element.clauses, **kw))
        )
    return function


epoch_seconds = _portable(
    "epoch_seconds",
    BigInteger(),
    "CAST(strftime('%s', {}) AS INTEGER)",
    "CAST(floor(EXTRACT(EPOCH FROM {})) AS BIGINT)",
    "A stored (naive UTC) timestamp as whole seconds since 1970, the fraction dropped.",
)
utc_day = _portable("utc_day", Date(), "date({})", "CAST({} AS DATE)", "The UTC calendar day of a stored timestamp.")
month_of = _portable(
    "month_of",
    Date(),
    "date({}, 'start of month')",
    "CAST(date_trunc('month', {}) AS DATE)",
    "The first day of the month of a date.",
)

day_number = _portable(
    "day_number",
    Integer(),
    "CAST(julianday({}) AS INTEGER)",
    "(CAST({} AS DATE) - DATE '1970-01-01')",
    "A date (or an ISO date as text) as a day count: the difference of two is the days between them.",
)


def whole_seconds(moment: datetime) -> int:
    """What epoch_seconds gives in the database, for a timestamp in Python."""
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)
