"""Intake: the desk (or its CAD link) sends a call; it is created once per (source, CAD
number), or refused with 422 and a logged reason when it is not for an unarmed response.

Alcott covers Wilshire (WIL); one Alcott team is on shift.
"""

from datetime import date, datetime

import pytest

from calls.choices import CallSource, CallStatus, CallType, Priority
from calls.models import Call, IntakeRefusal, StatusEvent
from tests.calls.routing_helpers import INTAKE, client_for, intake_body
from tests.factories import (
    CaseManagerFactory,
    ClinicianFactory,
    CoverageFactory,
    DispatcherFactory,
    DivisionFactory,
    ProviderFactory,
    ShiftFactory,
    SupervisorFactory,
    TeamFactory,
)
from umcr.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def alcott():
    return ProviderFactory(name="Alcott", slug="alcott")


@pytest.fixture
def wilshire(alcott):
    division = DivisionFactory(name="Wilshire", code="WIL")
    CoverageFactory(provider=alcott, division=division, starts_on=date(2024, 1, 1))
    return division


@pytest.fixture
def team(alcott):
    team = TeamFactory(provider=alcott, call_sign="ALCOTT-1")
    ShiftFactory(team=team)
    return team


@pytest.fixture
def dispatcher():
    return DispatcherFactory()


@pytest.fixture
def desk(dispatcher):
    return client_for(dispatcher)


