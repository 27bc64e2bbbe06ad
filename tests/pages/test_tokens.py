"""The API tokens page: every user creates (shown once), sees and revokes their own; an admin also
makes intake tokens and sees and revokes everyone's."""

from sqlalchemy import select

from core import tokens
from db.engine import make_engine, transaction
from db.models import ApiToken, TokenScope
from tests.conftest import user_id_of
from tests.pages.conftest import open_view
from ui.format import plain
from ui.state import Tokens, key

PAGE = "views/tokens.py"


def stored(url: str) -> list[ApiToken]:
    engine = make_engine(url)
    with transaction(engine) as session:
        rows = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        session.expunge_all()
    engine.dispose()
    return rows


def test_a_manager_creates_a_token_that_is_shown_once_and_works(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("anna"), PAGE)
    assert not app.radio  # no intake tokens for a manager
    app.text_input(key=key(Tokens.NEW, "name")).input("<img src=x onerror=alert(1)> script")
    app.button(key=Tokens.CREATE).click().run()

    assert not app.exception and not app.error
    secret = app.code[0].value
    assert secret.startswith(tokens.PREFIX)
    assert "/api/v1/me" in app.code[1].value and secret in app.code[1].value
    assert plain("<img src=x onerror=alert(1)> script") in app.success[0].value  # the name as plain text
    row = stored(writable_demo_url)[-1]
    assert (row.user_id, row.scope, row.name) == (
        user_id_of(writable_demo_url, "anna"),
        TokenScope.API,
        "<img src=x onerror=alert(1)> script",
    )
    engine = make_engine(writable_demo_url)
    with transaction(engine) as session:
        assert tokens.authenticate(session, secret).user.login == "anna"
    engine.dispose()

    app.button(key=Tokens.DISMISS).click().run()
    assert not app.code  # never shown again
    assert app.dataframe[0].value.iloc[0, 0] == "<img src=x onerror=alert(1)> script"


def test_a_token_without_a_name_is_refused_naming_the_field(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("anna"), PAGE)
    app.button(key=Tokens.CREATE).click().run()

    assert "Name" in app.error[0].value and "is required" in app.error[0].value
    assert stored(writable_demo_url) == []


def test_a_manager_revokes_their_token(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("anna"), PAGE)
    app.text_input(key=key(Tokens.NEW, "name")).input("old script")
    app.button(key=Tokens.CREATE).click().run()
    app.button(key=Tokens.DISMISS).click().run()

    app.multiselect(key=key(Tokens.REVOKE_OWN, "ids")).select(stored(writable_demo_url)[0].id).run()
    app.button(key=Tokens.REVOKE_OWN).click().run()

    assert not app.exception and stored(writable_demo_url)[0].revoked_at is not None
    assert "No tokens." in [caption.value for caption in app.caption]


def test_an_admin_makes_an_intake_token_and_sees_everyones(writable_app_as, writable_demo_url):
    manager = open_view(writable_app_as("anna"), PAGE)
    manager.text_input(key=key(Tokens.NEW, "name")).input("anna's")
    manager.button(key=Tokens.CREATE).click().run()

    app = open_view(writable_app_as("admin"), PAGE)
    app.radio(key=key(Tokens.NEW, "kind")).set_value("intake").run()
    app.selectbox(key=key(Tokens.NEW, "pipeline")).set_value(3).run()
    app.number_input(key=key(Tokens.NEW, "window")).set_value(14).run()
    app.text_input(key=key(Tokens.NEW, "name")).input("Website form")
    app.button(key=Tokens.CREATE).click().run()

    assert not app.exception and not app.error
    intake = stored(writable_demo_url)[-1]
    assert (intake.scope, intake.intake_window_days, intake.intake_team_id is not None) == (TokenScope.INTAKE, 14, True)
    assert f"/api/v1/intake/{intake.intake_pipeline_id}" in app.code[1].value
    everyone = app.dataframe[-1].value
    assert set(everyone.iloc[:, 0]) == {"Anna Ivanova", "Alice Admin"}


def test_the_page_reads_in_russian(app_as, russian):
    app = open_view(russian(app_as("admin")), PAGE)
    assert app.title[0].value == "API-токены"
    assert [radio.options for radio in app.radio][0] == ["API (от моего имени)", "Приём заявок"]
