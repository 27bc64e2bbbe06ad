"""The services' messages: every code known, in English and Russian, and a Message kept whole when stored."""

import ast
import copy
import pickle
import string
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core import pipelines, stage_editor, users
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.exchange import foreign
from core.messages import ENGLISH, Message
from core.permissions import Actor, require_role
from db.models import Role
from ui import i18n
from ui.format import NARROW_NBSP, plain

ROOT = Path(__file__).resolve().parents[2]
# Where Messages are made (core/messages.py itself only joins the codes its callers give).
SOURCES = sorted(
    p
    for p in [*ROOT.glob("core/**/*.py"), *ROOT.glob("cli/**/*.py"), *ROOT.glob("api/**/*.py")]
    if p.name != "messages.py"
)
ACTION_CHECKERS = {"require_role", "require_owner_or_admin", "_load_for_write", "_get_for_write"}


def placeholders(template: str) -> set[tuple[str, str | None, str]]:
    """Each field with its conversion and format: the same in both languages, a Russian text formats
    whatever parameters the English one does."""
    return {(name, conversion, spec) for _, name, spec, conversion in string.Formatter().parse(template) if name}


def called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def calls() -> list[tuple[Path, ast.Call]]:
    return [
        (path, node)
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
    ]


def literal_codes() -> dict[str, set[str]]:
    """Message("code", …) and joined(parts, "code") as the services write them; codes made at run time
    (the permissions' f"action.{action}" and f"roles.{role}") under their file's name."""
    codes: dict[str, set[str]] = {}
    for path, node in calls():
        argument = {"Message": 0, "joined": 1}.get(called(node))
        if argument is None:
            continue
        code = node.args[argument]
        where = "literal" if isinstance(code, ast.Constant) else str(path.relative_to(ROOT))
        codes.setdefault(where, set()).add(code.value if isinstance(code, ast.Constant) else ast.unparse(code))
    return codes


def actions() -> set[str]:
    """Every action= the services pass to the permission checks."""
    return {
        keyword.value.value
        for _, node in calls()
        if called(node) in ACTION_CHECKERS
        for keyword in node.keywords
        if keyword.arg == "action" and isinstance(keyword.value, ast.Constant)
    }


@pytest.mark.parametrize("code", sorted(ENGLISH))
def test_every_code_has_a_russian_text_with_the_same_placeholders(code):
    assert code in i18n.MESSAGES_RU, f"{code!r} has no Russian text in ui/i18n.py MESSAGES_RU"
    assert placeholders(i18n.MESSAGES_RU[code]) == placeholders(ENGLISH[code])


def test_russian_has_no_codes_that_english_lacks():
    assert set(i18n.MESSAGES_RU) <= set(ENGLISH)


def test_every_message_the_services_build_names_a_known_code():
    codes = literal_codes()
    assert sorted(codes.pop("literal") - set(ENGLISH)) == []
    # Only the permission checks make codes at run time; the next two tests cover what they make.
    assert set(codes) == {"core/permissions.py"}


def test_every_action_and_role_the_permission_checks_name_is_known():
    assert sorted(f"action.{action}" for action in actions() if f"action.{action}" not in ENGLISH) == []
    assert all(f"roles.{role.value}" in ENGLISH for role in Role)


def test_every_code_in_the_catalogue_is_used():
    used = literal_codes()["literal"] | {f"action.{action}" for action in actions()}
    used |= {f"roles.{role.value}" for role in Role}
    assert sorted(set(ENGLISH) - used) == []


def test_an_unknown_code_or_a_missing_parameter_fails_at_once():
    with pytest.raises(KeyError, match="no_such_code"):
        Message("no_such_code")
    with pytest.raises(KeyError):
        Message("too_long", maximum=200)
    with pytest.raises(KeyError, match="action.make_coffee"):  # even where the role may: checked first
        require_role(Actor.system(), Role.ADMIN, action="make_coffee")


def test_a_message_is_its_english_text_and_keeps_its_code_and_parameters():
    message = Message("not_a_number_value", value="twelve")

    assert message == "must be a number, not 'twelve'" and isinstance(message, str)
    assert (message.code, message.params) == ("not_a_number_value", {"value": "twelve"})
    assert f"error: {message}" == "error: must be a number, not 'twelve'"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_message_survives_pickle(protocol):
    nested = Message("permission.owner", action=Message("action.edit_deal"))

    again = pickle.loads(pickle.dumps(nested, protocol))

    assert type(again) is Message and again == nested
    assert (again.code, again.params["action"].code) == ("permission.owner", "action.edit_deal")


def test_a_message_survives_copy_and_deepcopy():
    message = Message("deal.already_in_stage", stage="Won")

    for again in (copy.copy(message), copy.deepcopy(message)):
        assert type(again) is Message
        assert (again, again.code, again.params) == (message, message.code, message.params)


