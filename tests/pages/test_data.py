import uuid

import pandas as pd
from sqlalchemy import select

from db.engine import make_engine, transaction
from db.models import Deal
from tests.pages.conftest import open_view
from ui import format
from ui.confirm import CANCEL, CONFIRM
from ui.state import Data, key


def test_the_admin_sees_the_import_and_export_page(app_as):
    app = open_view(app_as("admin"), "views/data.py")

    assert app.title[0].value == "Import & export"
    assert [tab.label for tab in app.tabs] == ["Import from another CRM", "Past imports", "Export everything"]


def test_the_export_links_to_the_server_route_and_holds_no_copy_in_the_page(app_as):
    app = open_view(app_as("admin"), "views/data.py")

    assert not app.exception
    assert [link.proto.url for link in app.get("link_button")] == ["/downloads/export.zip", "/downloads/export.xlsx"]
    assert not app.get("download_button")


def test_the_page_in_russian(app_as):
    app = app_as("admin")
    app.run()
    app.sidebar.selectbox[0].set_value("ru").run()
    app.switch_page("views/data.py").run()

    assert not app.exception
    assert app.title[0].value == "Импорт и экспорт"
    assert [tab.label for tab in app.tabs] == ["Импорт из другой CRM", "Прошлые импорты", "Выгрузить всё"]


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
        "0 deals imported before are skipped. It can be undone under Past imports while its deals are unchanged."
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


def test_a_file_is_parsed_once_however_often_the_page_reruns(app_as, monkeypatch):
    parses = []
    read_csv = pd.read_csv
    monkeypatch.setattr(pd, "read_csv", lambda *args, **kwargs: parses.append(1) or read_csv(*args, **kwargs))
    unique = GOOD + f"W-4;Wizard {uuid.uuid4().hex};anna;Qualification;1;04.10.2026;\n"  # not read by another test
    app = open_view(app_as("admin"), "views/data.py")

    app.file_uploader(key=Data.FILE).set_value(("once.csv", unique.encode(), "text/csv")).run()
    app.toggle(key=Data.DAY_FIRST).set_value(False).run()
    app.radio(key=Data.OWNERS).set_value(False).run()
    app.radio(key=Data.COMPANIES).set_value(False).run()

    assert not app.exception and not app.error
    assert app.caption[1].value.startswith("4 rows")
    assert len(parses) == 1


def test_a_table_beyond_the_limits_is_refused_on_the_page(app_as):
    wide = ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n"
    app = open_view(app_as("admin"), "views/data.py")

    app.file_uploader(key=Data.FILE).set_value(("wide.csv", wide.encode(), "text/csv")).run()

    assert not app.exception
    assert "the table has more than 200 columns, which is the limit" in app.error[0].value


def test_rows_in_another_encoding_are_named_on_the_page(app_as, russian):
    mixed = GOOD.encode() + "W-5;Лютик;anna;Qualification;1;05.10.2026;\n".encode("cp1251")
    app = open_view(russian(app_as("admin")), "views/data.py")

    app.file_uploader(key=Data.FILE).set_value(("mixed.csv", mixed, "text/csv")).run()

    assert not app.exception and not app.error
    assert app.warning[0].value.startswith("в файле смешаны кодировки: строки 5 прочитаны как Windows-1251")


UNDO_CONFIRM = key(Data.UNDO_CONFIRMATION, CONFIRM)


def test_an_import_is_listed_and_undone_after_a_question_and_only_once(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/data.py")
    ask_to_import(app)
    app.button(key=RUN_CONFIRM).click().run()
    assert imported(writable_demo_url) == ["W-1", "W-2", "W-3"]
    app = open_view(writable_app_as("admin"), "views/data.py")

    batches = next(d.value for d in app.dataframe if "file_name" in d.value.columns)
    app.button(key=Data.UNDO).click().run()
    assert imported(writable_demo_url) == ["W-1", "W-2", "W-3"]  # asked, nothing done yet
    named = format.plain("old-crm.csv")  # as the question's markdown holds it
    assert any("Undo the import" in w.value and named in w.value for w in app.warning)
    confirm = app.button(key=UNDO_CONFIRM)
    confirm.click().run()

    assert batches[["file_name", "deals"]].values.tolist() == [["old-crm.csv", 3]]
    assert not app.exception and not app.error
    assert app.success[0].value.startswith("Import undone: 3 deals removed")
    assert imported(writable_demo_url) == []
    # A double click's second click reaches no Confirm, and there is nothing left to undo.
    assert not [b for b in app.button if b.key in (UNDO_CONFIRM, Data.UNDO)]


def test_a_changed_deal_is_named_and_only_the_rest_is_undone_when_asked(writable_app_as, writable_demo_url):
    from core import deals, users

    app = open_view(writable_app_as("admin"), "views/data.py")
    ask_to_import(app)
    app.button(key=RUN_CONFIRM).click().run()
    engine = make_engine(writable_demo_url)
    with transaction(engine, write=True) as session:
        beta = session.scalar(select(Deal).where(Deal.external_id == "W-2"))
        deals.update_deal(session, users.find_user(session, "admin").as_actor(), beta.id, beta.version, {"amount": "9"})
    engine.dispose()
    app = open_view(writable_app_as("admin"), "views/data.py")

    assert any("Wizard beta" in w.value for w in app.warning)
    assert app.button(key=Data.UNDO).disabled
    app.checkbox(key=Data.KEEP_CHANGED).check().run()
    app.button(key=Data.UNDO).click().run()
    app.button(key=UNDO_CONFIRM).click().run()

    assert not app.exception
    assert imported(writable_demo_url) == ["W-2"]
