"""Every page, as an admin and as a manager, with each kind of name people type (pipeline, stage, user,
team, company, contact, lost reason, deal title, source, region, segment, activity subject, a value in
an import file) written as Markdown and HTML: it is shown as written, never as an image, a link, a
colour, bold or italics, or a script."""

import os
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from core import activities, customers, deals, lost_reasons, pipelines, stage_editor, users
from core.clock import utcnow
from db.engine import make_engine, transaction
from tests.conftest import DEMO_PASSWORD, copy_of
from tests.e2e.conftest import click_and_wait, open_address, runs_finished, start_streamlit, wait_for_run_after
from ui.i18n import TEXTS
from ui.state import Deals, Funnel, Users

SHORT = "![t](http://127.0.0.1:9/p.png) [Reset](http://attacker.example) :red[RED] **BOLD** _it_"  # ≤ 100 characters
HOSTILE = SHORT.replace(" _it_", " <img src=x onerror=alert(1)> _it_")
PIPELINE = f"{HOSTILE} pipeline"
STAGES = [f"{SHORT} S{number}" for number in range(1, 5)]  # the first pipeline's open stages
ANNA = f"{HOSTILE} Anna www.anna.example"
BORIS = f"{HOSTILE} Boris boris@evil.example"
TEAM = f"{HOSTILE} team https://evil.example/t"
COMPANY = f"{HOSTILE} company"
CONTACT = f"{HOSTILE} contact"
REASON = f"{HOSTILE} reason :material/home:"
TITLE = f"{HOSTILE} deal"
SECOND_TITLE = f"{HOSTILE} second deal"
SUBJECT = f"{HOSTILE} task"
NEW_TEAM = f"{HOSTILE} new team"
SOURCE, REGION, SEGMENT = (f"{SHORT} {name}" for name in ("source", "region", "segment"))
STAGE_VALUE = f"{HOSTILE} stage value"  # in an import file
STUCK, WON = 40, 8  # this month's deals of Anna's that stay in the first stage, and those won
PASSED = 20  # this month's deals of Boris's, all won: against them Anna's first step is worse beyond chance
# What rendered Markdown would make of the hostile text: an element holding only this.
RENDERED = ("t", "Reset", "RED", "BOLD", "it")
# Where the hostile text points (<img src=x> is the app's own address /x).
HOSTILE_HOSTS = {"127.0.0.1:9", "attacker.example", "anna.example", "www.anna.example", "evil.example"}
SCREENSHOTS = os.environ.get("HOSTILE_SCREENSHOTS")  # a folder: the pages are saved there as PNG files


def en(text_key: str, **values: object) -> str:
    return TEXTS[text_key]["en"].format(**values)


