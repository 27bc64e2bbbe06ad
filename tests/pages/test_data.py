from tests.pages.conftest import open_view


def test_the_admin_sees_the_import_and_export_page(app_as):
    app = open_view(app_as("admin"), "views/data.py")

    assert app.title[0].value == "Import & export"
    assert [tab.label for tab in app.tabs] == ["Import from another CRM", "Export everything"]


def test_the_export_is_prepared_for_download(app_as):
    app = open_view(app_as("admin"), "views/data.py")
    app.button(key="data_export_prepare").click().run()

    assert not app.exception
    downloads = [e for e in app.get("download_button")]
    assert len(downloads) == 2
