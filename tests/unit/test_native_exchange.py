"""The native export and import: everything out, into an empty database, every report the same."""

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from core import pipelines
from core.analytics import activity, funnel, plan_fact
from core.analytics.filters import DealFilter, FunnelFilter
from core.clock import utcnow
from core.errors import PermissionDenied, ValidationError
from core.exchange import native
from core.periods import Period, PeriodKind
from core.permissions import Actor
from db.engine import make_engine, transaction
from db.migrate import upgrade
from db.models import Deal, Role, RollupClosed, User
from db.rollups import build

SYSTEM = Actor.system()


def reports(engine, now) -> dict[str, pd.DataFrame]:
    """Every report of the product over the whole history, for every pipeline, as of `now`."""
    today = now.date()
    start = today - timedelta(days=800)
    with transaction(engine) as session:
        result = {
            "managers": activity.manager_activity(session, SYSTEM, date_from=start, date_to=today, now=now),
            "plan_fact": plan_fact.plan_fact(
                session, SYSTEM, period=Period.containing(PeriodKind.YEAR, today), today=today
            ),
            "monthly": plan_fact.monthly_plan_fact(session, SYSTEM, year=today.year, today=today),
        }
        for pipeline in pipelines.list_pipelines(session, include_archived=True):
            scope = FunnelFilter(pipeline.id, start, today)
            result[f"funnel {pipeline.name}"] = funnel.cohort_funnel(session, SYSTEM, scope)
            result[f"rates {pipeline.name}"] = pd.DataFrame([funnel.win_rates(session, SYSTEM, scope)])
            result[f"time {pipeline.name}"] = funnel.time_in_stage(session, SYSTEM, scope, now=now)
            result[f"lost {pipeline.name}"] = funnel.lost_analysis(session, SYSTEM, scope)
            open_now = funnel.current_pipeline(session, SYSTEM, DealFilter(pipeline.id), now=now)
            result[f"pipeline {pipeline.name}"] = open_now
    return result


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_into_an_empty_database_gives_every_report_back(
    demo_database_url, fresh_engine, tmp_path, fmt
):
    source = make_engine(demo_database_url)
    target = tmp_path / ("export" if fmt == "csv" else "export.xlsx")
    with transaction(source) as session:
        if fmt == "csv":
            written = native.export_csv(session, SYSTEM, target)
        else:
            target.write_bytes(native.export_excel(session, SYSTEM))
            written = {t.name: session.scalar(select(func.count()).select_from(t)) for t in native.tables()}
    with transaction(fresh_engine, write=True) as session:
        loaded = native.import_native(session, SYSTEM, target)

    assert loaded == written and written["deals"] > 300
    now = utcnow()
    expected, actual = reports(source, now), reports(fresh_engine, now)
    source.dispose()
    assert expected.keys() == actual.keys()
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(actual[name], frame, obj=name)
    with transaction(fresh_engine) as session:  # the hostile title came back as it was, not neutralised
        assert session.scalar(select(func.count()).where(Deal.title.like("<img%"))) == 1
        assert session.scalar(select(User.password_hash).where(User.login == "anna")).startswith("$argon2")


def test_a_formula_looking_title_is_neutralised_in_the_export_and_restored_by_the_import(
    writable_demo_url, fresh_engine, tmp_path
):
    source = make_engine(writable_demo_url)
    with transaction(source, write=True) as session:
        session.execute(text("UPDATE deals SET title = '=HYPERLINK(\"http://x\")' WHERE id = 1"))
    with transaction(source) as session:
        native.export_csv(session, SYSTEM, tmp_path)
    source.dispose()
    written = pd.read_csv(tmp_path / "deals.csv", dtype=str, keep_default_na=False)

    assert written.loc[written["id"] == "1", "title"].item() == '\'=HYPERLINK("http://x")'
    with transaction(fresh_engine, write=True) as session:
        native.import_native(session, SYSTEM, tmp_path)
    with transaction(fresh_engine) as session:
        assert session.get(Deal, 1).title == '=HYPERLINK("http://x")'


def test_the_import_needs_an_empty_database_and_the_admin(demo_database_url, tmp_path):
    source = make_engine(demo_database_url)
    with transaction(source) as session:
        native.export_csv(session, SYSTEM, tmp_path)
        with pytest.raises(ValidationError) as error:
            native.import_native(session, SYSTEM, tmp_path)
        assert "needs an empty database" in error.value.errors["database"]
        with pytest.raises(PermissionDenied):
            native.export_csv(session, Actor(1, Role.EXECUTIVE), tmp_path / "again")
    source.dispose()


