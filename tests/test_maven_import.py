"""The real case: the public Maven CRM export, imported through the CLI with the example mapping."""

import io
import os
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from cli.main import main
from core import pipelines
from core.analytics import funnel
from core.analytics.filters import DealFilter, FunnelFilter
from core.permissions import Actor
from db.engine import make_engine, transaction

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MAVEN = PROJECT_ROOT.parent / "shared" / "datasets" / "maven-crm"
MAPPING = PROJECT_ROOT / "examples" / "maven-mapping.json"


@pytest.fixture(scope="module")
def maven() -> Path:
    if not (MAVEN / "sales_pipeline.csv").exists():
        reason = f"the Maven CRM dataset is not at {MAVEN}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must have it", pytrace=False)
        pytest.skip(reason)
    return MAVEN


def run_cli(monkeypatch, url: str, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_the_maven_export_imports_with_its_figures(maven, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'maven.db'}"
    arguments = (
        "import",
        "foreign",
        str(maven / "sales_pipeline.csv"),
        "--mapping",
        str(MAPPING),
        "--teams",
        str(maven / "sales_teams.csv"),
    )
    source = pd.read_csv(maven / "sales_pipeline.csv")
    stages = source["deal_stage"].value_counts()

    code, out = run_cli(monkeypatch, url, *arguments)
    again_code, again = run_cli(monkeypatch, url, *arguments)

    assert code == 0, out
    assert out.strip() == "imported 8,800 deals (0 imported before, skipped), 30 new users, 85 new companies"
    assert (again_code, again.strip().split(" (")[0]) == (0, "imported 0 deals")
    engine = make_engine(url)
    with transaction(engine) as session:
        pipeline = next(p for p in pipelines.list_pipelines(session) if p.name == "Maven CRM")
        scope = FunnelFilter(pipeline.id, pd.Timestamp("2016-01-01").date(), pd.Timestamp("2026-12-31").date())
        rates = funnel.win_rates(session, Actor.system(), scope)
        now = funnel.current_pipeline(session, Actor.system(), DealFilter(pipeline.id)).set_index("stage")
        teams = session.execute(
            text("SELECT t.name, count(*) FROM users u JOIN teams t ON t.id = u.team_id GROUP BY t.name")
        ).all()
        segments = {s for (s,) in session.execute(text("SELECT DISTINCT segment FROM deals"))}
    engine.dispose()
    won, lost = stages["Won"], stages["Lost"]
    assert (rates["won"], rates["lost"], rates["created"]) == (won, lost, len(source))
    assert rates["win_rate_closed"] == pytest.approx(won / (won + lost))
    assert rates["won_amount"] == pytest.approx(source.loc[source["deal_stage"] == "Won", "close_value"].sum())
    assert (
        now.loc["Prospecting", "deals"] == stages["Prospecting"] and now.loc["Engaging", "deals"] == stages["Engaging"]
    )
    offices = pd.read_csv(maven / "sales_teams.csv").set_index("sales_agent")["regional_office"]
    assert dict(teams) == offices[source["sales_agent"].unique()].value_counts().to_dict()
    assert "GTX Pro" in segments and "GTXPro" not in segments  # the price list's spelling, through the mapping


def test_the_maven_import_undone_leaves_every_report_of_the_demo_as_before(maven, monkeypatch, writable_demo_url):
    reports = [
        ("report", "funnel", "--pipeline", "B2B classic", "--from", "2025-01-01", "--to", "2026-12-31"),
        ("report", "winrate", "--pipeline", "B2B classic", "--from", "2025-01-01", "--to", "2026-12-31"),
        ("report", "managers", "--from", "2025-01-01", "--to", "2026-12-31"),
        ("report", "plan-fact", "--period", "2026"),
        ("report", "pipeline", "--pipeline", "B2B classic"),
    ]
    before = [run_cli(monkeypatch, writable_demo_url, *report) for report in reports]
    arguments = ("import", "foreign", str(maven / "sales_pipeline.csv"), "--mapping", str(MAPPING))
    imported = run_cli(monkeypatch, writable_demo_url, *arguments, "--teams", str(maven / "sales_teams.csv"))
    _, listed = run_cli(monkeypatch, writable_demo_url, "import", "list")
    batch = listed.splitlines()[1].split()[0]

    code, undone = run_cli(monkeypatch, writable_demo_url, "import", "undo", batch)

    assert imported[0] == 0 and code == 0, undone
    assert (
        undone.strip()
        == f"import {batch} undone: 8,800 deals removed (0 changed ones kept), 30 users and 85 companies removed"
    )
    assert [run_cli(monkeypatch, writable_demo_url, *report) for report in reports] == before
    assert run_cli(monkeypatch, writable_demo_url, "rollups", "check")[0] == 0
