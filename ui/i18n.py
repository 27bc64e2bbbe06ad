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
    "nav.deals": {"en": "Deals", "ru": "Сделки"},
    "deals.title": {"en": "Deals", "ru": "Сделки"},
    "deals.all": {"en": "All", "ru": "Все"},
    "deals.everyone": {"en": "Everyone", "ru": "Все менеджеры"},
    "deals.search": {"en": "Search title or company", "ru": "Поиск по названию или компании"},
    "deals.only_rotting": {"en": "Only rotting", "ru": "Только застрявшие"},
    "deals.only_overdue": {"en": "Only with overdue tasks", "ru": "Только с просроченными задачами"},
    "deals.sort": {"en": "Sort", "ru": "Сортировка"},
    "deals.sort_recent": {"en": "Newest first", "ru": "Сначала новые"},
    "deals.sort_amount": {"en": "Largest first", "ru": "Сначала крупные"},
    "deals.sort_expected_close": {"en": "Closing soonest", "ru": "Ближайшее закрытие"},
    "deals.sort_age_in_stage": {"en": "Longest in stage", "ru": "Дольше всех на этапе"},
    "deals.grid": {"en": "Grid", "ru": "Таблица"},
    "deals.board": {"en": "Board", "ru": "Доска"},
    "deals.my_tasks": {"en": "My tasks", "ru": "Мои задачи"},
    "deals.new": {"en": "New deal", "ru": "Новая сделка"},
    "deals.cell_saved": {"en": "Saved.", "ru": "Сохранено."},
    "deals.previous": {"en": "Previous", "ru": "Назад"},
    "deals.next": {"en": "Next", "ru": "Вперёд"},
    "deals.showing": {"en": "Deals {first}–{last} of {total}", "ru": "Сделки {first}–{last} из {total}"},
    "deals.none_match": {"en": "No deals match these filters.", "ru": "Нет сделок, подходящих под фильтры."},
    "deals.more_cards": {
        "en": "and {count} more (use the grid to see them)",
        "ru": "и ещё {count} (смотрите в таблице)",
    },
    "deals.executives_do_not_create": {
        "en": "Executives reassign deals but do not create them.",
        "ru": "Руководители переназначают сделки, но не создают их.",
    },
    "deals.pick_one": {
        "en": "Select a deal in the grid, on the board or in your tasks to open it here.",
        "ru": "Выберите сделку в таблице, на доске или в задачах, чтобы открыть её здесь.",
    },
    "deals.close_panel": {"en": "Close", "ru": "Закрыть"},
    "deal.tab_move": {"en": "Stage", "ru": "Этап"},
    "deal.tab_edit": {"en": "Details", "ru": "Данные"},
    "deal.tab_activities": {"en": "Activities", "ru": "Дела"},
    "deal.tab_history": {"en": "History", "ru": "История"},
    "deal.read_only": {
        "en": "You can read this deal but not change it.",
        "ru": "Эту сделку можно смотреть, но не менять.",
    },
    "deal.company_search": {"en": "Find a company", "ru": "Найти компанию"},
    "deal.new_company": {"en": "…or a new company", "ru": "…или новая компания"},
    "deal.new_contact": {"en": "…or a new contact", "ru": "…или новый контакт"},
    "deal.none": {"en": "— none —", "ru": "— нет —"},
    "deal.choose": {"en": "— choose —", "ru": "— выберите —"},
    "deal.create": {"en": "Create deal", "ru": "Создать сделку"},
    "deal.created": {"en": "Deal created.", "ru": "Сделка создана."},
    "deal.save": {"en": "Save", "ru": "Сохранить"},
    "deal.saved": {"en": "Deal saved.", "ru": "Сделка сохранена."},
    "deal.reload": {"en": "Reload", "ru": "Обновить"},
    "deal.conflict": {
        "en": "Someone else changed this deal after you opened it. Nothing of yours was saved. "
        "Here is what changed; press Reload to continue from the current version.",
        "ru": "Кто-то изменил эту сделку после того, как вы её открыли. Ваши изменения не сохранены. "
        "Ниже — что изменилось; нажмите «Обновить», чтобы продолжить с текущей версии.",
    },
    "deal.change_field": {"en": "Field", "ru": "Поле"},
    "deal.change_before": {"en": "When you opened it", "ru": "Когда вы открыли"},
    "deal.change_now": {"en": "Now", "ru": "Сейчас"},
    "deal.move": {"en": "Move", "ru": "Перевести"},
    "deal.move_to": {"en": "Move to stage", "ru": "Перевести на этап"},
    "deal.moved": {"en": "Moved to {stage}.", "ru": "Переведена на этап «{stage}»."},
    "deal.close_won": {"en": "Close as won", "ru": "Закрыть успешно"},
    "deal.close_lost": {"en": "Close as lost", "ru": "Закрыть как проигранную"},
    "deal.reopen": {"en": "Reopen", "ru": "Открыть снова"},
    "deal.final_amount": {"en": "Final amount", "ru": "Итоговая сумма"},
    "deal.stage_requires": {"en": "{stage} needs: {fields}.", "ru": "Для этапа «{stage}» нужно заполнить: {fields}."},
    "deal.days_in_stage": {"en": "{days} d in stage", "ru": "{days} дн. на этапе"},
    "deal.created_event": {"en": "created", "ru": "создана"},
    "deal.system": {"en": "system", "ru": "система"},
    "status.open": {"en": "open", "ru": "открыта"},
    "status.won": {"en": "won", "ru": "выиграна"},
    "status.lost": {"en": "lost", "ru": "проиграна"},
    "flag.overdue": {"en": "overdue task", "ru": "просрочена задача"},
    "flag.rotting": {"en": "rotting", "ru": "застряла"},
    "column.title": {"en": "Title", "ru": "Название"},
    "column.company": {"en": "Company", "ru": "Компания"},
    "column.days_in_stage": {"en": "Days in stage", "ru": "Дней на этапе"},
    "column.next_activity": {"en": "Next activity", "ru": "Следующее дело"},
    "column.expected_close_date": {"en": "Expected close", "ru": "Ожидаемое закрытие"},
    "column.owner": {"en": "Owner", "ru": "Ответственный"},
    "column.flags": {"en": "Flags", "ru": "Отметки"},
    "field.title": {"en": "Title", "ru": "Название"},
    "field.amount": {"en": "Amount", "ru": "Сумма"},
    "field.company_id": {"en": "Company", "ru": "Компания"},
    "field.contact_id": {"en": "Contact", "ru": "Контакт"},
    "field.source": {"en": "Source", "ru": "Источник"},
    "field.region": {"en": "Region", "ru": "Регион"},
    "field.segment": {"en": "Segment", "ru": "Сегмент"},
    "field.expected_close_date": {"en": "Expected close date", "ru": "Ожидаемая дата закрытия"},
    "field.lost_reason_id": {"en": "Lost reason", "ru": "Причина проигрыша"},
    "field.lost_comment": {"en": "Comment", "ru": "Комментарий"},
    "field.owner_id": {"en": "Owner", "ru": "Ответственный"},
    "field.pipeline_id": {"en": "Pipeline", "ru": "Воронка"},
    "field.stage_id": {"en": "Stage", "ru": "Этап"},
    "field.status": {"en": "Status", "ru": "Статус"},
    "field.subject": {"en": "Subject", "ru": "Тема"},
    "field.due_at": {"en": "Due", "ru": "Срок"},
    "field.done_at": {"en": "Done", "ru": "Выполнено"},
    "field.kind": {"en": "Kind", "ru": "Тип"},
    "field.result": {"en": "Result", "ru": "Результат"},
    "activity.none": {"en": "No activities yet.", "ru": "Дел пока нет."},
    "activity.kind": {"en": "Kind", "ru": "Тип"},
    "activity.subject": {"en": "Subject", "ru": "Тема"},
    "activity.due": {"en": "Due", "ru": "Срок"},
    "activity.done": {"en": "Done", "ru": "Выполнено"},
    "activity.result": {"en": "Result", "ru": "Результат"},
    "activity.call": {"en": "Call", "ru": "Звонок"},
    "activity.meeting": {"en": "Meeting", "ru": "Встреча"},
    "activity.task": {"en": "Task", "ru": "Задача"},
    "activity.email": {"en": "Email", "ru": "Письмо"},
    "activity.open_one": {"en": "Activity to do", "ru": "Дело к выполнению"},
    "activity.mark_done": {"en": "Mark done", "ru": "Выполнено"},
    "activity.completed": {"en": "Marked done.", "ru": "Отмечено как выполненное."},
    "activity.new_due": {"en": "New due date", "ru": "Новый срок"},
    "activity.time": {"en": "Time", "ru": "Время"},
    "activity.reschedule": {"en": "Reschedule", "ru": "Перенести"},
    "activity.rescheduled": {"en": "Rescheduled.", "ru": "Перенесено."},
    "activity.log_title": {"en": "Log or plan an activity", "ru": "Записать или запланировать дело"},
    "activity.when": {"en": "When", "ru": "Когда"},
    "activity.done_now": {"en": "Done now", "ru": "Сделано сейчас"},
    "activity.plan": {"en": "Plan for", "ru": "Запланировать на"},
    "activity.save": {"en": "Save activity", "ru": "Сохранить дело"},
    "activity.saved": {"en": "Activity saved.", "ru": "Дело сохранено."},
    "tasks.overdue": {"en": "Overdue", "ru": "Просрочено"},
    "tasks.today": {"en": "Today", "ru": "Сегодня"},
    "tasks.upcoming": {"en": "Upcoming", "ru": "Предстоящие"},
    "tasks.more": {"en": "and {count} more", "ru": "и ещё {count}"},
    "tasks.none": {"en": "Nothing here.", "ru": "Пусто."},
    "tasks.open_deal": {"en": "Open", "ru": "Открыть"},
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
