"""What each figure counts, in English and Russian, said once: the tiles' help, the heading of the deals
behind a figure, `report deals --explain` and the Definitions page all read it from here (SPEC §3).

A figure's name is the one the drill-down and the CLI use (`--figure reached`). Two figures that count
the same thing differently have different names and titles: the Funnel's "won of the cohort" (deals
created in the period, won by now) is not the "won" of the dashboards (deals closed won in the period).
"""

from dataclasses import dataclass

LANGUAGES = ("en", "ru")
Text = dict[str, str]  # language → text


@dataclass(frozen=True)
class Definition:
    name: str
    title: Text
    formula: Text  # what is counted and how
    dated_by: Text  # which date puts a deal in the period
    includes: Text
    excludes: Text

    def parts(self, language: str) -> list[tuple[str, str]]:
        """The definition's parts in `language`, each with its heading."""
        return [
            (HEADINGS["formula"][language], self.formula[language]),
            (HEADINGS["dated_by"][language], self.dated_by[language]),
            (HEADINGS["includes"][language], self.includes[language]),
            (HEADINGS["excludes"][language], self.excludes[language]),
        ]


HEADINGS = {
    "formula": {"en": "What it counts", "ru": "Что считается"},
    "dated_by": {"en": "Which date counts", "ru": "Какая дата"},
    "includes": {"en": "Included", "ru": "Входят"},
    "excludes": {"en": "Not included", "ru": "Не входят"},
}

_FILTERS = {
    "en": "deals of the chosen pipeline, team, managers, source, region and segment that you may see",
    "ru": "сделки выбранной воронки, команды, менеджеров, источника, региона и сегмента, которые вам видны",
}
_MANAGERS = {
    "en": "The activities or deals of the chosen manager, or of every manager of the chosen team or company.",
    "ru": "Дела или сделки выбранного менеджера или всех менеджеров выбранной команды или компании.",
}
_PLANS = {
    "en": "The chosen manager, team or company; the chosen pipeline, or all of them; closed deals credited to "
    "who closed them.",
    "ru": "Выбранный менеджер, команда или компания; выбранная воронка или все; закрытые сделки засчитываются "
    "тому, кто их закрыл.",
}
_OWNER_NOW = {"en": "each credited to its owner now", "ru": "каждая засчитывается текущему ответственному"}


