"""Transport as a first-class step: a van crew takes a client from the scene to care, with
consent or on a hold; a destination that refuses is kept with its reason and the crew drives
on; the hand-off names who took the client over. Figures count transports and the time to
hand-off, by program.

Penny Lane runs the transport program's van VAN-1 in Wilshire; Alcott runs a UMCR pair there.
"""

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.choices import CallType, Disposition
from referrals.choices import ServiceCategory
from tests.calls.routing_helpers import METRICS, client_for, local, timed_call
from tests.factories import (
    CaseManagerFactory,
    ClinicianFactory,
    CoverageFactory,
    DispatcherFactory,
    DivisionFactory,
    ProgramFactory,
    ProviderFactory,
    ServiceFactory,
    TeamFactory,
)
from transports.choices import TransportStatus
from transports.models import DestinationRefusal, Transport

pytestmark = pytest.mark.django_db

TRANSPORTS = "/api/v1/transports/"


@pytest.fixture
def wil():
    return DivisionFactory(name="Wilshire", code="WIL")


@pytest.fixture
def van(wil):
    pennylane = ProviderFactory(slug="pennylane")
    program = ProgramFactory(slug="transport")
    CoverageFactory(program=program, provider=pennylane, division=wil, starts_on=date(2024, 1, 1))
    return TeamFactory(program=program, provider=pennylane, call_sign="VAN-1")


@pytest.fixture
def crew(van):
    return ClinicianFactory(team=van)


@pytest.fixture
def csu():
    return ServiceFactory(name="Eastside CSU", category=ServiceCategory.CRISIS_STABILIZATION)


@pytest.fixture
def sobering():
    return ServiceFactory(name="Downtown Sobering", category=ServiceCategory.SOBERING_CENTER)


def on_scene_call(team, division, **fields):
    now = timezone.now()
    return timed_call(
        team=team,
        division=division,
        received_at=now - timedelta(minutes=40),
        response=10,
        cleared=False,
        call_type=CallType.TRANSPORT,
        **fields,
    )


def minutes_ago(minutes: float) -> str:
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


def start_body(call, destination, **overrides) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "call": str(call.pk),
        "destination": destination.pk,
        "departed_at": minutes_ago(25),
        "consent_given": True,
        "consent_method": "verbal",
    }
    body.update(overrides)
    return body


def test_a_transport_from_consent_to_hand_off_with_a_refusing_destination_on_the_way(
    van, crew, wil, csu, sobering
):
    call = on_scene_call(van, wil)
    phone = client_for(crew)

    started = phone.post(TRANSPORTS, start_body(call, csu), format="json")
    assert started.status_code == 201, started.json()
    ride = started.json()["id"]
    assert (started.json()["status"], started.json()["destination_name"]) == (
        "under_way",
        "Eastside CSU",
    )

    assert (
        phone.post(
            f"{TRANSPORTS}{ride}/arrived/", {"arrived_at": minutes_ago(15)}, format="json"
        ).status_code
        == 200
    )
    refused = phone.post(
        f"{TRANSPORTS}{ride}/refused/",
        {
            "reason": "No beds until morning.",
            "next_destination": sobering.pk,
            "refused_at": minutes_ago(14),
        },
        format="json",
    )
    assert refused.status_code == 200, refused.json()
    assert refused.json()["status"] == "under_way"
    assert refused.json()["refusals"][0]["destination_name"] == "Eastside CSU"
    phone.post(f"{TRANSPORTS}{ride}/arrived/", {"arrived_at": minutes_ago(6)}, format="json")
    handed = phone.post(
        f"{TRANSPORTS}{ride}/handed_off/",
        {"handed_off_at": minutes_ago(2), "received_by": "J. Ortiz, RN"},
        format="json",
    )

    assert handed.status_code == 200, handed.json()
    transport = Transport.objects.get(pk=ride)
    assert (transport.status, transport.destination, transport.received_by) == (
        TransportStatus.HANDED_OFF,
        sobering,
        "J. Ortiz, RN",
    )
    refusal = DestinationRefusal.objects.get(transport=transport)
    assert (refusal.service, refusal.reason) == (csu, "No beds until morning.")


def test_the_same_ride_sent_twice_is_stored_once(van, crew, wil, csu):
    call = on_scene_call(van, wil)
    phone = client_for(crew)
    body = start_body(call, csu)

    first, again = (phone.post(TRANSPORTS, body, format="json") for _ in range(2))

    assert (first.status_code, again.status_code) == (201, 200)
    assert Transport.objects.count() == 1


def test_no_consent_and_no_hold_is_a_400_naming_the_field(van, crew, wil, csu):
    call = on_scene_call(van, wil)

    response = client_for(crew).post(
        TRANSPORTS, start_body(call, csu, consent_given=False), format="json"
    )

    assert response.status_code == 400
    assert "consent_given" in response.json()
    assert not Transport.objects.exists()


