"""Funnel diagnosis (SPEC §3): the four funnel shapes sales literature warns about, found on the
cohort funnel and the time in stage, each with the stage, the size of the deviation and the managers
who deviate most from the team. The thresholds are the named constants below (README: Diagnosis)."""

from dataclasses import dataclass
from datetime import datetime
from statistics import median

import pandas as pd
from sqlalchemy.orm import Session

from core.analytics.filters import FunnelFilter
from core.analytics.funnel import cohort_funnel, time_in_stage
from core.analytics.rates import differs
from core.permissions import Actor
from core.users import list_managers

# A cohort smaller than this says nothing about shapes.
MIN_COHORT = 20
# Leaky top: the first step converts at most this share of the median of the other steps.
LEAKY_TOP_RATIO = 0.6
# Too good to be true: every step converts at least this well.
TOO_GOOD_CONVERSION = 0.95
# Late leak: at least this share of all the deals lost on the way drop out in the last two steps.
LATE_LEAK_SHARE = 0.6
# Bottleneck: the median stay in one stage is at least this many times the median of the others' medians.
BOTTLENECK_RATIO = 2.5
MIN_STAYS = 5
# A manager is compared with the team only with at least this many deals in the cohort.
MIN_MANAGER_COHORT = 5
MANAGERS_NAMED = 3


@dataclass(frozen=True)
class Finding:
    shape: str  # leaky_top, too_good, late_leak, bottleneck
    stage: str
    value: float  # the figure that deviates (a conversion, a share, days)
    reference: float  # what it is compared with
    managers: tuple[tuple[str, float], ...] = ()  # who deviates most: (name, their value)


def find_shapes(funnel: pd.DataFrame, stays: pd.DataFrame) -> list[Finding]:
    """The shapes in one funnel (from `cohort_funnel`) and its time in stage (from `time_in_stage`)."""
    findings: list[Finding] = []
    open_rows = funnel[funnel["kind"] == "open"]
    if open_rows.empty or int(open_rows["reached"].iloc[0]) < MIN_COHORT:
        return findings
    steps = [float(c) for c in open_rows["next_step_conversion"].fillna(0)]
    stages = open_rows["stage"].tolist()
    if len(steps) >= 2:
        others = median(steps[1:])
        if others > 0 and steps[0] <= LEAKY_TOP_RATIO * others:
            findings.append(Finding("leaky_top", stages[0], steps[0], others))
    if steps and all(step >= TOO_GOOD_CONVERSION for step in steps):
        findings.append(Finding("too_good", stages[0], min(steps), TOO_GOOD_CONVERSION))
    reached = [int(r) for r in funnel["reached"]]
    losses = [reached[i] - reached[i + 1] for i in range(len(reached) - 1)]
    total_lost = sum(losses)
    if len(losses) >= 3 and total_lost > 0:
        late = sum(losses[-2:]) / total_lost
        if late >= LATE_LEAK_SHARE:
            findings.append(Finding("late_leak", stages[-2], late, LATE_LEAK_SHARE))
    timed = stays[(stays["stays"] >= MIN_STAYS) & stays["median_days"].notna()]
    if len(timed) >= 3:
        for row in timed.itertuples():
            rest = [float(m) for m in timed.loc[timed["stage"] != row.stage, "median_days"]]
            typical = median(rest)
            if typical > 0 and row.median_days >= BOTTLENECK_RATIO * typical:
                findings.append(Finding("bottleneck", row.stage, float(row.median_days), typical))
    return findings


def _proportion(finding: Finding, funnel: pd.DataFrame) -> tuple[int, int] | None:
    """The counts behind a shape's share (successes, of how many), for the shapes that are shares: the
    first step's conversion (passed, entered) and the late leak (lost late, lost on the way)."""
    reached = [int(r) for r in funnel["reached"]]
    if finding.shape in ("leaky_top", "too_good") and len(reached) >= 2:
        return reached[1], reached[0]
    if finding.shape == "late_leak":
        losses = [reached[i] - reached[i + 1] for i in range(len(reached) - 1)]
        return sum(losses[-2:]), sum(losses)
    return None


def _beyond_chance(finding: Finding, team: pd.DataFrame, theirs: pd.DataFrame) -> bool:
    """Whether a manager's share differs from the rest of the team's by more than chance would make it
    (rates.differs); a shape that is not a share (the bottleneck's days) always counts."""
    mine, everyone = _proportion(finding, theirs), _proportion(finding, team)
    if mine is None or everyone is None:
        return True
    return differs(mine, (everyone[0] - mine[0], everyone[1] - mine[1]))


def _worse(finding: Finding, value: float) -> bool:
    """Whether a manager's figure is on the worse side of the team's: a lower first-step conversion for a
    leaky top, a higher figure for the others (too good's team figure is its lowest step: any)."""
    if finding.shape == "too_good":
        return True
    return value < finding.value if finding.shape == "leaky_top" else value > finding.value


def _manager_value(finding: Finding, funnel: pd.DataFrame, stays: pd.DataFrame) -> float | None:
    """The figure of `finding` computed on one manager's funnel."""
    open_rows = funnel[funnel["kind"] == "open"]
    if open_rows.empty or int(open_rows["reached"].iloc[0]) < MIN_MANAGER_COHORT:
        return None
    if finding.shape in ("leaky_top", "too_good"):
        return float(open_rows["next_step_conversion"].fillna(0).iloc[0])
    if finding.shape == "late_leak":
        reached = [int(r) for r in funnel["reached"]]
        losses = [reached[i] - reached[i + 1] for i in range(len(reached) - 1)]
        return sum(losses[-2:]) / sum(losses) if sum(losses) else None
    row = stays[stays["stage"] == finding.stage]
    return None if row.empty or pd.isna(row["median_days"].iloc[0]) else float(row["median_days"].iloc[0])


def diagnose(
    session: Session,
    actor: Actor,
    funnel_filter: FunnelFilter,
    *,
    now: datetime,
    funnel: pd.DataFrame | None = None,
    stays: pd.DataFrame | None = None,
) -> list[Finding]:
    """The findings of the team's funnel, each naming the managers who deviate most in its direction.

    `funnel` and `stays` are the team's figures when the caller has them already.
    """
    if funnel is None:
        funnel = cohort_funnel(session, actor, funnel_filter)
    if stays is None:
        stays = time_in_stage(session, actor, funnel_filter, now=now)
    findings = find_shapes(funnel, stays)
    if not findings or not actor.sees_everyone:
        return findings
    per_manager = {}
    for manager in list_managers(session):
        mine = FunnelFilter(**{**funnel_filter.__dict__, "owner_ids": (manager.id,)})
        per_manager[manager.display_name] = (
            cohort_funnel(session, actor, mine),
            time_in_stage(session, actor, mine, now=now),
        )
    named = []
    for finding in findings:
        values = [
            (name, _manager_value(finding, *frames))
            for name, frames in per_manager.items()
            if _beyond_chance(finding, funnel, frames[0])
        ]
        # "Worst" is the direction of the shape: low first-step conversion, high everything else; a manager
        # is named only on the worse side of the team's figure (too good's is the lowest step's, not theirs).
        worst_first = finding.shape != "leaky_top"
        values = [(name, value) for name, value in values if value is not None and _worse(finding, value)]
        values.sort(key=lambda item: item[1], reverse=worst_first)
        named.append(
            Finding(finding.shape, finding.stage, finding.value, finding.reference, tuple(values[:MANAGERS_NAMED]))
        )
    return named
