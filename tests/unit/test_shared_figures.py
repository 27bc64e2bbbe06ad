"""The figures store behind every live page: one computation per view and change, however many
viewers; coalesced when changes come faster than the refresh interval."""

import threading

from core.figures import SharedFigures


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counted:
    """A computation that counts its calls and returns the number of the call."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        return {"call": self.calls}


def test_one_view_is_computed_once_per_marker_for_every_viewer():
    store, compute = SharedFigures(fresh_for=0), Counted()

    shown = [store.get("funnel", 7, compute).value() for _viewer in range(25)]
    store.get("funnel", 7, compute)

    assert compute.calls == 1 == store.computations
    assert shown == [{"call": 1}] * 25


def test_a_new_marker_is_computed_anew_and_other_views_apart():
    store, compute = SharedFigures(fresh_for=0), Counted()
    store.get("funnel", 7, compute)

    assert store.get("funnel", 8, compute).value() == {"call": 2}
    assert store.get("dashboard", 8, compute).value() == {"call": 3}
    assert store.get("funnel", 8, compute).marker == 8
    assert compute.calls == 3


def test_changes_faster_than_the_interval_are_coalesced_into_one_computation():
    clock = Clock()
    store, compute = SharedFigures(fresh_for=5, clock=clock), Counted()
    store.get("funnel", 1, compute)

    for marker in range(2, 12):  # a write every 0.4 s, viewers asking after each
        clock.now += 0.4
        assert store.get("funnel", marker, compute).marker == 1
    clock.now += 1.5
    again = store.get("funnel", 12, compute)

    assert compute.calls == 2
    assert again.marker == 12


def test_viewers_arriving_together_wait_for_one_computation():
    store = SharedFigures(fresh_for=0)
    started, release, calls = threading.Event(), threading.Event(), []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(10)
        return 42

    results: list[int] = []
    viewers = [threading.Thread(target=lambda: results.append(store.get("v", 3, slow).value())) for _ in range(8)]
    for viewer in viewers:
        viewer.start()
    started.wait(10)
    release.set()
    for viewer in viewers:
        viewer.join(10)

    assert calls == [1]
    assert results == [42] * 8


def test_each_viewer_gets_its_own_copy():
    store = SharedFigures(fresh_for=0)
    mine = store.get("v", 1, lambda: {"rows": [1, 2]}).value()
    mine["rows"].append(3)

    assert store.get("v", 1, lambda: {"rows": []}).value() == {"rows": [1, 2]}


def test_a_page_is_outdated_only_when_its_figures_would_change():
    clock = Clock()
    store, compute = SharedFigures(fresh_for=5, clock=clock), Counted()
    store.get("v", 4, compute)

    assert not store.outdated("v", shown=4, marker=4)  # nothing changed
    assert not store.outdated("v", shown=4, marker=6)  # changed, coalesced into what it shows
    assert store.outdated("other", shown=4, marker=6)  # never computed here
    clock.now += 5
    assert store.outdated("v", shown=4, marker=6)  # what it shows is as old as the interval
    store.get("v", 6, compute)  # another viewer's page recomputed it
    assert not store.outdated("v", shown=6, marker=6)
    assert store.outdated("v", shown=4, marker=6)  # those newer figures are not the ones shown


def test_the_store_keeps_a_bounded_number_of_views():
    store, compute = SharedFigures(fresh_for=0, max_views=3), Counted()
    for view in "abcd":
        store.get(view, 1, compute)
    store.get("b", 1, compute)

    assert compute.calls == 4  # "b" was kept
    store.get("a", 1, compute)
    assert compute.calls == 5  # "a", the least recently used, was not
