from datetime import date

from sqlalchemy import select

from core import deals, pipelines, users
from db.engine import make_engine, transaction
from db.models import Deal, StageKind
from tests.pages.conftest import open_view
from ui.state import Deals, key


class Database:
    """Reads the test database the way a person would check it: by deal title."""

    def __init__(self, url: str):
        self.engine = make_engine(url)

    def deal(self, title: str) -> deals.DealView | None:
        with transaction(self.engine) as session:
            deal_id = session.scalar(select(Deal.id).where(Deal.title == title))
            return deals.get_deal(session, users.find_user(session, "admin").as_actor(), deal_id) if deal_id else None

    def stage_named(self, pipeline_id: int, name: str) -> int:
        with transaction(self.engine) as session:
            return next(s.id for s in pipelines.list_stages(session, pipeline_id) if s.name == name)

    def a_company(self) -> int:
        from db.models import Company

        with transaction(self.engine) as session:
            return session.scalar(select(Company.id).order_by(Company.id).limit(1))


def create_deal(app, title: str, amount: str):
    app.text_input(key=key(Deals.NEW_DEAL, "title")).input(title)
    app.text_input(key=key(Deals.NEW_DEAL, "amount")).input(amount)
    return app.button(key=key(Deals.NEW_DEAL, "save")).click().run()


def test_the_page_shows_the_grid_board_and_tasks(app_as):
    app = open_view(app_as("anna"), "views/deals.py")

    assert [tab.label for tab in app.tabs][:4] == ["Grid", "Board", "My tasks", "New deal"]
    assert any(element.type == "component_instance" for element in app.get("component_instance"))
    assert any(c.value.startswith("Deals 1–") for c in app.caption)


def test_a_manager_creates_a_deal_with_the_form(writable_app_as, writable_demo_url):
    app = create_deal(
        open_view(writable_app_as("anna"), "views/deals.py"), "Fleet tracking for Volga Logistics", "1500"
    )

    assert not app.exception
    stored = Database(writable_demo_url).deal("Fleet tracking for Volga Logistics")
    assert (float(stored.amount), stored.status) == (1500.0, StageKind.OPEN)
    assert stored.owner_id == users_id(writable_demo_url, "anna")
    assert app.session_state[Deals.SELECTED_ID] == stored.id


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

    app = russian(app_as("anna"))
    app.session_state[Deals.SELECTED_ID] = Database(demo_database_url).deal(HOSTILE_TITLE).id
    app = open_view(app, "views/deals.py")

    assert [w.value for w in app.warning] == ["Эта сделка вам недоступна: она принадлежит другому менеджеру."]


def test_a_move_into_a_stage_with_required_fields_asks_for_them_then_stores_them(writable_app_as, writable_demo_url):
    db = Database(writable_demo_url)
    app = create_deal(open_view(writable_app_as("anna"), "views/deals.py"), "Needs a close date", "900")
    deal = db.deal("Needs a close date")
    contracting = db.stage_named(deal.pipeline_id, "Contracting")

    app.selectbox(key=Deals.MOVE(deal.id, "target")).set_value(contracting).run()

    assert any("Contracting needs" in i.value for i in app.info)
    app.button(key=Deals.MOVE(deal.id, "go")).click().run()  # without the fields: refused, named
    assert any("is required" in c.value for c in app.caption)
    assert db.deal("Needs a close date").stage_id == deal.stage_id

    app.date_input(key=Deals.MOVE(deal.id, "expected_close_date")).set_value(date(2027, 2, 1))
    app.selectbox(key=Deals.MOVE(deal.id, "company_id_company")).set_value(db.a_company())
    app.button(key=Deals.MOVE(deal.id, "go")).click().run()

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

    app.selectbox(key=Deals.MOVE(deal.id, "target")).set_value(lost).run()
    app.button(key=Deals.MOVE(deal.id, "go")).click().run()

    assert any("choose why the deal was lost" in c.value for c in app.caption)
    assert db.deal("Will be lost").status == StageKind.OPEN

    app.selectbox(key=Deals.MOVE(deal.id, "reason")).select_index(1).run()
    app.button(key=Deals.MOVE(deal.id, "go")).click().run()
    assert db.deal("Will be lost").status == StageKind.LOST

    app.selectbox(key=Deals.MOVE(deal.id, "target")).set_value(deal.stage_id).run()
    assert app.button(key=Deals.MOVE(deal.id, "go")).label == "Reopen"
    app.button(key=Deals.MOVE(deal.id, "go")).click().run()

    reopened = db.deal("Will be lost")
    assert (reopened.status, reopened.stage_id, reopened.lost_reason_id) == (StageKind.OPEN, deal.stage_id, None)


def test_an_executive_reads_a_deal_but_cannot_change_it(app_as, demo_database_url):
    from tests.conftest import HOSTILE_TITLE

    deal = Database(demo_database_url).deal(HOSTILE_TITLE)
    app = app_as("ceo")
    app.session_state[Deals.SELECTED_ID] = deal.id
    app = open_view(app, "views/deals.py")

    assert app.subheader[0].value == HOSTILE_TITLE
    assert any(c.value == "You can read this deal but not change it." for c in app.caption)
    assert not [b for b in app.button if b.key == f"move_{deal.id}_go"]


def test_an_executive_reassigns_a_deal_to_another_manager(writable_app_as, writable_demo_url):
    db = Database(writable_demo_url)
    writer = writable_app_as("anna")
    create_deal(open_view(writer, "views/deals.py"), "Changes hands", "300")
    deal = db.deal("Changes hands")
    boris = users_id(writable_demo_url, "boris")
    app = writable_app_as("ceo")
    app.session_state[Deals.SELECTED_ID] = deal.id
    app = open_view(app, "views/deals.py")

    app.selectbox(key=Deals.REASSIGN(deal.id, "owner")).set_value(boris)
    app.button(key=Deals.REASSIGN(deal.id, "go")).click().run()

    assert not app.exception
    assert (db.deal("Changes hands").owner_id, db.deal("Changes hands").version) == (boris, 2)


def test_a_deal_without_an_amount_is_created_with_zero(writable_app_as, writable_demo_url):
    create_deal(open_view(writable_app_as("anna"), "views/deals.py"), "No amount yet", "")

    assert float(Database(writable_demo_url).deal("No amount yet").amount) == 0.0
