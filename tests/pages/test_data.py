from sqlalchemy import select

from db.engine import make_engine, transaction
from db.models import Deal
from tests.pages.conftest import open_view
from ui.confirm import CANCEL, CONFIRM
from ui.state import Data, key


def test_the_admin_sees_the_import_and_export_page(app_as):
    app = open_view(app_as("admin"), "views/data.py")

    assert app.title[0].value == "Import & export"
    assert [tab.label for tab in app.tabs] == ["Import from another CRM", "Export everything"]


def test_the_export_is_prepared_for_download(app_as):
    app = open_view(app_as("admin"), "views/data.py")
    app.button(key=Data.EXPORT_PREPARE).click().run()

    assert not app.exception
    downloads = [e for e in app.get("download_button")]
    assert len(downloads) == 2


def test_the_page_in_russian(app_as):
    app = app_as("admin")
    app.run()
    app.sidebar.selectbox[0].set_value("ru").run()
    app.switch_page("views/data.py").run()

    assert not app.exception
    assert app.title[0].value == "Импорт и экспорт"
    assert [tab.label for tab in app.tabs] == ["Импорт из другой CRM", "Выгрузить всё"]


GOOD = (
    "\ufeffDeal ID;Title;Manager;Stage;Amount;Created;Closed\n"
    "W-1;Wizard alpha;anna;Qualification;1 000;01.10.2026;\n"
    "W-2;Wizard beta;anna;Qualification;2 500,50;02.10.2026;\n"
    "W-3;Wizard gamma;boris;Won;500;03.10.2026;09.10.2026\n"
)
RUN_CONFIRM = key(Data.RUN_CONFIRMATION, CONFIRM)
RUN_CANCEL = key(Data.RUN_CONFIRMATION, CANCEL)


def imported(url: str) -> list[str]:
    engine = make_engine(url)
    with transaction(engine) as session:
        ids = session.scalars(select(Deal.external_id).where(Deal.external_id.like("W-%")).order_by(Deal.id)).all()
    engine.dispose()
    return list(ids)


def ask_to_import(app) -> None:
    """The file uploaded, its columns and stages guessed, Import clicked once."""
    app.file_uploader(key=Data.FILE).set_value(("old-crm.csv", GOOD.encode(), "text/csv")).run()
    app.button(key=Data.RUN).click().run()


def test_the_import_first_asks_naming_what_it_writes_and_writes_nothing(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/data.py")

    ask_to_import(app)

    assert not app.exception and not app.error
    assert app.warning[0].value == (
        "Import 3 deals into 'B2B classic'? 0 new users and 0 new companies are created; "
        "0 deals imported before are skipped. An import is not undone with one click."
    )
    assert imported(writable_demo_url) == []


def test_confirm_imports_once(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/data.py")
    ask_to_import(app)
    confirm = app.button(key=RUN_CONFIRM)

    confirm.click().run()

    assert not app.exception and not app.error and not app.warning
    assert app.success[0].value.startswith("Imported 3 deals")
    assert imported(writable_demo_url) == ["W-1", "W-2", "W-3"]
    confirm.run()  # a double click: the same Confirm once more, from the page as it was drawn
    assert not app.exception and not app.error
    assert imported(writable_demo_url) == ["W-1", "W-2", "W-3"]


def test_cancel_imports_nothing(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/data.py")
    ask_to_import(app)

    app.button(key=RUN_CANCEL).click().run()

    assert not app.exception and not app.warning
    assert imported(writable_demo_url) == []


def test_in_russian_the_import_question_is_in_russian(writable_app_as, writable_demo_url, russian):
    app = open_view(russian(writable_app_as("admin")), "views/data.py")

    ask_to_import(app)

    assert app.warning[0].value.startswith("Загрузить в «B2B classic» сделок: 3? Новых пользователей: 0")
    assert [b.label for b in app.button if b.key in (RUN_CONFIRM, RUN_CANCEL)] == ["Да, загрузить", "Отмена"]
