"""Numbers shown the way the chosen language writes them, a dash where a figure does not exist, and
what a user typed made safe to show inside Markdown."""

import re
from collections.abc import Callable
from decimal import Decimal

NARROW_NBSP = "\u202f"
DASH = "—"


def missing(value: object) -> bool:
    """None, or NaN (a figure pandas could not compute)."""
    return value is None or value != value


def or_dash(shown: Callable[[float], str]) -> Callable[[float | None], str]:
    """`shown`, with a dash for a figure that does not exist."""
    return lambda value: DASH if missing(value) else shown(value)


def percent(value: float | None) -> str:
    """A share as whole percent (23%), or a dash."""
    return DASH if missing(value) else f"{value:.0%}"


def moment(value, zone) -> str:
    """A timestamp in the installation's zone to the minute ("2026-12-02 06:49"); "" for none (None, NaT)."""
    if value is None or value != value:  # NaT is not equal to itself
        return ""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def money(value: float | Decimal, currency: str, language: str) -> str:
    text = f"{float(value):,.0f}"
    if language == "ru":
        text = text.replace(",", NARROW_NBSP)
    return f"{text} {currency}"


def money_exact(value: Decimal, currency: str, language: str) -> str:
    """An amount to the cent when it has cents (a change from 5,000.50 to 5,000 shows as one)."""
    if value == value.to_integral_value():
        return money(value, currency, language)
    text = f"{value:,.2f}"
    if language == "ru":
        text = text.replace(",", NARROW_NBSP).replace(".", ",")
    return f"{text} {currency}"


_LARGE = ((1e9, {"en": "B", "ru": "млрд"}), (1e6, {"en": "M", "ru": "млн"}))


def money_short(value: float | Decimal, currency: str, language: str) -> str:
    """A tile's amount: whole units below a million, then millions or billions with one decimal."""
    for size, words in _LARGE:
        if abs(float(value)) >= size:
            text = f"{float(value) / size:,.1f}"
            if language == "ru":
                text = text.replace(",", NARROW_NBSP).replace(".", ",")
            return f"{text} {words[language]} {currency}"
    return money(value, currency, language)


def count(value: int, language: str) -> str:
    text = f"{int(value):,}"
    return text.replace(",", NARROW_NBSP) if language == "ru" else text


def as_texts(frame, shown: dict[str, Callable]):
    """`frame` with these columns as the texts their functions make of each value: for the figures that
    may not exist, as a table's grid draws a missing value as "None" whatever it is formatted as."""
    return frame.assign(**{name: frame[name].map(text) for name, text in shown.items()})


def number(value: float | None, places: int, language: str) -> str:
    """A figure to `places` decimals with the language's separators (1,234.5; 1 234,5), or a dash."""
    if missing(value):
        return DASH
    text = f"{float(value):,.{places}f}"
    return text.replace(",", NARROW_NBSP).replace(".", ",") if language == "ru" else text


def share(value: float | None, language: str) -> str:
    """A share as percent to two decimals, as the tables show conversions (59.67%; 59,67 %), or a dash."""
    if missing(value):
        return DASH
    return number(value * 100, 2, language) + (f"{NARROW_NBSP}%" if language == "ru" else "%")


_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$&:"
WORD_JOINER = "\u2060"
_JOINED = re.compile(r"([:@])(?=\S)")


def plain(text: object) -> str:
    """User-entered text made safe to place inside markdown: shown literally, never interpreted
    (":red[x]" is no colour, "**x**" no bold, "![x](url)" no image). Markdown finds addresses
    ("http://host", "www.host", "name@host.org") and Streamlit its icons (":material/home:") in the
    text after its escapes are undone, so no escape stops them: an invisible word joiner after a
    ":" or "@" that has text right after it, and after the first "w" of "www", does."""
    escaped = "".join(f"\\{char}" if char in _MARKDOWN_SPECIALS else char for char in str(text))
    return _JOINED.sub(rf"\1{WORD_JOINER}", escaped).replace("www", f"w{WORD_JOINER}ww")
