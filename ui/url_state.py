"""A page's filters in its address (the URL query), so that a reload or a link shows the same view:
/funnel?pipeline=2&team=3&from=2026-10-01&to=2026-12-31.

Session state starts afresh after a reload. So before a filter's widget is drawn, `Address.restore`
gives it its value: the one it has in this session; else the address's, when that is one of the
widget's choices (or parses); else its default. Once the filters are drawn, `Address.write` puts
their values in the address, leaving out those at their default.

What the address says is user input: a value that is not one of the choices, or does not parse, is
passed over in silence, and none is ever shown as Markdown."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

import streamlit as st

from core.errors import ValidationError
from ui.state import Deals

_NOTHING = object()  # the address names no usable value
# The dates an address may name: beyond them no filter is meant, and 9999-12-31 has no day after it to end on.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
TAKEN = (Deals.OPENED,)  # the query parameters of something else than filters: /deals?deal=123


def text_of(value: Any) -> str:
    """How a value is written in the address: ids as numbers, dates in ISO, a flag as 1 (or 0)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def day(text: str, *, latest: date = LATEST) -> date:
    """A date as the address writes it: 2026-10-01; none after `latest` (a date box's last day)."""
    value = date.fromisoformat(text)
    if len(text) != len("2026-10-01") or not EARLIEST <= value <= latest:
        raise ValueError(text)
    return value


def flag(text: str) -> bool:
    """A toggle's value as the address writes it."""
    if text not in ("0", "1"):
        raise ValueError(text)
    return text == "1"


@dataclass(frozen=True)
class _Shown:
    key: str | None  # the widget's: its value is read when the address is written
    value: Any  # else the value itself
    default: Any


class Address:
    """The filters of one page, or of a fragment of it (which reruns alone), by their names in the
    address. A name is one page's: a page switch starts from an empty query."""

    def __init__(self, *names: str):
        if taken := set(names) & set(TAKEN):
            raise ValueError(f"query parameters {sorted(taken)} are not filters'")
        self.names = names
        self._shown: dict[str, _Shown] = {}

    def asked(
        self,
        name: str,
        *,
        options: Iterable[Any] | None = None,
        parse: Callable[[str], Any] | None = None,
        many: bool = False,
    ) -> Any:
        """What the address asks `name` to be, or None: one of `options`, matched by how it is written,
        or what `parse` makes of its text; with `many`, each of a comma list (or of repeated
        parameters) that is, or None when none is."""
        self._check(name)
        texts = st.query_params.get_all(name)
        texts = [piece for text in texts for piece in text.split(",")] if many else texts[-1:]
        choices = None if options is None else {text_of(option): option for option in options if option is not None}
        values = [value for value in (_value(text, choices, parse) for text in texts if text) if value is not _NOTHING]
        if many:
            return list(dict.fromkeys(values)) or None
        return values[0] if values else None

    def restore(
        self,
        name: str,
        key: str,
        *,
        default: Any,
        options: Iterable[Any] | None = None,
        parse: Callable[[str], Any] | None = None,
        many: bool = False,
        implied: Any = None,
    ) -> None:
        """Before the widget `key` is drawn (with no default of its own): its value in this session;
        else what the address asks `name` to be (see `asked`); else `implied`, what the rest of the
        address implies, if anything; else `default`. Written to the address unless at `default`."""
        self._check(name)
        self._shown[name] = _Shown(key, None, default)
        if key in st.session_state:
            return
        asked = self.asked(name, options=options, parse=parse, many=many)
        value = asked if asked is not None else implied if implied is not None else default
        if value is not None:  # None is the widget's own first option ("All"), which it shows by itself:
            st.session_state[key] = value  # set in the session, a select box shows None as no choice at all

    def note(self, name: str, value: Any, *, default: Any) -> None:
        """A value to write under `name` that is no widget's (the list's page number)."""
        self._check(name)
        self._shown[name] = _Shown(None, value, default)

    def write(self) -> None:
        """The values restored or noted this run into the address, those at their default left out,
        and the address's other names of these filters taken out (a custom period's dates, once the
        period is a preset again); the query's other parameters kept."""
        wanted = {}
        for name in self.names:
            if (shown := self._shown.get(name)) is None:
                continue
            value = shown.value if shown.key is None else st.session_state.get(shown.key)
            if value == shown.default:
                continue
            values = value if isinstance(value, list | tuple) else [value]
            if text := ",".join(t for t in map(text_of, values) if t):
                wanted[name] = text
        query = {name: st.query_params.get_all(name) for name in st.query_params}
        written = {name: texts for name, texts in query.items() if name not in self.names}
        written |= {name: [text] for name, text in wanted.items()}
        if written != query:
            st.query_params.from_dict(written)

    def _check(self, name: str) -> None:
        if name not in self.names:
            raise ValueError(f"{name!r} is not one of this address's names {self.names}")


def _value(text: str, choices: dict[str, Any] | None, parse: Callable[[str], Any] | None) -> Any:
    if choices is not None:
        return choices.get(text, _NOTHING)
    try:
        return parse(text)
    # Period.parse says a text is no period with the domain's error, date.fromisoformat with ValueError.
    except (ValueError, ValidationError):
        return _NOTHING