def test_a_message_renders_in_english_and_in_russian_with_its_parameters_translated():
    refused = Message(
        "permission.roles",
        roles=Message("or", first=Message("roles.admin"), second=Message("roles.manager")),
        action=Message("action.create_deals"),
    )

    assert i18n.render(refused, "en") == "Only admin or manager users may create deals."
    assert i18n.render(refused, "ru") == "Только администраторы или менеджеры могут создавать сделки."


def test_numbers_in_a_russian_message_are_written_the_russian_way():
    assert i18n.render(Message("amount_too_large", maximum=Decimal("1000000000000")), "en") == (
        "must be at most 1,000,000,000,000"
    )
    assert i18n.render(Message("amount_too_large", maximum=Decimal("1000000000000")), "ru") == (
        f"не больше 1{NARROW_NBSP}000{NARROW_NBSP}000{NARROW_NBSP}000{NARROW_NBSP}000"
    )
    assert i18n.render(Message("file.too_big", size_mb=30.46, limit_mb=25), "ru").startswith("файл весит 30,5 МБ")
    assert i18n.render(Message("deal.no_company", value=12345), "ru") == "нет такой компании (12345)"


def test_a_message_shown_as_markdown_escapes_what_it_quotes_and_keeps_its_own_text():
    title = "**x** [y](http://host)"
    changed = Message("deal.conflict", title=title)
    refused = Message("permission.roles", roles=Message("roles.admin"), action=Message("action.create_deals"))

    assert i18n.render(changed, "en", markdown=True) == changed.replace(repr(title), plain(repr(title)))
    assert i18n.render(changed, "ru", markdown=True).startswith(f"Сделку {plain(repr(title))} изменил")
    assert i18n.render(refused, "en", markdown=True) == "Only admin users may create deals."


def test_the_domain_errors_read_as_before_and_carry_their_messages():
    error = ValidationError({"amount": Message("required"), "title": Message("not_text")})
    refused = PermissionDenied(Message("permission.own_deals"))

    assert str(error) == "amount: is required; title: must be text"
    assert str(refused) == "Managers see their own deals only."
    assert refused.message.code == "permission.own_deals"
    assert str(NotFound(Message("not_found.deal", id=7))) == "Deal 7 does not exist."
    assert str(Conflict(Message("pipeline.conflict", name="B2B"))).startswith("Pipeline 'B2B' was changed")


def test_a_domain_error_refuses_a_message_without_a_code():
    with pytest.raises(TypeError):
        ValidationError({"amount": "is required"})
    with pytest.raises(TypeError):
        PermissionDenied("Not you.")


def test_a_refused_role_is_told_in_russian(session, world):
    with pytest.raises(PermissionDenied) as refused:
        users.create_team(session, world.anna, "South")

    assert str(refused.value) == "Only admin users may create teams."
    assert i18n.render(refused.value.message, "ru") == "Только администраторы могут создавать команды."


def test_a_stage_editor_message_built_of_parts_is_told_in_russian(session, world):
    version = stage_editor.pipeline_version(session, world.pipeline_id)
    stage_id = world.stages["Presentation"]
    with pytest.raises(ValidationError) as refused:
        stage_editor.update_stage(
            session, world.admin, stage_id, version, entry_tasks=[{"title": "Call", "due_days": 1}, {"due_days": 900}]
        )

    message = refused.value.errors["entry_tasks"]
    assert message == "task 2: title is required; due_days must be at most 365"
    assert i18n.render(message, "ru") == "задача 2: название — обязательное поле; срок в днях — не больше 365"


def test_the_import_problems_are_shown_in_the_chosen_language(monkeypatch):
    default_used = Message("problem.default_created", day=date(2026, 11, 23))
    prepared = foreign.Prepared(
        problems=[foreign.Problem(2, "amount", Message("problem.not_amount", value="lots"))]
        + [foreign.Problem(row, "created", default_used, blocking=False) for row in range(3, 10)]
    )
    monkeypatch.setattr(i18n, "language", lambda: "ru")

    shown = i18n.translated_table(prepared.problem_table())

    assert shown.values.tolist() == [
        ["2", "amount", "'lots' — не сумма", "ошибка"],
        ["3, 4, 5, 6, 7 … (всего строк: 7)", "created", "нет даты создания: взята 2026-11-23", "замечание"],
    ]


def test_a_pipeline_that_exists_is_named_in_russian(session, world):
    with pytest.raises(ValidationError) as refused:
        pipelines.create_from_template(session, world.admin, "b2b_classic", "en")

    assert i18n.render(refused.value.errors["name"], "ru") == "воронка 'B2B classic' уже есть"
