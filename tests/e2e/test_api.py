"""The API on the app's own server (server.py), with a token made in the browser: a website form's
lead reaches the first stage with its classify task, an executive's open dashboard shows it within
the live promise; moved to Proposal sent, its owner is notified and a webhook receiver gets the
signed event from the app's worker."""

import json
import time
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core import pipelines, stage_editor, tokens, users, webhooks
from db.engine import make_engine, transaction
from db.models import Activity, Deal, Pipeline
from tests.conftest import copy_of
from tests.e2e.conftest import READY, choose, click_and_wait, open_address, signed_in, start_streamlit
from tests.e2e.test_live import PROMISE_MS, SETTLED, SHOWN_MARKER, WATCH_PART
from tests.unit.test_webhooks import Receiver

WEB_STUDIO = "Web studio (project sales)"


@pytest.fixture
def own_app(demo_database_url, tmp_path):
    """The app on a private copy of the demo: the leads posted here reach no other test's figures."""
    url = copy_of(demo_database_url, tmp_path / "api.db")
    process, app_url = start_streamlit(url, tmp_path / "app.log")
    yield app_url, url
    process.terminate()
    process.wait(10)


def test_an_intake_token_made_in_the_browser_posts_a_lead_that_an_open_dashboard_shows(context, own_app):
    app_url, database_url = own_app
    admin = context.new_page()
    signed_in(context, app_url, database_url, "admin")
    open_address(admin, f"{app_url}/tokens")
    click_and_wait(admin, admin.get_by_text("Lead intake"))
    choose(admin, "tokens_new_pipeline", WEB_STUDIO)
    admin.locator(".st-key-tokens_new_name input").fill("Website form")
    click_and_wait(admin, admin.get_by_role("button", name="Create token"))
    expect(admin.get_by_text("Copy it now")).to_be_visible()
    secret = admin.locator("[data-testid='stCode']").first.inner_text().strip()
    example = admin.locator("[data-testid='stCode']").nth(1).inner_text()
    pipeline_id = int(example.rsplit("/intake/", 1)[1].split()[0])

    executive = context.browser.new_context()
    signed_in(executive, app_url, database_url, "ceo")
    dashboard = open_address(executive.new_page(), f"{app_url}/dashboard")
    dashboard.wait_for_function(f"({SHOWN_MARKER})() !== null", timeout=30_000)
    dashboard.evaluate(WATCH_PART)
    dashboard.wait_for_function(SETTLED, timeout=30_000)
    shown = dashboard.evaluate(SHOWN_MARKER)

    lead = {"name": "Ivan Petrov", "phone": "+7 999 123-45-67", "company": "Petrov & Co", "message": "Need a site"}
    posted = httpx.post(
        f"{app_url}/api/v1/intake/{pipeline_id}", json=lead, headers={"Authorization": f"Bearer {secret}"}, timeout=30
    )
    sent = time.monotonic()

    assert posted.status_code == 201, posted.text
    dashboard.wait_for_function(
        f"({SHOWN_MARKER})() > {shown}", timeout=max(1, PROMISE_MS - (time.monotonic() - sent) * 1000)
    )
    received = posted.json()
    engine = make_engine(database_url)
    with transaction(engine) as session:
        deal = session.get(Deal, received["deal_id"])
        task = session.scalars(select(Activity).where(Activity.deal_id == deal.id, Activity.done_at.is_(None))).one()
        owner = users.get_user(session, deal.owner_id)
        assert (deal.stage.position, deal.stage.pipeline.name, task.subject) == (0, WEB_STUDIO, "Classify the request")
        assert task.due_at - deal.created_at == timedelta(hours=1)
    engine.dispose()

    manager = context.browser.new_context()
    signed_in(manager, app_url, database_url, owner.login)
    opened = open_address(manager.new_page(), f"{app_url}/deals?deal={received['deal_id']}")
    expect(opened.get_by_text("Petrov & Co — Ivan Petrov").first).to_be_visible()
    expect(opened.get_by_text("Classify the request").first).to_be_visible()
    executive.close()

    # Proposal sent tells the owner, and a webhook receiver gets the signed event from the app's worker.
    hook = Receiver()
    engine = make_engine(database_url)
    with transaction(engine, write=True) as session:
        admin = users.find_user(session, "admin").as_actor()
        secret_of_hook = webhooks.create_webhook(session, admin, hook.url, ["deal.stage_entered"])[1]
        stages = {s.name: s.id for s in pipelines.list_stages(session, pipeline_id)}
        version = session.get(Pipeline, pipeline_id).version
        stage_editor.update_stage(session, admin, stages["Proposal sent"], version, automation={"notify_owner": True})
        _, owner_secret = tokens.create(session, owner.as_actor(), "owner's script")
    engine.dispose()
    moved = httpx.post(
        f"{app_url}/api/v1/deals/{received['deal_id']}/move",
        json={"stage_id": stages["Proposal sent"]},
        headers={"Authorization": f"Bearer {owner_secret}"},
        timeout=30,
    )
    assert moved.status_code == 200, moved.text
    deadline = time.monotonic() + 20
    while not hook.received and time.monotonic() < deadline:
        time.sleep(0.1)
    hook.close()
    ((headers, body),) = hook.received
    assert headers["X-Funnel-Signature"] == webhooks.signature(secret_of_hook, headers["X-Funnel-Timestamp"], body)
    assert json.loads(body)["data"]["deal"]["stage"] == "Proposal sent"
    opened.reload()
    opened.wait_for_selector(READY)
    expect(opened.get_by_text("Notifications (1)")).to_be_visible()
    manager.close()

    wrong = httpx.get(f"{app_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=30)
    assert wrong.status_code == 403  # an intake token does nothing else
    assert httpx.get(f"{app_url}/api/v1/openapi.json", timeout=30).json()["openapi"] == "3.1.0"
