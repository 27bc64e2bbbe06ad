"""Every UI string, in English and Russian, and the services' messages (core.messages) in Russian."""

from decimal import Decimal

import pandas as pd
import streamlit as st

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.messages import ENGLISH, Message
from ui.format import NARROW_NBSP, plain
from ui.state import LANGUAGE

TEXTS: dict[str, dict[str, str]] = {
    "app.title": {"en": "Sales funnel", "ru": "Воронка продаж"},
    "confirm.cancel": {"en": "Cancel", "ru": "Отмена"},
    "nav.overview": {"en": "Overview", "ru": "Обзор"},
    "nav.users": {"en": "Users", "ru": "Пользователи"},
    "nav.sign_in": {"en": "Sign in", "ru": "Вход"},
    "sidebar.language": {"en": "Language", "ru": "Язык"},
    "sidebar.signed_in_as": {"en": "Signed in as", "ru": "Вы вошли как"},
    "sidebar.sign_out": {"en": "Sign out", "ru": "Выйти"},
    "sidebar.sign_out_everywhere": {"en": "Sign out everywhere", "ru": "Выйти на всех устройствах"},
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
        "`FUNNEL_PASSWORD=... python -m cli user add --login admin --name 'Your Name' --role admin`",
        "ru": "Пользователей пока нет. Создайте первого администратора на сервере: "
        "`FUNNEL_PASSWORD=... python -m cli user add --login admin --name 'Ваше имя' --role admin`",
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
        "en": "There are no pipelines yet. Run `python -m cli seed` for demo data.",
        "ru": "Воронок пока нет. Запустите `python -m cli seed`, чтобы загрузить демо-данные.",
    },
    "slippage.title": {"en": "Slipped deals", "ru": "Сдвинутые сделки"},
    "slippage.caption": {
        "en": "Expected close dates pushed later from {first} to {last} (from the deals' history), by the deal's "
        "owner now. Share: of the owner's deals open at some time in the period, those pushed at least once.",
        "ru": "Ожидаемые даты закрытия, перенесённые позже с {first} по {last} (по истории сделок), по нынешнему "
        "ответственному. Доля — из сделок ответственного, открытых в какой-то момент периода, перенесённые хотя "
        "бы раз.",
    },
    "slippage.show": {"en": "Show the slipped deals", "ru": "Показать сдвинутые сделки"},
    "slippage.manager": {"en": "Manager", "ru": "Менеджер"},
    "slippage.open_deals": {"en": "Open in the period", "ru": "Открыто в периоде"},
    "slippage.slipped": {"en": "Pushed", "ru": "Перенесено"},
    "slippage.share": {"en": "Share pushed", "ru": "Доля перенесённых"},
    "slippage.pushes": {"en": "Pushes", "ru": "Переносов"},
    "slippage.average_push": {"en": "Average push, days", "ru": "Средний перенос, дней"},
    "slippage.none": {
        "en": "No close date was pushed in the period.",
        "ru": "В периоде даты закрытия не переносились.",
    },
    "slippage.most_pushed": {
        "en": "The most pushed: {shown} of {total} deals.",
        "ru": "Чаще всего переносились: {shown} из {total} сделок.",
    },
    "slippage.deal_line": {
        "en": "pushed {pushes}×, {days} days in all",
        "ru": "переносов: {pushes}, всего на {days} дн.",
    },
    "data.batches": {"en": "Past imports", "ru": "Прошлые импорты"},
    "data.no_batches": {"en": "Nothing has been imported yet.", "ru": "Импортов ещё не было."},
    "data.batch_foreign": {"en": "file of another CRM", "ru": "файл другой CRM"},
    "data.batch_native": {"en": "export (whole database)", "ru": "выгрузка (вся база)"},
    "data.batch_column_at": {"en": "When", "ru": "Когда"},
    "data.batch_column_by": {"en": "Who", "ru": "Кто"},
    "data.batch_column_kind": {"en": "Kind", "ru": "Вид"},
    "data.batch_column_file_name": {"en": "File", "ru": "Файл"},
    "data.batch_column_deals": {"en": "Deals", "ru": "Сделки"},
    "data.batch_column_new_users": {"en": "New users", "ru": "Новые пользователи"},
    "data.batch_column_new_companies": {"en": "New companies", "ru": "Новые компании"},
    "data.batch_column_undone_at": {"en": "Undone", "ru": "Отменён"},
    "data.undo_which": {"en": "Import to undo", "ru": "Какой импорт отменить"},
    "data.undo_changed": {
        "en": "{count} of its deals were changed since the import (edited, moved, reassigned or given an activity): "
        "{titles}. The import can be undone for the rest of its deals only; the changed ones stay.",
        "ru": "{count} её сделок изменены после импорта (правка, перемещение, передача или дело): {titles}. "
        "Отменить импорт можно только для остальных сделок; изменённые останутся.",
    },
    "data.undo_keep_changed": {
        "en": "Undo the rest, keep the changed deals",
        "ru": "Отменить остальное, изменённые сделки оставить",
    },
    "data.undo": {"en": "Undo this import", "ru": "Отменить этот импорт"},
    "data.undo_question": {
        "en": "Undo the import {batch}? Its deals are removed with their history and activities, and the users "
        "and companies it created that nothing else uses; every figure goes back to what it was before it.",
        "ru": "Отменить импорт {batch}? Его сделки удаляются вместе с историей и делами, а созданные им "
        "пользователи и компании, которые больше нигде не используются, — тоже; все показатели вернутся к "
        "прежним.",
    },
    "data.undo_confirm": {"en": "Undo the import", "ru": "Отменить импорт"},
    "data.undone": {
        "en": "Import undone: {deals} deals removed ({kept} changed ones kept), {users} users and {companies} "
        "companies removed.",
        "ru": "Импорт отменён: удалено сделок — {deals} (оставлено изменённых — {kept}), пользователей — {users}, "
        "компаний — {companies}.",
    },
    "changes.title": {"en": "Pipeline changes between two days", "ru": "Изменения воронки между двумя днями"},
    "changes.caption": {
        "en": "The open pipeline at the end of the first day, what changed it, and the pipeline at the end of the "
        "second: start + changes = end. Each change adds what it changed the deal's part by: a new deal its "
        "amount, a won or lost one minus its amount, an amount edit the difference; moves between open stages "
        "are counted and change nothing. A deal changed several times counts in each bar by the sum of its "
        "changes there. Owners are those of each moment; source, region and segment as they are now.",
        "ru": "Открытая воронка на конец первого дня, что её изменило, и воронка на конец второго: начало + "
        "изменения = конец. Каждое изменение добавляет то, на сколько оно изменило вклад сделки: новая сделка "
        "— свою сумму, выигранная или проигранная — минус свою сумму, правка суммы — разницу; переходы между "
        "открытыми этапами считаются и ничего не меняют. Сделка, менявшаяся несколько раз, входит в каждый "
        "столбец суммой своих изменений в нём. Ответственные — на каждый момент; источник, регион и сегмент — "
        "как сейчас.",
    },
    "changes.show": {"en": "Show what changed", "ru": "Показать, что изменилось"},
    "changes.from": {"en": "From the end of", "ru": "С конца дня"},
    "changes.to": {"en": "To the end of", "ru": "По конец дня"},
    "changes.closing_in": {"en": "Expected to close in", "ru": "Ожидаемое закрытие в"},
    "changes.closing_any": {"en": "Any time", "ru": "Когда угодно"},
    "changes.pick_days": {"en": "Pick both days.", "ru": "Выберите оба дня."},
    "changes.to_before_from": {
        "en": "**To the end of**: the second day comes before the first.",
        "ru": "**По конец дня**: второй день раньше первого.",
    },
    "changes.bucket": {"en": "Change", "ru": "Изменение"},
    "changes.amount": {"en": "Amount it added", "ru": "Сколько добавило"},
    "changes.open": {"en": "Open the deals of", "ru": "Показать сделки"},
    "changes.open_none": {"en": "— choose a bar —", "ru": "— выберите столбец —"},
    "changes.list_caption": {
        "en": "{bucket}: the {shown} largest of {total} deals, as they are now.",
        "ru": "{bucket}: {shown} крупнейших из {total} сделок, как они сейчас.",
    },
    "changes.start": {"en": "Open at the end of {day}", "ru": "Открыто на конец {day}"},
    "changes.end": {"en": "Open at the end of {day}", "ru": "Открыто на конец {day}"},
    "changes.new": {"en": "New", "ru": "Новые"},
    "changes.won": {"en": "Won", "ru": "Выиграны"},
    "changes.lost": {"en": "Lost", "ru": "Проиграны"},
    "changes.reopened": {"en": "Reopened", "ru": "Открыты снова"},
    "changes.amount_increased": {"en": "Amount increased", "ru": "Сумма выросла"},
    "changes.amount_decreased": {"en": "Amount decreased", "ru": "Сумма уменьшилась"},
    "changes.moved_forward": {"en": "Moved forward", "ru": "Продвинулись"},
    "changes.moved_backward": {"en": "Moved backward", "ru": "Вернулись назад"},
    "changes.reassigned_in": {"en": "Reassigned in", "ru": "Переданы сюда"},
    "changes.reassigned_out": {"en": "Reassigned out", "ru": "Переданы другим"},
    "changes.pulled_in": {"en": "Pulled in", "ru": "Перенесены в период"},
    "changes.pushed_out": {"en": "Pushed out", "ru": "Перенесены из периода"},
    "overview.open_deals": {"en": "Open deals", "ru": "Открытые сделки"},
    "overview.as_of": {"en": "As of (end of day)", "ru": "На дату (конец дня)"},
    "overview.as_of_help": {
        "en": "Empty: now. A past day: the open deals at its end, with the amounts and owners they had then "
        "(from the deals' history) and today's stage probabilities.",
        "ru": "Пусто — сейчас. Прошедший день — открытые сделки на его конец, с суммами и ответственными того дня "
        "(из истории сделок) и сегодняшними вероятностями этапов.",
    },
    "overview.as_of_caption": {
        "en": "The open deals at the end of {day} in each stage, with their amounts and owners of that day "
        "(reconstructed from the deals' history).",
        "ru": "Открытые сделки на каждом этапе на конец {day}, с суммами и ответственными того дня "
        "(восстановлено по истории сделок).",
    },
    "overview.as_of_caption_own": {
        "en": "Your open deals at the end of {day} in each stage, with their amounts of that day "
        "(reconstructed from the deals' history).",
        "ru": "Ваши открытые сделки на каждом этапе на конец {day}, с суммами того дня "
        "(восстановлено по истории сделок).",
    },
    "overview.amount": {"en": "Amount", "ru": "Сумма"},
    "overview.weighted": {"en": "Weighted amount", "ru": "Взвешенная сумма"},
    "column.stage": {"en": "Stage", "ru": "Этап"},
    "column.next_stage": {"en": "Next stage", "ru": "Следующий этап"},
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
        "en": "Password of {login} changed; they are signed out everywhere.",
        "ru": "Пароль пользователя {login} изменён; все его сеансы завершены.",
    },
    "users.add_team": {"en": "Add a team", "ru": "Добавить команду"},
    "users.team_created": {"en": "Team {name} created.", "ru": "Команда {name} создана."},
    "users.no_team": {"en": "— no team —", "ru": "— без команды —"},
    "users.sessions": {"en": "Signed in now", "ru": "Сейчас в системе"},
    "users.no_sessions": {"en": "Nobody is signed in.", "ru": "Никто не вошёл."},
    "users.session_user": {"en": "User", "ru": "Пользователь"},
    "users.session_since": {"en": "Signed in", "ru": "Вход"},
    "users.session_seen": {"en": "Last seen", "ru": "Последняя активность"},
    "users.session_client": {"en": "From address", "ru": "С адреса"},
    "users.session_browser": {"en": "Browser", "ru": "Браузер"},
    "users.sessions_to_end": {"en": "Sessions to end", "ru": "Какие сеансы завершить"},
    "users.end_sessions": {"en": "Sign out these sessions ({count})", "ru": "Завершить эти сеансы ({count})"},
    "users.sessions_ended": {"en": "Sessions ended: {count}.", "ru": "Завершено сеансов: {count}."},
    "users.passwords_differ": {"en": "The passwords differ.", "ru": "Пароли не совпадают."},
    "users.deactivate_question": {
        "en": "Deactivate {name} ({login})? They can no longer sign in; their {deals} open deals stay theirs "
        "until you reassign them.",
        "ru": "Отключить пользователя {name} ({login})? Он больше не сможет войти; его открытые сделки ({deals}) "
        "останутся за ним, пока вы их не передадите.",
    },
    "users.deactivate_question_no_deals": {
        "en": "Deactivate {name} ({login})? They can no longer sign in. They own no open deals.",
        "ru": "Отключить пользователя {name} ({login})? Он больше не сможет войти. Открытых сделок у него нет.",
    },
    "users.deactivate_confirm": {"en": "Yes, deactivate", "ru": "Да, отключить"},
    "login_log.title": {"en": "Sign-in log", "ru": "Журнал входов"},
    "login_log.caption": {
        "en": "The latest {limit} sign-in attempts, newest first, times in {zone}.",
        "ru": "Последние {limit} попыток входа, сначала новые; время — {zone}.",
    },
    "login_log.empty": {"en": "Nobody has tried to sign in yet.", "ru": "Попыток входа пока не было."},
    "login_log.at": {"en": "When", "ru": "Когда"},
    "login_log.login": {"en": "Login as typed", "ru": "Введённый логин"},
    "login_log.user": {"en": "User", "ru": "Пользователь"},
    "login_log.outcome": {"en": "Outcome", "ru": "Результат"},
    "login_log.client": {"en": "Address", "ru": "Адрес"},
    "login_log.user_agent": {"en": "Browser", "ru": "Браузер"},
    "login_log.signed_in": {"en": "signed in", "ru": "вход выполнен"},
    "login_log.wrong_credentials": {"en": "wrong login or password", "ru": "неверный логин или пароль"},
    "login_log.locked": {"en": "locked", "ru": "заблокирован"},
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
    "deals.all_stages": {"en": "All stages", "ru": "Все этапы"},
    "deals.everyone": {"en": "Everyone", "ru": "Все менеджеры"},
    "deals.search": {"en": "Search title or company", "ru": "Поиск по названию или компании"},
    "deals.only_rotting": {"en": "Only rotting", "ru": "Только застрявшие"},
    "deals.only_overdue": {"en": "Only with overdue tasks", "ru": "Только с просроченными задачами"},
    "deals.more_filters": {"en": "Filters and order", "ru": "Фильтры и порядок"},
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
    # the board
    "board.weighted": {"en": "weighted {amount}", "ru": "с учётом вероятности {amount}"},
    "board.no_next_step": {"en": "No next step", "ru": "Нет следующего шага"},
    "board.overdue": {"en": "overdue", "ru": "просрочено"},
    "board.empty": {"en": "No deals here", "ru": "Здесь нет сделок"},
    "board.open": {"en": "Open the deal", "ru": "Открыть сделку"},
    "board.next_stage": {"en": "Move to the next stage: {stage}", "ru": "Перевести на следующий этап: {stage}"},
    "board.more": {"en": "Show {count} more", "ru": "Показать ещё {count}"},
    "board.drop_won": {"en": "Drop a deal here to close it as won", "ru": "Перетащите сюда, чтобы закрыть успешно"},
    "board.drop_lost": {
        "en": "Drop a deal here to close it as lost",
        "ru": "Перетащите сюда, чтобы закрыть как проигранную",
    },
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
    "deal.reassign_to": {"en": "Reassign to", "ru": "Передать менеджеру"},
    "deal.reassign": {"en": "Reassign", "ru": "Передать"},
    "deal.reassigned": {"en": "The deal now belongs to {owner}.", "ru": "Сделка передана: {owner}."},
    "deal.close_won": {"en": "Close as won", "ru": "Закрыть успешно"},
    "deal.close_lost": {"en": "Close as lost", "ru": "Закрыть как проигранную"},
    "deal.reopen": {"en": "Reopen", "ru": "Открыть снова"},
    "deal.final_amount": {"en": "Final amount", "ru": "Итоговая сумма"},
    "deal.stage_requires": {"en": "{stage} needs: {fields}.", "ru": "Для этапа «{stage}» нужно заполнить: {fields}."},
    "deal.days_in_stage": {"en": "{days} d in stage", "ru": "{days} дн. на этапе"},
    "bulk.ticked": {"en": "{count} deals ticked", "ru": "Отмечено сделок: {count}"},
    "bulk.action": {"en": "Do with the ticked deals", "ru": "Что сделать с отмеченными"},
    "bulk.move": {"en": "Move", "ru": "Перевести"},
    "bulk.lost": {"en": "Close lost", "ru": "Закрыть проигранными"},
    "bulk.plan": {"en": "Plan an activity", "ru": "Запланировать дело"},
    "bulk.reassign": {"en": "Reassign", "ru": "Передать"},
    "bulk.move_note": {
        "en": "A deal that lacks a field the stage requires stays where it is and is listed.",
        "ru": "Сделка без обязательного для этапа поля останется на месте и попадёт в список.",
    },
    "bulk.run_move": {"en": "Move them to {stage}", "ru": "Перевести на этап «{stage}»"},
    "bulk.run_lost": {"en": "Close them lost", "ru": "Закрыть проигранными"},
    "bulk.run_plan": {"en": "Plan it for each", "ru": "Запланировать для каждой"},
    "bulk.run_reassign": {"en": "Reassign them", "ru": "Передать"},
    "bulk.choose_reason": {
        "en": "Lost reason: choose why the deals were lost.",
        "ru": "Причина проигрыша: выберите, почему сделки проиграны.",
    },
    "bulk.done": {"en": "Done for {count} deals.", "ru": "Сделано для сделок: {count}."},
    "bulk.refused": {"en": "Not done for {count} deals: {why}", "ru": "Не сделано для сделок ({count}): {why}"},
    "deals.open_ticked": {"en": "Open", "ru": "Открыть"},
    "deal.current_stage": {"en": "current", "ru": "сейчас"},
    "deal.move_dialog": {"en": "Move to {stage}", "ru": "Перевести на этап «{stage}»"},
    "deal.changed_meanwhile": {
        "en": "Someone changed the deal {title} meanwhile; it is shown as it is now. Try again.",
        "ru": "Сделку {title} тем временем изменили; она показана как есть сейчас. Попробуйте ещё раз.",
    },
    "deal.next_stage": {"en": "→ {stage}", "ru": "→ {stage}"},
    "deal.back_to_list": {"en": "All deals", "ru": "Все сделки"},
    "deal.next_step": {"en": "Next step: {kind} «{subject}», {due}", "ru": "Следующий шаг: {kind} «{subject}», {due}"},
    "deal.no_next_step": {"en": "No next step planned", "ru": "Следующий шаг не запланирован"},
    "deal.no_such_deal": {"en": "There is no deal {value} to open.", "ru": "Нет сделки {value}."},
    "deal.tab_timeline": {"en": "Timeline", "ru": "Хронология"},
    "deal.company_contact": {"en": "{company} · {contact}", "ru": "{company} · {contact}"},
    "timeline.stage": {"en": "{source} → {target}", "ru": "{source} → {target}"},
    "timeline.done": {"en": "done", "ru": "сделано"},
    "timeline.planned": {"en": "planned", "ru": "запланировано"},
    "timeline.known_since": {
        "en": "Field changes are kept from {day}; what the deal held before is not known.",
        "ru": "Изменения полей хранятся с {day}; что было в сделке раньше, неизвестно.",
    },
    "operation.bulk": {"en": "bulk action", "ru": "массовое действие"},
    "operation.import": {"en": "import", "ru": "импорт"},
    "operation.stage_deletion": {"en": "stage deleted", "ru": "этап удалён"},
    "operation.api": {"en": "API", "ru": "API"},
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
    "nav.stage_editor": {"en": "Stage editor", "ru": "Редактор этапов"},
    "editor.title": {"en": "Stage editor", "ru": "Редактор этапов"},
    "editor.archived": {"en": "archived", "ru": "в архиве"},
    "editor.new_pipeline": {"en": "New pipeline", "ru": "Новая воронка"},
    "editor.template": {"en": "From template", "ru": "Из шаблона"},
    "editor.empty": {"en": "Empty (one stage, won, lost)", "ru": "Пустая (один этап, успех, проигрыш)"},
    "editor.stage_language": {"en": "Stage names in", "ru": "Названия этапов на языке"},
    "editor.pipeline_name": {"en": "Pipeline name", "ru": "Название воронки"},
    "editor.create_pipeline": {"en": "Create pipeline", "ru": "Создать воронку"},
    "editor.pipeline_created": {"en": "Pipeline created.", "ru": "Воронка создана."},
    "editor.stages": {"en": "Stages", "ru": "Этапы"},
    "editor.kind": {"en": "Kind", "ru": "Тип"},
    "editor.open_deals_now": {"en": "Open deals now", "ru": "Открытых сделок сейчас"},
    "editor.stage": {"en": "Stage to change", "ru": "Изменяемый этап"},
    "editor.move_up": {"en": "Up", "ru": "Выше"},
    "editor.move_down": {"en": "Down", "ru": "Ниже"},
    "editor.edit_stage": {"en": "Stage settings", "ru": "Настройки этапа"},
    "editor.no_required_fields": {"en": "None", "ru": "Нет"},
    "editor.task_title": {"en": "Task", "ru": "Задача"},
    "editor.task_due_days": {"en": "Due in days", "ru": "Срок, дней"},
    "editor.save_stage": {"en": "Save stage", "ru": "Сохранить этап"},
    "editor.saved": {"en": "Saved.", "ru": "Сохранено."},
    "editor.delete_stage": {"en": "Delete {stage}", "ru": "Удалить этап «{stage}»"},
    "editor.delete_moves": {
        "en": "{count} open deals are in this stage; they move to the stage you choose, "
        "and the move is recorded in their history.",
        "ru": "На этом этапе {count} открытых сделок; они перейдут на выбранный этап, "
        "и переход запишется в их историю.",
    },
    "editor.move_deals_to": {"en": "Move its deals to", "ru": "Перевести сделки на"},
    "editor.delete": {"en": "Delete stage", "ru": "Удалить этап"},
    "editor.deleted": {"en": "Stage deleted.", "ru": "Этап удалён."},
    "editor.delete_question": {
        "en": "Delete stage '{stage}'? {count} deals move to '{target}', each move recorded in the deal's history.",
        "ru": "Удалить этап «{stage}»? Сделки ({count}) перейдут на этап «{target}», "
        "каждый переход запишется в историю сделки.",
    },
    "editor.delete_question_empty": {
        "en": "Delete stage '{stage}'? It has no deals; it leaves the editor and the menus and stays in the history.",
        "ru": "Удалить этап «{stage}»? Сделок на нём нет; он исчезнет из редактора и меню, а в истории останется.",
    },
    "editor.delete_confirm": {"en": "Yes, delete", "ru": "Да, удалить"},
    "editor.add_stage": {"en": "Add a stage", "ru": "Добавить этап"},
    "editor.after": {"en": "Place it after", "ru": "Разместить после"},
    "editor.at_start": {"en": "— at the start —", "ru": "— в начале —"},
    "editor.add": {"en": "Add stage", "ru": "Добавить этап"},
    "editor.preview": {"en": "Open deals now", "ru": "Открытые сделки сейчас"},
    "editor.preview_caption": {
        "en": "What your changes touch: the open deals in each stage.",
        "ru": "Что затронут изменения: открытые сделки на каждом этапе.",
    },
    "editor.pipeline": {"en": "Pipeline", "ru": "Воронка"},
    "editor.rename": {"en": "Rename", "ru": "Переименовать"},
    "editor.archive": {"en": "Archive pipeline", "ru": "Отправить воронку в архив"},
    "editor.restore": {"en": "Restore pipeline", "ru": "Вернуть воронку из архива"},
    "editor.change_log": {"en": "Change log", "ru": "Журнал изменений"},
    "editor.when": {"en": "When", "ru": "Когда"},
    "editor.who": {"en": "Who", "ru": "Кто"},
    "editor.what": {"en": "What", "ru": "Что"},
    "editor.old": {"en": "Was", "ru": "Было"},
    "editor.new": {"en": "Now", "ru": "Стало"},
    "editor.lost_reasons": {"en": "Lost reasons", "ru": "Причины проигрыша"},
    "editor.inactive": {"en": "inactive", "ru": "не используется"},
    "editor.deactivate": {"en": "Deactivate", "ru": "Отключить"},
    "editor.activate": {"en": "Activate", "ru": "Включить"},
    "editor.rename_which": {"en": "Reason", "ru": "Причина"},
    "editor.new_reason": {"en": "— a new reason —", "ru": "— новая причина —"},
    "editor.save_reason": {"en": "Save reason", "ru": "Сохранить причину"},
    "field.rot_days": {"en": "Rot days", "ru": "Дней до застревания"},
    "field.color": {"en": "Colour", "ru": "Цвет"},
    "field.required_fields": {"en": "Required fields", "ru": "Обязательные поля"},
    "field.entry_tasks": {"en": "Entry tasks", "ru": "Задачи при входе"},
    "field.probability": {"en": "Probability, %", "ru": "Вероятность, %"},
    "field.target_stage_id": {"en": "Move deals to", "ru": "Перевести сделки на"},
    "field.after_stage_id": {"en": "Place it after", "ru": "Разместить после"},
    "nav.funnel": {"en": "Funnel", "ru": "Воронка"},
    "funnel.title": {"en": "Funnel", "ru": "Воронка продаж"},
    "funnel.period": {"en": "Period", "ru": "Период"},
    "funnel.this_month": {"en": "This month", "ru": "Этот месяц"},
    "funnel.last_month": {"en": "Last month", "ru": "Прошлый месяц"},
    "funnel.this_quarter": {"en": "This quarter", "ru": "Этот квартал"},
    "funnel.last_quarter": {"en": "Last quarter", "ru": "Прошлый квартал"},
    "funnel.this_year": {"en": "This year", "ru": "Этот год"},
    "funnel.custom": {"en": "Custom", "ru": "Свой период"},
    "funnel.from": {"en": "From", "ru": "С"},
    "funnel.to": {"en": "To", "ru": "По"},
    "funnel.compare": {"en": "Compare managers with the team", "ru": "Сравнить менеджеров с командой"},
    "funnel.compare_none": {"en": "No one", "ru": "Никого"},
    "funnel.created": {"en": "Deals created", "ru": "Создано сделок"},
    "funnel.win_rate_closed": {"en": "Win rate (closed)", "ru": "Доля выигранных (закрытые)"},
    "funnel.funnel_win_rate": {"en": "Funnel win rate", "ru": "Конверсия воронки"},
    "funnel.average_deal": {"en": "Average deal", "ru": "Средняя сделка"},
    "funnel.cycle": {"en": "Sales cycle", "ru": "Цикл сделки"},
    "funnel.days": {"en": "{days} d", "ru": "{days} дн."},
    "funnel.cycle_help": {
        "en": "Median from creation to won; the mean is {mean} days.",
        "ru": "Медиана от создания до выигрыша; среднее — {mean} дн.",
    },
    "funnel.reached": {"en": "Reached", "ru": "Дошли"},
    "funnel.next_step": {"en": "Next-step conversion", "ru": "Конверсия в следующий этап"},
    "funnel.cumulative": {"en": "Cumulative conversion", "ru": "Накопленная конверсия"},
    "funnel.view": {"en": "View", "ru": "Вид"},
    "funnel.view_funnel": {"en": "Funnel", "ru": "Воронка"},
    "funnel.view_bars": {"en": "Bars", "ru": "Столбцы"},
    "funnel.view_trend": {"en": "Monthly trend", "ru": "По месяцам"},
    "funnel.diagnosis": {"en": "Diagnosis", "ru": "Диагностика"},
    "funnel.table": {"en": "Every figure", "ru": "Все показатели"},
    "funnel.download": {"en": "Download CSV", "ru": "Скачать CSV"},
    "live.as_of": {
        "en": ":material/bolt: Live · updated {time}",
        "ru": ":material/bolt: Онлайн · данные на {time}",
    },
    "funnel.comparison": {
        "en": "Next-step conversion: managers and the team",
        "ru": "Конверсия в следующий этап: менеджеры и команда",
    },
    "funnel.comparison_caption": {"en": "Red: below the team.", "ru": "Красным — ниже команды."},
    "funnel.team": {"en": "Team", "ru": "Команда"},
    "funnel.time_in_stage": {"en": "Time in stage, days", "ru": "Время на этапе, дней"},
    "funnel.lost": {"en": "Lost, by stage and reason", "ru": "Проигранные: этап и причина"},
    "diagnosis.leaky_top": {
        "en": "Leaky top: only {value} of new deals get past {stage}, against {reference} at the later steps. Qualify leads before they enter, and answer new ones faster.",
        "ru": "Дырявый вход: дальше этапа «{stage}» проходит лишь {value} новых сделок, а на следующих шагах — {reference}. Отбирайте лиды до входа в воронку и отвечайте новым быстрее.",
    },
    "diagnosis.too_good": {
        "en": "Too good to be true: every step converts {value} or better. Check that lost deals are being recorded and that prices are not below the market.",
        "ru": "Слишком хорошо: каждый шаг конвертирует не меньше {value}. Проверьте, что проигранные сделки закрываются, и что цены не ниже рынка.",
    },
    "diagnosis.late_leak": {
        "en": "Late leak: {value} of the deals lost on the way drop out from {stage} on. Work on closing: price objections, decision makers, the contract.",
        "ru": "Поздняя утечка: {value} потерь приходится на этапы с «{stage}». Работайте над закрытием: возражения по цене, ЛПР, договор.",
    },
    "diagnosis.bottleneck": {
        "en": "Bottleneck: deals sit {value} in {stage}, against {reference} in the other stages. Is the stage needed, or what blocks it?",
        "ru": "Узкое место: сделки стоят на этапе «{stage}» {value}, а на остальных — {reference}. Нужен ли этот этап и что его тормозит?",
    },
    "diagnosis.managers": {"en": "Furthest from the team: {managers}.", "ru": "Сильнее всех отличаются: {managers}."},
    "nav.dashboard": {"en": "Manager dashboard", "ru": "Дашборд менеджера"},
    "nav.plan_fact": {"en": "Plan vs fact", "ru": "План-факт"},
    "nav.data": {"en": "Import & export", "ru": "Импорт и экспорт"},
    "data.title": {"en": "Import & export", "ru": "Импорт и экспорт"},
    "data.caption": {
        "en": "Bring deals in from another CRM's export, or take everything out in the native format.",
        "ru": "Загрузите сделки из выгрузки другой CRM или выгрузите все данные в родном формате.",
    },
    "data.import": {"en": "Import from another CRM", "ru": "Импорт из другой CRM"},
    "data.export": {"en": "Export everything", "ru": "Выгрузить всё"},
    "data.step_file": {
        "en": "**1. The file** (CSV or Excel; UTF-8 or Windows-1251; comma, semicolon or tab)",
        "ru": "**1. Файл** (CSV или Excel; UTF-8 или Windows-1251; запятая, точка с запятой или табуляция)",
    },
    "data.file": {"en": "Export file", "ru": "Файл выгрузки"},
    "data.file_read": {
        "en": "{rows} rows, {columns} columns. The first rows:",
        "ru": "Строк: {rows}, столбцов: {columns}. Первые строки:",
    },
    "data.step_columns": {
        "en": "**2. Which column is which** (guessed from the names; * required)",
        "ru": "**2. Какой столбец что значит** (угадано по названиям; * обязательно)",
    },
    "data.not_in_file": {"en": "— not in the file —", "ru": "— нет в файле —"},
    "data.title_help": {
        "en": "Several columns are joined with a dash; none: the company and the id.",
        "ru": "Несколько столбцов соединяются тире; если не выбрано — компания и номер.",
    },
    "data.need_owner_and_stage": {
        "en": "Choose the owner and stage columns to go on.",
        "ru": "Выберите столбцы ответственного и этапа, чтобы продолжить.",
    },
    "data.field.external_id": {"en": "Id in the old CRM", "ru": "Номер в старой CRM"},
    "data.field.title": {"en": "Title", "ru": "Название"},
    "data.field.owner": {"en": "Owner", "ru": "Ответственный"},
    "data.field.stage": {"en": "Stage", "ru": "Этап"},
    "data.field.amount": {"en": "Amount", "ru": "Сумма"},
    "data.field.created_at": {"en": "Created", "ru": "Создана"},
    "data.field.closed_at": {"en": "Closed", "ru": "Закрыта"},
    "data.field.expected_close_date": {"en": "Expected close", "ru": "Ожидаемое закрытие"},
    "data.field.company": {"en": "Company", "ru": "Компания"},
    "data.field.source": {"en": "Source", "ru": "Источник"},
    "data.field.region": {"en": "Region", "ru": "Регион"},
    "data.field.segment": {"en": "Segment", "ru": "Сегмент"},
    "data.field.lost_reason": {"en": "Lost reason", "ru": "Причина проигрыша"},
    "data.field.lost_comment": {"en": "Lost comment", "ru": "Комментарий к проигрышу"},
    "data.step_stages": {"en": "**3. Stages**", "ru": "**3. Этапы**"},
    "data.into": {"en": "Import into", "ru": "Куда загрузить"},
    "data.into_existing": {"en": "an existing pipeline", "ru": "существующую воронку"},
    "data.into_new": {"en": "a new pipeline made from the file's stages", "ru": "новую воронку из этапов файла"},
    "data.stage_value": {"en": '"{value}" in the file is', "ru": "«{value}» в файле — это"},
    "data.stage_unmapped": {"en": "— not mapped (rows refused) —", "ru": "— не сопоставлено (строки отклоняются) —"},
    "data.new_pipeline_name": {"en": "New pipeline's name", "ru": "Название новой воронки"},
    "data.kinds_caption": {
        "en": "Pick the open stages in the funnel's order (the order you pick them in); a value in none of the lists is refused.",
        "ru": "Выберите открытые этапы в порядке воронки (в том порядке, в каком выбираете); значения вне списков отклоняются.",
    },
    "data.open_stages": {"en": "Open stages, in order", "ru": "Открытые этапы по порядку"},
    "data.won_stage": {"en": "Won", "ru": "Выиграна"},
    "data.lost_stages": {"en": "Lost", "ru": "Проиграна"},
    "data.kinds_needed": {
        "en": "Choose at least one open stage, a won value and at least one lost value, each in one list only.",
        "ru": "Выберите хотя бы один открытый этап, значение «выиграна» и хотя бы одно «проиграна», каждое в одном списке.",
    },
    "data.step_options": {"en": "**4. Options**", "ru": "**4. Настройки**"},
    "data.unknown_owners": {"en": "Owners with no user here", "ru": "Ответственные, которых здесь нет"},
    "data.unknown_companies": {"en": "Companies not here yet", "ru": "Компании, которых здесь нет"},
    "data.create_True": {"en": "create them", "ru": "создать"},
    "data.create_False": {"en": "refuse their rows", "ru": "отклонить их строки"},
    "data.default_created": {"en": "Rows without a created date get", "ru": "Строкам без даты создания ставится"},
    "data.day_first": {"en": "03/04/2026 means 3 April", "ru": "03/04/2026 — это 3 апреля"},
    "data.teams_file": {
        "en": "Optional: a second file with each owner's team",
        "ru": "Необязательно: второй файл с командой каждого ответственного",
    },
    "data.teams_owner": {"en": "Owner column", "ru": "Столбец ответственного"},
    "data.teams_team": {"en": "Team column", "ru": "Столбец команды"},
    "data.step_check": {
        "en": "**5. Check, then import** (nothing is written until you press Import; then all or nothing)",
        "ru": "**5. Проверка и загрузка** (ничего не записывается до нажатия «Загрузить»; затем всё или ничего)",
    },
    "data.summary": {
        "en": "{deals} deals to import into {pipeline}; {before} imported before (skipped); {owners} new users; {companies} new companies.",
        "ru": "К загрузке в «{pipeline}»: {deals} сделок; загружены раньше (пропускаются): {before}; новых пользователей: {owners}; новых компаний: {companies}.",
    },
    "data.blocked": {
        "en": "{count} problems must be fixed in the file or the mapping first.",
        "ru": "Сначала исправьте в файле или сопоставлении проблем: {count}.",
    },
    "data.problem_row": {"en": "Row", "ru": "Строка"},
    "data.problem_column": {"en": "Column", "ru": "Столбец"},
    "data.problem_problem": {"en": "Problem", "ru": "Проблема"},
    "data.problem_kind": {"en": "Kind", "ru": "Вид"},
    "data.preview": {
        "en": "The first deals as they will be stored:",
        "ru": "Первые сделки так, как они будут сохранены:",
    },
    "data.run": {"en": "Import", "ru": "Загрузить"},
    "data.importing": {"en": "Importing…", "ru": "Загрузка…"},
    "data.run_question": {
        "en": "Import {deals} deals into '{pipeline}'? {owners} new users and {companies} new companies are created; "
        "{before} deals imported before are skipped. It can be undone under Past imports while its deals are unchanged.",
        "ru": "Загрузить в «{pipeline}» сделок: {deals}? Новых пользователей: {owners}, новых компаний: {companies}; "
        "загруженные раньше ({before}) пропускаются. Её можно отменить в «Прошлых импортах», пока сделки не менялись.",
    },
    "data.run_question_new_pipeline": {
        "en": "Import {deals} deals into the new pipeline '{pipeline}'? {owners} new users and {companies} new "
        "companies are created; {before} deals imported before are skipped. It can be undone under Past imports while its deals are unchanged.",
        "ru": "Загрузить в новую воронку «{pipeline}» сделок: {deals}? Новых пользователей: {owners}, новых компаний: "
        "{companies}; загруженные раньше ({before}) пропускаются. Её можно отменить в «Прошлых импортах», пока сделки не менялись.",
    },
    "data.run_confirm": {"en": "Yes, import", "ru": "Да, загрузить"},
    "data.done": {
        "en": "Imported {deals} deals ({before} imported before, skipped), {owners} new users, {companies} new companies.",
        "ru": "Загружено сделок: {deals} (уже были и пропущены: {before}); новых пользователей: {owners}; новых компаний: {companies}.",
    },
    "data.export_caption": {
        "en": 'Every table in the native format (README, "Native format"): a zip of CSV files or one Excel workbook. It holds password hashes: keep it private.',
        "ru": "Все таблицы в родном формате (README, «Native format»): zip с CSV или одна книга Excel. В ней хэши паролей — храните её в тайне.",
    },
    "data.export_cli": {
        "en": "{deals} deals are too many for a browser download; run `python -m cli export --to DIR` on the server.",
        "ru": "Сделок слишком много для скачивания в браузере ({deals}); выполните на сервере `python -m cli export --to DIR`.",
    },
    "data.export_zip": {"en": "Download CSV (zip)", "ru": "Скачать CSV (zip)"},
    "data.export_xlsx": {"en": "Download Excel", "ru": "Скачать Excel"},
    "plan.title": {"en": "Plan vs fact", "ru": "План-факт"},
    "plan.period_kind": {"en": "Period of", "ru": "Период"},
    "plan.month": {"en": "Month", "ru": "Месяц"},
    "plan.quarter": {"en": "Quarter", "ru": "Квартал"},
    "plan.year": {"en": "Year", "ru": "Год"},
    "plan.all_pipelines": {"en": "All pipelines", "ru": "Все воронки"},
    "plan.plan": {"en": "Plan", "ru": "План"},
    "plan.fact": {"en": "Fact", "ru": "Факт"},
    "plan.fact_help": {
        "en": "Won in the period, counted for the deal's owner at the moment it was closed.",
        "ru": "Выиграно за период; засчитывается ответственному на момент закрытия сделки.",
    },
    "plan.completion": {"en": "Completion", "ru": "Выполнение"},
    "plan.no_plan": {"en": "no plan", "ru": "нет плана"},
    "plan.run_rate": {"en": "Run-rate forecast", "ru": "Прогноз по темпу"},
    "plan.run_rate_help": {
        "en": "Fact × days in the period / days elapsed (today included).",
        "ru": "Факт × дней в периоде / прошло дней (включая сегодня).",
    },
    "plan.weighted": {"en": "Weighted forecast", "ru": "Взвешенный прогноз"},
    "plan.weighted_help": {
        "en": "Fact + amount × stage probability of the open deals expected to close in the rest of the period.",
        "ru": "Факт + сумма × вероятность этапа открытых сделок с ожидаемым закрытием в оставшейся части периода.",
    },
    "plan.gap": {"en": "Gap", "ru": "Разрыв"},
    "plan.gap_help": {
        "en": "Plan − weighted forecast (never below zero).",
        "ru": "План − взвешенный прогноз (не меньше нуля).",
    },
    "plan.deals_needed": {"en": "New deals needed", "ru": "Нужно новых сделок"},
    "plan.amount": {"en": "Won amount", "ru": "Сумма выигранных"},
    "plan.nobody": {"en": "No managers to show.", "ru": "Нет менеджеров для показа."},
    "plan.completion_by_manager": {"en": "Completion by manager", "ru": "Выполнение по менеджерам"},
    "plan.completion_caption": {
        "en": "Bar: fact. Red tick: plan. Dashed whisker: up to the weighted forecast.",
        "ru": "Столбец — факт, красная отметка — план, пунктир — до взвешенного прогноза.",
    },
    "plan.dynamics": {"en": "Months of {year}", "ru": "По месяцам {year} года"},
    "plan.cumulative": {"en": "Cumulative", "ru": "Нарастающим итогом"},
    "plan.download_excel": {"en": "Download Excel", "ru": "Скачать Excel"},
    "plan.level_manager": {"en": "manager", "ru": "менеджер"},
    "plan.level_team": {"en": "team", "ru": "команда"},
    "plan.level_company": {"en": "company", "ru": "компания"},
    "plan.column.level": {"en": "Level", "ru": "Уровень"},
    "plan.column.name": {"en": "Name", "ru": "Имя"},
    "plan.column.team": {"en": "Team", "ru": "Команда"},
    "plan.column.plan_amount": {"en": "Plan, amount", "ru": "План, сумма"},
    "plan.column.plan_count": {"en": "Plan, deals", "ru": "План, сделок"},
    "plan.column.fact_amount": {"en": "Fact, amount", "ru": "Факт, сумма"},
    "plan.column.fact_count": {"en": "Fact, deals", "ru": "Факт, сделок"},
    "plan.column.completion_amount": {"en": "Completion, amount", "ru": "Выполнение, сумма"},
    "plan.column.completion_count": {"en": "Completion, deals", "ru": "Выполнение, сделки"},
    "plan.column.run_rate_amount": {"en": "Run-rate, amount", "ru": "Прогноз по темпу, сумма"},
    "plan.column.run_rate_count": {"en": "Run-rate, deals", "ru": "Прогноз по темпу, сделок"},
    "plan.column.weighted_forecast": {"en": "Weighted forecast", "ru": "Взвешенный прогноз"},
    "plan.column.gap": {"en": "Gap", "ru": "Разрыв"},
    "plan.column.deals_needed": {"en": "New deals needed", "ru": "Нужно новых сделок"},
    "plan.column.basis": {"en": "Rates of", "ru": "Показатели"},
    "plan.column.win_rate": {"en": "Funnel win rate", "ru": "Конверсия воронки"},
    "plan.column.average_deal": {"en": "Average deal", "ru": "Средняя сделка"},
    "plan.calculator": {"en": "Deals needed: what it takes", "ru": "Сколько нужно новых сделок"},
    "plan.weakest_first": {
        "en": "Opens on the manager furthest behind plan.",
        "ru": "Сначала показан менеджер, сильнее всех отстающий от плана.",
    },
    "plan.basis_manager": {
        "en": "The manager's own rates, {start} — {end} ({closed} deals closed).",
        "ru": "Собственные показатели менеджера за {start} — {end} (закрыто сделок: {closed}).",
    },
    "plan.basis_team": {
        "en": "The team's rates, {start} — {end}: the manager closed fewer than {minimum} deals then (the team closed {closed}).",
        "ru": "Показатели команды за {start} — {end}: менеджер закрыл меньше {minimum} сделок (команда — {closed}).",
    },
    "plan.basis_company": {
        "en": "The company's rates, {start} — {end}: the manager, in no team, closed fewer than {minimum} deals then (the company closed {closed}).",
        "ru": "Показатели компании за {start} — {end}: менеджер без команды закрыл меньше {minimum} сделок (компания — {closed}).",
    },
    "plan.cannot_estimate": {
        "en": "Cannot estimate: the win rate or the average deal is zero. Enter values to try.",
        "ru": "Оценить нельзя: конверсия или средняя сделка равны нулю. Введите значения, чтобы прикинуть.",
    },
    "plan.cycle": {
        "en": "Median sales cycle: {days} days, so a deal created today would close around {date}.",
        "ru": "Медианный цикл сделки: {days} дн.; сделка, созданная сегодня, закроется примерно {date}.",
    },
    "plan.too_late": {
        "en": "That is after the period ends ({end}): new deals will hardly close this gap in time; look at the deals already in the pipeline.",
        "ru": "Это позже конца периода ({end}): новые сделки вряд ли успеют закрыть разрыв; смотрите на сделки, уже идущие по воронке.",
    },
    "plan.plans": {"en": "Plans", "ru": "Планы"},
    "plan.target": {"en": "Target", "ru": "Показатель"},
    "plan.who": {"en": "Manager / team", "ru": "Менеджер / команда"},
    "plan.total": {"en": "Total", "ru": "Итого"},
    "plan.team_row": {"en": "{team} (team plan)", "ru": "{team} (план команды)"},
    "plan.grid_caption": {
        "en": "Click a cell, type the target, press Enter: it is saved at once. An empty team row means the sum of its managers.",
        "ru": "Щёлкните ячейку, введите план и нажмите Enter — он сохранится сразу. Пустая строка команды — сумма планов её менеджеров.",
    },
    "plan.read_only": {"en": "Your plans, set by your head of sales.", "ru": "Ваши планы, заданные руководителем."},
    "plan.saved": {"en": "Plan saved", "ru": "План сохранён"},
    "plan.copy_title": {"en": "Copy plans with an uplift", "ru": "Скопировать планы с повышением"},
    "plan.copy_from": {"en": "From", "ru": "Из"},
    "plan.copy_to": {"en": "To", "ru": "В"},
    "plan.uplift": {"en": "Uplift, %", "ru": "Повышение, %"},
    "plan.copy": {"en": "Copy", "ru": "Скопировать"},
    "plan.copy_caption": {
        "en": "Month by month, for the team and pipeline chosen above; plans already there are replaced.",
        "ru": "Помесячно, для выбранных выше команды и воронки; уже заданные планы заменяются.",
    },
    "plan.copied": {
        "en": "{count} plans copied from {source} to {target}.",
        "ru": "Скопировано планов: {count}, из {source} в {target}.",
    },
    "plan.copy_question": {
        "en": "Copy {count} plans from {source} to {target}, each target changed by {uplift}%? "
        "{replaced} of them replace plans already set for {target}.",
        "ru": "Скопировать планы из {source} в {target}, изменив каждый показатель на {uplift}%? "
        "Планов: {count}; из них заменят уже заданные на {target}: {replaced}.",
    },
    "plan.copy_question_new": {
        "en": "Copy {count} plans from {source} to {target}, each target changed by {uplift}%? "
        "{target} has none of them yet: nothing is replaced.",
        "ru": "Скопировать планы из {source} в {target}, изменив каждый показатель на {uplift}%? "
        "Планов: {count}; на {target} их ещё нет — ничего не заменяется.",
    },
    "plan.copy_nothing": {
        "en": "{source} has no plans to copy for the team and pipeline chosen above.",
        "ru": "На {source} нет планов для копирования по выбранным выше команде и воронке.",
    },
    "plan.copy_confirm": {"en": "Yes, copy", "ru": "Да, скопировать"},
    "plan.history": {"en": "History of plan changes", "ru": "История изменений планов"},
    "plan.history_at": {"en": "When", "ru": "Когда"},
    "plan.history_by": {"en": "Who", "ru": "Кто"},
    "plan.history_plan_of": {"en": "Plan of", "ru": "Чей план"},
    "plan.history_month": {"en": "Month", "ru": "Месяц"},
    "plan.history_target": {"en": "Target", "ru": "Показатель"},
    "plan.history_was": {"en": "Was", "ru": "Было"},
    "plan.history_now": {"en": "Now", "ru": "Стало"},
    "field.target_amount": {"en": "Won amount", "ru": "Сумма выигранных"},
    "field.target_count": {"en": "Won deals", "ru": "Выигранных сделок"},
    "field.target_calls": {"en": "Calls", "ru": "Звонки"},
    "field.target_meetings": {"en": "Meetings", "ru": "Встречи"},
    "field.uplift_percent": {"en": "Uplift, %", "ru": "Повышение, %"},
    "field.period": {"en": "Period", "ru": "Период"},
    "field.target": {"en": "Copy to", "ru": "Куда копировать"},
    "field.user_id": {"en": "Manager", "ru": "Менеджер"},
    "field.month": {"en": "Month", "ru": "Месяц"},
    "dashboard.title": {"en": "Manager dashboard", "ru": "Дашборд менеджера"},
    "dashboard.company": {"en": "Whole company", "ru": "Вся компания"},
    "dashboard.manager": {"en": "Manager", "ru": "Менеджер"},
    "dashboard.everyone": {"en": "All managers", "ru": "Все менеджеры"},
    "dashboard.total": {"en": "Total", "ru": "Итого"},
    "dashboard.calls": {"en": "Calls", "ru": "Звонки"},
    "dashboard.meetings": {"en": "Meetings", "ru": "Встречи"},
    "dashboard.overdue": {"en": "Overdue now", "ru": "Просрочено сейчас"},
    "dashboard.open_deals": {"en": "Active deals", "ru": "Активные сделки"},
    "dashboard.rotting": {"en": "Rotting deals", "ru": "Застрявшие сделки"},
    "dashboard.won_amount": {"en": "Won", "ru": "Выиграно"},
    "dashboard.won": {"en": "Won deals", "ru": "Выиграно сделок"},
    "dashboard.win_rate_closed": {"en": "Win rate", "ru": "Доля выигранных"},
    "dashboard.manager_col": {"en": "Manager", "ru": "Менеджер"},
    "dashboard.versus_previous": {
        "en": "Change against the previous period of the same length.",
        "ru": "Изменение к предыдущему периоду той же длины.",
    },
    "dashboard.week": {"en": "Week", "ru": "Неделя"},
    "dashboard.overdue_list": {"en": "Overdue activities", "ru": "Просроченные дела"},
    "dashboard.rotting_list": {"en": "Rotting deals", "ru": "Застрявшие сделки"},
    "dashboard.leaderboard": {"en": "Leaderboard", "ru": "Рейтинг"},
    "dashboard.leaderboard_caption": {
        "en": "Click a column to sort. Green: better than the team median; red: worse; bold: the manager you are looking at.",
        "ru": "Нажмите на столбец, чтобы отсортировать. Зелёным — лучше медианы команды, красным — хуже, жирным — выбранный менеджер.",
    },
    "error.permission": {"en": "Not permitted: {message}", "ru": "Нет прав: {message}"},
    "error.database": {
        "en": "The database did not answer (busy or restarting). Nothing was saved; try again in a moment.",
        "ru": "База данных не ответила (занята или перезапускается). Ничего не сохранено; повторите через минуту.",
    },
    "error.incident": {
        "en": "Something went wrong on our side, and nothing more was done. Try again; if it happens again, tell your administrator the incident number {number}.",
        "ru": "У нас что-то сломалось, и больше ничего не сделано. Повторите; если снова не получится, сообщите администратору номер инцидента {number}.",
    },
    "error.database_read": {
        "en": "The database did not answer (busy or restarting); these figures will come back by themselves, or reload the page in a moment.",
        "ru": "База данных не ответила (занята или перезапускается); показатели вернутся сами, или обновите страницу через минуту.",
    },
}