def hostile_world(url: str) -> dict[str, int]:
    """In the database at `url`: the first pipeline, its open stages, two managers, their team, a
    company and contact, a lost reason, deals and an overdue task, all named with the hostile text.
    The second stage asks for a segment, which the hostile deals lack: their next stage opens a dialog."""
    engine = make_engine(url)
    with transaction(engine, write=True) as session:
        admin = users.find_user(session, "admin").as_actor()
        pipeline_id = pipelines.list_pipelines(session)[0].id
        stage_editor.rename_pipeline(
            session, admin, pipeline_id, PIPELINE, stage_editor.pipeline_version(session, pipeline_id)
        )
        open_stages = [s for s in pipelines.list_stages(session, pipeline_id) if s.is_open]
        for stage, name in zip(open_stages, STAGES, strict=True):
            stage_editor.update_stage(
                session, admin, stage.id, stage_editor.pipeline_version(session, pipeline_id), name=name
            )
        stage_editor.update_stage(
            session,
            admin,
            open_stages[1].id,
            stage_editor.pipeline_version(session, pipeline_id),
            required_fields=["segment"],
        )
        team_id = users.create_team(session, admin, TEAM)
        for login, name in (("anna", ANNA), ("boris", BORIS)):
            user = users.find_user(session, login)
            users.update_user(
                session, admin, user.id, display_name=name, role=user.role, team_id=team_id, is_active=True
            )
        anna = users.find_user(session, "anna").as_actor()
        company_id = customers.create_company(session, anna, COMPANY)
        contact_id = customers.create_contact(session, anna, CONTACT, company_id=company_id)
        boris = users.find_user(session, "boris").as_actor()
        stage_ids = [s.id for s in pipelines.list_stages(session, pipeline_id)]
        leaky_top(session, anna, boris, pipeline_id, stage_ids, company_id)
        reason_id = lost_reasons.create_lost_reason(session, admin, REASON)
        fields = {"company_id": company_id, "contact_id": contact_id, "source": SOURCE, "region": REGION}
        # The largest amounts: the first cards of their board column.
        deal_id, second_id, lost_id = (
            deals.create_deal(session, anna, pipeline_id=pipeline_id, fields={"title": title, **more, **fields})
            for title, more in (
                (TITLE, {"amount": 990_002}),
                (SECOND_TITLE, {"amount": 990_001}),
                (f"{HOSTILE} lost deal", {"amount": 10, "segment": SEGMENT}),
            )
        )
        deals.close_lost(session, anna, lost_id, 1, lost_reason_id=reason_id)
        # Due long ago: the first of the dashboard's overdue list.
        activities.plan_activity(
            session, anna, kind="task", subject=SUBJECT, deal_id=deal_id, due_at=utcnow() - timedelta(days=400)
        )
    engine.dispose()
    return {"deal": deal_id, "second": second_id, "stages": [s.id for s in open_stages]}


def leaky_top(session, owner, other, pipeline_id: int, stage_ids: list[int], company_id: int) -> None:
    """This month's deals of the pipeline: most of `owner`'s stay in the first stage, those that leave it
    are won, and all of `other`'s are won: the funnel's diagnosis names the first stage, and `owner`
    (worse than the rest of the team beyond chance), on any day of the month."""
    fields = {"amount": 5, "expected_close_date": date(2030, 1, 1), "company_id": company_id, "segment": "SMB"}
    for number in range(STUCK + WON + PASSED):
        by = owner if number < STUCK + WON else other
        deal_id = deals.create_deal(session, by, pipeline_id=pipeline_id, fields={"title": f"Lead {number}"} | fields)
        if number < WON or number >= STUCK + WON:
            for version, stage_id in enumerate(stage_ids[1:5], start=1):
                deals.move_deal(session, by, deal_id, stage_id, version)


@pytest.fixture(scope="module")
def hostile_app(seeded_demo_url, tmp_path_factory):
    """A server of its own, on a copy of the demo database as seeded (not the one the other browser
    tests write to: their deals would change whom the diagnosis names), with the hostile names."""
    folder = tmp_path_factory.mktemp("hostile")
    url = copy_of(seeded_demo_url, folder / "hostile.db")
    ids = hostile_world(url)
    process, address = start_streamlit(url, folder / "server.log")
    yield address, ids
    process.terminate()
    process.wait(10)


