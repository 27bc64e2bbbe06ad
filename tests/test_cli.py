import io
import os
import subprocess
import sys
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from cli.main import main
from core import pipelines, users
from core.analytics.filters import FunnelFilter
from core.analytics.funnel import cohort_funnel
from core.analytics.plan_fact import plan_fact
from core.clock import utcnow
from core.definitions import explained
from core.periods import Period
from core.permissions import Actor
from db.engine import make_engine, transaction


def run_cli(monkeypatch, url: str, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_report_funnel_prints_the_figures_of_the_service(monkeypatch, demo_database_url):
    code, out = run_cli(
        monkeypatch,
        demo_database_url,
        "report",
        "funnel",
        "--pipeline",
        "B2B classic",
        "--from",
        "2025-01-01",
        "--to",
        "2026-12-31",
        "--format",
        "csv",
    )

    engine = make_engine(demo_database_url)
    with transaction(engine) as session:
        pipeline_id = next(p.id for p in pipelines.list_pipelines(session) if p.name == "B2B classic")
        expected = cohort_funnel(
            session, Actor.system(), FunnelFilter(pipeline_id, date(2025, 1, 1), date(2026, 12, 31))
        )
    engine.dispose()
    printed = pd.read_csv(io.StringIO(out))
    assert code == 0
    assert printed["stage"].tolist() == expected["stage"].tolist()
    assert printed["reached"].tolist() == expected["reached"].tolist()
    assert expected["reached"].iloc[0] > 0


def test_report_names_an_unknown_pipeline(monkeypatch, demo_database_url, capsys):
    code, _ = run_cli(
        monkeypatch,
        demo_database_url,
        "report",
        "winrate",
        "--pipeline",
        "Nope",
        "--from",
        "2026-01-01",
        "--to",
        "2026-03-31",
    )

    assert code == 1
    assert "No pipeline named 'Nope'" in capsys.readouterr().err


def test_user_add_reads_the_password_from_the_environment(monkeypatch, writable_demo_url):
    monkeypatch.setenv("FUNNEL_PASSWORD", "a long secret")

    code, out = run_cli(
        monkeypatch,
        writable_demo_url,
        "user",
        "add",
        "--login",
        "Olga",
        "--name",
        "Olga K",
        "--role",
        "admin",
        "--team",
        "New team",
    )

    engine = make_engine(writable_demo_url)
    with transaction(engine) as session:
        olga = users.authenticate(session, "olga", "a long secret")
    engine.dispose()
    assert (code, olga.role.value, olga.team_id is not None) == (0, "admin", True)
    assert "a long secret" not in out


def test_seed_if_empty_leaves_a_database_with_data_alone(monkeypatch, writable_demo_url):
    code, out = run_cli(monkeypatch, writable_demo_url, "seed", "--if-empty")

    assert (code, out.strip()) == (0, "database already has data; not seeding")


def test_report_managers_prints_one_row_per_manager_and_the_total(monkeypatch, demo_database_url):
    code, out = run_cli(
        monkeypatch,
        demo_database_url,
        "report",
        "managers",
        "--from",
        "2025-01-01",
        "--to",
        "2026-12-31",
        "--team",
        "Moscow office",
        "--format",
        "csv",
    )

    printed = pd.read_csv(io.StringIO(out))
    assert code == 0
    assert printed["manager"].tolist() == ["Anna Ivanova", "Boris Petrov", "Dmitry Sokolov", "Irina Volkova", "Total"]
    assert printed["calls"].iloc[-1] == printed["calls"].iloc[:-1].sum()
    assert printed["won"].iloc[-1] == printed["won"].iloc[:-1].sum() > 0


def test_report_plan_fact_prints_the_figures_of_the_service(monkeypatch, demo_database_url):
    code, out = run_cli(
        monkeypatch, demo_database_url, "report", "plan-fact", "--period", "2026-Q3", "--team", "London office"
    )
    _, csv_out = run_cli(
        monkeypatch,
        demo_database_url,
        "report",
        "plan-fact",
        "--period",
        "2026-Q3",
        "--manager",
        "clara",
        "--format",
        "csv",
    )

    engine = make_engine(demo_database_url)
    with transaction(engine) as session:
        expected = plan_fact(session, Actor.system(), period=Period.parse("2026-Q3"), today=utcnow().date())
    engine.dispose()
    clara = expected[expected["name"] == "Clara Smith"].iloc[0]
    printed = pd.read_csv(io.StringIO(csv_out))
    assert code == 0 and "London office" in out and "Moscow office" not in out
    assert printed["name"].tolist() == ["Clara Smith"]
    assert printed[["plan_amount", "fact_amount", "fact_count"]].iloc[0].tolist() == [
        clara["plan_amount"],
        clara["fact_amount"],
        clara["fact_count"],
    ]
    assert clara["plan_amount"] > 0 and clara["fact_count"] > 0


def test_report_plan_fact_needs_a_period_it_understands(monkeypatch, demo_database_url, capsys):
    assert run_cli(monkeypatch, demo_database_url, "report", "plan-fact")[0] == 1
    assert "period: is required" in capsys.readouterr().err
    assert run_cli(monkeypatch, demo_database_url, "report", "plan-fact", "--period", "Q3 2026")[0] == 1
    assert "write a month (2026-07)" in capsys.readouterr().err
    assert run_cli(monkeypatch, demo_database_url, "report", "funnel", "--pipeline", "B2B classic")[0] == 1
    assert "--from and --to are required" in capsys.readouterr().err


def test_rollups_check_finds_a_summary_that_differs_and_rebuild_mends_it(monkeypatch, writable_demo_url, capsys):
    code, out = run_cli(monkeypatch, writable_demo_url, "rollups", "check")
    assert (code, "equal the data" in out) == (0, True)

    engine = make_engine(writable_demo_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE rollup_open SET deals = deals + 1")
    engine.dispose()
    code, _ = run_cli(monkeypatch, writable_demo_url, "rollups", "check")
    assert code == 1 and "rollup_open:" in capsys.readouterr().err

    assert run_cli(monkeypatch, writable_demo_url, "rollups", "rebuild")[0] == 0
    assert run_cli(monkeypatch, writable_demo_url, "rollups", "check")[0] == 0


def test_the_older_name_python_m_core_runs_the_same_cli(demo_database_url):
    for module in ("cli", "core"):
        finished = subprocess.run(
            [sys.executable, "-m", module, "migrate"],
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "DATABASE_URL": demo_database_url},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (finished.returncode, finished.stdout.strip()) == (0, "database is up to date"), finished.stderr


def test_report_pipeline_as_of_a_day_prints_the_pipeline_of_that_day_for_a_team(monkeypatch, demo_database_url):
    from core.analytics.history import pipeline_as_of
    from core.settings import load_settings

    code, out = run_cli(
        monkeypatch,
        demo_database_url,
        *("report", "pipeline", "--pipeline", "B2B classic", "--as-of", "2026-10-01", "--team", "Moscow office"),
        *("--format", "csv"),
    )

    engine = make_engine(demo_database_url)
    with transaction(engine) as session:
        pipeline_id = next(p.id for p in pipelines.list_pipelines(session) if p.name == "B2B classic")
        team_id = users.find_team(session, "Moscow office")
        members = tuple(sorted(u.id for u in users.list_users(session, active_only=False) if u.team_id == team_id))
        zone = load_settings().zone
        expected = pipeline_as_of(session, Actor.system(), pipeline_id, date(2026, 10, 1), zone, owner_ids=members)
        everyone = pipeline_as_of(session, Actor.system(), pipeline_id, date(2026, 10, 1), zone)
    engine.dispose()
    printed = pd.read_csv(io.StringIO(out))
    assert code == 0
    assert printed["stage"].tolist() == expected["stage"].tolist()
    assert printed["deals"].tolist() == expected["deals"].tolist()
    assert 0 < printed["deals"].sum() < everyone["deals"].sum()


def test_report_changes_prints_the_start_each_kind_of_change_and_the_end_which_add_up(monkeypatch, demo_database_url):
    code, out = run_cli(
        monkeypatch,
        demo_database_url,
        *("report", "changes", "--pipeline", "B2B classic", "--from", "2026-07-01", "--to", "2026-09-30"),
        *("--format", "csv"),
    )

    printed = pd.read_csv(io.StringIO(out)).set_index("bucket")
    assert code == 0
    assert printed.index[0] == "start" and printed.index[-1] == "end"
    assert printed.loc["new", "deals"] > 0
    assert printed["amount"].iloc[:-1].sum() == pytest.approx(printed.loc["end", "amount"])


def test_report_changes_names_a_bad_closing_period(monkeypatch, demo_database_url, capsys):
    code, _ = run_cli(
        monkeypatch,
        demo_database_url,
        *("report", "changes", "--pipeline", "B2B classic", "--from", "2026-07-01", "--to", "2026-09-30"),
        *("--closing-in", "2026-Q5"),
    )

    assert code != 0
    assert "closing-in" in capsys.readouterr().err


def test_report_deals_lists_the_deals_behind_a_funnel_row_and_explains_the_figure(monkeypatch, demo_database_url):
    period = ("--pipeline", "B2B classic", "--from", "2026-07-01", "--to", "2026-09-30")
    code, out = run_cli(
        monkeypatch, demo_database_url, "report", "deals", "--figure", "reached", "--stage", "Presentation", *period
    )
    listed = run_cli(
        monkeypatch,
        demo_database_url,
        "report",
        "deals",
        "--figure",
        "reached",
        "--stage",
        "Presentation",
        *period,
        "--format",
        "csv",
    )[1]
    explained_ru = run_cli(
        monkeypatch, demo_database_url, "report", "deals", "--figure", "reached", "--explain", "--language", "ru"
    )[1]

    engine = make_engine(demo_database_url)
    with transaction(engine) as session:
        pipeline_id = next(p.id for p in pipelines.list_pipelines(session) if p.name == "B2B classic")
        funnel = cohort_funnel(session, Actor.system(), FunnelFilter(pipeline_id, date(2026, 7, 1), date(2026, 9, 30)))
    engine.dispose()
    row = funnel.set_index("stage").loc["Presentation"]
    rows = pd.read_csv(io.StringIO(listed))
    assert code == 0
    assert out.rstrip().endswith(f"{row['reached']} deals, amount {row['reached_amount']:.2f}")
    assert (len(rows), rows["amount"].sum()) == (row["reached"], pytest.approx(row["reached_amount"]))
    assert explained_ru.rstrip() == explained("reached", "ru")


def test_report_deals_names_what_is_missing_or_unknown(monkeypatch, demo_database_url, capsys):
    period = ("--pipeline", "B2B classic", "--from", "2026-07-01", "--to", "2026-09-30")

    assert run_cli(monkeypatch, demo_database_url, "report", "deals", *period)[0] == 1
    assert "figure" in capsys.readouterr().err
    assert run_cli(monkeypatch, demo_database_url, "report", "deals", "--figure", "time_in_stage", *period)[0] == 1
    assert "stage" in capsys.readouterr().err
    assert (
        run_cli(monkeypatch, demo_database_url, "report", "deals", "--figure", "open_now", "--stage", "Nope", *period)[
            0
        ]
        == 1
    )
    assert "No stage named 'Nope'" in capsys.readouterr().err
