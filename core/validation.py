"""Field cleaners shared by the services. Each records a message under the field's name."""

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.messages import Message

MAX_AMOUNT = Decimal("1000000000000")  # a trillion: far above any real deal, far below BIGINT
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_CHARS_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Only these two forms: date.fromisoformat() would also read 20260331 or 2026-W14-2, which a slip can make.
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)

Errors = dict[str, Message]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _missing(errors: Errors, field: str, required: bool) -> None:
    """What a cleaner returns for an empty value: nothing, and a message when the field is required."""
    if required:
        errors[field] = Message("required")


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
        errors[field] = Message("not_text")
        return None
    text = value.strip()
    pattern = _CONTROL_CHARS_EXCEPT_NEWLINES if multiline else _CONTROL_CHARS
    if pattern.search(text):
        errors[field] = Message("control_characters")
        return None
    if len(text) > max_length:
        errors[field] = Message("too_long", maximum=max_length, length=len(text))
        return None
    return text


_GROUPED_BY_COMMAS = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


def _decimal_text(text: str) -> str:
    """A number as people write it, in Python's form: spaces (thin, no-break) group digits; "2,500"
    and "2,500.50" group with commas; otherwise a comma is the decimal mark ("12,5", "12 500,50");
    with both marks, the last one is the decimal mark ("1.234,56")."""
    text = re.sub(r"[\s\u00a0\u202f\u2009]", "", text)
    if "," in text and "." in text:
        grouping = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(grouping, "")
    elif _GROUPED_BY_COMMAS.fullmatch(text):
        text = text.replace(",", "")
    return text.replace(",", ".")


def clean_money(errors: Errors, field: str, value: Any, *, required: bool = True) -> Decimal | None:
    if _blank(value):
        return _missing(errors, field, required)
    if isinstance(value, bool):
        errors[field] = Message("not_a_number")
        return None
    if isinstance(value, float) and not math.isfinite(value):
        errors[field] = Message("not_finite")
        return None
    try:
        amount = Decimal(_decimal_text(str(value)))
    except InvalidOperation:
        errors[field] = Message("not_a_number_value", value=str(value)[:40])
        return None
    if not amount.is_finite():
        errors[field] = Message("not_finite")
    elif amount < 0:
        errors[field] = Message("negative")
    elif amount > MAX_AMOUNT:
        errors[field] = Message("amount_too_large", maximum=MAX_AMOUNT)
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field] = Message("two_decimals")
    else:
        return amount.quantize(Decimal("0.01"))
    return None


def clean_count(errors: Errors, field: str, value: Any, *, required: bool = True) -> int | None:
    if _blank(value):
        return _missing(errors, field, required)
    if isinstance(value, bool):
        errors[field] = Message("not_whole")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field] = Message("not_whole")
        return None
    if not number.is_finite() or number != number.to_integral_value():
        errors[field] = Message("not_whole")
    elif number < 0:
        errors[field] = Message("negative")
    elif number > 1_000_000_000:
        errors[field] = Message("too_large")
    else:
        return int(number)
    return None


def _parse_date(text: str) -> date:
    """A date as the installation writes one, 2026-03-31 or 31.03.2026; ValueError for anything
    else, an impossible day (31.02.2027) included."""
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


def clean_date(errors: Errors, field: str, value: Any, *, required: bool = False) -> date | None:
    if _blank(value):
        return _missing(errors, field, required)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = _parse_date(value.strip())
        except ValueError:
            errors[field] = Message("not_a_date_value", value=value[:40])
            return None
    if not isinstance(value, date):
        errors[field] = Message("not_a_date")
        return None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        errors[field] = Message("date_out_of_range", earliest=EARLIEST_DATE, latest=LATEST_DATE)
        return None
    return value


def clean_timestamp(errors: Errors, field: str, value: Any, *, required: bool = False) -> datetime | None:
    if value is None:
        if required:
            errors[field] = Message("required")
        return None
    if not isinstance(value, datetime):
        errors[field] = Message("not_a_timestamp")
        return None
    if value.tzinfo is None:
        errors[field] = Message("no_time_zone")
        return None
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        errors[field] = Message("date_out_of_range", earliest=EARLIEST_DATE, latest=LATEST_DATE)
        return None
    return value