def test_a_client_on_a_hold_is_transported_without_consent(van, crew, wil, csu):
    call = on_scene_call(van, wil)

    response = client_for(crew).post(
        TRANSPORTS,
        start_body(call, csu, on_hold=True, consent_given=False, consent_method=""),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["on_hold"] is True


def test_a_program_that_does_not_transport_gets_a_409(wil, csu):
    team = TeamFactory(call_sign="ALCOTT-1")  # UMCR's
    call = on_scene_call(team, wil)
    clinician = ClinicianFactory(team=team)

    response = client_for(clinician).post(TRANSPORTS, start_body(call, csu), format="json")

    assert response.status_code == 409
    assert "does not transport" in response.json()["detail"]


def test_a_destination_outside_the_places_of_care_is_a_400(van, crew, wil):
    food_bank = ServiceFactory(category=ServiceCategory.FOOD)
    call = on_scene_call(van, wil)

    response = client_for(crew).post(TRANSPORTS, start_body(call, food_bank), format="json")

    assert response.status_code == 400
    assert "destination" in response.json()


def test_a_hand_off_before_arrival_is_a_409_and_naming_nobody_a_400(van, crew, wil, csu):
    call = on_scene_call(van, wil)
    phone = client_for(crew)
    ride = phone.post(TRANSPORTS, start_body(call, csu), format="json").json()["id"]

    early = phone.post(
        f"{TRANSPORTS}{ride}/handed_off/",
        {"handed_off_at": minutes_ago(2), "received_by": "J. Ortiz"},
        format="json",
    )
    phone.post(f"{TRANSPORTS}{ride}/arrived/", {"arrived_at": minutes_ago(5)}, format="json")
    nobody = phone.post(
        f"{TRANSPORTS}{ride}/handed_off/",
        {"handed_off_at": minutes_ago(2), "received_by": "  "},
        format="json",
    )

    assert early.status_code == 409
    assert nobody.status_code == 400
    assert "received_by" in nobody.json()


def test_another_team_and_the_desk_do_not_reach_the_ride(van, crew, wil, csu):
    call = on_scene_call(van, wil)
    ride = client_for(crew).post(TRANSPORTS, start_body(call, csu), format="json").json()["id"]
    stranger = ClinicianFactory(team=TeamFactory(call_sign="OTHER-1"))

    assert client_for(stranger).get(f"{TRANSPORTS}{ride}/").status_code == 404
    assert client_for(DispatcherFactory()).get(f"{TRANSPORTS}{ride}/").status_code in (403, 404)
    staff = client_for(CaseManagerFactory(provider=van.provider))
    assert staff.get(f"{TRANSPORTS}{ride}/").status_code == 200


def test_the_list_costs_the_same_queries_for_one_ride_or_five(van, crew, wil, csu, sobering):
    phone = client_for(crew)

    def listed_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert phone.get(TRANSPORTS).status_code == 200
        return len(queries)

    call = on_scene_call(van, wil)
    ride = phone.post(TRANSPORTS, start_body(call, csu), format="json").json()["id"]
    phone.post(
        f"{TRANSPORTS}{ride}/refused/",
        {"reason": "Full.", "next_destination": sobering.pk, "refused_at": minutes_ago(1)},
        format="json",
    )
    one = listed_queries()
    for _ in range(4):
        Transport.objects.create(
            call=on_scene_call(van, wil),
            provider=van.provider,
            team=van,
            destination=csu,
            consent_given=True,
            consent_method="verbal",
            departed_at=timezone.now(),
        )

    assert listed_queries() == one


# --- figures ----------------------------------------------------------------------------------


def test_transport_figures_by_program_add_up(van, wil, csu):
    umcr_team = TeamFactory(call_sign="ALCOTT-1")
    march = local(2025, 3, 3, 9)
    # A UMCR call treated and released on site; two van calls, one handed off after 30 min.
    timed_call(team=umcr_team, division=wil, received_at=march, response=10, on_scene=20)
    for minutes in (30, None):
        call = timed_call(
            team=van,
            division=wil,
            received_at=march,
            response=10,
            on_scene=60,
            call_type=CallType.TRANSPORT,
            disposition=Disposition.TRANSPORTED_VOLUNTARILY,
        )
        departed = march + timedelta(minutes=20)
        Transport.objects.create(
            call=call,
            provider=van.provider,
            team=van,
            destination=csu,
            consent_given=True,
            consent_method="verbal",
            departed_at=departed,
            status=TransportStatus.HANDED_OFF if minutes else TransportStatus.UNDER_WAY,
            handed_off_at=departed + timedelta(minutes=minutes) if minutes else None,
            received_by="Charge nurse" if minutes else "",
        )
    desk = client_for(DispatcherFactory())

    body = desk.get(METRICS, {"from": "2025-03-01", "to": "2025-03-31", "by": "program"}).json()

    rows = {row["group"]: row for row in body["rows"]}
    assert (rows["transport"]["transports"], rows["transport"]["transports_handed_off"]) == (2, 1)
    assert rows["transport"]["handoff_minutes"] == {"mean": 30.0, "median": 30.0, "p90": 30.0}
    assert (rows["umcr"]["transports"], rows["umcr"]["treated_on_site"]) == (0, 1)
    assert body["total"]["transports"] == 2
    assert body["total"]["treated_on_site"] == 1
    assert body["total"]["handoff_minutes"]["median"] == 30.0
