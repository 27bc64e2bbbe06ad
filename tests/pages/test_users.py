from core import users
from db.engine import make_engine, transaction
from tests.pages.conftest import open_view
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
