from core import deals
from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline


def test_open_deals_count_amount_and_weighted_amount_per_stage(session, world):
    def create(title: str, amount) -> int:
        return deals.create_deal(
            session, world.anna, pipeline_id=world.pipeline_id, fields={"title": title, "amount": amount}
        )

    create("stays in Qualification", "1000.10")
    presented, proposed, won = create("B", 250), create("C", 4000), create("D", 99)
    deals.move_deal(session, world.anna, presented, world.stages["Presentation"], 1)
    deals.move_deal(session, world.anna, proposed, world.stages["Commercial proposal"], 1)
    deals.close_won(session, world.anna, won, 1)  # closed: not in the current pipeline

    frame = current_pipeline(session, world.executive, DealFilter(world.pipeline_id))

    assert frame["stage"].tolist() == ["Qualification", "Presentation", "Commercial proposal", "Contracting"]
    assert frame["deals"].tolist() == [1, 1, 1, 0]
    assert frame["amount"].tolist() == [1000.10, 250.0, 4000.0, 0.0]
    # the B2B template's probabilities are 10, 25, 50 and 80 %
    assert frame["weighted_amount"].tolist() == [100.01, 62.5, 2000.0, 0.0]


def test_a_manager_sees_only_their_own_open_deals(session, world):
    for actor, amount in ((world.anna, 100), (world.boris, 7)):
        deals.create_deal(session, actor, pipeline_id=world.pipeline_id, fields={"title": "T", "amount": amount})

    assert current_pipeline(session, world.anna, DealFilter(world.pipeline_id))["amount"].sum() == 100
    assert current_pipeline(session, world.boris, DealFilter(world.pipeline_id))["amount"].sum() == 7
    assert current_pipeline(session, world.admin, DealFilter(world.pipeline_id))["amount"].sum() == 107
