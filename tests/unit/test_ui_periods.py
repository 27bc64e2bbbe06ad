from datetime import date

import pytest

from ui.periods import previous, year_before


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ((date(2026, 7, 1), date(2026, 9, 30)), (date(2026, 4, 1), date(2026, 6, 30))),  # the quarter before
        ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 2, 28))),  # a shorter month
        ((date(2026, 1, 1), date(2026, 12, 31)), (date(2025, 1, 1), date(2025, 12, 31))),
        # This quarter so far (63 days after its first) against the previous one as far.
        ((date(2026, 10, 1), date(2026, 12, 3)), (date(2026, 7, 1), date(2026, 9, 2))),
        ((date(2026, 2, 10), date(2026, 2, 20)), (date(2026, 1, 30), date(2026, 2, 9))),  # as many days
    ],
)
def test_the_period_before(period, expected):
    assert previous(*period) == expected


def test_the_same_period_a_year_before():
    assert year_before(date(2024, 2, 1), date(2024, 2, 29)) == (date(2023, 2, 1), date(2023, 2, 28))
