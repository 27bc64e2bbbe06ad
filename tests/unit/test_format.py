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
