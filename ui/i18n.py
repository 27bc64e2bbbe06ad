"""Every UI string, in English and Russian, and the translation of the services' field messages."""

import streamlit as st

from core.errors import ValidationError
from ui.format import plain
from ui.state import LANGUAGE

TEXTS: dict[str, dict[str, str]] = {
    "app.title": {"en": "Sales funnel", "ru": "Воронка продаж"},
    "nav.overview": {"en": "Overview", "ru": "Обзор"},
    "nav.users": {"en": "Users", "ru": "Пользователи"},
    "nav.sign_in": {"en": "Sign in", "ru": "Вход"},
    "sidebar.language": {"en": "Language", "ru": "Язык"},
    "sidebar.signed_in_as": {"en": "Signed in as", "ru": "Вы вошли как"},
    "sidebar.sign_out": {"en": "Sign out", "ru": "Выйти"},
    "role.manager": {"en": "manager", "ru": "менеджер"},
    "role.executive": {"en": "executive", "ru": "руководитель"},
    "role.admin": {"en": "admin", "ru": "администратор"},
    "sign_in.title": {"en": "Sign in", "ru": "Вход"},
    "sign_in.caption": {
        "en": "Sales funnel dashboard. Sign in with the login and password your administrator gave you.",
        "ru": "Дашборд воронки продаж. Войдите с логином и паролем, которые выдал администратор.",
    },
    "sign_in.login": {"en": "Login", "ru": "Логин"},
    "sign_in.password": {"en": "Password", "ru": "Пароль"},
    "sign_in.submit": {"en": "Sign in", "ru": "Войти"},
    "sign_in.wrong": {"en": "Wrong login or password.", "ru": "Неверный логин или пароль."},
    "sign_in.locked": {
        "en": "Too many failed attempts. This login is locked until {time} UTC; try again later.",
        "ru": "Слишком много неудачных попыток. Вход для этого логина закрыт до {time} UTC; попробуйте позже.",
    },
    "sign_in.demo": {
        "en": "Demo installation: try `admin`, `ceo` or `anna` with the password `demo-pass`.",
        "ru": "Демо-версия: войдите как `admin`, `ceo` или `anna` с паролем `demo-pass`.",
    },
    "sign_in.no_users": {
        "en": "There are no users yet. Create the first admin on the server: "
        "`FUNNEL_PASSWORD=... python -m core user add --login admin --name 'Your Name' --role admin`",
        "ru": "Пользователей пока нет. Создайте первого администратора на сервере: "
        "`FUNNEL_PASSWORD=... python -m core user add --login admin --name 'Ваше имя' --role admin`",
    },
    "not_permitted.title": {"en": "Not permitted", "ru": "Нет доступа"},
    "not_permitted.body": {
        "en": "Your role may not open this page.",
        "ru": "Вашей роли эта страница недоступна.",
    },
    "not_permitted.back": {"en": "Back to the overview", "ru": "Вернуться к обзору"},
    "overview.title": {"en": "Pipelines overview", "ru": "Обзор воронок"},
    "overview.caption": {
        "en": "Open deals now in each stage: count, amount, and amount weighted by the stage probability.",
        "ru": "Открытые сделки на каждом этапе сейчас: количество, сумма и сумма с учётом вероятности этапа.",
    },
    "overview.caption_own": {
        "en": "Your open deals now in each stage: count, amount, and amount weighted by the stage probability.",
        "ru": "Ваши открытые сделки на каждом этапе: количество, сумма и сумма с учётом вероятности этапа.",
    },
    "overview.empty": {
        "en": "There are no pipelines yet. Run `python -m core seed` for demo data.",
        "ru": "Воронок пока нет. Запустите `python -m core seed`, чтобы загрузить демо-данные.",
    },
    "overview.open_deals": {"en": "Open deals", "ru": "Открытые сделки"},
    "overview.amount": {"en": "Amount", "ru": "Сумма"},
    "overview.weighted": {"en": "Weighted amount", "ru": "Взвешенная сумма"},
    "column.stage": {"en": "Stage", "ru": "Этап"},
    "column.probability": {"en": "Probability, %", "ru": "Вероятность, %"},
    "column.deals": {"en": "Deals", "ru": "Сделки"},
    "column.amount": {"en": "Amount", "ru": "Сумма"},
    "column.weighted_amount": {"en": "Weighted amount", "ru": "Взвешенная сумма"},
    "users.title": {"en": "Users", "ru": "Пользователи"},
    "users.list": {"en": "All users", "ru": "Все пользователи"},
    "users.add": {"en": "Add a user", "ru": "Добавить пользователя"},
    "users.edit": {"en": "Edit a user", "ru": "Изменить пользователя"},
    "users.pick": {"en": "User", "ru": "Пользователь"},
    "users.save": {"en": "Save", "ru": "Сохранить"},
    "users.create": {"en": "Create user", "ru": "Создать пользователя"},
    "users.created": {"en": "User {login} created.", "ru": "Пользователь {login} создан."},
    "users.saved": {"en": "Changes to {login} saved.", "ru": "Изменения пользователя {login} сохранены."},
    "users.reset_password": {"en": "Reset the password", "ru": "Сменить пароль"},
    "users.password_reset": {
        "en": "Password of {login} changed.",
        "ru": "Пароль пользователя {login} изменён.",
    },
    "users.add_team": {"en": "Add a team", "ru": "Добавить команду"},
    "users.team_created": {"en": "Team {name} created.", "ru": "Команда {name} создана."},
    "users.no_team": {"en": "— no team —", "ru": "— без команды —"},
    "users.passwords_differ": {"en": "The passwords differ.", "ru": "Пароли не совпадают."},
    "field.login": {"en": "Login", "ru": "Логин"},
    "field.display_name": {"en": "Name", "ru": "Имя"},
    "field.role": {"en": "Role", "ru": "Роль"},
    "field.team_id": {"en": "Team", "ru": "Команда"},
    "field.team": {"en": "Team", "ru": "Команда"},
    "field.is_active": {"en": "Active", "ru": "Активен"},
    "field.password": {"en": "Password", "ru": "Пароль"},
    "field.password_again": {"en": "Password again", "ru": "Пароль ещё раз"},
    "field.name": {"en": "Name", "ru": "Название"},
    "error.permission": {"en": "Not permitted: {message}", "ru": "Нет прав: {message}"},
}