# Installed in every frame before the app's own scripts: what the hostile text made of the page (an
# image from elsewhere, a link that leaves the app, Markdown's formatting of it, LaTeX, an icon, a
# script), what the page shows (its text and its shadow roots', the board's, without the word joiners
# that keep addresses from being links), and each toast as it appears (it is gone a few seconds later).
_WATCH = """
(() => {
  const RENDERED = __RENDERED__;
  const everything = (root) => {
    const found = root.nodeType === Node.ELEMENT_NODE ? [root] : [];
    for (const node of root.querySelectorAll("*")) {
      found.push(node);
      if (node.shadowRoot) found.push(...everything(node.shadowRoot));
    }
    return found;
  };
  const leaves = (value) => {
    try { return new URL(value, document.baseURI).origin !== location.origin; } catch { return true; }
  };
  const text = (node) => (node.textContent || "").replaceAll("\\u2060", "").trim();
  const FORMATS = ["strong", "b", "em", "i", "del", "s", "mark", "code"];
  const problems = (root) => {
    const found = [];
    for (const node of everything(root)) {
      const tag = node.tagName.toLowerCase();
      const source = node.getAttribute("src") || "";
      if (tag === "img" && leaves(source)) found.push(`an image from ${source}`);
      const href = node.getAttribute("href");
      if (tag === "a" && href !== null && leaves(href)) found.push(`a link to ${href} ("${text(node)}")`);
      const formatted = FORMATS.includes(tag) || /stMarkdownColored|stMarkdownBadge/.test(node.className || "")
        || (tag === "span" && /color/.test(node.getAttribute("style") || ""));
      if (formatted && RENDERED.includes(text(node))) found.push(`<${tag} class="${node.className}">${text(node)}`);
      if (node.classList.contains("katex")) found.push(`LaTeX: ${text(node)}`);
      if (node.dataset.testid === "stIconMaterial" && text(node) === "home") found.push("an icon from a name");
      if (tag === "script" && node.textContent.includes("alert(1)")) found.push("a script from a name");
    }
    return found;
  };
  const shown = () => {
    const parts = [document.body ? document.body.innerText : ""];
    for (const node of everything(document)) {
      if (node.shadowRoot) for (const child of node.shadowRoot.children) parts.push(child.innerText || "");
      if (["INPUT", "TEXTAREA"].includes(node.tagName)) parts.push(node.value);  // a select box's choice too
    }
    return parts.join("\\n").replaceAll("\\u2060", "");
  };
  const toasts = [];
  const notes = new WeakMap();  // each toast's note, kept up to date while it is drawn
  new MutationObserver(() => {
    for (const toast of document.querySelectorAll("[data-testid='stToast']")) {
      if (!notes.has(toast)) notes.set(toast, toasts[toasts.push({}) - 1]);
      Object.assign(notes.get(toast), { text: toast.innerText.replaceAll("\\u2060", ""), problems: problems(toast) });
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
  window.hostile = { problems: () => problems(document), shown, toasts };
})();
""".replace("__RENDERED__", str(list(RENDERED)))


class Walk:
    """One role's browser page, going from page to page and noting on each what went wrong."""

    def __init__(self, browser, address: str, role: str):
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        context.add_init_script(_WATCH)
        self.page, self.address, self.role = context.new_page(), address, role
        self.problems: list[str] = []
        self.where = "sign-in"
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)

    def _dialog(self, dialog) -> None:
        self.problems.append(f"{self.where}: a browser dialog: {dialog.message}")
        dialog.dismiss()

    def _request(self, request) -> None:
        parts, own = urlsplit(request.url), urlsplit(self.address).netloc
        if parts.netloc in HOSTILE_HOSTS or (parts.netloc == own and parts.path == "/x"):
            self.problems.append(f"{self.where}: the browser fetched {request.url}")

    def sign_in(self, login: str) -> None:
        page = open_address(self.page, self.address)
        page.get_by_role("textbox", name="Login").fill(login)
        page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
        self.where = f"{self.role} signing in, on to the Overview"
        click_and_wait(page, page.get_by_role("button", name="Sign in"))
        expect(page.locator("[data-testid='stSidebar'] [data-testid='stPageLink']").first).to_be_visible()

    def go(self, page_name: str) -> None:
        click_and_wait(self.page, self.page.get_by_role("link", name=page_name, exact=True))

    def click(self, locator) -> None:
        click_and_wait(self.page, locator)

    def tab(self, locator) -> None:
        """A tab shows what the run drew already: no run to wait for."""
        locator.click()
        expect(locator).to_have_attribute("aria-selected", "true")

    def choose(self, select_key: str, option: str) -> None:
        self.page.locator(f".st-key-{select_key}").get_by_role("combobox").click()
        self.click(self.page.get_by_role("option", name=option, exact=True))

    def check(self, where: str, *expected: str) -> None:
        """Wait until the page shows each of `expected` as written (the grids and the board draw after
        the run), then note anything the hostile text made of the page."""
        self.where = f"{self.role} on {where}"
        missing = list(expected)
        for _ in range(40):
            shown = "\n".join(self._in_every_frame("window.hostile.shown()"))
            missing = [text for text in expected if text not in shown]
            if not missing:
                break
            self.page.wait_for_timeout(250)
        self.problems += [f"{self.where}: not shown as written: {text!r}" for text in missing]
        self.problems += [f"{self.where}: {found}" for found in self._in_every_frame("window.hostile.problems()")]
        if SCREENSHOTS:
            name = re.sub(r"\W+", "-", f"{self.role}-{where}").strip("-").lower()
            self.page.screenshot(path=Path(SCREENSHOTS) / f"{name}.png", full_page=True)

    def toast_after(self, where: str, act: Callable[[], None], text: str) -> None:
        """Do `act`, then check that its toast, `text`, shows as written and with nothing the hostile
        text made of it."""
        self.where = f"{self.role} on {where}"
        act()
        for _ in range(80):
            toasts = [toast for toast in self.page.evaluate("window.hostile.toasts") if text in toast["text"]]
            if toasts:
                self.problems += [f"{self.where}: {found}" for toast in toasts for found in toast["problems"]]
                self.check(where)
                return
            self.page.wait_for_timeout(250)
        shown = [toast["text"] for toast in self.page.evaluate("window.hostile.toasts")]
        self.problems.append(f"{self.where}: no toast {text!r} (only {shown})")

    def _in_every_frame(self, expression: str) -> list[str]:
        """`expression` in the page and in each of its frames (the AgGrid grids), the answers joined."""
        answers: list[str] = []
        for frame in self.page.frames:
            try:
                answer = frame.evaluate(f"window.hostile ? {expression} : []")
            except PlaywrightError:  # a frame torn down while the page redraws shows nothing
                continue
            answers += answer if isinstance(answer, list) else [answer]
        return answers


