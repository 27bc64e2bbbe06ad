"""Lead intake against a running server, on SQLite and PostgreSQL: a form post makes the deal, the
contact, the company and the stage's entry task; owners in turn; the same person again joins their
deal; a bad payload writes nothing."""

import uuid
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from db.engine import transaction
from db.models import Activity, Company, Contact, Deal

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "![x](http://host/p.png)",
    ":red[x]",
    "'; DROP TABLE deals; --",
    "Robert'); DELETE FROM contacts WHERE ('1'='1",
    "Иван Петров",
]


def _post(served, lead: dict, who: str = "intake"):
    return served.call("POST", f"/intake/{served.world.pipeline_id}", who, json=lead)


def _phone() -> str:
    digits = f"{uuid.uuid4().int % 10**10:010d}"
    return f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"


def test_a_form_post_makes_a_deal_contact_company_and_a_task_due_within_the_hour(served):
    name, company = f"Ivan {uuid.uuid4().hex[:6]}", f"Petrov & Co {uuid.uuid4().hex[:6]}"
    lead = {
        "name": name,
        "phone": _phone(),
        "email": f"{uuid.uuid4().hex[:6]}@Example.com",
        "company": company,
        "message": "Need a quote\nfor 20 seats",
        "source": "website",
        "amount": "2500",
        "region": "Moscow",
        "segment": "SMB",
    }

    answer = _post(served, lead)

    assert answer.status_code == 201, answer.text
    received = answer.json()
    assert received["new_deal"] is True
    with transaction(served.engine) as session:
        deal = session.get(Deal, received["deal_id"])
        contact = session.get(Contact, received["contact_id"])
        assert (deal.title, deal.stage_id, deal.owner_id) == (
            f"{company} — {name}",
            served.world.stages["Qualification"],
            received["owner_id"],
        )
        assert (str(deal.amount), deal.source, deal.region, deal.segment) == ("2500.00", "website", "Moscow", "SMB")
        assert (contact.name, contact.phone, contact.company_id) == (name, lead["phone"], deal.company_id)
        assert session.get(Company, deal.company_id).name == company
        tasks = session.scalars(select(Activity).where(Activity.deal_id == deal.id).order_by(Activity.id)).all()
        classify = next(task for task in tasks if task.subject == "Classify the request")
        assert classify.done_at is None and classify.owner_id == deal.owner_id
        assert classify.due_at - deal.created_at == timedelta(hours=1)
        request = session.get(Activity, received["activity_id"])
        assert (request.subject, request.result, request.kind.value) == (
            "website: Need a quote",
            lead["message"],
            "email",
        )
        assert request.done_at is not None


def test_owners_are_the_teams_active_managers_in_turn(served):
    owners = [_post(served, {"name": f"Lead {n}", "phone": _phone()}).json()["owner_id"] for n in range(6)]

    team = sorted([served.world.anna.id, served.world.boris.id, served.vera.id])
    start = team.index(owners[0])
    assert owners == [team[(start + n) % 3] for n in range(6)]


def test_the_same_phone_within_the_window_adds_an_activity_to_the_open_deal(served):
    digits = f"{uuid.uuid4().int % 10**10:010d}"
    first = _post(served, {"name": "Olga", "phone": f"+7 {digits}", "message": "Hello"}).json()
    before = served.counts()

    again = _post(served, {"name": "Olga K.", "phone": f"8 ({digits[:3]}) {digits[3:]}", "message": "Me again"})
    by_email = _post(served, {"name": "Olga", "email": "x@y.test", "phone": f"+7{digits}", "channel": "call"})

    assert again.status_code == 201 and again.json()["new_deal"] is False
    assert again.json()["deal_id"] == first["deal_id"] == by_email.json()["deal_id"]
    after = served.counts()
    assert after["deals"] == before["deals"] and after["contacts"] == before["contacts"]
    assert after["activities"] == before["activities"] + 2
    with transaction(served.engine) as session:
        added = session.get(Activity, by_email.json()["activity_id"])
        assert (added.kind.value, added.deal_id, added.subject) == ("call", first["deal_id"], "call")


def test_the_same_email_after_the_deal_closed_makes_a_new_deal_for_the_known_contact(served):
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    first = _post(served, {"name": "Pavel", "email": email}).json()
    closed = served.call(
        "POST", f"/deals/{first['deal_id']}/lost", "root", json={"lost_reason_id": served.world.reason_id}
    )
    assert closed.status_code == 200

    second = _post(served, {"name": "Pavel", "email": email.upper()}).json()

    assert second["new_deal"] is True and second["deal_id"] != first["deal_id"]
    assert second["contact_id"] == first["contact_id"]


def test_a_lead_keeps_hostile_text_as_text(served):
    for text in HOSTILE:
        answer = _post(served, {"name": text, "phone": _phone(), "company": text, "message": text})
        assert answer.status_code == 201, answer.text
        with transaction(served.engine) as session:
            deal = session.get(Deal, answer.json()["deal_id"])
            assert deal.title == f"{text} — {text}"
            assert session.get(Contact, answer.json()["contact_id"]).name == text


# Each payload is wrong in at least one way (the first element says which field must be named); the
# other fields carry hostile but valid text.
_text = st.sampled_from(HOSTILE) | st.text(min_size=1, max_size=30).filter(str.strip).map(
    lambda s: "".join(c for c in s if c.isprintable()) or "x"
)
_faults = st.sampled_from(
    [
        ("name", {"name": None}),
        ("name", {"name": ""}),
        ("name", {"name": 42}),
        ("name", {"name": "Ivan\x00Petrov"}),
        ("phone", {"phone": None, "email": None}),
        ("phone", {"phone": "call me"}),
        ("phone", {"phone": ["+7 999 000 00 00"]}),
        ("email", {"email": "not an e-mail"}),
        ("message", {"message": "x" * 1_000_000}),
        ("message", {"message": {"text": "hi"}}),
        ("amount", {"amount": "abc"}),
        ("amount", {"amount": -5}),
        ("amount", {"amount": True}),
        ("company", {"company": "Acme\x00"}),
        ("source", {"source": "s" * 101}),
        ("channel", {"channel": "fax"}),
        ("owner_id", {"owner_id": 1}),
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fault=_faults, name=_text, company=_text, message=_text)
def test_a_malformed_lead_is_refused_422_naming_the_field_and_nothing_is_written(served, fault, name, company, message):
    field, wrong = fault
    lead = {"name": name, "phone": _phone(), "company": company, "message": message} | wrong
    lead = {key: value for key, value in lead.items() if value is not None}
    before = served.counts()

    answer = _post(served, lead)

    assert answer.status_code == 422, answer.text
    assert field in answer.json()["errors"]
    assert served.counts() == before


def test_a_request_is_dated_now(served):
    answer = _post(served, {"name": "Timed", "phone": _phone()}).json()
    with transaction(served.engine) as session:
        created = session.get(Deal, answer["deal_id"]).created_at
    assert abs(datetime.now(created.tzinfo) - created) < timedelta(minutes=1)
