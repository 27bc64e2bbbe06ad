from datetime import UTC, datetime

from core import activities, deals, pipelines
from core.analytics.deal_list import list_deals
from core.analytics.filters import DealFilter
from db import changes


def test_every_change_the_dashboards_show_moves_the_version_and_reads_do_not(session, world):
    seen = [changes.current(session)]

    def step() -> None:
        seen.append(changes.current(session))

    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})
    step()
    deals.update_deal(session, world.anna, deal_id, 1, {"amount": 5})
    step()
    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 2)
    step()
    task = activities.plan_activity(
        session, world.anna, kind="task", subject="t", deal_id=deal_id, due_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    step()
    activities.complete_activity(session, world.anna, task)
    session.flush()
    step()
    list_deals(session, world.anna, DealFilter(world.pipeline_id), now=datetime.now(UTC))
    pipelines.list_stages(session, world.pipeline_id)
    step()

    assert all(later > earlier for earlier, later in zip(seen[:-2], seen[1:-1], strict=True))
    assert seen[-1] == seen[-2]
