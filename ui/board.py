"""The deals board: the open stages as columns of cards, then Won and Lost to drop a deal on; a
Streamlit custom component (st.components.v2, inline HTML, CSS and JavaScript, no build step).

The board gets its columns as data and builds its DOM with textContent only, so a title or a name
reaches the page as text, never as HTML or Markdown. It sends back only what the user did: a card
dropped on a stage or sent on with its "next stage" button (moved), a card clicked (opened), a
column asked for more cards (more). The page moves the deal through the same service as its form
and draws the board again from the database, so a refused move snaps the card back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import streamlit as st

from core.analytics.deal_list import MAX_BOARD_CARDS, BoardColumn
from core.pipelines import StageInfo, next_stage
from ui import format, resources
from ui.i18n import language, t
from ui.state import Deals

EVENTS = ("moved", "opened", "more")

_HTML = '<div class="board"></div>'

_CSS = """
:host { display: block; }
.board {
  display: flex; gap: 0.75rem; align-items: flex-start; overflow-x: auto; padding: 0.25rem 0.1rem 0.75rem;
  font-family: var(--st-font); font-size: 0.875rem; color: var(--st-text-color);
  scroll-snap-type: x proximity;
}
.column {
  flex: 1 0 15rem; max-width: 20rem; display: flex; flex-direction: column; max-height: 44rem; scroll-snap-align: start;
  background: var(--st-secondary-background-color); border-radius: var(--st-base-radius);
  border-top: 4px solid var(--st-border-color); outline: 2px dashed transparent; outline-offset: -2px;
}
/* Won and Lost stay in sight at the right, however far the open stages scroll. */
.rail {
  flex: 0 0 9rem; display: flex; flex-direction: column; gap: 0.75rem; position: sticky; right: 0; z-index: 1;
  padding-left: 0.6rem; background: var(--st-background-color);
  box-shadow: -0.6rem 0 0.6rem -0.6rem rgba(0, 0, 0, 0.25);
}
.column.closing { flex: none; max-width: none; min-height: 7rem; }
.column.over { outline-color: var(--st-primary-color); }
.head { padding: 0.5rem 0.75rem 0.4rem; }
.name { margin: 0; font-size: 0.95rem; font-weight: 600; overflow-wrap: anywhere; }
.count { float: right; margin-left: 0.5rem; padding: 0 0.45rem; border-radius: 1rem; font-weight: 600;
  background: var(--st-background-color); }
.figures { margin-top: 0.2rem; opacity: 0.8; font-size: 0.8rem; }
.cards { overflow-y: auto; padding: 0 0.5rem; display: flex; flex-direction: column; gap: 0.5rem; min-height: 3rem; }
.hint, .empty { padding: 0.5rem 0.75rem; opacity: 0.7; font-size: 0.8rem; }
.card {
  background: var(--st-background-color); border: 1px solid var(--st-border-color); border-left: 4px solid transparent;
  border-radius: var(--st-base-radius); padding: 0.5rem 0.6rem; cursor: pointer; overflow-wrap: anywhere;
}
.card[draggable="true"] { cursor: grab; }
.card:hover, .card:focus-visible { border-color: var(--st-primary-color); outline: none; }
.card.rotting { border-left-color: var(--st-red-color); }
.card.dragging, .card.pending { opacity: 0.45; }
.title { font-weight: 600; }
.company, .line { font-size: 0.8rem; opacity: 0.85; }
.line { display: flex; flex-wrap: wrap; gap: 0.25rem 0.6rem; margin-top: 0.2rem; }
.amount { font-weight: 600; opacity: 1; }
.badge { padding: 0 0.35rem; border-radius: 0.3rem; font-weight: 600; }
.badge.rotting { color: var(--st-red-text-color); background: var(--st-red-background-color); }
.next { margin-top: 0.3rem; font-size: 0.8rem; }
.next.none { color: var(--st-orange-text-color); font-weight: 600; }
.next.overdue { color: var(--st-red-text-color); font-weight: 600; }
.badge.overdue { margin-left: 0.35rem; color: var(--st-red-text-color); background: var(--st-red-background-color); }
button {
  font: inherit; font-size: 0.8rem; cursor: pointer; color: var(--st-text-color);
  background: var(--st-background-color); border: 1px solid var(--st-border-color);
  border-radius: var(--st-button-radius); padding: 0.2rem 0.6rem;
}
button:hover:not(:disabled) { border-color: var(--st-primary-color); color: var(--st-primary-color); }
button:disabled { opacity: 0.5; cursor: default; }
.forward { display: block; width: 100%; margin-top: 0.45rem; text-align: left; }
.foot { padding: 0.5rem; }
.foot button { width: 100%; }
.foot .hint { padding: 0.25rem 0.25rem 0; }
@media (max-width: 640px) {
  .column { flex-basis: 82%; max-width: none; max-height: 36rem; }
  .rail { position: static; flex-basis: 45%; padding-left: 0; box-shadow: none; }
}
"""

_JS = """
const DEAL = "application/x-funnel-deal";
// Where the board and each column were scrolled, kept across redraws (the module lives as long as the page).
const scrolled = { board: 0, columns: {} };

