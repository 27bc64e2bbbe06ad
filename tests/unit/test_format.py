from decimal import Decimal

import pytest

from ui.format import NARROW_NBSP, money_exact, money_short, plain


@pytest.mark.parametrize(
    ("value", "language", "shown"),
    [
        (999_999, "en", "999,999 USD"),
        (741_630_546, "en", "741.6 M USD"),
        (-2_500_000, "en", "-2.5 M USD"),
        (1_234_567_890, "en", "1.2 B USD"),
        (741_630_546, "ru", "741,6 млн USD"),
        (12_345_600_000, "ru", "12,3 млрд USD"),
    ],
)
def test_tile_amounts_stay_short(value, language, shown):
    assert money_short(value, "USD", language) == shown


@pytest.mark.parametrize(
    ("value", "language", "shown"),
    [
        ("5000.00", "en", "5,000 USD"),
        ("5000.50", "en", "5,000.50 USD"),
        ("123456789012.50", "ru", f"123{NARROW_NBSP}456{NARROW_NBSP}789{NARROW_NBSP}012,50 USD"),
    ],
)
def test_a_changed_amount_keeps_its_cents(value, language, shown):
    assert money_exact(Decimal(value), "USD", language) == shown


def test_user_text_in_markdown_is_escaped_and_its_addresses_and_icons_broken():
    # Markdown finds addresses and Streamlit its icons after undoing the escapes: a word joiner stops them.
    shown = plain("**x** :red[y] http://a.example www.b.example c@d.example :material/home: a: b")

    assert shown == (
        "\\*\\*x\\*\\* \\:\u2060red\\[y\\] http\\:\u2060//a\\.example w\u2060ww\\.b\\.example c@\u2060d\\.example "
        "\\:\u2060material/home\\: a\\: b"
    )


def test_numbers_and_shares_in_each_language_and_a_dash_for_none():
    from ui.format import DASH, NARROW_NBSP, number, share

    assert number(6913430.0, 0, "en") == "6,913,430"
    assert number(6913430.0, 0, "ru") == f"6{NARROW_NBSP}913{NARROW_NBSP}430"
    assert number(1234.56, 1, "ru") == f"1{NARROW_NBSP}234,6"
    assert number(None, 1, "en") == number(float("nan"), 0, "ru") == DASH
    assert share(0.596748, "en") == "59.67%"
    assert share(0.596748, "ru") == f"59,67{NARROW_NBSP}%"
    assert share(1.0, "en") == "100.00%"
    assert share(None, "en") == DASH
