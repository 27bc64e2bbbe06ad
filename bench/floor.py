"""A whole sales floor at once: N executives watching live pages in Chromium, a manager working the
Deals page and a writer moving two deals a second; how fast the changes show, how fast a fresh page
opens, and what the Streamlit processes cost.

    python -m bench.floor [--only sqlite|postgres] [--sizes 1,10,25,50] [--seconds 60] [--app-root PATH]

Configurations: the 1M-deal SQLite demo (data/bench/sqlite-1000000.db) served by one Streamlit
process; PostgreSQL bench_1000000 served by 2 processes behind nginx (deploy/). For each N a fresh
app is started and N browser contexts sign in as the executive (`ceo`), each on Funnel, Manager
dashboard or Plan vs fact, some with a source filter, some with a team or a manager (the filters in
the address). A manager (`anna`) pages through and searches the Deals page, one extra context opens
a fresh page every few seconds, and a writer process moves open deals of the demo pipeline between
its first two stages through `core.deals.move_deal`, noting each commit's time and the change marker
read after it.

Every live part of a page shows the marker its figures were computed at (a div with the class
`st-key-live_as_of_<marker>`); each page notes, every 250 ms, when the marker it shows changed. A
write is shown on a page once the page shows a marker at least the write's; it counts as a live
update within 15 s when that took at most 15 s. Every write is watched for 15 s after the writer
stops. A fresh page load lasts until the script has finished and a live part is shown. Streamlit's
CPU (share of one core) and RSS come from /proc over the writer's window.

The writer runs with the code of --app-root (an older checkout for a before/after comparison): this
file is started as a script there, `python bench/floor.py --write ...`, with that root on the path.
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import cycle, islice
from pathlib import Path
from urllib.parse import urlencode

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core import deals, pipelines, users
from core.errors import Conflict, ValidationError
from db import changes
from db.engine import make_engine, transaction
from db.models import Deal, Role, Team, User
from deploy.floor import app_command, free_port, free_ports, wait_healthy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQLITE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'bench' / 'sqlite-1000000.db'}"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_1000000"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As root in a container, no GPU, no calls home from a machine without a network (here and in the tests).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXECUTIVE, MANAGER, WRITER_LOGIN, PASSWORD = "ceo", "anna", "admin", "demo-pass"
SESSION_COOKIE = "funnel_session"  # core.sessions.COOKIE
SOURCES = ("website", "referral", "partner")  # of core.seed.SOURCES
PROMISE_SECONDS = 15  # a change shows on every open live page within this
TARGET_N, TARGET_LOAD_P95, TARGET_RSS_MB = 50, 3.0, 1.5 * 1024
VARIANTS = 15  # viewer_paths' distinct views
SIGN_IN_AT_ONCE = 4
SIGN_IN_TIMEOUT_MS = 240_000
FRESH_LOAD_EVERY, FRESH_LOAD_TIMEOUT = 4.0, 90.0
MANAGER_PAUSE = 2.0
MAX_ACTIONS = 500  # bounds the manager's and the fresh pages' loops, beside their time
SAMPLE_EVERY = 1.0
MIGRATE_TIMEOUT = 3 * 3600
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
LIVE_PREFIX = "st-key-live_as_of_"
SHOWN = f"""() => !!(document.querySelector("{READY}") && document.querySelector("[class*='{LIVE_PREFIX}']"))"""
# In every page of a viewer's context: every 250 ms, the least marker its live parts show (the page
# shows a change once all of them do), noted with the time whenever it changes.
WATCH_MARKERS = f"""(() => {{
  const watch = {{log: [], last: null}};
  window.floorMarkers = watch;
  setInterval(() => {{
    let least = null;
    for (const element of document.querySelectorAll("[class*='{LIVE_PREFIX}']")) {{
      for (const name of element.classList) {{
        const marker = name.startsWith("{LIVE_PREFIX}") ? Number(name.slice({len(LIVE_PREFIX)})) : NaN;
        if (Number.isFinite(marker) && (least === null || marker < least)) least = marker;
      }}
    }}
    if (least !== null && least !== watch.last) {{
      watch.last = least;
      watch.log.push([Date.now() / 1000, least]);
    }}
  }}, 250);
}})();"""


# --- the writer (a process of its own, with the code of --app-root) -----------------------------


def write(url: str, seconds: float, rate: float, seed: int) -> None:
    """Move open deals of the demo pipeline between its first two stages, `rate` a second for
    `seconds`, as the demo admin; print a JSON line per move: the commit's time and the marker read
    in a new transaction after it, or why it was refused."""
    engine = make_engine(url)
    with transaction(engine) as session:
        admin = users.find_user(session, WRITER_LOGIN).as_actor()
        pipeline_id = pipelines.list_pipelines(session)[0].id
        first, second = [s.id for s in pipelines.list_stages(session, pipeline_id) if s.kind == "open"][:2]
        moves = math.ceil(seconds * rate)
        deal_ids = list(session.scalars(select(Deal.id).where(Deal.stage_id.in_((first, second))).limit(moves * 20)))
    random.Random(seed).shuffle(deal_ids)
    print(json.dumps({"ready": len(deal_ids)}), flush=True)
    started = time.time()
    for n, deal_id in enumerate(deal_ids[:moves]):
        time.sleep(max(0.0, started + n / rate - time.time()))
        if time.time() > started + seconds + PROMISE_SECONDS:
            break
        try:
            with transaction(engine, write=True) as session:
                deal = deals.get_deal(session, admin, deal_id)
                deals.move_deal(session, admin, deal_id, second if deal.stage_id == first else first, deal.version)
            committed = time.time()
            with transaction(engine) as session:
                marker = changes.current(session)
            print(json.dumps({"at": committed, "marker": marker}), flush=True)
        except (Conflict, ValidationError, OperationalError) as error:
            print(json.dumps({"refused": type(error).__name__}), flush=True)
    engine.dispose()


# --- the app ----------------------------------------------------------------------------------------


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def one_process(app_root: Path, database_url: str, workdir: Path) -> Iterator[tuple[str, list[int]]]:
    """`streamlit run server.py` on a free port: its address and process id."""
    port, log = free_port(), workdir / "streamlit.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            app_command(port),
            cwd=app_root,
            env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(app_root)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, log, timeout=180)
        yield url, [process.pid]
    finally:
        stop(process)


@contextlib.contextmanager
def behind_nginx(app_root: Path, database_url: str, count: int, workdir: Path) -> Iterator[tuple[str, list[int]]]:
    """`python -m deploy.floor` of the app: `count` Streamlit processes behind nginx on free ports;
    nginx's address and the Streamlit processes' ids (from the lines it prints)."""
    if not (app_root / "deploy" / "floor.py").exists():
        raise SystemExit(f"{app_root} has no deploy/floor.py: copy this project's deploy/ there to run it behind nginx")
    port, log = free_port(), workdir / "deploy.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "deploy.floor",
                "--processes",
                str(count),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--app-port",
                str(free_ports(count)),
                "--run-dir",
                str(workdir / "deploy"),
            ],
            cwd=app_root,
            env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(app_root)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 300
        while "floor: ready" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"deploy.floor did not get ready: {log.read_text()[-3000:]}")
            time.sleep(0.5)
        started = [line for line in log.read_text().splitlines() if line.startswith("floor: app on ")]
        pids += [int(line.split(", pid ")[1].split(",")[0]) for line in started]
        yield f"http://127.0.0.1:{port}", pids
    finally:
        stop_deploy(process, pids)


def stop_deploy(process: subprocess.Popen, app_pids: list[int]) -> None:
    """SIGTERM to deploy.floor, which stops nginx and its processes; any Streamlit process it left, by its pid."""
    stop(process)
    for pid in app_pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            if b"streamlit" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)


# --- /proc -------------------------------------------------------------------------------------------


def processes() -> dict[int, tuple[int, str, int]]:
    """Every process: pid -> (parent pid, name, CPU ticks used)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            found[int(entry.name)] = (int(fields[1]), name, int(fields[11]) + int(fields[12]))
    return found


