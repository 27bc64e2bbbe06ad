"""Numbers shown the way the chosen language writes them."""

from decimal import Decimal

NARROW_NBSP = "\u202f"


def money(value: float | Decimal, currency: str, language: str) -> str:
    text = f"{float(value):,.0f}"
    if language == "ru":
        text = text.replace(",", NARROW_NBSP)
    return f"{text} {currency}"


def count(value: int, language: str) -> str:
    text = f"{int(value):,}"
    return text.replace(",", NARROW_NBSP) if language == "ru" else text


_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$"


def plain(text: object) -> str:
    """User-entered text made safe to place inside markdown: shown literally, never interpreted."""
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIALS else char for char in str(text))