# The services' fixed field messages; anything else is shown as the service wrote it.
MESSAGES_RU = {
    "is required": "обязательное поле",
    "must be text": "должно быть текстом",
    "must not contain control characters": "не должно содержать управляющих символов",
    "must not be negative": "не может быть отрицательным",
    "must be a whole number": "должно быть целым числом",
    "must be a finite number": "должно быть конечным числом",
    "must have at most two decimal places": "не больше двух знаков после запятой",
    "must be at least 8 characters": "не короче 8 символов",
    "must look like name@example.com": "должен выглядеть как name@example.com",
    "the last active admin must stay an active admin; make someone else admin first": (
        "последний активный администратор должен остаться активным администратором; "
        "сначала назначьте администратором другого пользователя"
    ),
}


def language() -> str:
    return st.session_state.get(LANGUAGE, "en")


def t(key: str, **values: object) -> str:
    text = TEXTS[key][language()]
    return text.format(**values) if values else text


def field_errors(error: ValidationError) -> str:
    """One line per field, with the field's label and the message in the chosen language."""
    lines = []
    for field, message in error.errors.items():
        label = t(f"field.{field}") if f"field.{field}" in TEXTS else field
        if language() == "ru":
            message = MESSAGES_RU.get(message, message)
        lines.append(f"- **{plain(label)}**: {plain(message)}")
    return "\n".join(lines)