def descendants(roots: list[int], table: dict[int, tuple[int, str, int]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in table and pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def machine_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Usage:
    """CPU ticks and RSS over a window: the app's processes (and their children), the browsers, the
    writer, the PostgreSQL server's processes."""

    app_pids: list[int]
    writer_pid: int | None = None
    first: dict[int, int] = field(default_factory=dict)
    last: dict[int, int] = field(default_factory=dict)
    kind: dict[int, str] = field(default_factory=dict)  # pid -> "app", "browser", "writer" or "database"
    peak_rss: dict[int, float] = field(default_factory=dict)
    peak_total_rss: float = 0.0
    started: float = 0.0
    ended: float = 0.0
    machine_first: tuple[int, int] = (0, 0)
    machine_last: tuple[int, int] = (0, 0)

    def sample(self) -> None:
        table = processes()
        now = time.monotonic()
        if not self.first:
            self.started, self.machine_first = now, machine_ticks()
        self.ended, self.machine_last = now, machine_ticks()
        app = descendants(self.app_pids, table)
        browsers = {p for p in descendants([os.getpid()], table) if "chrom" in table[p][1] or "headless" in table[p][1]}
        writer = descendants([self.writer_pid], table) if self.writer_pid else set()
        database = {pid for pid, (_, name, _) in table.items() if name.startswith("postgres")}
        total = 0.0
        for pids, kind in ((app, "app"), (browsers, "browser"), (writer, "writer"), (database, "database")):
            for pid in pids:
                self.kind[pid] = kind
                self.first.setdefault(pid, table[pid][2])
                self.last[pid] = table[pid][2]
                if kind == "app":
                    rss = rss_mb(pid)
                    self.peak_rss[pid] = max(self.peak_rss.get(pid, 0.0), rss)
                    total += rss
        self.peak_total_rss = max(self.peak_total_rss, total)

    def cpu(self, kind: str) -> dict[int, float]:
        """Per process of that kind: its CPU over the window, in % of one core."""
        seconds = max(self.ended - self.started, 1e-9)
        return {
            pid: 100 * (self.last[pid] - self.first[pid]) / CLOCK_TICKS / seconds
            for pid, k in self.kind.items()
            if k == kind
        }

    def machine(self) -> float:
        busy = self.machine_last[0] - self.machine_first[0]
        every = self.machine_last[1] - self.machine_first[1]
        return 100 * busy / every if every else 0.0


# --- the browsers ------------------------------------------------------------------------------------


@dataclass
class Viewer:
    path: str
    page: object = None
    since: float = math.inf  # when it first showed a live part (the writes after it count)
    log: list[tuple[float, int]] = field(default_factory=list)


@dataclass
class Round:
    n: int
    shown: int = 0
    counted: int = 0
    lags: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    moves: int = 0
    refused: int = 0
    manager_actions: list[float] = field(default_factory=list)
    manager_failures: int = 0
    manager_error: str = ""  # the last failure's
    usage: Usage | None = None
    not_signed_in: int = 0


def viewer_paths(session_count: int, teams: list[int], manager_of_team: dict[int, int]) -> list[str]:
    """Funnel, Manager dashboard, Plan vs fact in turn; each with, in turn, no filter, a source, a
    team, or both (a team and one of its managers on the dashboard)."""
    team, other = teams[0], teams[-1]
    kinds = [
        [
            "/funnel",
            "/funnel?" + urlencode({"source": SOURCES[0]}),
            f"/funnel?team={team}",
            "/funnel?" + urlencode({"source": SOURCES[1], "team": other}),
            "/funnel?" + urlencode({"source": SOURCES[2]}),
        ],
        ["/dashboard", f"/dashboard?team={team}", f"/dashboard?team={other}&manager={manager_of_team[other]}"],
        ["/plan-fact", f"/plan-fact?team={team}", f"/plan-fact?team={other}"],
    ]
    return [kinds[i % 3][(i // 3) % len(kinds[i % 3])] for i in range(session_count)]


async def sign_in(browser, url: str, login: str, *, watch: bool):
    """A new context on `url`, signed in as `login`; its page once the script has finished."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    if watch:
        await context.add_init_script(script=WATCH_MARKERS)
    page = await context.new_page()
    await page.goto(url, timeout=SIGN_IN_TIMEOUT_MS)
    await page.wait_for_selector(READY, timeout=SIGN_IN_TIMEOUT_MS)
    await page.get_by_role("textbox", name="Login").fill(login, timeout=SIGN_IN_TIMEOUT_MS)
    await page.get_by_role("textbox", name="Password").fill(PASSWORD, timeout=SIGN_IN_TIMEOUT_MS)
    await page.get_by_role("button", name="Sign in").click(timeout=SIGN_IN_TIMEOUT_MS)
    return context, page


async def holds_cookie(context) -> None:
    """The context holds the sign-in's session cookie, so that its new pages are signed in."""
    for _ in range(200):
        if any(cookie["name"] == SESSION_COOKIE for cookie in await context.cookies()):
            return
        await asyncio.sleep(0.1)
    raise SystemExit(f"no {SESSION_COOKIE} cookie 20 s after signing in")


async def open_viewer(browser, base: str, viewer: Viewer, gate: asyncio.Semaphore) -> None:
    async with gate:
        try:
            _, viewer.page = await sign_in(browser, base + viewer.path, EXECUTIVE, watch=True)
            await viewer.page.wait_for_function(SHOWN, timeout=SIGN_IN_TIMEOUT_MS, polling=250)
            viewer.since = time.time()
        except PlaywrightError as error:
            print(f"    {viewer.path}: not shown after sign-in ({str(error).splitlines()[0]})", flush=True)


async def fresh_loads(context, base: str, paths: list[str], until: float, loads: list[float]) -> None:
    """Every FRESH_LOAD_EVERY seconds a new page on the next path: seconds until a live part shows
    (inf when it did not within FRESH_LOAD_TIMEOUT)."""
    for path in islice(cycle(paths), MAX_ACTIONS):
        started = time.monotonic()
        if time.time() >= until:
            return
        page = await context.new_page()
        try:
            await page.goto(base + path, timeout=FRESH_LOAD_TIMEOUT * 1000)
            remaining = FRESH_LOAD_TIMEOUT - (time.monotonic() - started)
            await page.wait_for_function(SHOWN, timeout=max(remaining, 0.1) * 1000, polling=50)
            loads.append(time.monotonic() - started)
        except PlaywrightError:
            loads.append(math.inf)
        finally:
            await page.close()
        await asyncio.sleep(max(0.0, started + FRESH_LOAD_EVERY - time.monotonic()))


async def work_deals(page, until: float, result: Round) -> None:
    """The manager on the Deals page: three pages on, three back, a search and its clearing; a pause
    between actions."""
    terms = cycle(("a", "o", "e"))
    actions = cycle(("next", "next", "next", "previous", "previous", "previous", "search", "clear"))
    for action in islice(actions, MAX_ACTIONS):
        if time.time() >= until:
            return
        started = time.monotonic()
        try:
            if action in ("search", "clear"):
                box = page.locator(".st-key-deals_search input")
                await box.fill(next(terms) if action == "search" else "", timeout=20_000)
                await box.press("Enter")
            else:
                button = page.locator(f".st-key-deals_{action} button")
                if await button.is_disabled(timeout=20_000):  # the first or the last page
                    continue
                await button.click(timeout=20_000)
            await page.wait_for_timeout(300)  # the run the action starts has begun
            await page.wait_for_selector(READY, timeout=60_000)
            result.manager_actions.append(time.monotonic() - started)
        except PlaywrightError as error:
            result.manager_failures += 1
            result.manager_error = f"{action}: {str(error).splitlines()[0]}"
        await asyncio.sleep(MANAGER_PAUSE)


async def sample_usage(usage: Usage, until: float) -> None:
    while time.time() < until:
        usage.sample()
        await asyncio.sleep(SAMPLE_EVERY)
    usage.sample()


async def drive(base: str, app_pids: list[int], n: int, args, database_url: str, filters: tuple) -> Round:
    result = Round(n)
    viewers = [Viewer(path) for path in viewer_paths(n, *filters)]
    fresh_paths = list(dict.fromkeys(viewer_paths(VARIANTS, *filters)))  # each view in turn
    async with async_playwright() as playwright:
        browsers = [
            await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS) for _ in range(args.browsers)
        ]
        writer = None
        try:
            started = time.monotonic()
            _, manager = await sign_in(browsers[0], f"{base}/deals?status=all", MANAGER, watch=False)
            await manager.wait_for_selector(".st-key-deals_next", timeout=SIGN_IN_TIMEOUT_MS)
            fresh, signed = await sign_in(browsers[-1], f"{base}/", EXECUTIVE, watch=False)
            await signed.get_by_role("button", name="Sign out", exact=True).wait_for(timeout=SIGN_IN_TIMEOUT_MS)
            await holds_cookie(fresh)
            await signed.close()
            gate = asyncio.Semaphore(SIGN_IN_AT_ONCE)
            await asyncio.gather(
                *(open_viewer(browsers[i % len(browsers)], base, v, gate) for i, v in enumerate(viewers))
            )
            result.not_signed_in = sum(1 for v in viewers if v.since == math.inf)
            print(
                f"  N={n}: the manager, the fresh-page context and {n} viewers signed in "
                f"in {time.monotonic() - started:.0f} s",
                flush=True,
            )

            writer = await asyncio.create_subprocess_exec(
                sys.executable,
                str(Path(__file__).resolve()),
                "--write",
                database_url,
                "--seconds",
                str(args.seconds),
                cwd=args.app_root,
                env={**os.environ, "PYTHONPATH": str(args.app_root)},
                stdout=asyncio.subprocess.PIPE,
            )
            ready = json.loads(await asyncio.wait_for(writer.stdout.readline(), 300) or "{}")
            if not ready.get("ready"):
                raise SystemExit("the writer found no deals to move")
            until = time.time() + args.seconds
            usage = Usage(app_pids, writer.pid)
            tasks = [
                asyncio.create_task(sample_usage(usage, until)),
                asyncio.create_task(fresh_loads(fresh, base, fresh_paths, until, result.loads)),
                asyncio.create_task(work_deals(manager, until, result)),
            ]
            writes = []
            while line := await asyncio.wait_for(writer.stdout.readline(), args.seconds + 120):
                one = json.loads(line)
                if "at" in one:
                    writes.append((one["at"], one["marker"]))
                else:
                    result.refused += 1
            await asyncio.wait_for(writer.wait(), 30)
            result.moves = len(writes)
            await asyncio.sleep(max(0.0, max((at for at, _ in writes), default=0) + PROMISE_SECONDS + 1 - time.time()))
            for viewer in viewers:
                if viewer.page is not None:
                    viewer.log = [tuple(entry) for entry in await viewer.page.evaluate("window.floorMarkers.log")]
            await asyncio.wait_for(asyncio.gather(*tasks), FRESH_LOAD_TIMEOUT + 60)
            result.usage = usage
        finally:
            if writer is not None and writer.returncode is None:
                writer.terminate()
                await writer.wait()
            for browser in browsers:
                await browser.close()
    for viewer in viewers:
        for at, marker in writes:
            if at < viewer.since:
                continue
            result.counted += 1
            shown = next((t for t, m in viewer.log if m >= marker), None)
            lag = math.inf if shown is None else max(0.0, shown - at)
            result.lags.append(lag)
            result.shown += lag <= PROMISE_SECONDS
    for viewer in viewers:
        if viewer.since == math.inf:  # never showed a live part: each write a miss
            result.counted += len(writes)
            result.lags.extend([math.inf] * len(writes))
    return result


# --- the report --------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def seconds_text(value: float, bound: float) -> str:
    if math.isnan(value):
        return "–"
    return f"> {bound:.0f} s" if math.isinf(value) else f"{value:.1f} s"


def row(r: Round) -> str:
    """One N's line of the report's table."""
    app_cpu = r.usage.cpu("app")
    within = r.shown / r.counted if r.counted else math.nan
    lag = " / ".join(seconds_text(percentile(r.lags, share), PROMISE_SECONDS) for share in (0.5, 0.95))
    load = " / ".join(seconds_text(percentile(r.loads, share), FRESH_LOAD_TIMEOUT) for share in (0.5, 0.95))
    load += f" ({len(r.loads)} loads)"
    cpu = " + ".join(f"{value:.0f} %" for value in app_cpu.values())
    rss = " + ".join(f"{r.usage.peak_rss[pid]:.0f} MB" for pid in app_cpu)
    return (
        f"| {r.n} | {r.shown}/{r.counted} ({within:.0%}) | {lag} | {load} | {cpu} | {rss} | "
        f"{r.usage.peak_total_rss:.0f} MB |"
    )


def report(label: str, rounds: list[Round]) -> list[tuple[str, bool | None]]:
    print(f"\n{label}")
    header = (
        "| N viewers | live updates within 15 s | refresh lag p50 / p95 | fresh page load p50 / p95 "
        "| Streamlit CPU (% of a core) | RSS per process | total RSS |"
    )
    print(header)
    print("|" + "---|" * header.count(" |"))
    for r in rounds:
        print(row(r))
    for r in rounds:
        browsers, writer = sum(r.usage.cpu("browser").values()), sum(r.usage.cpu("writer").values())
        database = sum(r.usage.cpu("database").values())
        manager = f"{percentile(r.manager_actions, 0.5):.1f} s p50" if r.manager_actions else "none done"
        print(
            f"  N={r.n}: machine {r.usage.machine():.0f} % busy (of 2 cores), browsers {browsers:.0f} %, writer "
            f"{writer:.0f} % and PostgreSQL {database:.0f} % of a core; writer {r.moves} moves, {r.refused} "
            f"refused; manager's Deals actions {len(r.manager_actions)} ({manager}), {r.manager_failures} timed out"
            + (f" ({r.manager_error})" if r.manager_error else "")
            + (f"; {r.not_signed_in} viewers never showed a live part" if r.not_signed_in else "")
        )
    at_target = next((r for r in rounds if r.n == TARGET_N), None)
    if at_target is None:
        return [(f"{label}: N = {TARGET_N} not measured", None)]
    return [
        (
            f"{label}, N = {TARGET_N}: every live update within {PROMISE_SECONDS} s",
            at_target.counted > 0 and at_target.shown == at_target.counted,
        ),
        (
            f"{label}, N = {TARGET_N}: fresh page load p95 ≤ {TARGET_LOAD_P95:.0f} s",
            percentile(at_target.loads, 0.95) <= TARGET_LOAD_P95,
        ),
        (
            f"{label}, N = {TARGET_N}: total Streamlit RSS ≤ {TARGET_RSS_MB:,.0f} MB",
            at_target.usage.peak_total_rss <= TARGET_RSS_MB,
        ),
    ]


def filters_of(database_url: str) -> tuple[list[int], dict[int, int]]:
    """The demo's team ids, and a manager of each."""
    engine = make_engine(database_url)
    with transaction(engine) as session:
        teams = list(session.scalars(select(Team.id).order_by(Team.id)))
        managers = session.execute(
            select(User.team_id, User.id).where(User.role == Role.MANAGER, User.team_id.is_not(None)).order_by(User.id)
        ).all()
    engine.dispose()
    manager_of_team = {}
    for team_id, user_id in managers:
        manager_of_team.setdefault(team_id, user_id)
    return teams, manager_of_team


def migrated(app_root: Path, database_url: str) -> None:
    """The app's migrations, once, before any app starts: at 1M deals one may take many minutes,
    which no start-up wait should have to cover."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "migrate"],
        cwd=app_root,
        env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(app_root)},
        timeout=MIGRATE_TIMEOUT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"migrating {database_url} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    print(f"  {database_url.rsplit('/', 1)[-1]} migrated in {time.perf_counter() - started:.0f} s", flush=True)


def configuration(name: str, args, workdir: Path) -> tuple[str, list[Round]]:
    database_url = args.sqlite_url if name == "sqlite" else args.postgres_url
    migrated(args.app_root, database_url)
    filters = filters_of(database_url)
    rounds = []
    for n in args.sizes:
        if name == "sqlite":
            app = one_process(args.app_root, database_url, workdir)
            label = f"SQLite {database_url.rsplit('/', 1)[-1]}, 1 Streamlit process ({args.app_root})"
        else:
            app = behind_nginx(args.app_root, database_url, args.processes, workdir)
            where = database_url.rsplit("/", 1)[-1]
            label = f"PostgreSQL {where}, {args.processes} Streamlit processes behind nginx ({args.app_root})"
        with app as (base, pids):
            rounds.append(asyncio.run(drive(base, pids, n, args, database_url, filters)))
        print(f"  done: {row(rounds[-1])}", flush=True)  # a run stopped early still shows the rounds it did
    return label, rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--sizes", default="1,10,25,50", help="viewer counts N, comma-separated")
    parser.add_argument("--seconds", type=float, default=60, help="the writer's window per N")
    parser.add_argument("--app-root", type=Path, default=PROJECT_ROOT, help="the checkout of the app to drive")
    parser.add_argument("--sqlite-url", default=SQLITE_URL)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--processes", type=int, default=2, help="Streamlit processes behind nginx (PostgreSQL)")
    parser.add_argument("--browsers", type=int, default=1, help="Chromium processes the contexts are spread over")
    parser.add_argument("--write", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write(args.write, args.seconds, rate=2.0, seed=1)
        return
    # Stopped from outside, still stop what it started (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.sizes = [int(size) for size in args.sizes.split(",")]
    args.app_root = args.app_root.resolve()
    started = time.perf_counter()
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as workdir:
        for name in ("sqlite", "postgres"):
            if args.only in (None, name):
                label, rounds = configuration(name, args, Path(workdir))
                verdicts.extend(report(label, rounds))
    print("\nTargets (2-core machine):")
    for text, met in verdicts:
        print(f"  {text}: {'not measured' if met is None else 'met' if met else 'not met'}")
    print(f"\nbench.floor took {(time.perf_counter() - started) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
