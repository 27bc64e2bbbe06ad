from core.definitions import DEFINITIONS
from tests.pages.conftest import open_view


def test_the_definitions_page_shows_every_definition_in_the_registry(app_as):
    app = open_view(app_as("anna"), "views/definitions.py")

    assert [h.value for h in app.subheader] == [d.title["en"] for d in DEFINITIONS.values()]
    shown = " ".join(m.value for m in app.markdown)
    assert all(d.formula["en"] in shown and d.excludes["en"] in shown for d in DEFINITIONS.values())


def test_the_definitions_page_in_russian(app_as, russian):
    app = open_view(russian(app_as("ceo")), "views/definitions.py")

    assert app.title[0].value == "Что считает каждая цифра"
    assert [h.value for h in app.subheader] == [d.title["ru"] for d in DEFINITIONS.values()]
