"""Periods of whole days: any range of dates, and the calendar periods of plans — a month, a quarter
or a year, named as people write them ("2026-07", "2026-Q3", "2026")."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.errors import ValidationError
from core.messages import Message


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


MONTHS_IN = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}
_PATTERNS = (
    (PeriodKind.YEAR, re.compile(r"([1-9]\d{3})")),
    (PeriodKind.QUARTER, re.compile(r"([1-9]\d{3})-?Q([1-4])", re.IGNORECASE)),
    (PeriodKind.MONTH, re.compile(r"([1-9]\d{3})-(\d{1,2})")),
)


def add_months(first_day: date, months: int) -> date:
    index = first_day.year * 12 + first_day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class DateRange:
    """Whole days from `first` to `last` (inclusive) in the installation's time zone."""

    first: date
    last: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """As UTC instants: [the start of the first day, the start of the day after the last)."""
        start = datetime.combine(self.first, time(0), zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), zone).astimezone(UTC)
        return start, end


@dataclass(frozen=True, order=True)
class Period:
    first: date  # the first day of its first month
    kind: PeriodKind

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> "Period":
        month = day.month if kind == PeriodKind.MONTH else 1
        if kind == PeriodKind.QUARTER:
            month = 3 * ((day.month - 1) // 3) + 1
        return cls(date(day.year, month, 1), PeriodKind(kind))

    @classmethod
    def parse(cls, text: str) -> "Period":
        """ "2026" (a year), "2026-Q3" (a quarter) or "2026-07" (a month)."""
        value = (text or "").strip()
        for kind, pattern in _PATTERNS:
            match = pattern.fullmatch(value)
            if match is None:
                continue
            year = int(match.group(1))
            if kind == PeriodKind.YEAR:
                return cls(date(year, 1, 1), kind)
            number = int(match.group(2))
            if kind == PeriodKind.QUARTER:
                return cls(date(year, 3 * number - 2, 1), kind)
            if 1 <= number <= 12:
                return cls(date(year, number, 1), kind)
        raise ValidationError({"period": Message("period.format", value=value)})

    @property
    def months(self) -> list[date]:
        return [add_months(self.first, offset) for offset in range(MONTHS_IN[self.kind])]

    @property
    def last(self) -> date:
        return add_months(self.first, MONTHS_IN[self.kind]) - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period's days in `zone` as UTC instants (see DateRange.bounds)."""
        return DateRange(self.first, self.last).bounds(zone)

    def shifted(self, steps: int) -> "Period":
        """The period `steps` periods of the same kind later (earlier when negative)."""
        return Period(add_months(self.first, steps * MONTHS_IN[self.kind]), self.kind)

    def days_elapsed(self, today: date) -> int:
        """Days of the period up to and including today: 0 before it starts, all of them after it ends."""
        return min(max((today - self.first).days + 1, 0), self.days)

    def __str__(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return f"{self.first.year}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first:%Y-%m}"