# The services' messages (core.messages.ENGLISH) in Russian, by code, with the same parameters.
MESSAGES_RU: dict[str, str] = {
    "required": "обязательное поле",
    "not_text": "должно быть текстом",
    "control_characters": "не должно содержать управляющих символов",
    "too_long": "не длиннее {maximum} символов (сейчас {length})",
    "at_most_characters": "не длиннее {maximum} символов",
    "at_least_characters": "не короче {minimum} символов",
    "not_a_number": "должно быть числом",
    "not_a_number_value": "должно быть числом, а не {value!r}",
    "not_finite": "должно быть конечным числом",
    "negative": "не может быть отрицательным",
    "amount_too_large": "не больше {maximum:,}",
    "two_decimals": "не больше двух знаков после запятой",
    "not_whole": "должно быть целым числом",
    "too_large": "слишком большое значение",
    "at_most": "не больше {maximum}",
    "not_a_date": "должно быть датой",
    "not_a_date_value": "должно быть датой вида 2026-03-31 или 31.03.2026, а не {value!r}",
    "date_out_of_range": "должно быть в пределах от {earliest} до {latest}",
    "not_a_timestamp": "должно быть датой и временем",
    "no_time_zone": "должно быть с часовым поясом",
    "one_of": "должно быть одним из: {choices}",
    "choose_one_of": "выберите одно из: {choices}",
    "choose_active_user": "выберите активного пользователя",
    "cannot_change_here": "здесь не меняется",
    "email": "должен выглядеть как name@example.com",
    "no_such.company": "нет такой компании ({id})",
    "no_such.team": "нет такой команды ({id})",
    "no_such.user": "нет такого пользователя ({id})",
    "no_such.pipeline": "нет такой воронки ({id})",
    "language": "должен быть en или ru",
    "template.unknown": "неизвестный шаблон {template!r}",
    "or": "{first} или {second}",
    "semicolon": "{first}; {second}",
    "roles.admin": "администраторы",
    "roles.executive": "руководители",
    "roles.manager": "менеджеры",
    "not_found.user_login": "Нет пользователя с логином {login!r}.",
    "not_found.user": "Пользователь {id} не найден.",
    "not_found.pipeline": "Воронка {id} не найдена.",
    "not_found.stage": "Этап {id} не найден.",
    "not_found.deal": "Сделка {id} не найдена.",
    "not_found.batch": "Импорт {id} не найден.",
    "not_found.activity": "Дело {id} не найдено.",
    "not_found.lost_reason": "Причина проигрыша {id} не найдена.",
    "not_found.manager": "Нет такого менеджера ({id}).",
    "not_found.team_named": "Нет команды с названием {name!r}.",
    "not_found.pipeline_named": "Нет воронки с названием {name!r}.",
    "permission.roles": "Только {roles} могут {action}.",
    "permission.owner": "Вам нельзя {action}: запись принадлежит другому пользователю.",
    "permission.own_deals": "Менеджер видит только свои сделки.",
    "permission.own_plans": "Менеджер видит только свои планы.",
    "permission.create_own_deals": "Менеджер создаёт сделки только на себя.",
    "permission.deal_of_another": "Эта сделка вам недоступна: она принадлежит другому менеджеру.",
    "action.add_companies": "добавлять компании",
    "action.add_contacts": "добавлять контакты",
    "action.add_deal_activities": "добавлять дела к этой сделке",
    "action.add_activities_for_others": "добавлять дела другому пользователю",
    "action.complete_activity": "отмечать это дело выполненным",
    "action.reschedule_activity": "переносить это дело",
    "action.create_deals": "создавать сделки",
    "action.edit_deal": "изменять эту сделку",
    "action.move_deal": "переводить эту сделку на другой этап",
    "action.reassign_deals": "передавать сделки другим менеджерам",
    "action.create_teams": "создавать команды",
    "action.create_users": "создавать пользователей",
    "action.edit_users": "изменять пользователей",
    "action.manage_sessions": "видеть и завершать сеансы других пользователей",
    "action.reset_passwords": "менять пароли других пользователей",
    "action.create_pipelines": "создавать воронки",
    "action.archive_pipelines": "архивировать воронки",
    "action.configure_pipelines": "настраивать воронки",
    "action.read_change_log": "смотреть журнал изменений",
    "action.read_login_log": "смотреть журнал входов",
    "action.edit_lost_reasons": "изменять причины проигрыша",
    "action.edit_plans": "изменять планы",
    "action.read_plan_history": "смотреть историю планов",
    "action.export_database": "выгружать базу данных",
    "action.import_database": "загружать базу данных",
    "action.import_deals": "импортировать сделки",
    "team.exists": "команда {name!r} уже есть",
    "team.missing": "команды {id} нет",
    "session.missing": "сеанса {id} нет",
    "login.taken": "{login!r} уже занят",
    "user.last_admin": "последний активный администратор должен остаться активным администратором; сначала назначьте администратором другого пользователя",
    "deal.conflict": "Сделку {title!r} изменил кто-то другой после того, как вы её открыли. Обновите её, чтобы увидеть изменения, и внесите свои ещё раз.",
    "deal.conflict_same_moment": "Сделку {title!r} в тот же момент изменил кто-то другой. Обновите её, чтобы увидеть изменения, и внесите свои ещё раз.",
    "deal.active_pipeline": "выберите активную воронку",
    "deal.own_pipeline_stage": "выберите этап воронки этой сделки",
    "deal.already_in_stage": "сделка уже на этапе {stage!r}",
    "deal.lost_reason": "выберите, почему сделка проиграна",
    "deal.already_open": "сделка уже открыта",
    "deal.reopen_stage": "сделку можно открыть снова только на открытом этапе",
    "deal.first_stage": "новая сделка начинается на открытом этапе своей воронки",
    "deal.unknown_field": "нет такого поля сделки",
    "deal.contact_company": "контакт работает в другой компании",
    "deal.date_not_emptied": "пустая ячейка дату не стирает; чтобы убрать дату, очистите её на вкладке «Данные» сделки",
    "deal.no_company": "нет такой компании ({value!r})",
    "deal.no_contact": "нет такого контакта ({value!r})",
    "stage.required_to_enter": "обязательно для перехода на этап {stage!r}",
    "activity.already_done": "дело уже выполнено",
    "activity.done_not_rescheduled": "выполненное дело нельзя перенести",
    "lost_reason.exists": "причина проигрыша {name!r} уже есть",
    "pipeline.exists": "воронка {name!r} уже есть",
    "pipeline.conflict": "Воронку {name!r} изменил другой администратор после того, как вы её открыли. На странице теперь текущая версия; внесите изменение ещё раз.",
    "pipeline.needs_stages": "в воронке нужны хотя бы один открытый этап, этап выигрыша и этап проигрыша",
    "pipeline.open_stages_limit": "в воронке не больше {maximum} открытых этапов",
    "pipeline.open_stages_limit_ever": "в воронке не больше {maximum} открытых этапов, включая удалённые",
    "pipeline.stage_names_differ": "названия этапов должны различаться",
    "pipeline.keeps_open_stage": "в воронке должен остаться хотя бы один открытый этап",
    "stage.name_taken": "в воронке уже есть этап {name!r}",
    "stage.probability_range": "должно быть от 0 до 100",
    "stage.fixed_probability": "для {kind} всегда {probability}",
    "stage.kind_won": "этапа выигрыша",
    "stage.kind_lost": "этапа проигрыша",
    "stage.colour": "должен быть цветом вида #4c78a8",
    "stage.not_requirable": "{fields}: это поле сделки нельзя сделать обязательным",
    "stage.task": "задача {number}: {problems}",
    "stage.task_problem": "{field} — {message}",
    "stage.task_title": "название",
    "stage.task_due_days": "срок в днях",
    "stage.open_stage_after": "выберите открытый этап этой воронки",
    "stage.closed_stay_last": "этапы выигрыша и проигрыша всегда последние",
    "stage.already_first": "этап {name!r} уже первый среди открытых",
    "stage.already_last": "этап {name!r} уже последний среди открытых",
    "stage.closed_not_deleted": "этапы выигрыша и проигрыша нельзя удалить",
    "stage.target_for_deals": "выберите открытый этап, на который перейдут сделки этого этапа ({count})",
    "plan.copy_same_kind": "копируйте месяц в месяц, квартал в квартал, год в год",
    "plan.copy_other_period": "выберите период, отличный от копируемого",
    "plan.percent_range": "должно быть от -100 до {maximum}",
    "plan.one_scope": "план ставится ровно одному менеджеру или одной команде",
    "period.format": "укажите месяц (2026-07), квартал (2026-Q3) или год (2026), а не {value!r}",
    "file.empty": "файл пуст",
    "file.too_big": "файл весит {size_mb:.1f} МБ, а можно не больше {limit_mb} МБ — разделите его на файлы поменьше",
    "file.no_header": "в первой строке должны быть названия столбцов",
    "file.columns_twice": "столбцы с одинаковыми названиями: {columns}",
    "file.not_excel": "не удалось прочитать книгу Excel ({error})",
    "file.not_csv": "не удалось прочитать таблицу CSV ({error})",
    "file.encoding": "текст не в UTF-8 и не в Windows-1251; сохраните его в UTF-8",
    "file.cannot_read": "не удалось прочитать {path}: {error}",
    "file.unpacked_too_big": (
        "книга распаковывается в {size_mb:,.0f} МБ, а можно не больше {limit_mb} МБ в распакованном виде — "
        "разделите её на файлы поменьше"
    ),
    "file.packed_too_tightly": (
        "часть книги {part} распаковывается в {ratio:,.0f} раз больше, чем занимает в сжатом виде, а можно не "
        "больше чем в {limit} раз — настоящие таблицы сжимаются намного слабее"
    ),
    "file.size_lie": "часть книги {part} распаковывается больше чем в заявленные {declared:,} байт; файл повреждён",
    "file.doctype": "часть книги {part} объявляет тип документа (<!DOCTYPE>), чего настоящие таблицы не делают",
    "file.too_many_columns": "в таблице больше {limit} столбцов — это предел; удалите столбцы, которые не импортируются",
    "file.too_many_cells": "в таблице больше {limit:,} ячеек (строки × столбцы) — это предел; разделите её на файлы поменьше",
    "file.mixed_encodings": (
        "в файле смешаны кодировки: строки {rows} прочитаны как {odd}, остальные — как {usual}; "
        "проверьте эти строки или сохраните весь файл в UTF-8"
    ),
    "native.sheet_too_long": "в таблице {table} {rows:,} строк — больше, чем помещается на лист Excel; выгрузите в CSV",
    "native.not_empty": "родной формат загружается только в пустую базу; в этой уже есть: {tables}",
    "native.no_source": "{source} не найден",
    "native.table_missing": "нет таблицы {table} (ожидался файл {table}.csv или лист с таким названием)",
    "native.columns": "столбцы должны быть такими: {columns}",
    "native.bad_value": "строка {line}, {column}: не удалось прочитать {value!r} ({error})",
    "mapping.columns": 'сопоставьте хотя бы столбцы ответственного и этапа, например {{"owner": "sales_agent", ...}}',
    "mapping.unknown_fields": "неизвестные поля сделки: {unknown}; поля такие: {fields}",
    "mapping.new_pipeline": "нужны name, open (список), won и lost (список): {error}",
    "mapping.pipeline": "укажите существующую воронку или опишите new_pipeline",
    "mapping.create_or_reject": "должно быть create или reject",
    "mapping.date": "должно быть датой вида 2026-01-31",
    "foreign.teams_file_columns": "нет столбца {missing}; в файле есть: {columns}",
    "foreign.teams_file_row": "строка {row}: {problem}",
    "foreign.file_columns": "в файле нет столбца {missing}; в нём есть: {columns}",
    "foreign.map_required": "сопоставьте столбцы полям: {fields}",
    "foreign.rows_with_problems": "строк с проблемами: {count}; ничего не импортировано",
    "foreign.no_pipeline": "нет воронки {name!r}",
    "foreign.no_stages": "в воронке {pipeline} нет этапа {stages}",
    "problem.error": "ошибка",
    "problem.note": "замечание",
    "problem.more_rows": "{rows} … (всего строк: {count})",
    "problem.same_id": "такой же id {id!r} уже есть в строке {row}",
    "problem.no_owner": "нет ответственного",
    "problem.unknown_owner": "нет пользователя {name!r} (создание пользователей выключено)",
    "problem.no_stage": "нет этапа",
    "problem.unmapped_stage": "этап {stage!r} не сопоставлен ни с одним этапом воронки",
    "problem.default_created": "нет даты создания: взята {day}",
    "problem.closed_date_needed": "у выигранной или проигранной сделки должна быть дата закрытия",
    "problem.closed_before_created": "закрыта раньше, чем создана",
    "problem.unknown_company": "нет компании {name!r} (создание компаний выключено)",
    "problem.formula": "{text!r} похоже на формулу таблицы; удалите её или начните текст с '",
    "problem.too_long": "длиннее {maximum} символов",
    "problem.not_amount": "{value!r} — не сумма",
    "problem.amount_range": "{value!r}: сумма должна быть от 0 до {maximum:,}",
    "problem.not_date": "{value!r} — не дата (пишите 2026-07-31 или 31.07.2026)",
    "problem.nul": "содержит символ NUL (код 0), который нельзя сохранить; удалите его",
    "problem.undecodable": "содержит байты не в UTF-8 и не в Windows-1251 (показаны как �); исправьте их или сохраните файл в UTF-8",
    "report.dates_required": "для этого отчёта нужны --from и --to",
    "backup.exists": "{path} уже существует: выберите новый файл",
    "backup.no_file": "{path} — не файл",
    "backup.not_empty": "в базе есть пользователи или сделки: восстанавливайте в пустую или замените их с --replace",
    "backup.no_tool": "{tool} не установлен (Debian: apt-get install postgresql-client)",
    "backup.failed": "{tool} завершился с ошибкой: {error}",
    "batch.changed": (
        "{count} её сделок изменены после импорта (правка, перемещение, передача или дело): {titles}; "
        "отмените остальное или оставьте как есть"
    ),
    "batch.already_undone": "этот импорт уже отменён",
    "batch.native": ("импорт выгрузки восстанавливает всю базу; отменить его можно восстановлением резервной копии"),
    "report.to_before_from": "последний день раньше первого",
    "report.required": "обязательно для этого отчёта",
    "report.period_required": "обязательно для этого отчёта, например --period 2026-Q3",
}


