from sqlalchemy import func, select

from core import users
from db.engine import make_engine, transaction
from db.models import Deal, StageKind
from tests.conftest import HOSTILE_LOGIN, HOSTILE_NAME
from tests.pages.conftest import open_view
from ui.confirm import CANCEL, CONFIRM
from ui.format import plain
from ui.state import Users, key


def stored_user(url: str, login: str):
    engine = make_engine(url)
    with transaction(engine) as session:
        found = [u for u in users.list_users(session, active_only=False) if u.login == login]
    engine.dispose()
    return found[0] if found else None


def test_the_user_list_has_no_password_hashes(app_as):
    app = open_view(app_as("admin"), "views/users.py")

    table = app.dataframe[0].value
    assert "admin" in table.iloc[:, 0].tolist()
    assert not table.astype(str).apply(lambda column: column.str.contains(r"\$argon2")).any().any()


def test_an_admin_creates_a_user(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/users.py")
    app.text_input(key=key(Users.ADD, "login")).input("Olga.K")
    app.text_input(key=key(Users.ADD, "display_name")).input("Olga Kuznetsova")
    app.selectbox(key=key(Users.ADD, "role")).set_value("executive")
    app.text_input(key=key(Users.ADD, "password")).input("a long password")
    app.text_input(key=key(Users.ADD, "password_again")).input("a long password")
    app.button(key=Users.CREATE).click().run()

    assert not app.exception and not app.error
    created = stored_user(writable_demo_url, "olga.k")
    assert (created.display_name, created.role.value, created.is_active) == ("Olga Kuznetsova", "executive", True)
    assert "olga.k" in app.dataframe[0].value.iloc[:, 0].tolist()


def test_bad_input_names_the_fields_and_creates_nothing(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/users.py")
    app.text_input(key=key(Users.ADD, "login")).input("anna")
    app.text_input(key=key(Users.ADD, "password")).input("short")
    app.text_input(key=key(Users.ADD, "password_again")).input("short")
    app.button(key=Users.CREATE).click().run()

    message = app.error[0].value
    assert "Login" in message and "already taken" in message
    assert "Name" in message and "Password" in message
    assert stored_user(writable_demo_url, "anna").display_name == "Anna Ivanova"


def test_in_russian_bad_input_is_named_in_russian(writable_app_as, russian):
    app = open_view(russian(writable_app_as("admin")), "views/users.py")
    app.text_input(key=key(Users.ADD, "login")).input("anna")
    app.text_input(key=key(Users.ADD, "password")).input("short")
    app.text_input(key=key(Users.ADD, "password_again")).input("short")
    app.button(key=Users.CREATE).click().run()

    lines = app.error[0].value.splitlines()
    assert "- **Логин**: 'anna' уже занят" in lines
    assert "- **Пароль**: не короче 8 символов" in lines


def test_the_last_admin_cannot_be_demoted(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/users.py")
    app.selectbox(key=Users.EDITED_ID).set_value(stored_user(writable_demo_url, "admin").id).run()
    admin_id = stored_user(writable_demo_url, "admin").id
    app.selectbox(key=key(Users.EDIT(admin_id), "role")).set_value("manager")
    app.button(key=key(Users.EDIT(admin_id), "save")).click().run()

    assert "last active admin" in app.error[0].value
    assert stored_user(writable_demo_url, "admin").role.value == "admin"


DEACTIVATE_CONFIRM = key(Users.DEACTIVATE_CONFIRMATION, CONFIRM)
DEACTIVATE_CANCEL = key(Users.DEACTIVATE_CONFIRMATION, CANCEL)


def open_deals_of(url: str, login: str) -> int:
    engine = make_engine(url)
    with transaction(engine) as session:
        owner = users.find_user(session, login).id
        count = session.scalar(
            select(func.count()).select_from(Deal).where(Deal.owner_id == owner, Deal.status == StageKind.OPEN)
        )
    engine.dispose()
    return count


def ask_to_deactivate(app, url: str, login: str) -> int:
    """The user picked, Active unticked, Save clicked once."""
    user_id = stored_user(url, login).id
    app.selectbox(key=Users.EDITED_ID).set_value(user_id).run()
    app.checkbox(key=key(Users.EDIT(user_id), "active")).uncheck()
    app.button(key=key(Users.EDIT(user_id), "save")).click().run()
    return user_id


def test_deactivating_first_asks_naming_the_open_deals_and_changes_nothing(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/users.py")

    ask_to_deactivate(app, writable_demo_url, "hugo")

    deals = open_deals_of(writable_demo_url, "hugo")
    assert deals > 0
    assert not app.exception and not app.error
    assert app.warning[0].value == (
        f"Deactivate Hugo Martin (hugo)? They can no longer sign in; their {deals} open deals stay theirs "
        "until you reassign them."
    )
    assert stored_user(writable_demo_url, "hugo").is_active


def test_deactivating_a_user_without_open_deals_asks_too(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/users.py")

    ask_to_deactivate(app, writable_demo_url, "anna")

    assert open_deals_of(writable_demo_url, "anna") == 0
    assert app.warning[0].value == "Deactivate Anna Ivanova (anna)? They can no longer sign in. They own no open deals."
    assert stored_user(writable_demo_url, "anna").is_active


def test_confirm_deactivates_the_user_once(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/users.py")
    ask_to_deactivate(app, writable_demo_url, "anna")
    confirm = app.button(key=DEACTIVATE_CONFIRM)

    confirm.click().run()

    assert not app.exception and not app.error and not app.warning
    assert not stored_user(writable_demo_url, "anna").is_active
    confirm.run()  # a double click: the same Confirm once more, from the page as it was drawn
    assert not app.exception and not app.error and not app.warning
    assert not stored_user(writable_demo_url, "anna").is_active


def test_cancel_keeps_the_user_active_and_puts_the_form_back(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/users.py")
    user_id = ask_to_deactivate(app, writable_demo_url, "anna")

    app.button(key=DEACTIVATE_CANCEL).click().run()

    assert not app.exception and not app.warning
    assert stored_user(writable_demo_url, "anna").is_active
    assert app.checkbox(key=key(Users.EDIT(user_id), "active")).value is True


def test_other_changes_are_saved_at_once(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/users.py")
    anna = stored_user(writable_demo_url, "anna").id
    app.selectbox(key=Users.EDITED_ID).set_value(anna).run()

    app.text_input(key=key(Users.EDIT(anna), "name")).input("Anna Petrova")
    app.button(key=key(Users.EDIT(anna), "save")).click().run()

    assert not app.exception and not app.warning
    assert stored_user(writable_demo_url, "anna").display_name == "Anna Petrova"


def test_a_name_that_is_markup_is_asked_about_as_written(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/users.py")

    ask_to_deactivate(app, writable_demo_url, HOSTILE_LOGIN)

    assert app.warning[0].value.startswith(f"Deactivate {plain(HOSTILE_NAME)} ({HOSTILE_LOGIN})? ")


def test_in_russian_the_deactivation_question_is_in_russian(writable_app_as, writable_demo_url, russian):
    app = open_view(russian(writable_app_as("admin")), "views/users.py")

    ask_to_deactivate(app, writable_demo_url, "hugo")

    deals = open_deals_of(writable_demo_url, "hugo")
    assert app.warning[0].value == (
        f"Отключить пользователя Hugo Martin (hugo)? Он больше не сможет войти; его открытые сделки ({deals}) "
        "останутся за ним, пока вы их не передадите."
    )
    assert [b.label for b in app.button if b.key in (DEACTIVATE_CONFIRM, DEACTIVATE_CANCEL)] == [
        "Да, отключить",
        "Отмена",
    ]


def _session_user(url: str, session_id: int):
    from core import sessions
    from core.settings import load_settings

    engine = make_engine(url)
    with transaction(engine) as session:
        user = sessions.check(session, session_id, lifetimes=load_settings().session_lifetimes).user
    engine.dispose()
    return user


def test_an_admin_sees_who_is_signed_in_and_ends_a_session(writable_app_as, writable_demo_url):
    from tests.conftest import signed_in_session

    annas = signed_in_session(writable_demo_url, "anna")
    boris = signed_in_session(writable_demo_url, "boris")
    app = open_view(writable_app_as("admin"), "views/users.py")

    [table] = [frame.value for frame in app.dataframe if "Last seen" in frame.value.columns]
    assert {"Anna Ivanova", "Alice Admin"} <= set(table["User"])
    app.multiselect(key=Users.SESSIONS_TO_END).select(annas).run()
    app.button(key=Users.END_SESSIONS).click().run()

    assert not app.exception
    assert _session_user(writable_demo_url, annas) is None
    assert _session_user(writable_demo_url, boris).login == "boris"
    assert app.title[0].value == "Users"  # the admin's own session goes on


def test_a_password_reset_signs_the_user_out_everywhere(writable_app_as, writable_demo_url):
    from tests.conftest import signed_in_session

    annas = signed_in_session(writable_demo_url, "anna")
    anna = stored_user(writable_demo_url, "anna")
    app = open_view(writable_app_as("admin"), "views/users.py")
    app.selectbox(key=Users.EDITED_ID).set_value(anna.id).run()
    form = Users.RESET_PASSWORD(anna.id)
    app.text_input(key=key(form, "password")).input("a new password 1")
    app.text_input(key=key(form, "again")).input("a new password 1")
    app.button(key=f"FormSubmitter:{form}-Reset the password").click().run()

    assert not app.exception
    assert _session_user(writable_demo_url, annas) is None
    assert "signed out everywhere" in app.toast[0].value


def test_the_admin_reads_every_sign_in_attempt_and_a_hostile_login_stays_text(writable_app_as, writable_demo_url):
    from core import auth

    engine = make_engine(writable_demo_url)
    auth.sign_in(engine, "**nobody** [x](http://attacker.example)", "wrong", client="10.1.2.3", user_agent="Curl")
    auth.sign_in(engine, "anna", "demo-pass", client="10.1.2.4", user_agent="Firefox")
    engine.dispose()

    app = open_view(writable_app_as("admin"), "views/users.py")

    [log] = [frame.value for frame in app.dataframe if "Login as typed" in frame.value.columns]
    assert log.iloc[0].tolist()[1:] == ["anna", "Anna Ivanova", "signed in", "10.1.2.4", "Firefox"]
    hostile = "**nobody** [x](http://attacker.example)"
    assert log.iloc[1].tolist()[1:] == [hostile, "", "wrong login or password", "10.1.2.3", "Curl"]


def test_the_toast_of_an_action_followed_by_a_rerun_shows_once(writable_app_as):
    """Drawn by the run that ends, not by the one the rerun cut short as well (a busy browser: e2e/test_toasts)."""
    app = open_view(writable_app_as("admin"), "views/users.py")
    app.text_input(key=Users.TEAM_NAME).input("North")
    app.button(key=f"FormSubmitter:{Users.ADD_TEAM}-Add a team").click().run()

    assert not app.exception
    assert [toast.value for toast in app.toast] == ["Team North created."]
