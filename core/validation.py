"""Field cleaners shared by the services. Each records a message under the field's name."""

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_AMOUNT = Decimal("1000000000000")  # a trillion: far above any real deal, far below BIGINT
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_CHARS_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Errors = dict[str, str]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _missing(errors: Errors, field: str, required: bool) -> None:
    """What a cleaner returns for an empty value: nothing, and a message when the field is required."""
    if required:
        errors[field] = "is required"


def clean_text(
    errors: Errors,
    field: str,
    value: Any,
    *,
    required: bool = False,
    max_length: int = 200,
    multiline: bool = False,
) -> str | None:
    if _blank(value):
        return _missing(errors, field, required)
    if not isinstance(value, str):
        errors[field] = "must be text"
        return None
    text = value.strip()
    pattern = _CONTROL_CHARS_EXCEPT_NEWLINES if multiline else _CONTROL_CHARS
    if pattern.search(text):
        errors[field] = "must not contain control characters"
        return None
    if len(text) > max_length:
        errors[field] = f"must be at most {max_length} characters (got {len(text)})"
        return None
    return text


def clean_money(errors: Errors, field: str, value: Any, *, required: bool = True) -> Decimal | None:
    if _blank(value):
        return _missing(errors, field, required)
    if isinstance(value, bool):
        errors[field] = "must be a number"
        return None
    if isinstance(value, float) and not math.isfinite(value):
        errors[field] = "must be a finite number"
        return None
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        errors[field] = f"must be a number, not {str(value)[:40]!r}"
        return None
    if not amount.is_finite():
        errors[field] = "must be a finite number"
    elif amount < 0:
        errors[field] = "must not be negative"
    elif amount > MAX_AMOUNT:
        errors[field] = f"must be at most {MAX_AMOUNT:,}"
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field] = "must have at most two decimal places"
    else:
        return amount.quantize(Decimal("0.01"))
    return None


def clean_count(errors: Errors, field: str, value: Any, *, required: bool = True) -> int | None:
    if _blank(value):
        return _missing(errors, field, required)
    if isinstance(value, bool):
        errors[field] = "must be a whole number"
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field] = "must be a whole number"
        return None
    if not number.is_finite() or number != number.to_integral_value():
        errors[field] = "must be a whole number"
    elif number < 0:
        errors[field] = "must not be negative"
    elif number > 1_000_000_000:
        errors[field] = "is too large"
    else:
        return int(number)
    return None


def clean_date(errors: Errors, field: str, value: Any, *, required: bool = False) -> date | None:
    if _blank(value):
        return _missing(errors, field, required)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            errors[field] = f"must be a date like 2026-03-31, not {value[:40]!r}"
            return None
    if not isinstance(value, date):
        errors[field] = "must be a date"
        return None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        errors[field] = f"must be between {EARLIEST_DATE} and {LATEST_DATE}"
        return None
    return value


def clean_timestamp(errors: Errors, field: str, value: Any, *, required: bool = False) -> datetime | None:
    if value is None:
        if required:
            errors[field] = "is required"
        return None
    if not isinstance(value, datetime):
        errors[field] = "must be a date and time"
        return None
    if value.tzinfo is None:
        errors[field] = "must carry a time zone"
        return None
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        errors[field] = f"must be between {EARLIEST_DATE} and {LATEST_DATE}"
        return None
    return value