DEFINITIONS: dict[str, Definition] = {
    d.name: d
    for d in (
        Definition(
            "created",
            {"en": "Deals created", "ru": "Создано сделок"},
            {
                "en": "The number of deals created in the period: the cohort the funnel follows.",
                "ru": "Число сделок, созданных за период: когорта, которую показывает воронка.",
            },
            {"en": "The day the deal was created.", "ru": "День создания сделки."},
            {
                "en": f"All {_FILTERS['en']}, open, won or lost.",
                "ru": f"Все {_FILTERS['ru']}: открытые, выигранные и проигранные.",
            },
            {"en": "Deals created before or after the period.", "ru": "Сделки, созданные до или после периода."},
        ),
        Definition(
            "reached",
            {"en": "Reached the stage", "ru": "Дошли до этапа"},
            {
                "en": "Of the deals created in the period, those that ever entered the stage or a later open stage, "
                "or are won now. Skipped stages count as passed; a lost deal reached the stages up to the furthest "
                "one it entered. A stage added later counts as passed by the deals created before it that reached "
                'a later stage: the funnel marks it "counted as passed (added on …)".',
                "ru": "Из сделок, созданных за период, — те, что когда-либо входили в этап или в более поздний "
                "открытый этап, или выиграны сейчас. Пропущенные этапы считаются пройденными; проигранная сделка "
                "дошла до самого дальнего этапа, в который входила. Этап, добавленный позже, считается пройденным "
                "сделками, созданными до него и дошедшими до следующих этапов: воронка помечает его «засчитан как "
                "пройденный (добавлен …)».",
            },
            {
                "en": "The day the deal was created (not the day it entered the stage).",
                "ru": "День создания сделки (а не день входа в этап).",
            },
            {"en": f"The cohort: {_FILTERS['en']}.", "ru": f"Когорта: {_FILTERS['ru']}."},
            {
                "en": "Deals created outside the period, even if they entered the stage in it.",
                "ru": "Сделки, созданные вне периода, даже если они вошли в этап в нём.",
            },
        ),
        Definition(
            "cohort_won",
            {"en": "Won of the cohort", "ru": "Выиграно из когорты"},
            {
                "en": "Of the deals created in the period, those won by now (the funnel's last row). Not the "
                "dashboards' won, which counts deals closed in the period.",
                "ru": "Из сделок, созданных за период, — выигранные к этому дню (последняя строка воронки). Это не "
                "«выиграно» дашбордов, где считаются сделки, закрытые за период.",
            },
            {"en": "The day the deal was created.", "ru": "День создания сделки."},
            {"en": f"The cohort: {_FILTERS['en']}.", "ru": f"Когорта: {_FILTERS['ru']}."},
            {
                "en": "Deals won in the period but created before it.",
                "ru": "Сделки, выигранные за период, но созданные до него.",
            },
        ),
        Definition(
            "funnel_win_rate",
            {"en": "Funnel win rate", "ru": "Конверсия воронки"},
            {
                "en": "Won of the cohort ÷ deals created in the period.",
                "ru": "Выиграно из когорты ÷ создано сделок за период.",
            },
            {"en": "The day the deal was created.", "ru": "День создания сделки."},
            {"en": f"The cohort: {_FILTERS['en']}.", "ru": f"Когорта: {_FILTERS['ru']}."},
            {
                "en": "Deals still open count in the denominator only: a recent period's rate grows as they close.",
                "ru": "Ещё открытые сделки входят только в знаменатель: конверсия недавнего периода растёт по мере "
                "их закрытия.",
            },
        ),
        Definition(
            "next_step_conversion",
            {"en": "Next-step conversion", "ru": "Конверсия в следующий этап"},
            {
                "en": "Reached the next stage ÷ reached this one, of the deals created in the period; the last open "
                "stage's next step is won.",
                "ru": "Дошли до следующего этапа ÷ дошли до этого среди сделок, созданных за период; следующий шаг "
                "последнего открытого этапа — выигрыш.",
            },
            {"en": "The day the deal was created.", "ru": "День создания сделки."},
            {"en": f"The cohort: {_FILTERS['en']}.", "ru": f"Когорта: {_FILTERS['ru']}."},
            {
                "en": "Deals still open in the stage count as not (yet) converted.",
                "ru": "Ещё открытые на этапе сделки считаются не (пока) перешедшими.",
            },
        ),
        Definition(
            "cumulative_conversion",
            {"en": "Cumulative conversion", "ru": "Накопленная конверсия"},
            {
                "en": "Reached this stage ÷ reached the first stage, of the deals created in the period.",
                "ru": "Дошли до этого этапа ÷ дошли до первого этапа среди сделок, созданных за период.",
            },
            {"en": "The day the deal was created.", "ru": "День создания сделки."},
            {"en": f"The cohort: {_FILTERS['en']}.", "ru": f"Когорта: {_FILTERS['ru']}."},
            {"en": "Deals created outside the period.", "ru": "Сделки, созданные вне периода."},
        ),
        Definition(
            "won",
            {"en": "Won (closed in the period)", "ru": "Выиграно (закрыто за период)"},
            {
                "en": "The number and amount of deals closed won in the period.",
                "ru": "Число и сумма сделок, закрытых с победой за период.",
            },
            {"en": "The day the deal was closed.", "ru": "День закрытия сделки."},
            {
                "en": f"{_FILTERS['en'].capitalize()}; {_OWNER_NOW['en']}.",
                "ru": f"{_FILTERS['ru'].capitalize()}; {_OWNER_NOW['ru']}.",
            },
            {
                "en": "Deals won before or after the period; deals reopened since.",
                "ru": "Сделки, выигранные до или после периода; переоткрытые с тех пор.",
            },
        ),
        Definition(
            "lost",
            {"en": "Lost (closed in the period)", "ru": "Проиграно (закрыто за период)"},
            {
                "en": "The number and amount of deals closed lost in the period.",
                "ru": "Число и сумма сделок, закрытых как проигранные за период.",
            },
            {"en": "The day the deal was closed.", "ru": "День закрытия сделки."},
            {
                "en": f"{_FILTERS['en'].capitalize()}; {_OWNER_NOW['en']}.",
                "ru": f"{_FILTERS['ru'].capitalize()}; {_OWNER_NOW['ru']}.",
            },
            {
                "en": "Deals lost before or after the period; deals reopened since.",
                "ru": "Сделки, проигранные до или после периода; переоткрытые с тех пор.",
            },
        ),
        Definition(
            "win_rate_closed",
            {"en": "Win rate (closed)", "ru": "Доля выигранных (закрытые)"},
            {
                "en": "Won ÷ (won + lost), of the deals closed in the period.",
                "ru": "Выигранные ÷ (выигранные + проигранные) среди сделок, закрытых за период.",
            },
            {"en": "The day the deal was closed.", "ru": "День закрытия сделки."},
            {
                "en": f"{_FILTERS['en'].capitalize()}; {_OWNER_NOW['en']}.",
                "ru": f"{_FILTERS['ru'].capitalize()}; {_OWNER_NOW['ru']}.",
            },
            {"en": "Deals still open.", "ru": "Ещё открытые сделки."},
        ),
        Definition(
            "average_deal",
            {"en": "Average deal", "ru": "Средняя сделка"},
            {
                "en": "The amount won in the period ÷ the deals won in it.",
                "ru": "Сумма выигранного за период ÷ число выигранных в нём сделок.",
            },
            {"en": "The day the deal was closed.", "ru": "День закрытия сделки."},
            {"en": f"Won deals: {_FILTERS['en']}.", "ru": f"Выигранные сделки: {_FILTERS['ru']}."},
            {"en": "Lost and open deals.", "ru": "Проигранные и открытые сделки."},
        ),
        Definition(
            "cycle",
            {"en": "Sales cycle", "ru": "Цикл сделки"},
            {
                "en": "Days from creation to the win, of the deals won in the period: the median in whole days "
                "(the mean in the help).",
                "ru": "Дни от создания до победы у сделок, выигранных за период: медиана в полных днях (среднее — "
                "в подсказке).",
            },
            {"en": "The day the deal was closed.", "ru": "День закрытия сделки."},
            {"en": f"Won deals: {_FILTERS['en']}.", "ru": f"Выигранные сделки: {_FILTERS['ru']}."},
            {"en": "Lost and open deals.", "ru": "Проигранные и открытые сделки."},
        ),
        Definition(
            "lost_reason",
            {"en": "Lost, by stage and reason", "ru": "Проигранные: этап и причина"},
            {
                "en": "Deals closed lost in the period, by the stage they were lost from and their reason.",
                "ru": "Сделки, проигранные за период, по этапу, на котором проиграны, и причине.",
            },
            {"en": "The day the deal was closed.", "ru": "День закрытия сделки."},
            {"en": f"{_FILTERS['en'].capitalize()}.", "ru": f"{_FILTERS['ru'].capitalize()}."},
            {"en": "Deals reopened since.", "ru": "Сделки, переоткрытые с тех пор."},
        ),
        Definition(
            "time_in_stage",
            {"en": "Time in stage", "ru": "Время на этапе"},
            {
                "en": "Every stay in the stage (from entering to leaving) that ended in the period: how many, and "
                "their median (whole days) and mean length. A deal that stayed twice counts twice.",
                "ru": "Каждое пребывание на этапе (от входа до выхода), закончившееся за период: сколько их, медиана "
                "(в полных днях) и средняя длительность. Сделка, побывавшая на этапе дважды, считается дважды.",
            },
            {"en": "The day the deal left the stage.", "ru": "День выхода сделки с этапа."},
            {"en": f"{_FILTERS['en'].capitalize()}.", "ru": f"{_FILTERS['ru'].capitalize()}."},
            {
                "en": "Deals still in the stage: their age is in the open now columns.",
                "ru": "Сделки, ещё находящиеся на этапе: их возраст — в столбцах «открыто сейчас».",
            },
        ),
        Definition(
            "open_now",
            {"en": "Open in the stage now", "ru": "Сейчас на этапе"},
            {
                "en": "The open deals in the stage now, and how long they have been there.",
                "ru": "Открытые сделки, которые сейчас на этапе, и сколько они там находятся.",
            },
            {
                "en": "No date: it is the pipeline now, whatever the period.",
                "ru": "Никакая: это воронка на сегодня, независимо от периода.",
            },
            {"en": f"{_FILTERS['en'].capitalize()}.", "ru": f"{_FILTERS['ru'].capitalize()}."},
            {"en": "Won and lost deals.", "ru": "Выигранные и проигранные сделки."},
        ),
        Definition(
            "calls",
            {"en": "Calls", "ru": "Звонки"},
            {"en": "Calls marked done in the period.", "ru": "Звонки, отмеченные выполненными за период."},
            {"en": "The moment the call was marked done.", "ru": "Момент, когда звонок отмечен выполненным."},
            {"en": _MANAGERS["en"], "ru": _MANAGERS["ru"]},
            {
                "en": "Calls still to do, whenever due.",
                "ru": "Ещё не выполненные звонки, когда бы они ни были назначены.",
            },
        ),
        Definition(
            "meetings",
            {"en": "Meetings", "ru": "Встречи"},
            {"en": "Meetings marked done in the period.", "ru": "Встречи, отмеченные выполненными за период."},
            {"en": "The moment the meeting was marked done.", "ru": "Момент, когда встреча отмечена выполненной."},
            {"en": _MANAGERS["en"], "ru": _MANAGERS["ru"]},
            {"en": "Meetings still to do.", "ru": "Ещё не проведённые встречи."},
        ),
        Definition(
            "overdue",
            {"en": "Overdue now", "ru": "Просрочено сейчас"},
            {
                "en": "Activities not done whose due time has passed, now.",
                "ru": "Невыполненные дела, срок которых уже прошёл, на этот момент.",
            },
            {
                "en": "No date: it is now, whatever the period.",
                "ru": "Никакая: это текущий момент, независимо от периода.",
            },
            {"en": _MANAGERS["en"], "ru": _MANAGERS["ru"]},
            {
                "en": "Activities done late (they are done); undated tasks.",
                "ru": "Дела, выполненные с опозданием (они выполнены); дела без срока.",
            },
        ),
        Definition(
            "open_deals",
            {"en": "Active deals", "ru": "Активные сделки"},
            {"en": "The open deals now, in every pipeline.", "ru": "Открытые сделки на этот момент, во всех воронках."},
            {
                "en": "No date: it is now, whatever the period.",
                "ru": "Никакая: это текущий момент, независимо от периода.",
            },
            {"en": _MANAGERS["en"], "ru": _MANAGERS["ru"]},
            {"en": "Won and lost deals.", "ru": "Выигранные и проигранные сделки."},
        ),
        Definition(
            "rotting",
            {"en": "Rotting deals", "ru": "Застрявшие сделки"},
            {
                "en": "Open deals whose last stage change and last done activity are both older than their stage's "
                "rotting days. A planned activity does not stop a deal rotting.",
                "ru": "Открытые сделки, у которых и последняя смена этапа, и последнее выполненное дело старше срока "
                "застревания их этапа. Запланированное дело застревание не отменяет.",
            },
            {
                "en": "No date: it is now, whatever the period.",
                "ru": "Никакая: это текущий момент, независимо от периода.",
            },
            {"en": _MANAGERS["en"], "ru": _MANAGERS["ru"]},
            {
                "en": "Deals in stages whose rotting days are 0 (off).",
                "ru": "Сделки на этапах со сроком застревания 0 (выключен).",
            },
        ),
        Definition(
            "won_at_close",
            {"en": "Won (by who closed it)", "ru": "Выиграно (кто закрыл)"},
            {
                "en": "The amount and number of deals closed won in the period, credited to the manager who owned "
                "the deal when it was won, as the plan's fact is.",
                "ru": "Сумма и число сделок, выигранных за период, засчитанные менеджеру, который вёл сделку в момент "
                "выигрыша, — как факт плана.",
            },
            {"en": "The day the deal was closed.", "ru": "День закрытия сделки."},
            {"en": f"{_MANAGERS['en']} Every pipeline.", "ru": f"{_MANAGERS['ru']} Все воронки."},
            {
                "en": "Deals reopened since; deals reassigned after the win stay with who won them.",
                "ru": "Сделки, переоткрытые с тех пор; переназначенные после выигрыша остаются за тем, кто выиграл.",
            },
        ),
        Definition(
            "win_rate_at_close",
            {"en": "Win rate (by who closed it)", "ru": "Доля выигранных (кто закрыл)"},
            {
                "en": "Won ÷ (won + lost), of the deals closed in the period, credited to the manager who owned "
                "each when it was closed.",
                "ru": "Выигранные ÷ (выигранные + проигранные) среди сделок, закрытых за период, засчитанных "
                "менеджеру, который вёл сделку в момент закрытия.",
            },
            {"en": "The day the deal was closed.", "ru": "День закрытия сделки."},
            {"en": f"{_MANAGERS['en']} Every pipeline.", "ru": f"{_MANAGERS['ru']} Все воронки."},
            {"en": "Deals still open.", "ru": "Ещё открытые сделки."},
        ),
        Definition(
            "plan",
            {"en": "Plan", "ru": "План"},
            {
                "en": "The target won amount of the period: the months' plans added up (a quarter, a year). A team's "
                "is its own plan, or its members' plans added up where it has none.",
                "ru": "Целевая сумма выигрыша за период: сумма планов месяцев (квартал, год). План команды — её "
                "собственный, а где его нет, сумма планов её менеджеров.",
            },
            {"en": "The months of the period.", "ru": "Месяцы периода."},
            {"en": _PLANS["en"], "ru": _PLANS["ru"]},
            {"en": "Plans of other months.", "ru": "Планы других месяцев."},
        ),
        Definition(
            "completion",
            {"en": "Completion", "ru": "Выполнение"},
            {"en": 'Fact ÷ plan; with no plan, "no plan".', "ru": "Факт ÷ план; без плана — «нет плана»."},
            {"en": "The day each deal was won.", "ru": "День выигрыша каждой сделки."},
            {"en": _PLANS["en"], "ru": _PLANS["ru"]},
            {"en": "Open deals, however likely.", "ru": "Открытые сделки, сколь угодно вероятные."},
        ),
        Definition(
            "run_rate",
            {"en": "Run-rate forecast", "ru": "Прогноз по темпу"},
            {
                "en": "Fact × days in the period ÷ days elapsed (today included, at most the period's length): a "
                "finished period's run rate is its fact.",
                "ru": "Факт × дней в периоде ÷ прошло дней (включая сегодня, не больше длины периода): у "
                "закончившегося периода прогноз равен факту.",
            },
            {"en": "The day each deal was won.", "ru": "День выигрыша каждой сделки."},
            {"en": _PLANS["en"], "ru": _PLANS["ru"]},
            {"en": "Open deals.", "ru": "Открытые сделки."},
        ),
        Definition(
            "weighted_forecast",
            {"en": "Weighted forecast", "ru": "Взвешенный прогноз"},
            {
                "en": "Fact + Σ amount × stage probability of the open deals expected to close in the rest of the "
                "period (today included).",
                "ru": "Факт + Σ сумма × вероятность этапа открытых сделок, которые ожидается закрыть в оставшейся "
                "части периода (включая сегодня).",
            },
            {
                "en": "The day each deal was won; an open deal's expected close date.",
                "ru": "День выигрыша сделки; ожидаемая дата закрытия открытой сделки.",
            },
            {"en": _PLANS["en"], "ru": _PLANS["ru"]},
            {
                "en": "Open deals with no expected close date, or one outside the rest of the period.",
                "ru": "Открытые сделки без ожидаемой даты закрытия или с датой вне оставшейся части периода.",
            },
        ),
        Definition(
            "gap",
            {"en": "Gap", "ru": "Разрыв"},
            {"en": "Plan − weighted forecast, never below zero.", "ru": "План − взвешенный прогноз, не меньше нуля."},
            {"en": "As the plan and the weighted forecast.", "ru": "Как у плана и взвешенного прогноза."},
            {"en": _PLANS["en"], "ru": _PLANS["ru"]},
            {"en": "Nothing beyond those two.", "ru": "Ничего, кроме этих двух."},
        ),
        Definition(
            "deals_needed",
            {"en": "New deals needed", "ru": "Нужно новых сделок"},
            {
                "en": "⌈gap ÷ (average deal × funnel win rate)⌉: the new deals that must enter the first stage to "
                "close the gap. The rates are the manager's of the last 12 months, or the team's when the manager "
                "closed fewer than 10 deals then.",
                "ru": "⌈разрыв ÷ (средняя сделка × конверсия воронки)⌉: сколько новых сделок должно войти в первый "
                "этап, чтобы закрыть разрыв. Показатели — менеджера за последние 12 месяцев или команды, если "
                "менеджер закрыл тогда меньше 10 сделок.",
            },
            {"en": "The last 12 months, for the rates.", "ru": "Последние 12 месяцев — для показателей."},
            {"en": _PLANS["en"], "ru": _PLANS["ru"]},
            {
                "en": "The time a new deal needs to close: the calculator warns when it ends after the period.",
                "ru": "Время, нужное новой сделке на закрытие: калькулятор предупреждает, если оно выходит за период.",
            },
        ),
    )
}


def definition(name: str) -> Definition:
    return DEFINITIONS[name]


def explained(name: str, language: str) -> str:
    """The definition of a figure as plain text: its title, then each part on its own line. The CLI's
    `report deals --explain` prints it, the pages show it as it is."""
    found = DEFINITIONS[name]
    lines = [found.title[language], *(f"{heading}: {text}" for heading, text in found.parts(language))]
    return "\n".join(lines)


def as_markdown(language: str = "en") -> str:
    """Every definition as Markdown: the README's Definitions section is this text (a test compares)."""
    blocks = []
    for found in DEFINITIONS.values():
        parts = "\n".join(f"  - {heading}: {text}" for heading, text in found.parts(language))
        blocks.append(f"- **{found.title[language]}** (`{found.name}`)\n{parts}")
    return "\n".join(blocks)