def test_a_bad_value_stops_the_import_with_table_row_and_column_and_writes_nothing(
    demo_database_url, fresh_engine, tmp_path
):
    source = make_engine(demo_database_url)
    with transaction(source) as session:
        native.export_csv(session, SYSTEM, tmp_path)
    source.dispose()
    deals = pd.read_csv(tmp_path / "deals.csv", dtype=str, keep_default_na=False)
    deals.loc[4, "amount"] = "lots"
    deals.to_csv(tmp_path / "deals.csv", index=False)

    with pytest.raises(ValidationError) as error, transaction(fresh_engine, write=True) as session:
        native.import_native(session, SYSTEM, tmp_path)

    assert error.value.errors["deals"].startswith("row 6, amount: cannot read 'lots'")
    with transaction(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_missing_table_is_named(demo_database_url, fresh_engine, tmp_path):
    source = make_engine(demo_database_url)
    with transaction(source) as session:
        native.export_csv(session, SYSTEM, tmp_path)
    source.dispose()
    (tmp_path / "activities.csv").unlink()

    with pytest.raises(ValidationError) as error, transaction(fresh_engine, write=True) as session:
        native.import_native(session, SYSTEM, tmp_path)
    assert "activities is missing" in error.value.errors["source"]


def test_an_export_made_before_the_field_history_loads_with_its_history_starting_at_the_import(
    demo_database_url, fresh_engine, tmp_path
):
    from db.models import ChangeOperation, DealChange, ImportBatch

    source = make_engine(demo_database_url)
    with transaction(source) as session:
        native.export_csv(session, SYSTEM, tmp_path)
        deals = session.scalar(select(func.count()).select_from(Deal))
    source.dispose()
    for later in ("deal_changes", "import_batches", "import_batch_rows"):
        (tmp_path / f"{later}.csv").unlink()

    with transaction(fresh_engine, write=True) as session:
        loaded = native.import_native(session, SYSTEM, tmp_path)
    with transaction(fresh_engine) as session:
        kinds = session.execute(select(DealChange.operation, func.count()).group_by(DealChange.operation)).all()
        batch = session.execute(select(ImportBatch.kind, ImportBatch.file_name, ImportBatch.deals)).one()

    assert loaded["deals"] == deals and loaded["deal_changes"] == 0
    assert kinds == [(ChangeOperation.BASELINE, deals)]  # every deal: known from the import on
    assert tuple(batch) == ("native", tmp_path.name, deals)


def test_an_export_made_before_stages_had_their_added_date_loads_with_none(demo_database_url, fresh_engine, tmp_path):
    from db.models import Stage

    source = make_engine(demo_database_url)
    with transaction(source) as session:
        native.export_csv(session, SYSTEM, tmp_path)
        names = list(session.scalars(select(Stage.name).order_by(Stage.id)))
    source.dispose()
    stages = pd.read_csv(tmp_path / "stages.csv", dtype=str, keep_default_na=False)
    stages.drop(columns=["added_at"]).to_csv(tmp_path / "stages.csv", index=False)

    with transaction(fresh_engine, write=True) as session:
        native.import_native(session, SYSTEM, tmp_path)
    with transaction(fresh_engine) as session:
        loaded = session.execute(select(Stage.name, Stage.added_at).order_by(Stage.id)).all()
    assert loaded == [(name, None) for name in names]


def test_an_installation_with_deals_upgrades_from_0005(tmp_path):
    """Migrations that rebuild the deals table keep its rows and the rows that point at them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0005")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO users (id, login, display_name, role, is_active, password_hash, "
            "created_at) VALUES (1, 'a', 'A', 'manager', 1, 'x', '2026-01-01')"
        )
        connection.exec_driver_sql(
            "INSERT INTO pipelines (id, name, is_archived, created_at, version) VALUES (1, 'P', 0, '2026-01-01', 1)"
        )
        connection.exec_driver_sql(
            "INSERT INTO stages (id, pipeline_id, name, position, kind, probability, color, "
            "rot_days, required_fields, entry_tasks) VALUES "
            "(1, 1, 'Won', 0, 'won', 100, '#000000', 0, '[]', '[]')"
        )
        connection.exec_driver_sql(
            "INSERT INTO deals (id, title, amount, owner_id, pipeline_id, stage_id, status, "
            "created_at, closed_at, stage_entered_at, version) VALUES (1, 'd', 100, 1, 1, 1, "
            "'won', '2026-01-01', '2026-01-02', '2026-01-02', 1)"
        )
        connection.exec_driver_sql(
            "INSERT INTO stage_transitions (deal_id, to_stage_id, at) VALUES (1, 1, '2026-01-01')"
        )

    upgrade(engine)

    with transaction(engine) as session:
        deal = session.get(Deal, 1)
        assert (deal.title, deal.closing_owner_id, deal.external_id) == ("d", 1, None)
        assert session.execute(text("SELECT count(*) FROM stage_transitions")).scalar() == 1
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        # The summary tables of 0008 are built from the deals already there.
        won = select(RollupClosed.first_day, RollupClosed.deals).where(RollupClosed.grain == "day")
        assert session.execute(won).all() == [(date(2026, 1, 2), 1)]
        assert build.check(session.connection()) == {}
    engine.dispose()