def post(client, body, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(INTAKE, body, format="json")


# --- who may send calls ---------------------------------------------------------------------


def test_desk_intake_creates_the_call_with_201(
    desk, wilshire, team, django_capture_on_commit_callbacks
):
    response = post(desk, intake_body(wilshire), django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.content
    assert Call.objects.filter(pk=response.json()["call"]["id"]).exists()


def test_intake_stores_every_field_the_desk_sent(
    desk, wilshire, team, django_capture_on_commit_callbacks
):
    body = intake_body(
        wilshire,
        source=CallSource.UMCR_DESK,
        cad_incident_number="LAPD-26-1123-0042",
        received_at="2026-11-23T17:02:00Z",
        call_type=CallType.MENTAL_HEALTH_CRISIS,
        priority=Priority.URGENT,
        address="5800 Wilshire Blvd",
        latitude="34.062300",
        longitude="-118.356400",
        narrative="Woman shouting at traffic, says voices told her to.",
        caller_account="Store clerk; she has been there an hour.",
        safety_flags=["dog_on_premises", "medical_need"],
    )

    response = post(desk, body, django_capture_on_commit_callbacks)

    call = Call.objects.get(pk=response.json()["call"]["id"])
    stored = {
        "source": call.source,
        "cad_incident_number": call.cad_incident_number,
        "received_at": call.received_at.isoformat(),
        "call_type": call.call_type,
        "priority": call.priority,
        "division": call.division.code,
        "address": call.address,
        "latitude": str(call.latitude),
        "longitude": str(call.longitude),
        "narrative": call.narrative,
        "caller_account": call.caller_account,
        "safety_flags": call.safety_flags,
    }
    assert stored == {
        "source": "umcr_desk",
        "cad_incident_number": "LAPD-26-1123-0042",
        "received_at": datetime.fromisoformat("2026-11-23T17:02:00+00:00").isoformat(),
        "call_type": "mental_health_crisis",
        "priority": 1,
        "division": "WIL",
        "address": "5800 Wilshire Blvd",
        "latitude": "34.062300",
        "longitude": "-118.356400",
        "narrative": "Woman shouting at traffic, says voices told her to.",
        "caller_account": "Store clerk; she has been there an hour.",
        "safety_flags": ["dog_on_premises", "medical_need"],
    }


def test_intake_answer_names_provider_team_and_status(
    desk, wilshire, team, django_capture_on_commit_callbacks
):
    response = post(desk, intake_body(wilshire), django_capture_on_commit_callbacks)

    body = response.json()
    assert (body["provider"], body["team"], body["call"]["status"]) == (
        "alcott",
        "ALCOTT-1",
        CallStatus.DISPATCHED,
    )


@pytest.mark.parametrize(
    "make_responder",
    [
        pytest.param(lambda p: ClinicianFactory(provider=p), id="clinician"),
        pytest.param(lambda p: SupervisorFactory(provider=p), id="supervisor"),
        pytest.param(lambda p: CaseManagerFactory(provider=p), id="case_manager"),
    ],
)
def test_only_the_desk_may_send_calls(make_responder, alcott, wilshire, team):
    client = client_for(make_responder(alcott))

    response = client.post(INTAKE, intake_body(wilshire), format="json")

    assert response.status_code == 403
    assert not Call.objects.exists()


def test_intake_without_credentials_is_401(api_client, wilshire, team):
    response = api_client.post(INTAKE, intake_body(wilshire), format="json")

    assert response.status_code == 401
    assert not Call.objects.exists()


# --- idempotent on (source, CAD number) -----------------------------------------------------


def test_repeat_of_the_same_incident_returns_the_existing_call_with_200(
    desk, wilshire, team, django_capture_on_commit_callbacks
):
    body = intake_body(wilshire, cad_incident_number="LAPD-26-0001")
    first = post(desk, body, django_capture_on_commit_callbacks)

    repeat = post(desk, body, django_capture_on_commit_callbacks)

    assert repeat.status_code == 200
    assert repeat.json()["call"]["id"] == first.json()["call"]["id"]


def test_repeat_of_the_same_incident_creates_nothing(
    desk, wilshire, team, django_capture_on_commit_callbacks
):
    ClinicianFactory(team=team)
    body = intake_body(wilshire, cad_incident_number="LAPD-26-0002")
    post(desk, body, django_capture_on_commit_callbacks)
    before = (Call.objects.count(), StatusEvent.objects.count(), Notification.objects.count())

    post(desk, body, django_capture_on_commit_callbacks)

    after = (Call.objects.count(), StatusEvent.objects.count(), Notification.objects.count())
    assert after == before == (1, 1, 1)


def test_same_cad_number_from_another_source_is_another_call(
    desk, wilshire, team, django_capture_on_commit_callbacks
):
    post(
        desk,
        intake_body(wilshire, source=CallSource.CAD_911, cad_incident_number="X-1"),
        django_capture_on_commit_callbacks,
    )

    response = post(
        desk,
        intake_body(wilshire, source=CallSource.UMCR_DESK, cad_incident_number="X-1"),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 201
    assert Call.objects.filter(cad_incident_number="X-1").count() == 2


# --- refused: not for an unarmed response -------------------------------------------------


REFUSALS = {
    "weapon_reported": ({"weapon_reported": True}, "weapon"),
    "violence_in_progress": ({"violence_in_progress": True}, "violence"),
    "call_type_outside_program": ({"call_type": "armed_robbery"}, "armed_robbery"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_ineligible_call_is_refused_with_422_saying_why(desk, wilshire, team, case):
    overrides, word = REFUSALS[case]

    response = desk.post(INTAKE, intake_body(wilshire, **overrides), format="json")

    body = response.json()
    assert response.status_code == 422
    assert body["code"] == "not_eligible"
    assert any(word in reason.lower() for reason in body["reasons"])
    assert word in body["detail"].lower()


@pytest.mark.parametrize("case", REFUSALS)
def test_ineligible_call_creates_no_call(desk, wilshire, team, case):
    overrides, _ = REFUSALS[case]

    desk.post(INTAKE, intake_body(wilshire, **overrides), format="json")

    assert not Call.objects.exists()


@pytest.mark.parametrize("case", REFUSALS)
def test_refusal_is_kept_although_the_request_failed(desk, dispatcher, wilshire, team, case):
    overrides, word = REFUSALS[case]
    body = intake_body(wilshire, cad_incident_number="LAPD-26-0666", **overrides)

    response = desk.post(INTAKE, body, format="json")

    refusal = IntakeRefusal.objects.get()
    assert response.status_code == 422
    assert (refusal.source, refusal.cad_incident_number, refusal.refused_by) == (
        "cad_911",
        "LAPD-26-0666",
        dispatcher.user,
    )
    assert refusal.reasons == response.json()["reasons"]
    assert refusal.payload["cad_incident_number"] == "LAPD-26-0666"


def test_call_with_weapon_and_violence_gives_both_reasons(desk, wilshire, team):
    response = desk.post(
        INTAKE,
        intake_body(wilshire, weapon_reported=True, violence_in_progress=True),
        format="json",
    )

    reasons = " ".join(response.json()["reasons"]).lower()
    assert response.status_code == 422
    assert "weapon" in reasons and "violence" in reasons


def test_division_whose_coverage_ended_before_the_call_is_refused(desk, alcott, team):
    division = DivisionFactory(code="OLY")
    CoverageFactory(
        provider=alcott, division=division, starts_on=date(2024, 1, 1), ends_on=date(2026, 6, 30)
    )

    response = desk.post(
        INTAKE, intake_body(division, received_at="2026-11-23T17:02:00Z"), format="json"
    )

    assert response.status_code == 422
    assert "covers" in response.json()["detail"]
    assert IntakeRefusal.objects.count() == 1
    assert not Call.objects.exists()


def test_division_whose_coverage_starts_after_the_call_is_refused(desk, alcott, team):
    division = DivisionFactory(code="OLY")
    CoverageFactory(provider=alcott, division=division, starts_on=date(2026, 12, 1))

    response = desk.post(
        INTAKE, intake_body(division, received_at="2026-11-23T17:02:00Z"), format="json"
    )

    assert response.status_code == 422
    assert "covers" in response.json()["detail"]
    assert IntakeRefusal.objects.count() == 1
    assert not Call.objects.exists()


def test_division_no_provider_ever_covered_is_refused(desk, team):
    division = DivisionFactory(code="SE")

    response = desk.post(INTAKE, intake_body(division), format="json")

    assert response.status_code == 422
    assert IntakeRefusal.objects.get().reasons == response.json()["reasons"]


def test_eligible_call_leaves_no_refusal(desk, wilshire, team, django_capture_on_commit_callbacks):
    post(desk, intake_body(wilshire), django_capture_on_commit_callbacks)

    assert not IntakeRefusal.objects.exists()


# --- bad input --------------------------------------------------------------------------------


BAD_FIELDS = {
    "source": "fax",
    "received_at": "yesterday afternoon",
    "priority": 9,
    "latitude": "123.000000",
    "longitude": "-200.000000",
    "safety_flags": "dog_on_premises",
    "weapon_reported": "perhaps",
}


@pytest.mark.parametrize("field", BAD_FIELDS)
def test_bad_field_is_400_naming_it(desk, wilshire, team, field):
    response = desk.post(INTAKE, intake_body(wilshire, **{field: BAD_FIELDS[field]}), format="json")

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "field", ["source", "cad_incident_number", "received_at", "call_type", "division", "address"]
)
def test_missing_required_field_is_400_naming_it(desk, wilshire, team, field):
    body = intake_body(wilshire)
    del body[field]

    response = desk.post(INTAKE, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_bad_input_creates_neither_call_nor_refusal(desk, wilshire, team):
    response = desk.post(
        INTAKE, intake_body(wilshire, received_at="not a time", latitude="95"), format="json"
    )

    assert set(response.json()) >= {"received_at", "latitude"}
    assert not Call.objects.exists()
    assert not IntakeRefusal.objects.exists()


def test_unknown_safety_flag_is_400_naming_it(desk, wilshire, team):
    response = desk.post(INTAKE, intake_body(wilshire, safety_flags=["dgo"]), format="json")

    assert response.status_code == 400
    assert "safety_flags" in response.json()


def test_unknown_division_code_is_400_naming_it(desk, team):
    response = desk.post(INTAKE, intake_body("NOPE"), format="json")

    assert response.status_code == 400
    assert "division" in response.json()
