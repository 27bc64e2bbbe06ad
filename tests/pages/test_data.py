from tests.pages.conftest import open_view
from ui.state import Data


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