def language() -> str:
    return st.session_state.get(LANGUAGE, "en")


def t(key: str, **values: object) -> str:
    """The text of `key` in the chosen language, with `values` put in. The templates are Markdown; a
    value a user typed that goes into a Markdown element (a title, a toast, a label) is passed as
    ui.format.plain(value), and as it is into plain text (st.text, a select box's options, a grid)."""
    text = TEXTS[key][language()]
    return text.format(**values) if values else text


class _RussianNumber:
    """A number inside a Russian message: where the template groups the thousands or shows decimals,
    a space between the thousands and a decimal comma ("1 000 000 000 000", "30,5")."""

    def __init__(self, value: int | float | Decimal):
        self.value = value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec).replace(",", NARROW_NBSP).replace(".", ",")

    def __repr__(self) -> str:
        return repr(self.value)


class _Quoted:
    """A value a message quotes (what someone typed: a title, a name) in a message shown as Markdown:
    escaped after its conversion, so that "{title!r}" quotes it and shows it as written."""

    def __init__(self, value: object):
        self.value = value

    def __format__(self, spec: str) -> str:
        return plain(format(self.value, spec))

    def __repr__(self) -> str:
        return plain(repr(self.value))


def _parameter(value: object, lang: str, markdown: bool) -> object:
    if isinstance(value, Message):
        return render(value, lang, markdown=markdown)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return _RussianNumber(value) if lang == "ru" else value
    return _Quoted(value) if markdown else value


