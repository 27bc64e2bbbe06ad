"""The REST API's contract, against a running server on SQLite and PostgreSQL: every route's success,
each error status, the rights of a token's user, stale versions, paging, the reports as the CLI
prints them, and the OpenAPI document."""

import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

import api
from api import openapi
from cli import reports as cli_reports
from cli.main import _parser
from core import tokens
from core.clock import utcnow
from db.engine import transaction
from db.models import ApiToken, DealChange

ZONE = ZoneInfo("UTC")  # the served settings' zone


def _deal(served, who="anna", **fields):
    body = {"pipeline_id": served.world.pipeline_id, "title": f"Deal {uuid.uuid4().hex[:8]}", **fields}
    response = served.call("POST", "/deals", who, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_openapi_document_validates_and_lists_every_route(served):
    document = served.client.get("/openapi.json").json()

    validate(document)
    routes = api.routes(lambda: served.engine, lambda: None)
    listed = {(path, method) for path, operations in document["paths"].items() for method in operations}
    served_routes = {
        (openapi._PARAMETER.sub(r"{\1}", route.path), method.lower())
        for route in routes
        if not route.path.endswith("openapi.json")
        for method in route.methods - {"HEAD"}
    }
    assert served_routes == listed
    assert len(listed) == len(api.ENDPOINTS) == 22
    lead = document["components"]["schemas"]["Lead"]
    assert lead["required"] == ["name"] and lead["additionalProperties"] is False


def test_a_call_needs_a_valid_token(served):
    assert served.call("GET", "/me", who=None).status_code == 401
    assert served.call("GET", "/me", who=None).headers["www-authenticate"] == "Bearer"
    wrong = served.client.get("/me", headers={"Authorization": "Bearer fnl_not-a-token"})
    assert wrong.status_code == 401 and "not valid" in wrong.json()["error"]
    assert served.client.get("/me", headers={"Authorization": "Basic abc"}).status_code == 401

    me = served.call("GET", "/me", "anna").json()
    assert (me["login"], me["role"]) == ("anna", "manager")


def test_a_revoked_or_expired_token_is_refused_and_a_used_one_remembers_when(served):
    with transaction(served.engine, write=True) as session:
        token_id, secret = tokens.create(session, served.world.boris, "to revoke")
        expired_id, expired = tokens.create(session, served.world.boris, "to expire")
        session.get(ApiToken, expired_id).expires_at = utcnow() - timedelta(seconds=1)
    headers = {"Authorization": f"Bearer {secret}"}

    assert served.client.get("/me", headers=headers).status_code == 200
    with transaction(served.engine, write=True) as session:
        assert session.get(ApiToken, token_id).last_used_at is not None
        tokens.revoke(session, served.world.boris, token_id)
    assert served.client.get("/me", headers=headers).status_code == 401
    assert served.client.get("/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_the_rate_limit_answers_429_with_retry_after(served, limited):
    headers = {"Authorization": f"Bearer {served.secrets['chief']}"}
    answers = [limited.get("/me", headers=headers) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["retry-after"]) >= 1
    other = limited.get("/me", headers={"Authorization": f"Bearer {served.secrets['boris']}"})
    assert other.status_code == 200  # per token


def test_create_get_and_update_a_deal_with_its_version(served):
    created = _deal(served, amount="1500.50", source="website", expected_close_date="2027-03-15")
    assert (created["amount"], created["version"], created["stage_id"]) == (
        "1500.50",
        1,
        served.world.stages["Qualification"],
    )
    assert served.call("GET", f"/deals/{created['id']}", "anna").json() == created

    updated = served.call("PATCH", f"/deals/{created['id']}", "anna", json={"expected_version": 1, "amount": 2000})
    assert updated.status_code == 200 and updated.json()["amount"] == "2000.00" and updated.json()["version"] == 2
    with transaction(served.engine) as session:
        operations = session.scalars(select(DealChange.operation).where(DealChange.deal_id == created["id"])).all()
    assert [op.value for op in operations] == ["api"]  # the history tells it came through the API


def test_a_stale_version_is_refused_409_and_nothing_changes(served):
    deal = _deal(served, amount=100)
    served.call("PATCH", f"/deals/{deal['id']}", "anna", json={"expected_version": 1, "title": "Renamed"})

    stale = served.call("PATCH", f"/deals/{deal['id']}", "anna", json={"expected_version": 1, "amount": 999})
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["error"]
    after = served.call("GET", f"/deals/{deal['id']}", "anna").json()
    assert (after["title"], after["amount"], after["version"]) == ("Renamed", "100.00", 2)
    move = served.call("POST", f"/deals/{deal['id']}/move", "anna", json={"stage_id": 0, "expected_version": 1})
    assert move.status_code == 409


def test_a_managers_token_is_refused_another_managers_deal(served):
    deal = _deal(served, "anna")
    path = f"/deals/{deal['id']}"

    assert served.call("GET", path, "boris").status_code == 403
    assert served.call("PATCH", path, "boris", json={"expected_version": 1, "title": "Mine"}).status_code == 403
    assert served.call("POST", f"{path}/won", "boris", json={}).status_code == 403
    assert served.call("GET", f"{path}/activities", "boris").status_code == 403
    listed = served.call("GET", "/deals", "boris", params={"pipeline_id": served.world.pipeline_id, "page_size": 200})
    assert deal["id"] not in [row["id"] for row in listed.json()["items"]]
    assert served.call("GET", path, "chief").status_code == 200  # an executive sees every deal
    assert served.call("GET", path, "anna").json()["title"] == deal["title"]


def test_unknown_things_answer_404(served):
    assert served.call("GET", "/deals/999999").status_code == 404
    assert served.call("GET", "/deals/external/no-such-id").status_code == 404
    assert served.call("GET", "/pipelines/999999/stages").status_code == 404
    assert served.call("POST", "/activities/999999/complete", json={}).status_code == 404
    assert served.call("GET", "/reports/nope").status_code == 404


def test_moves_need_the_stages_required_fields_and_close_reopen_and_reassign(served):
    stages, deal = served.world.stages, _deal(served, "anna")
    path = f"/deals/{deal['id']}"

    refused = served.call("POST", f"{path}/move", "anna", json={"stage_id": stages["Commercial proposal"]})
    assert refused.status_code == 422 and "amount" in refused.json()["errors"]
    moved = served.call(
        "POST", f"{path}/move", "anna", json={"stage_id": stages["Commercial proposal"], "fields": {"amount": "700"}}
    )
    assert moved.status_code == 200 and (moved.json()["stage_id"], moved.json()["amount"]) == (
        stages["Commercial proposal"],
        "700.00",
    )
    won = served.call("POST", f"{path}/won", "anna", json={"amount": 750})
    assert (won.json()["status"], won.json()["amount"]) == ("won", "750.00")
    reopened = served.call("POST", f"{path}/reopen", "anna", json={})
    assert (reopened.json()["status"], reopened.json()["stage_id"]) == ("open", stages["Commercial proposal"])
    no_reason = served.call("POST", f"{path}/lost", "anna", json={})
    assert no_reason.status_code == 422 and "lost_reason_id" in no_reason.json()["errors"]
    lost = served.call("POST", f"{path}/lost", "anna", json={"lost_reason_id": served.world.reason_id})
    assert (lost.json()["status"], lost.json()["lost_reason_id"]) == ("lost", served.world.reason_id)

    assert served.call("POST", f"{path}/reassign", "anna", json={"owner_id": served.world.boris.id}).status_code == 403
    handed = served.call("POST", f"{path}/reassign", "chief", json={"owner_id": served.world.boris.id})
    assert handed.status_code == 200 and handed.json()["owner_id"] == served.world.boris.id


def test_an_accounting_system_moves_a_deal_by_its_external_id(served):
    external = f"INV-{uuid.uuid4().hex[:6]}"
    deal = _deal(served, "root", owner_id=served.world.anna.id, external_id=external, amount=900)
    assert deal["external_id"] == external
    taken = served.call(
        "POST",
        "/deals",
        json={
            "pipeline_id": served.world.pipeline_id,
            "title": "Twin",
            "external_id": external,
            "owner_id": served.world.anna.id,
        },
    )
    assert taken.status_code == 422 and "external_id" in taken.json()["errors"]

    contracting = served.world.stages["Contracting"]
    refused = served.call("POST", f"/deals/external/{external}/move", json={"stage_id": contracting})
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"expected_close_date", "company_id"}
    fields = {"expected_close_date": "2027-03-15", "company_id": served.world.company_id}
    moved = served.call("POST", f"/deals/external/{external}/move", json={"stage_id": contracting, "fields": fields})
    assert moved.status_code == 200 and moved.json()["stage_id"] == contracting
    assert served.call("GET", f"/deals/external/{external}").json()["id"] == deal["id"]
    tasks = served.call("GET", f"/deals/{deal['id']}/activities").json()
    assert "Prepare the contract" in [task["subject"] for task in tasks]  # the stage's entry task


def test_activities_are_logged_planned_rescheduled_and_completed(served):
    deal = _deal(served, "anna")
    done = served.call("POST", "/activities", "anna", json={"kind": "call", "subject": "Called", "deal_id": deal["id"]})
    assert done.status_code == 201
    planned = served.call(
        "POST",
        "/activities",
        "anna",
        json={"kind": "meeting", "subject": "Demo", "deal_id": deal["id"], "due_at": "2027-03-15T10:00:00+03:00"},
    ).json()["id"]
    path = f"/activities/{planned}"

    assert (
        served.call("POST", f"{path}/reschedule", "boris", json={"due_at": "2027-03-16T10:00:00Z"}).status_code == 403
    )
    no_zone = served.call("POST", f"{path}/reschedule", "anna", json={"due_at": "2027-03-16T10:00:00"})
    assert no_zone.status_code == 422 and "due_at" in no_zone.json()["errors"]
    assert served.call("POST", f"{path}/reschedule", "anna", json={"due_at": "2027-03-16T10:00:00Z"}).status_code == 204
    assert served.call("POST", f"{path}/complete", "anna", json={"result": "Went well"}).status_code == 204
    again = served.call("POST", f"{path}/complete", "anna", json={})
    assert again.status_code == 422

    listed = {a["id"]: a for a in served.call("GET", f"/deals/{deal['id']}/activities", "anna").json()}
    assert listed[planned]["result"] == "Went well" and listed[planned]["done_at"] is not None
    assert datetime.fromisoformat(listed[planned]["due_at"]) == datetime(2027, 3, 16, 10, tzinfo=UTC)
    assert listed[done.json()["id"]]["kind"] == "call"
    bad_kind = served.call("POST", "/activities", "anna", json={"kind": "party", "subject": "x"})
    assert bad_kind.status_code == 422 and "kind" in bad_kind.json()["errors"]


def test_the_deal_list_filters_and_pages_to_an_empty_page(served):
    marker = uuid.uuid4().hex[:10]
    made = {_deal(served, "boris", title=f"{marker} {n}", amount=n)["id"] for n in range(7)}
    query = {"pipeline_id": served.world.pipeline_id, "search": marker, "page_size": 3, "sort": "amount"}

    pages = [served.call("GET", "/deals", "boris", params={**query, "page": n}).json() for n in (1, 2, 3, 4)]
    assert [len(page["items"]) for page in pages] == [3, 3, 1, 0]
    assert {page["total"] for page in pages} == {7}
    listed = [row["id"] for page in pages for row in page["items"]]
    assert set(listed) == made and len(listed) == 7
    assert [row["amount"] for row in pages[0]["items"]] == [6.0, 5.0, 4.0]
    assert served.call("GET", "/deals", "boris", params={**query, "page_size": 201}).status_code == 422
    assert served.call("GET", "/deals", "boris", params={**query, "page": 0}).status_code == 422
    typo = served.call("GET", "/deals", "boris", params={"pipeline": 1})
    assert typo.status_code == 422 and set(typo.json()["errors"]) == {"pipeline", "pipeline_id"}
    staged = served.call(
        "GET",
        "/deals",
        "boris",
        params={**query, "stage_id": [served.world.stages["Qualification"], 0], "status": "open"},
    )
    assert staged.json()["total"] == 7


def test_pipelines_stages_users_and_lost_reasons_are_read(served):
    pipelines = served.call("GET", "/pipelines", "anna").json()
    assert [p["id"] for p in pipelines] == [served.world.pipeline_id]
    stages = served.call("GET", f"/pipelines/{served.world.pipeline_id}/stages", "anna").json()
    assert [s["id"] for s in stages] == sorted(served.world.stages.values(), key=[s["id"] for s in stages].index)
    assert {s["name"]: s["required_fields"] for s in stages}["Contracting"] == ["expected_close_date", "company_id"]
    logins = {u["login"] for u in served.call("GET", "/users", "anna").json()}
    assert {"root", "chief", "anna", "boris", "vera"} <= logins
    assert served.call("GET", "/lost-reasons", "anna").json() == [
        {"id": served.world.reason_id, "name": "Too expensive"}
    ]


def _cli(served, *arguments: str) -> pd.DataFrame:
    args = _parser().parse_args(["report", *arguments, "--format", "csv"])
    with transaction(served.engine) as session:
        printed = cli_reports.report(session, args, ZONE)
    return pd.read_csv(io.StringIO(printed))


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("funnel", {"pipeline": "B2B classic", "from": "2026-01-01", "to": "2027-12-31"}),
        ("winrate", {"pipeline": "B2B classic", "from": "2026-01-01", "to": "2027-12-31"}),
        ("managers", {"from": "2026-01-01", "to": "2027-12-31", "team": "North"}),
        ("plan-fact", {"period": "2026-Q4"}),
        ("pipeline", {"pipeline": "B2B classic", "manager": ["anna", "boris"]}),
        ("changes", {"pipeline": "B2B classic", "from": "2026-11-01", "to": "2027-01-31"}),
    ],
)
def test_the_reports_equal_the_clis(served, name, query):
    _deal(served, "anna", amount=300)
    options = []
    for option, value in query.items():
        for each in value if isinstance(value, list) else [value]:
            options += [f"--{option.replace('_', '-')}", each]

    answered = served.call("GET", f"/reports/{name}", "root", params=query)

    assert answered.status_code == 200, answered.text
    expected = _cli(served, name, *options)
    assert not expected.empty
    sent = pd.read_csv(io.StringIO(pd.DataFrame(answered.json()["rows"]).to_csv(index=False)))  # as the CLI's is read
    pd.testing.assert_frame_equal(sent, expected)


