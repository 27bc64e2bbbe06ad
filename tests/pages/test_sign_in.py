from tests.conftest import DEMO_PASSWORD
from ui.state import SIGN_OUT


def sign_in(app, login: str, password: str):
    app.text_input[0].input(login)
    app.text_input[1].input(password)
    return app.button[0].click().run()


def test_the_sign_in_form_comes_before_anything_else(app_as):
    app = app_as().run()

    assert not app.exception
    assert app.title[0].value == "Sign in"
    assert not app.metric
    assert [b.label for b in app.sidebar.button] == []


def test_signing_in_opens_the_overview_and_names_the_user_and_role(app_as):
    app = sign_in(app_as().run(), "ceo", DEMO_PASSWORD)

    assert not app.exception
    assert app.title[0].value == "Pipelines overview"
    assert app.sidebar.text[0].value == "Victor Chief · executive"


def test_a_wrong_password_and_an_unknown_login_get_the_same_message(writable_app_as):
    wrong_password = sign_in(writable_app_as().run(), "anna", "not her password")
    unknown_login = sign_in(writable_app_as().run(), "nobody", "whatever")

    for app in (wrong_password, unknown_login):
        assert app.title[0].value == "Sign in"
        assert [e.value for e in app.error] == ["Wrong login or password."]


def test_signing_out_returns_to_the_sign_in_form(app_as):
    app = app_as("anna").run()
    app.sidebar.button(key=SIGN_OUT).click().run()

    assert app.title[0].value == "Sign in"


def test_a_user_deactivated_while_signed_in_is_signed_out(writable_app_as, writable_demo_url):
    from core import users
    from core.permissions import Actor
    from db.engine import make_engine, transaction

    app = writable_app_as("anna").run()
    assert app.title[0].value == "Pipelines overview"
    engine = make_engine(writable_demo_url)
    with transaction(engine, write=True) as session:
        anna = users.find_user(session, "anna")
        users.update_user(
            session,
            Actor.system(),
            anna.id,
            display_name=anna.display_name,
            role=anna.role,
            team_id=anna.team_id,
            is_active=False,
        )
    engine.dispose()

    app.run()

    assert app.title[0].value == "Sign in"
