"""A sales floor on one machine: the migrations once, K Streamlit processes of the app on local ports,
and nginx in front of them on one port (deploy/nginx.conf.template, sticky per browser). It runs until
stopped (Ctrl-C or SIGTERM), then stops nginx and every process it started, by pid; when one of them
exits on its own it stops the others and exits with 1 (run it under systemd with Restart=on-failure).

    DATABASE_URL=postgresql+psycopg://funnel@127.0.0.1:5432/funnel python -m deploy.floor --processes 2 --port 8080
"""

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.error import URLError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 20
# The local address every app process listens on, and the only one whose X-Forwarded-For it believes.
APP_ADDRESS = "127.0.0.1"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy.floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="app processes (default: cores)")
    parser.add_argument("--host", default="0.0.0.0", help="the address nginx listens on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=8080, help="the port nginx listens on (default 8080)")
    parser.add_argument("--app-port", type=int, default=8601, help="the first app process's port (default 8601)")
    parser.add_argument("--run-dir", type=Path, default=PROJECT_ROOT / "data" / "floor", help="config, logs, pid")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx", help="the nginx binary")
    return parser


def nginx_config(*, host: str, port: int, app_ports: list[int], run_dir: Path) -> str:
    servers = "\n".join(f"        server {APP_ADDRESS}:{app_port};" for app_port in app_ports)
    return (
        TEMPLATE.read_text()
        .replace("@run_dir@", str(run_dir))
        .replace("@listen@", f"{host}:{port}")
        .replace("@servers@", servers)
    )


def _say(message: str) -> None:
    print(f"floor: {message}", flush=True)


def _refusal(args: argparse.Namespace, database_url: str) -> str | None:
    if args.processes < 1:
        return "--processes must be at least 1"
    if args.processes > 1 and not database_url.startswith("postgresql"):
        return (
            "several processes need PostgreSQL (DATABASE_URL=postgresql+psycopg://...): SQLite lets one writer "
            "at a time, and its file must be on this machine"
        )
    if not os.access(args.nginx, os.X_OK):
        return f"nginx not found at {args.nginx} (apt-get install nginx, or --nginx PATH)"
    return None


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((APP_ADDRESS, 0))
        return probe.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (this script numbers its processes' ports)."""
    for _ in range(100):
        first = free_port()
        if first + count > 65_535:
            continue
        try:
            with contextlib.ExitStack() as probes:
                for port in range(first, first + count):
                    probes.enter_context(socket.socket()).bind((APP_ADDRESS, port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports")


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = START_TIMEOUT_S) -> None:
    """Until the app at `url` answers its health check; an error naming its log when it exits or
    does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pid {process.pid} exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s; see {log}")


def app_command(port: int, address: str = APP_ADDRESS) -> list[str]:
    """One app process (server.py, headless) on `address`:`port`: here, in the benchmarks and the tests."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "server.py",
        "--server.headless",
        "true",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]


def _start_app(app_port: int, env: dict[str, str], run_dir: Path) -> tuple[subprocess.Popen, Path]:
    log = run_dir / f"app-{app_port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            app_command(app_port), cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    return process, log


def _stop(processes: list[subprocess.Popen]) -> None:
    """Stop each process by its pid (nginx first, so that no request reaches a stopping app)."""
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, signal.SIG_IGN)  # a second Ctrl-C does not cut the stopping short
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _exit_on_signal(_signal_number: int, _frame) -> None:
    raise SystemExit(0)  # wherever main is, its `finally` stops what it started


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if refusal := _refusal(args, database_url):
        print(f"floor: {refusal}", file=sys.stderr)
        return 2
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, _exit_on_signal)
    env = {**os.environ, "FORWARDED_ALLOW_IPS": APP_ADDRESS}
    # Once, before any process starts; each process then finds the schema at head (its own upgrade on
    # first use is a no-op; on PostgreSQL it waits for the migration lock, see db/migrate.py).
    for step in (["migrate"], ["seed", "--if-empty"]):
        if subprocess.run([sys.executable, "-m", "cli", *step], cwd=PROJECT_ROOT, env=env).returncode:
            return 1

    run_dir = args.run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    app_ports = [args.app_port + number for number in range(args.processes)]
    config = run_dir / "nginx.conf"
    config.write_text(nginx_config(host=args.host, port=args.port, app_ports=app_ports, run_dir=run_dir))
    started: list[subprocess.Popen] = []
    try:
        apps = [_start_app(app_port, env, run_dir) for app_port in app_ports]
        started.extend(process for process, _ in apps)
        for app_port, (process, log) in zip(app_ports, apps, strict=True):
            wait_healthy(f"http://{APP_ADDRESS}:{app_port}", process, log)
            _say(f"app on {APP_ADDRESS}:{app_port}, pid {process.pid}, log {log}")
        nginx = subprocess.Popen([args.nginx, "-p", f"{run_dir}/", "-c", str(config), "-g", "daemon off;"])
        started.insert(0, nginx)
        local = "127.0.0.1" if args.host in ("0.0.0.0", "::", "[::]") else args.host
        wait_healthy(f"http://{local}:{args.port}", nginx, run_dir / "error.log")
        _say(f"nginx on http://{args.host}:{args.port}, pid {nginx.pid}, config {config}")
        _say("ready")
        while not (exited := next((process for process in started if process.poll() is not None), None)):
            time.sleep(0.5)
        print(f"floor: pid {exited.pid} exited with {exited.returncode}; stopping", file=sys.stderr)
        return 1
    except RuntimeError as error:
        print(f"floor: {error}", file=sys.stderr)
        return 1
    finally:
        _stop(started)


if __name__ == "__main__":
    sys.exit(main())
