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
    """The period of equal length just before."""
    length = date_to - date_from
    end = date_from - timedelta(days=1)
    return end - length, end