def test_a_report_names_the_field_it_lacks(served):
    missing = served.call("GET", "/reports/funnel", params={"pipeline": "B2B classic"})
    assert missing.status_code == 422 and set(missing.json()["errors"]) == {"from"}
    bad_day = served.call("GET", "/reports/funnel", params={"pipeline": "B2B classic", "from": "15.03.2027"})
    assert bad_day.status_code == 422 and "from" in bad_day.json()["errors"]
    unknown = served.call(
        "GET", "/reports/funnel", params={"pipeline": "Nope", "from": "2026-01-01", "to": "2026-02-01"}
    )
    assert unknown.status_code == 404


def test_bodies_that_are_not_json_objects_or_too_large_are_refused(served):
    path = "/deals"
    assert served.call("POST", path, content=b"{not json").status_code == 400
    assert served.call("POST", path, content=b"\xff\xfe{").status_code == 400
    nested = served.call("POST", path, content=b"[" * 100_000 + b"]" * 100_000)
    assert nested.status_code == 400 and nested.json() == {"errors": {"body": "is not JSON"}}
    deep_object = served.call("POST", "/deals", content=b'{"title": ' + b"[" * 500 + b"]" * 500 + b"}")
    assert deep_object.status_code == 422
    assert served.call("POST", path, json=[1, 2]).json() == {"errors": {"body": "must be a JSON object"}}
    huge = served.call("POST", path, content=b'{"title": "' + b"x" * (3 * 1024 * 1024) + b'"}')
    assert huge.status_code == 413
    shape = served.call("POST", path, json={"pipeline_id": "x", "title": 5, "colour": "red"})
    assert shape.status_code == 422 and set(shape.json()["errors"]) == {"pipeline_id", "title", "colour"}
    values = served.call(
        "POST", path, "anna", json={"pipeline_id": served.world.pipeline_id, "title": "x\x00y", "amount": -1}
    )
    assert values.status_code == 422 and set(values.json()["errors"]) == {"title", "amount"}


def test_an_intake_token_may_only_post_leads_and_an_api_token_may_not(served):
    assert served.call("GET", "/me", "intake").status_code == 403
    lead = {"name": "Ivan", "phone": "+7 999 000 00 00"}
    assert served.call("POST", f"/intake/{served.world.pipeline_id}", "root", json=lead).status_code == 403
    assert served.call("POST", "/intake/999999", "intake", json=lead).status_code == 403
