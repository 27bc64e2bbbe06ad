"""The stage templates that ship with the product (SPEC §2), in English and Russian."""

from dataclasses import dataclass

from db.models import StageKind


@dataclass(frozen=True)
class StageTemplate:
    en: str
    ru: str
    kind: StageKind = StageKind.OPEN
    probability: int = 0
    rot_days: int = 0


@dataclass(frozen=True)
class PipelineTemplate:
    key: str
    en: str
    ru: str
    stages: tuple[StageTemplate, ...]

    def name(self, language: str) -> str:
        return self.ru if language == "ru" else self.en


def _won(en: str, ru: str) -> StageTemplate:
    return StageTemplate(en, ru, StageKind.WON, 100)


def _lost(en: str, ru: str) -> StageTemplate:
    return StageTemplate(en, ru, StageKind.LOST, 0)


TEMPLATES: dict[str, PipelineTemplate] = {
    template.key: template
    for template in (
        PipelineTemplate(
            "b2b_classic",
            "B2B classic",
            "B2B классика",
            (
                StageTemplate("Qualification", "Квалификация", probability=10, rot_days=7),
                StageTemplate("Presentation", "Презентация", probability=25, rot_days=10),
                StageTemplate("Commercial proposal", "Коммерческое предложение", probability=50, rot_days=14),
                StageTemplate("Contracting", "Контрактация", probability=80, rot_days=14),
                _won("Won", "Завершена с победой"),
                _lost("Lost", "Проиграна"),
            ),
        ),
        PipelineTemplate(
            "inbound_lead",
            "Inbound lead",
            "Входящий лид",
            (
                StageTemplate("First contact", "Первичный контакт", probability=10, rot_days=3),
                StageTemplate("Negotiation", "Переговоры", probability=30, rot_days=7),
                StageTemplate("Decision making", "Принимают решение", probability=60, rot_days=10),
                StageTemplate("Contract approval", "Согласование договора", probability=85, rot_days=10),
                _won("Won", "Успешно реализовано"),
                _lost("Lost", "Закрыто и не реализовано"),
            ),
        ),
        PipelineTemplate(
            "web_studio",
            "Web studio (project sales)",
            "Веб-студия (проектные продажи)",
            (
                StageTemplate("Incoming request", "Входящая заявка", probability=5, rot_days=2),
                StageTemplate("Classification", "Классификация", probability=10, rot_days=3),
                StageTemplate("Meeting scheduled", "Назначение встречи", probability=20, rot_days=7),
                StageTemplate("Meeting", "Встреча", probability=30, rot_days=7),
                StageTemplate("Proposal sent", "Отправка КП", probability=40, rot_days=10),
                StageTemplate("Agreement", "Согласование", probability=55, rot_days=14),
                StageTemplate("Invoice issued", "Выставление счёта", probability=70, rot_days=7),
                StageTemplate("Prepayment", "Предоплата", probability=80, rot_days=14),
                StageTemplate("In progress", "В работе", probability=90, rot_days=30),
                StageTemplate("Acceptance", "Приём", probability=95, rot_days=14),
                _won("Full payment", "Полная оплата"),
                _lost("Lost", "Проиграна"),
            ),
        ),
    )
}

DEFAULT_LOST_REASONS = {
    "en": ("Too expensive", "Chose a competitor", "No budget", "No response", "Not a fit"),
    "ru": ("Дорого", "Выбрали конкурента", "Нет бюджета", "Нет ответа", "Не наш клиент"),
}
