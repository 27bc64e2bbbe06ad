"""A deal field typed over in the grid: dates read as the installation writes them, a value that reads
as the stored one is no edit, and an emptied or unreadable date never clears the stored one."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from core import deals
from core.errors import Conflict, ValidationError
from core.validation import clean_date, clean_money
from tests.unit.conftest import World


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-03-15", date(2027, 3, 15)),
        ("15.03.2027", date(2027, 3, 15)),
        ("31.07.2026", date(2026, 7, 31)),
        ("1.3.2027", date(2027, 3, 1)),
        ("  29.02.2028 ", date(2028, 2, 29)),
        (date(2027, 3, 15), date(2027, 3, 15)),
        (datetime(2027, 3, 15, 9, 30), date(2027, 3, 15)),
    ],
)
def test_a_date_is_read_as_iso_or_day_month_year(value, expected):
    errors = {}
    assert clean_date(errors, "day", value) == expected
    assert errors == {}


@pytest.mark.parametrize(
    "value",
    [
        "31.02.2027",
        "29.02.2027",
        "abc",
        "2027-13-01",
        "2027-02-30",
        "32.01.2027",
        "15.13.2027",
        "15.03.27",
        "15/03/2027",
        "03-15-2027",
        "2027-3-15",
        "20270315",
        "2027-W11-1",
        "2027-03-15T10:00",
        "15.03.2027.",
        "١٥.٠٣.٢٠٢٧",
    ],
)
def test_anything_else_is_refused_with_the_value_named(value):
    errors = {}
    assert clean_date(errors, "day", value) is None
    assert errors["day"].code == "not_a_date_value"
    assert errors["day"] == f"must be a date like 2026-03-31 or 31.03.2026, not {value!r}"


def test_a_day_month_year_date_outside_the_range_is_refused():
    errors = {}
    assert clean_date(errors, "day", "31.12.1999") is None
    assert errors["day"].code == "date_out_of_range"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_empty_date_is_none_or_required(value):
    errors = {}
    assert clean_date(errors, "day", value) is None
    assert errors == {}
    assert clean_date(errors, "day", value, required=True) is None
    assert errors["day"].code == "required"


def dated_deal(session, world: World, close_on: date | None) -> int:
    return deals.create_deal(
        session,
        world.anna,
        pipeline_id=world.pipeline_id,
        fields={"title": "Cell target", "amount": 700, "expected_close_date": close_on},
    )


def stored(session, world: World, deal_id: int) -> deals.DealView:
    session.expire_all()
    return deals.get_deal(session, world.anna, deal_id)


@pytest.mark.parametrize(("typed", "expected"), [("2027-04-30", date(2027, 4, 30)), ("15.03.2027", date(2027, 3, 15))])
def test_a_date_typed_in_a_cell_is_stored(session, world, typed, expected):
    deal_id = dated_deal(session, world, date(2026, 12, 1))

    assert deals.edit_cell(session, world.anna, deal_id, 1, "expected_close_date", typed) == 2

    assert (stored(session, world, deal_id).expected_close_date, stored(session, world, deal_id).version) == (
        expected,
        2,
    )


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("expected_close_date", "2027-03-15"),
        ("expected_close_date", "15.03.2027"),
        ("expected_close_date", " 15.3.2027 "),
        ("title", "  Cell target "),
        ("amount", "700.00"),
        ("amount", 700),
    ],
)
def test_a_value_that_reads_as_the_stored_one_is_no_edit(session, world, field, typed):
    deal_id = dated_deal(session, world, date(2027, 3, 15))

    assert deals.edit_cell(session, world.anna, deal_id, 1, field, typed) is None

    deal = stored(session, world, deal_id)
    assert (deal.title, deal.amount, deal.expected_close_date, deal.version) == (
        "Cell target",
        Decimal(700),
        date(2027, 3, 15),
        1,
    )


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_an_emptied_date_cell_is_refused_and_the_date_kept(session, world, typed):
    deal_id = dated_deal(session, world, date(2027, 3, 15))

    with pytest.raises(ValidationError) as error:
        deals.edit_cell(session, world.anna, deal_id, 1, "expected_close_date", typed)

    assert error.value.errors["expected_close_date"].code == "deal.date_not_emptied"
    assert "Details" in error.value.errors["expected_close_date"]
    deal = stored(session, world, deal_id)
    assert (deal.expected_close_date, deal.version) == (date(2027, 3, 15), 1)


@pytest.mark.parametrize("typed", ["abc", "31.02.2027", "2027-13-01"])
def test_an_unreadable_date_cell_is_refused_and_the_date_kept(session, world, typed):
    deal_id = dated_deal(session, world, date(2027, 3, 15))

    with pytest.raises(ValidationError) as error:
        deals.edit_cell(session, world.anna, deal_id, 1, "expected_close_date", typed)

    assert error.value.errors["expected_close_date"].code == "not_a_date_value"
    deal = stored(session, world, deal_id)
    assert (deal.expected_close_date, deal.version) == (date(2027, 3, 15), 1)


def test_an_empty_cell_left_empty_is_no_edit(session, world):
    deal_id = dated_deal(session, world, None)

    assert deals.edit_cell(session, world.anna, deal_id, 1, "expected_close_date", None) is None

    assert stored(session, world, deal_id).version == 1


@pytest.mark.parametrize(("field", "typed"), [("amount", None), ("amount", ""), ("title", None), ("title", " ")])
def test_an_emptied_amount_or_title_cell_is_refused(session, world, field, typed):
    deal_id = dated_deal(session, world, None)

    with pytest.raises(ValidationError) as error:
        deals.edit_cell(session, world.anna, deal_id, 1, field, typed)

    assert error.value.errors[field].code == "required"
    assert stored(session, world, deal_id).version == 1


def test_the_deal_form_still_clears_the_date_on_purpose(session, world):
    deal_id = dated_deal(session, world, date(2027, 3, 15))

    assert deals.update_deal(session, world.anna, deal_id, 1, {"expected_close_date": None}) == 2

    assert stored(session, world, deal_id).expected_close_date is None


def test_a_cell_typed_over_a_stale_version_is_a_conflict_even_when_unchanged(session, world):
    deal_id = dated_deal(session, world, date(2027, 3, 15))
    deals.update_deal(session, world.anna, deal_id, 1, {"amount": 800})

    with pytest.raises(Conflict):
        deals.edit_cell(session, world.anna, deal_id, 1, "expected_close_date", "2027-03-15")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12,5", "12.50"),  # a decimal comma, as in Russian
        ("12 500,50", "12500.50"),
        ("12\u202f500,50", "12500.50"),  # the narrow no-break space Russian figures are grouped with
        ("2,500", "2500.00"),  # commas grouping thousands, as in English
        ("1,234,567.89", "1234567.89"),
        ("1.234,56", "1234.56"),  # both marks: the last one is the decimal mark
        ("700", "700.00"),
    ],
)
def test_an_amount_is_read_as_people_write_it(typed, expected):
    errors = {}

    assert clean_money(errors, "amount", typed) == Decimal(expected)
    assert errors == {}


@pytest.mark.parametrize("typed", ["1,2,3", "12,5,0", "abc", "1.2.3"])
def test_an_amount_that_reads_as_no_number_is_refused(typed):
    errors = {}

    assert clean_money(errors, "amount", typed) is None
    assert "must be a number" in errors["amount"]