def common_pages(walk: Walk, deal_id: int) -> None:
    """The pages every role has, the hostile deal's own page with each of its tabs, and its move dialog."""
    page = walk.page
    walk.check("Overview", PIPELINE)
    walk.go(en("nav.funnel"))
    walk.choose(Funnel.PRESET, en("funnel.this_month"))  # this month's deals: a leaky top (see leaky_top)
    leaky = en("diagnosis.leaky_top", stage=STAGES[0], value="\0", reference="\0").split("\0")[1].strip()
    named = (ANNA,) if walk.role == "admin" else ()  # executives and admins see who deviates most
    walk.check("Funnel (funnel)", PIPELINE, leaky, *named)
    for view in ("bars", "trend"):
        walk.click(page.locator(f".st-key-{Funnel.VIEW}").get_by_text(en(f"funnel.view_{view}"), exact=True))
        walk.check(f"Funnel ({view})", PIPELINE, leaky)
    walk.go(en("nav.dashboard"))
    walk.check("Manager dashboard", SUBJECT, TITLE)
    walk.go(en("nav.plan_fact"))
    walk.check("Plan vs fact", ANNA, *((f"{TEAM} (team plan)",) if walk.role == "admin" else ()))
    walk.go(en("nav.deals"))
    walk.check("Deals (grid)", TITLE)
    walk.tab(page.get_by_role("tab", name=en("deals.my_tasks")))
    walk.check("Deals (my tasks)", *((SUBJECT,) if walk.role == "manager" else ()))
    walk.tab(page.get_by_role("tab", name=en("deals.board")))
    walk.check("Deals (board)", TITLE, COMPANY, STAGES[0])
    walk.click(page.locator(f".board .card[data-deal-id='{deal_id}'] .title"))
    walk.check(f"the deal page ?deal={deal_id}", TITLE, ANNA, COMPANY, CONTACT, SUBJECT, f"→ {STAGES[1]}")
    walk.check(
        f"the deal's {en('deal.tab_move')} tab",
        f"[{STAGES[0]}, {en('deal.current_stage')}]",
        en("deal.stage_requires", stage=STAGES[1], fields=en("field.segment")),
    )
    for tab, expected in (("activities", (SUBJECT,)), ("edit", ()), ("timeline", (SUBJECT, STAGES[0]))):
        walk.tab(page.get_by_role("tab", name=en(f"deal.tab_{tab}")))
        walk.check(f"the deal's {en(f'deal.tab_{tab}')} tab", *expected)
    walk.click(page.locator(f"[class*='st-key-{Deals.NEXT_STAGE(deal_id)}_'] button"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    walk.check("the deal's move dialog", en("deal.move_dialog", stage=STAGES[1]))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    walk.tab(page.get_by_role("tab", name=en("deal.tab_move")))


def test_an_admin_sees_every_name_as_written_on_every_page(browser, hostile_app):
    address, ids = hostile_app
    walk = Walk(browser, address, "admin")
    page = walk.page
    walk.sign_in("admin")
    common_pages(walk, ids["deal"])

    def reassign_to(owner: str) -> tuple[Callable[[], None], str]:
        def reassign() -> None:
            walk.choose(Deals.REASSIGN(ids["deal"], "owner"), owner)
            walk.click(page.get_by_role("button", name=en("deal.reassign"), exact=True))

        return reassign, en("deal.reassigned", owner=owner)

    walk.toast_after("the reassign toast", *reassign_to(BORIS))
    walk.toast_after("the reassign toast", *reassign_to(ANNA))  # the deal stays Anna's, for the manager's walk
    walk.go(en("nav.stage_editor"))
    walk.check(en("nav.stage_editor"), PIPELINE, REASON, en("editor.delete_stage", stage=STAGES[0]))
    walk.go(en("nav.users"))
    walk.choose(Users.EDITED_ID, f"{ANNA} (anna)")
    walk.check(en("nav.users"), f"{ANNA} (anna)")

    def add_team(name: str) -> tuple[Callable[[], None], str]:
        def add() -> None:
            page.locator(f".st-key-{Users.TEAM_NAME} input").fill(name)
            walk.click(page.get_by_role("button", name=en("users.add_team"), exact=True))

        return add, en("users.team_created", name=name)

    walk.toast_after("the new team's toast", *add_team(NEW_TEAM))
    walk.go(en("nav.data"))
    stage_value = f'"{TITLE}",anna,"{STAGE_VALUE}",10\n'
    upload = {
        "name": "hostile.csv",
        "mimeType": "text/csv",
        "buffer": f"title,owner,stage,amount\n{stage_value}".encode(),
    }
    mark = runs_finished(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(upload)
    wait_for_run_after(page, mark)
    walk.check(en("nav.data"), en("data.stage_value", value=STAGE_VALUE), f"{PIPELINE}")

    assert walk.problems == [], "\n".join(walk.problems)


def test_a_manager_sees_every_name_as_written_on_every_page(browser, hostile_app):
    address, ids = hostile_app
    walk = Walk(browser, address, "manager")
    page = walk.page
    walk.sign_in("anna")
    common_pages(walk, ids["deal"])
    walk.click(page.get_by_role("button", name=en("deal.back_to_list")))
    walk.tab(page.get_by_role("tab", name=en("deals.board")))
    walk.click(page.locator(f".board .card[data-deal-id='{ids['second']}'] button.forward"))
    dialog = page.get_by_role("dialog")
    walk.check("the board's move dialog", en("deal.move_dialog", stage=STAGES[1]))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # Moved on its page's Stage tab.
    walk.click(page.locator(f".board .card[data-deal-id='{ids['second']}'] .title"))
    stage_tab = page.get_by_role("tabpanel", name=en("deal.tab_move"))
    segment = stage_tab.get_by_role("textbox", name=en("field.segment"))
    segment.fill("Enterprise")
    mark = runs_finished(page)
    segment.press("Enter")
    wait_for_run_after(page, mark)

    def move_on(stage: str) -> tuple[Callable[[], None], str]:
        def move() -> None:  # to the stage the Stage tab offers: the next one
            walk.click(stage_tab.get_by_role("button", name=en("deal.move"), exact=True))

        return move, en("deal.moved", stage=stage)

    walk.toast_after("the move toast", *move_on(STAGES[1]))
    for admin_only in ("nav.stage_editor", "nav.users", "nav.data"):
        expect(page.get_by_role("link", name=en(admin_only), exact=True)).to_have_count(0)

    assert walk.problems == [], "\n".join(walk.problems)
