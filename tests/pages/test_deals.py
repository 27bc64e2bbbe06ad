from datetime import date

from sqlalchemy import select

from core import customers, deals, pipelines, users
from db.engine import make_engine, transaction
from db.models import Deal, StageKind
from tests.pages.conftest import open_view
from ui import format
from ui.state import Deals, key


class Database:
    """Reads the test database the way a person would check it: by deal title."""

    def __init__(self, url: str):
        self.engine = make_engine(url)

    def deal(self, title: str) -> deals.DealView | None:
        with transaction(self.engine) as session:
            deal_id = session.scalar(select(Deal.id).where(Deal.title == title))
            return deals.get_deal(session, users.find_user(session, "admin").as_actor(), deal_id) if deal_id else None

    def deal_by_id(self, deal_id: int) -> deals.DealView:
        with transaction(self.engine) as session:
            return deals.get_deal(session, users.find_user(session, "admin").as_actor(), deal_id)

    def stage_named(self, pipeline_id: int, name: str) -> int:
        with transaction(self.engine) as session:
            return next(s.id for s in pipelines.list_stages(session, pipeline_id) if s.name == name)

    def a_company(self) -> int:
        from db.models import Company

        with transaction(self.engine) as session:
            return session.scalar(select(Company.id).order_by(Company.id).limit(1))


def deal_page(app, deal_id: int):
    """The deal's own page, /deals?deal=<id>."""
    app = open_view(app, "views/deals.py")
    app.query_params["deal"] = str(deal_id)
    return app.run()


def create_deal(app, title: str, amount: str):
    app.text_input(key=key(Deals.NEW_DEAL, "title")).input(title)
    app.text_input(key=key(Deals.NEW_DEAL, "amount")).input(amount)
    return app.button(key=key(Deals.NEW_DEAL, "save")).click().run()


def test_the_page_shows_the_grid_board_and_tasks(app_as):
    app = open_view(app_as("anna"), "views/deals.py")

    assert [tab.label for tab in app.tabs][:4] == ["Grid", "Board", "My tasks", "New deal"]
    assert any(element.type == "component_instance" for element in app.get("component_instance"))
    assert app.radio(key=Deals.STATUS).value == "open"  # open deals unless asked

    app.radio(key=Deals.STATUS).set_value("all").run()  # every status: one click
    assert any(c.value.startswith("Deals 1–") for c in app.caption)


def test_a_manager_creates_a_deal_with_the_form(writable_app_as, writable_demo_url):
    app = create_deal(
        open_view(writable_app_as("anna"), "views/deals.py"), "Fleet tracking for Volga Logistics", "1500"
    )

    assert not app.exception
    stored = Database(writable_demo_url).deal("Fleet tracking for Volga Logistics")
    assert (float(stored.amount), stored.status) == (1500.0, StageKind.OPEN)
    assert stored.owner_id == users_id(writable_demo_url, "anna")
    assert app.query_params["deal"] == str(stored.id)  # the new deal's own page
    assert app.subheader[0].value == "Fleet tracking for Volga Logistics"


def users_id(url: str, login: str) -> int:
    from tests.conftest import user_id_of

    return user_id_of(url, login)


def test_an_invalid_amount_is_named_next_to_the_field_and_nothing_is_stored(writable_app_as, writable_demo_url):
    app = create_deal(open_view(writable_app_as("anna"), "views/deals.py"), "Deal with a bad amount", "twelve")

    assert any("must be a number" in c.value for c in app.caption)
    assert Database(writable_demo_url).deal("Deal with a bad amount") is None


def test_in_russian_the_service_names_a_bad_amount_in_russian(writable_app_as, writable_demo_url, russian):
    app = create_deal(open_view(russian(writable_app_as("anna")), "views/deals.py"), "Сделка с плохой суммой", "twelve")

    assert not app.exception
    assert any("должно быть числом, а не 'twelve'" in c.value for c in app.caption)
    assert not any("must be a number" in c.value for c in app.caption)
    assert Database(writable_demo_url).deal("Сделка с плохой суммой") is None


def test_in_russian_a_deal_of_another_manager_is_refused_in_russian(app_as, demo_database_url, russian):
    from tests.conftest import HOSTILE_TITLE

    app = deal_page(russian(app_as("anna")), Database(demo_database_url).deal(HOSTILE_TITLE).id)

    assert [w.value for w in app.warning] == ["Эта сделка вам недоступна: она принадлежит другому менеджеру."]