export default function ({ parentElement, data, setTriggerValue }) {
  const root = parentElement.querySelector(".board");
  const texts = data.texts;
  let dragged = null;
  // Each event carries the time it happened, so that the page handles it once.
  const send = (event, value) => setTriggerValue(event, { ...value, at: Date.now() });

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function card(deal, column) {
    const node = element("article", "card" + (deal.rotting ? " rotting" : ""));
    node.dataset.dealId = deal.deal_id;
    node.tabIndex = 0;
    node.title = texts.open;
    node.appendChild(element("div", "title", deal.title));
    if (deal.company) node.appendChild(element("div", "company", deal.company));
    const money = element("div", "line");
    money.append(element("span", "amount", deal.amount), element("span", "owner", deal.owner));
    node.appendChild(money);
    const age = element("div", "line");
    age.appendChild(element("span", "days", deal.days));
    if (deal.rotting) age.appendChild(element("span", "badge rotting", texts.rotting));
    node.appendChild(age);
    const next = deal.next === null ? element("div", "next none", texts.no_next_step)
      : element("div", "next" + (deal.overdue ? " overdue" : ""), deal.next);
    if (deal.overdue) next.appendChild(element("span", "badge overdue", texts.overdue));
    node.appendChild(next);
    if (deal.movable && deal.forward) {
      const forward = element("button", "forward", deal.forward.label);
      forward.type = "button";
      forward.title = deal.forward.title;
      forward.setAttribute("aria-label", deal.forward.title);
      forward.addEventListener("click", (event) => {
        event.stopPropagation();
        forward.disabled = true;
        node.classList.add("pending");
        send("moved", { deal_id: deal.deal_id, version: deal.version, stage_id: deal.forward.stage_id });
      });
      node.appendChild(forward);
    }
    node.addEventListener("click", () => send("opened", { deal_id: deal.deal_id }));
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target === node) send("opened", { deal_id: deal.deal_id });
    });
    if (deal.movable) {
      node.draggable = true;
      node.addEventListener("dragstart", (event) => {
        const moving = { deal_id: deal.deal_id, version: deal.version, stage_id: column.stage_id };
        event.dataTransfer.setData(DEAL, JSON.stringify(moving));
        event.dataTransfer.effectAllowed = "move";
        dragged = node;
        node.classList.add("dragging");
      });
      node.addEventListener("dragend", () => {
        node.classList.remove("dragging");
        dragged = null;
      });
    }
    return node;
  }

  function acceptsDrops(node, column, list) {
    const carriesDeal = (event) => Array.from(event.dataTransfer.types).includes(DEAL);
    node.addEventListener("dragover", (event) => {
      if (!carriesDeal(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      node.classList.add("over");
    });
    node.addEventListener("dragleave", (event) => {
      if (!node.contains(event.relatedTarget)) node.classList.remove("over");
    });
    node.addEventListener("drop", (event) => {
      node.classList.remove("over");
      if (!carriesDeal(event)) return;
      event.preventDefault();
      const moving = JSON.parse(event.dataTransfer.getData(DEAL));
      if (moving.stage_id === column.stage_id) return;
      // Shown where it was dropped until the page draws the board again from the database.
      if (dragged) {
        dragged.classList.add("pending");
        list.prepend(dragged);
      }
      send("moved", { deal_id: moving.deal_id, version: moving.version, stage_id: column.stage_id });
    });
  }

  function stageColumn(column) {
    const closing = column.kind !== "open";
    const node = element("section", "column " + column.kind + (closing ? " closing" : ""));
    node.dataset.stageId = column.stage_id;
    node.style.borderTopColor = column.color;
    const head = element("header", "head");
    if (!closing) head.appendChild(element("span", "count", column.count));
    head.appendChild(element("h3", "name", column.name));
    if (!closing) {
      head.appendChild(element("div", "figures amount", column.amount));
      head.appendChild(element("div", "figures weighted", column.weighted));
    }
    node.appendChild(head);
    const list = element("div", "cards");
    for (const deal of column.cards || []) list.appendChild(card(deal, column));
    node.appendChild(list);
    if (closing) node.appendChild(element("div", "hint", column.hint));
    else if (!column.cards.length) list.appendChild(element("div", "empty", texts.empty));
    if (column.more || column.rest) {
      const foot = element("footer", "foot");
      if (column.more) {
        const more = element("button", "more", column.more);
        more.type = "button";
        more.addEventListener("click", () => {
          more.disabled = true;
          send("more", { stage_id: column.stage_id });
        });
        foot.appendChild(more);
      }
      if (column.rest) foot.appendChild(element("div", "hint", column.rest));
      node.appendChild(foot);
    }
    acceptsDrops(node, column, list);
    return node;
  }

  const rail = element("div", "rail");
  rail.replaceChildren(...data.columns.filter((column) => column.kind !== "open").map(stageColumn));
  root.replaceChildren(...data.columns.filter((column) => column.kind === "open").map(stageColumn), rail);
  root.scrollLeft = scrolled.board;
  for (const list of root.querySelectorAll(".column")) {
    list.querySelector(".cards").scrollTop = scrolled.columns[list.dataset.stageId] || 0;
  }
  return () => {
    scrolled.board = root.scrollLeft;
    for (const list of root.querySelectorAll(".column")) {
      scrolled.columns[list.dataset.stageId] = list.querySelector(".cards").scrollTop;
    }
  };
}
"""

_COMPONENT = st.components.v2.component("deals_board", html=_HTML, css=_CSS, js=_JS)


@dataclass(frozen=True)
class BoardEvent:
    kind: str  # one of EVENTS
    deal_id: int | None = None
    version: int | None = None
    stage_id: int | None = None


def board_data(
    columns: list[BoardColumn],
    stages: list[StageInfo],
    *,
    may_move: Callable[[int], bool],
    now: datetime,
    more_step: int,
) -> dict:
    """What the board shows, every text already in the user's language and format: the open stages'
    columns with their figures and cards, then the closed stages to drop a deal on. `may_move(owner_id)`
    says whose cards the user may drag and send on."""
    texts = {
        "open": t("board.open"),
        "rotting": t("flag.rotting"),
        "overdue": t("board.overdue"),
        "no_next_step": t("board.no_next_step"),
        "empty": t("board.empty"),
    }
    shown = [_column(column, next_stage(stages, column.stage_id), may_move, now, more_step) for column in columns]
    closing = [
        {
            "stage_id": stage.id,
            "kind": stage.kind.value,
            "name": stage.name,
            "color": stage.color,
            "hint": t("board.drop_won" if stage.is_won else "board.drop_lost"),
        }
        for stage in stages
        if not stage.is_open
    ]
    return {"texts": texts, "columns": shown + closing, "redraws": st.session_state.get(Deals.BOARD_REDRAWS, 0)}


def _column(
    column: BoardColumn, forward: StageInfo | None, may_move: Callable[[int], bool], now: datetime, more_step: int
) -> dict:
    lang, currency = language(), resources.settings().currency
    return {
        "stage_id": column.stage_id,
        "kind": "open",
        "name": column.stage,
        "color": column.color,
        "count": format.count(column.deals, lang),
        "amount": format.money(column.amount, currency, lang),
        "weighted": t("board.weighted", amount=format.money(column.weighted_amount, currency, lang)),
        "cards": [_card(card, forward, may_move, now) for card in column.cards.itertuples()],
        "more": _more(column, more_step, lang),
        "rest": _rest(column, lang),
    }


def _card(card, forward: StageInfo | None, may_move: Callable[[int], bool], now: datetime) -> dict:
    lang, settings = language(), resources.settings()
    due = card.next_activity_at
    next_step = None
    if not pd.isna(card.next_activity_kind):
        kind = t(f"activity.{card.next_activity_kind}")
        next_step = kind if pd.isna(due) else f"{kind} · {due.astimezone(settings.zone):%Y-%m-%d %H:%M}"
    return {
        "deal_id": int(card.id),
        "version": int(card.version),
        "title": card.title,
        "company": None if pd.isna(card.company) else card.company,
        "amount": format.money(card.amount, settings.currency, lang),
        "owner": card.owner,
        "days": t("deal.days_in_stage", days=card.days_in_stage),
        "next": next_step,
        "overdue": bool(next_step is not None and not pd.isna(due) and due < now),
        "rotting": bool(card.rotting),
        "movable": may_move(int(card.owner_id)),
        "forward": None
        if forward is None
        else {
            "stage_id": forward.id,
            "label": t("deal.next_stage", stage=forward.name),
            "title": t("board.next_stage", stage=forward.name),
        },
    }


def _more(column: BoardColumn, step: int, lang: str) -> str | None:
    """The button that asks a column for more cards, while it has more and may hold more."""
    if column.hidden <= 0 or len(column.cards) >= MAX_BOARD_CARDS:
        return None
    return t("board.more", count=format.count(min(step, column.hidden, MAX_BOARD_CARDS - len(column.cards)), lang))


def _rest(column: BoardColumn, lang: str) -> str | None:
    """What a full column leaves to the grid."""
    if column.hidden <= 0 or len(column.cards) < MAX_BOARD_CARDS:
        return None
    return t("deals.more_cards", count=format.count(column.hidden, lang))


def deal_board(data: dict, *, key: str) -> None:
    """Draw the board. What the user does with it comes back, before the next run draws anything,
    through `board_event`."""
    _COMPONENT(data=data, key=key, **{f"on_{name}_change": _keeper(key, name) for name in EVENTS})


def _keeper(key: str, name: str) -> Callable[[], None]:
    def keep() -> None:
        value = st.session_state[key][name]
        if isinstance(value, dict):
            st.session_state[Deals.BOARD_EVENT] = (name, value)

    return keep


def board_event() -> BoardEvent | None:
    """What the user did on the board since the last run, once; None when nothing."""
    kept = st.session_state.pop(Deals.BOARD_EVENT, None)
    if kept is None:
        return None
    st.session_state[Deals.BOARD_REDRAWS] = st.session_state.get(Deals.BOARD_REDRAWS, 0) + 1
    name, value = kept
    return BoardEvent(
        kind=name,
        deal_id=_whole(value.get("deal_id")),
        version=_whole(value.get("version")),
        stage_id=_whole(value.get("stage_id")),
    )


def _whole(value: object) -> int | None:
    """An id from the browser: a whole number, or nothing (never trusted further than that)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
