"""Every UI string, in English and Russian."""

import streamlit as st

from ui.state import LANGUAGE

TEXTS: dict[str, dict[str, str]] = {
    "app.title": {"en": "Sales funnel", "ru": "Воронка продаж"},
    "nav.overview": {"en": "Overview", "ru": "Обзор"},
    "sidebar.language": {"en": "Language", "ru": "Язык"},
    "overview.title": {"en": "Pipelines overview", "ru": "Обзор воронок"},
    "overview.caption": {
        "en": "Open deals now in each stage: count, amount, and amount weighted by the stage probability.",
        "ru": "Открытые сделки на каждом этапе сейчас: количество, сумма и сумма с учётом вероятности этапа.",
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
}


def language() -> str:
    return st.session_state.get(LANGUAGE, "en")


def t(key: str) -> str:
    return TEXTS[key][language()]