def test_a_move_into_a_stage_with_required_fields_asks_for_them_then_stores_them(writable_app_as, writable_demo_url):
    db = Database(writable_demo_url)
    app = create_deal(open_view(writable_app_as("anna"), "views/deals.py"), "Needs a close date", "900")
    deal = db.deal("Needs a close date")
    contracting = db.stage_named(deal.pipeline_id, "Contracting")

    app.selectbox(key=Deals.MOVE(deal.id, "target", 1)).set_value(contracting).run()

    assert any("Contracting needs" in i.value for i in app.info)
    app.button(key=Deals.MOVE(deal.id, "go", 1)).click().run()  # without the fields: refused, named
    assert any("is required" in c.value for c in app.caption)
    assert db.deal("Needs a close date").stage_id == deal.stage_id

    app.date_input(key=Deals.MOVE(deal.id, "expected_close_date")).set_value(date(2027, 2, 1))
    app.selectbox(key=Deals.MOVE(deal.id, "parties", "company")).set_value(db.a_company())
    app.button(key=Deals.MOVE(deal.id, "go", 1)).click().run()

    moved = db.deal("Needs a close date")
    assert (moved.stage_id, moved.expected_close_date, moved.company_id) == (
        contracting,
        date(2027, 2, 1),
        db.a_company(),
    )


def test_closing_lost_needs_a_reason_and_a_lost_deal_reopens(writable_app_as, writable_demo_url):
    db = Database(writable_demo_url)
    app = create_deal(open_view(writable_app_as("anna"), "views/deals.py"), "Will be lost", "100")
    deal = db.deal("Will be lost")
    lost = db.stage_named(deal.pipeline_id, "Lost")

    app.selectbox(key=Deals.MOVE(deal.id, "target", 1)).set_value(lost).run()
    app.button(key=Deals.MOVE(deal.id, "go", 1)).click().run()

    assert any("choose why the deal was lost" in c.value for c in app.caption)
    assert db.deal("Will be lost").status == StageKind.OPEN

    app.selectbox(key=Deals.MOVE(deal.id, "reason")).select_index(1).run()
    app.button(key=Deals.MOVE(deal.id, "go", 1)).click().run()
    assert db.deal("Will be lost").status == StageKind.LOST

    app.selectbox(key=Deals.MOVE(deal.id, "target", 2)).set_value(deal.stage_id).run()
    assert app.button(key=Deals.MOVE(deal.id, "go", 2)).label == "Reopen"
    app.button(key=Deals.MOVE(deal.id, "go", 2)).click().run()

    reopened = db.deal("Will be lost")
    assert (reopened.status, reopened.stage_id, reopened.lost_reason_id) == (StageKind.OPEN, deal.stage_id, None)


def test_an_executive_reads_a_deal_but_cannot_change_it(app_as, demo_database_url):
    from tests.conftest import HOSTILE_TITLE

    deal = Database(demo_database_url).deal(HOSTILE_TITLE)
    app = deal_page(app_as("ceo"), deal.id)

    assert app.subheader[0].value == format.plain(HOSTILE_TITLE)  # shown as written, not as Markdown
    assert any(c.value == "You can read this deal but not change it." for c in app.caption)
    assert not [b for b in app.button if b.key.startswith((Deals.MOVE(deal.id), Deals.NEXT_STAGE(deal.id)))]


def test_an_executive_reassigns_a_deal_to_another_manager(writable_app_as, writable_demo_url):
    db = Database(writable_demo_url)
    writer = writable_app_as("anna")
    create_deal(open_view(writer, "views/deals.py"), "Changes hands", "300")
    deal = db.deal("Changes hands")
    boris = users_id(writable_demo_url, "boris")
    app = deal_page(writable_app_as("ceo"), deal.id)

    app.selectbox(key=Deals.REASSIGN(deal.id, "owner")).set_value(boris)
    app.button(key=Deals.REASSIGN(deal.id, "go")).click().run()

    assert not app.exception
    assert (db.deal("Changes hands").owner_id, db.deal("Changes hands").version) == (boris, 2)


def test_a_deal_without_an_amount_is_created_with_zero(writable_app_as, writable_demo_url):
    create_deal(open_view(writable_app_as("anna"), "views/deals.py"), "No amount yet", "")

    assert float(Database(writable_demo_url).deal("No amount yet").amount) == 0.0


