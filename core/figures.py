"""Figures computed once per change for every viewer of a process.

A live page shows a view's figures (a page's computation for one filter and one visibility scope)
with the change marker they were computed at. Every viewer of the same view gets the same
computation: the first one to ask after a change computes, the others wait for it and take it.
When changes come faster than `fresh_for` seconds apart, a computation younger than that stands
for the newer markers too, so a view is computed at most once per interval however many writes and
viewers there are (a change shows within two intervals plus the computation's own time).

Results are kept pickled: each viewer gets its own copy, which its page may change freely."""

import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.clock import utcnow


@dataclass(frozen=True)
class Computed:
    marker: int  # the change marker read before the figures were: they hold at least that change
    at: float  # when, by the store's clock
    taken: datetime  # when, in UTC, for the page to say how fresh its figures are
    data: bytes

    def value(self) -> Any:
        return pickle.loads(self.data)


class SharedFigures:
    def __init__(self, fresh_for: float, *, max_views: int = 512, clock: Callable[[], float] = time.monotonic):
        self.fresh_for = fresh_for
        self.max_views = max_views
        self.clock = clock
        self.computations = 0  # how many times a view was computed in this process
        self._views: OrderedDict[Hashable, Computed] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, view: Hashable, marker: int, compute: Callable[[], Any]) -> Computed:
        """The figures of `view` as of `marker` or, within `fresh_for`, of an earlier marker;
        computed by `compute` when there are none, one computation at a time per view."""
        with self._lock:
            kept = self._usable(view, marker)
            computing = self._computing.setdefault(view, threading.Lock())
        if kept is not None:
            return kept
        with computing:
            with self._lock:
                kept = self._usable(view, marker)  # another viewer computed it while this one waited
            if kept is not None:
                return kept
            computed = Computed(marker, self.clock(), utcnow(), pickle.dumps(compute()))
            with self._lock:
                self.computations += 1
                self._views[view] = computed
                self._views.move_to_end(view)
                while len(self._views) > self.max_views:
                    forgotten, _ = self._views.popitem(last=False)
                    self._computing.pop(forgotten, None)
            return computed

    def outdated(self, view: Hashable, shown: int, marker: int) -> bool:
        """Whether a page showing `view` at marker `shown` would show other figures at `marker`:
        nothing changed since, or the change is coalesced into what it shows, means no."""
        if marker <= shown:
            return False
        with self._lock:
            kept = self._views.get(view)
        return kept is None or kept.marker != shown or not self._fresh(kept)

    def _usable(self, view: Hashable, marker: int) -> Computed | None:
        kept = self._views.get(view)
        if kept is None or (kept.marker < marker and not self._fresh(kept)):
            return None
        self._views.move_to_end(view)
        return kept

    def _fresh(self, computed: Computed) -> bool:
        return self.clock() - computed.at < self.fresh_for
