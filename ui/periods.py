"""Period presets shared by the dashboards."""

from datetime import date, timedelta

PRESETS = ("this_month", "last_month", "this_quarter", "last_quarter", "this_year", "custom")


def period(preset: str, today: date) -> tuple[date, date]:
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    month_start = today.replace(day=1)
    if preset == "this_month":
        return month_start, today
    if preset == "last_month":
        last = month_start - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "this_quarter":
        return quarter_start, today
    if preset == "last_quarter":
        end = quarter_start - timedelta(days=1)
        return date(end.year, end.month - 2, 1), end
    return date(today.year, 1, 1), today


def previous(date_from: date, date_to: date) -> tuple[date, date]:
    """The period just before. One that starts on a first of a month: as many months before (the quarter
    before a quarter; this quarter so far, the previous one as far), else as many days."""
    if date_from.day == 1:
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        first = _months_before(date_from, months)
        return first, min(first + (date_to - date_from), date_from - timedelta(days=1))
    length = date_to - date_from
    end = date_from - timedelta(days=1)
    return end - length, end


def _months_before(day: date, months: int) -> date:
    """The first of the month `months` before `day`'s (`day` a first of a month)."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def year_before(date_from: date, date_to: date) -> tuple[date, date]:
    """The same days a year before (29 February: the 28th)."""

    def back(day: date) -> date:
        return day.replace(year=day.year - 1, day=min(day.day, 28) if (day.month, day.day) == (2, 29) else day.day)

    return back(date_from), back(date_to)