def deals_in_every_open_stage(url: str, login: str) -> list[tuple[int, list[pipelines.StageInfo], int]]:
    """For each pipeline of the demo (one per template), a deal with every field filled in each of its
    open stages: (deal id, the pipeline's stages, the deal's stage)."""
    from core.customers import create_company

    made = []
    with transaction(make_engine(url), write=True) as session:
        owner = users.find_user(session, login).as_actor()
        company = create_company(session, owner, "Every stage Ltd")
        for pipeline in pipelines.list_pipelines(session):
            stages = pipelines.list_stages(session, pipeline.id)
            for stage in (s for s in stages if s.is_open):
                fields = {
                    "title": f"Walks {pipeline.name} from {stage.name}",
                    "amount": 1000,
                    "company_id": company,
                    "expected_close_date": date(2027, 3, 15),
                    "source": "web",
                    "region": "North",
                    "segment": "SMB",
                }
                deal_id = deals.create_deal(session, owner, pipeline_id=pipeline.id, stage_id=stage.id, fields=fields)
                made.append((deal_id, stages, stage.id))
    return made


def test_the_move_step_offers_the_next_stage_and_next_stage_moves_there_in_one_click(
    writable_app_as, writable_demo_url
):
    db = Database(writable_demo_url)
    for deal_id, stages, stage_id in deals_in_every_open_stage(writable_demo_url, "anna"):
        following = pipelines.next_stage(stages, stage_id)
        app = deal_page(writable_app_as("anna"), deal_id)
        assert app.selectbox(key=Deals.MOVE(deal_id, "target", 1)).value == following.id
        assert (
            stages[[s.id for s in stages].index(stage_id)].name
            not in app.selectbox(key=Deals.MOVE(deal_id, "target", 1)).options
        )

        app.button(key=Deals.NEXT_STAGE(deal_id, 1)).click().run()

        if following.is_won:  # Won asks for the final amount first, in a dialog (driven in Chromium)
            assert app.text_input(key=key(Deals.MOVE(deal_id, "dialog", following.id), "won_amount")).value == "1000.00"
            assert db.deal_by_id(deal_id).stage_id == stage_id
            continue
        assert not app.exception
        assert db.deal_by_id(deal_id).stage_id == following.id
        after = pipelines.next_stage(stages, following.id)
        assert app.selectbox(key=Deals.MOVE(deal_id, "target", 2)).value == after.id


def test_a_new_company_typed_in_the_move_step_is_created_and_fills_the_required_company(
    writable_app_as, writable_demo_url
):
    db = Database(writable_demo_url)
    app = create_deal(open_view(writable_app_as("anna"), "views/deals.py"), "Needs a new company", "900")
    deal = db.deal("Needs a new company")
    contracting = db.stage_named(deal.pipeline_id, "Contracting")

    app.selectbox(key=Deals.MOVE(deal.id, "target", 1)).set_value(contracting).run()
    app.date_input(key=Deals.MOVE(deal.id, "expected_close_date")).set_value(date(2027, 3, 15))
    app.text_input(key=Deals.MOVE(deal.id, "parties", "new_company")).input("Свежая компания <b>")
    app.button(key=Deals.MOVE(deal.id, "go", 1)).click().run()

    moved = db.deal("Needs a new company")
    assert not [c.value for c in app.caption if "required" in c.value]
    assert moved.stage_id == contracting
    with transaction(db.engine) as session:
        assert customers.names(session, moved.company_id, None)[0] == "Свежая компания <b>"


def test_the_timeline_shows_who_changed_the_amount_from_what_to_what(writable_app_as, writable_demo_url, russian):
    db = Database(writable_demo_url)
    with transaction(db.engine, write=True) as session:
        anna = users.find_user(session, "anna")
        pipeline_id = pipelines.list_pipelines(session)[0].id
        deal_id = deals.create_deal(
            session, anna.as_actor(), pipeline_id=pipeline_id, fields={"title": "Cut short", "amount": "50000"}
        )
    with transaction(db.engine, write=True) as session:
        deals.update_deal(session, anna.as_actor(), deal_id, 1, {"amount": "5000"})
    deal = db.deal_by_id(deal_id)

    app = deal_page(russian(writable_app_as("anna")), deal.id)

    assert not app.exception
    lines = [element.value for element in app.text]
    nbsp = format.NARROW_NBSP
    assert any(
        f"Сумма: 50{nbsp}000" in line and f"→ 5{nbsp}000" in line and anna.display_name in line for line in lines
    )