def render(message: Message, lang: str, *, markdown: bool = False) -> str:
    """A service's message in `lang`: in English its own text; in Russian its code's template, with the
    parameters that are messages rendered in Russian too. As Markdown (`markdown`): the template as
    it is, the values it quotes escaped (ui.format.plain)."""
    if lang != "ru" and not markdown:
        return str(message)
    template = MESSAGES_RU[message.code] if lang == "ru" else ENGLISH[message.code]
    return template.format(**{name: _parameter(value, lang, markdown) for name, value in message.params.items()})


def translated(message: Message) -> str:
    """A service's message in the chosen language."""
    return render(message, language())


def error_text(error: Conflict | NotFound | PermissionDenied) -> str:
    """What a refused action's error says, in the chosen language, as Markdown: it may quote what the
    user typed (a deal's title, a pipeline's name), shown as written."""
    return render(error.message, language(), markdown=True)


def translated_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A table some of whose cells are service messages (the foreign import's problems), in the chosen language."""
    lang = language()
    return frame.map(lambda value: render(value, lang) if isinstance(value, Message) else value)


def field_errors(error: ValidationError) -> str:
    """One line per field, with the field's label and the message in the chosen language."""
    lines = []
    for field, message in error.errors.items():
        label = t(f"field.{field}") if f"field.{field}" in TEXTS else field
        lines.append(f"- **{plain(label)}**: {plain(translated(message))}")
    return "\n".join(lines)
