from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import pipelines
from core.analytics.funnel import current_pipeline
from db.engine import make_engine, transaction
from ui import format

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app(demo_database_url, monkeypatch) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", demo_database_url)
    return AppTest.from_file(APP, default_timeout=60)


def expected_open_deals(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with transaction(engine) as session:
        result = {
            p.name: int(current_pipeline(session, p.id)["deals"].sum())
            for p in pipelines.list_pipelines(session)
        }
    engine.dispose()
    return result


def test_overview_lists_every_pipeline_with_its_open_deals(app, demo_database_url):
    app.run()

    assert not app.exception
    assert app.title[0].value == "Pipelines overview"
    expected = expected_open_deals(demo_database_url)
    assert [h.value for h in app.subheader] == list(expected)
    open_deals = [m.value for m in app.metric if m.label == "Open deals"]
    assert open_deals == [format.count(n, "en") for n in expected.values()]
    assert all(n > 0 for n in expected.values())


def test_overview_speaks_russian(app):
    app.run()
    app.sidebar.selectbox[0].set_value("ru").run()

    assert not app.exception
    assert app.title[0].value == "Обзор воронок"
    assert {m.label for m in app.metric} == {"Открытые сделки", "Сумма", "Взвешенная сумма"}


def test_overview_of_an_empty_database_says_how_to_get_data(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    app = AppTest.from_file(APP, default_timeout=60).run()

    assert not app.exception
    assert "python -m core seed" in app.info[0].value
