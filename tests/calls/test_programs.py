"""Several programs in one deployment: intake by program (named, or matched by source and
type), each program's refusal reasons, routing within a program's coverage, and the desk's
move of a call to another program.

The world: the demo's three programs (tests/factories.ProgramFactory reads demo/data.py).
UMCR covers Wilshire (WIL) through Alcott; the outreach program ("circle") covers Hollywood
(HWD) through Exodus, and Wilshire through Alcott too; the transport program covers both
through Penny Lane. Each program has one team on shift per provider it works through.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.choices import CallSource, CallStatus, CallType, EventKind
from calls.models import Call, IntakeRefusal, ProgramMove
from tests.calls.routing_helpers import INTAKE, assign_url, client_for, intake_body
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    CoverageFactory,
    DispatcherFactory,
    DivisionFactory,
    ProgramFactory,
    ProviderFactory,
    ShiftFactory,
    StatusEventFactory,
    SupervisorFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


class City:
    def __init__(self):
        self.umcr = ProgramFactory(slug="umcr")
        self.circle = ProgramFactory(slug="circle")
        self.transport = ProgramFactory(slug="transport")
        self.alcott = ProviderFactory(slug="alcott")
        self.exodus = ProviderFactory(slug="exodus")
        self.pennylane = ProviderFactory(slug="pennylane")
        self.wil = DivisionFactory(name="Wilshire", code="WIL")
        self.hwd = DivisionFactory(name="Hollywood", code="HWD")
        start = date(2024, 1, 1)
        for program, provider, division in [
            (self.umcr, self.alcott, self.wil),
            (self.circle, self.exodus, self.hwd),
            (self.circle, self.alcott, self.wil),
            (self.transport, self.pennylane, self.wil),
            (self.transport, self.pennylane, self.hwd),
        ]:
            CoverageFactory(program=program, provider=provider, division=division, starts_on=start)
        self.umcr_team = self.team(self.umcr, self.alcott, "ALCOTT-1")
        self.alcott_outreach = self.team(self.circle, self.alcott, "ALCOTT-C1")
        self.exodus_outreach = self.team(self.circle, self.exodus, "EXODUS-C1")
        self.van = self.team(self.transport, self.pennylane, "VAN-1")
        self.desk = DispatcherFactory()

    @staticmethod
    def team(program, provider, call_sign):
        team = TeamFactory(program=program, provider=provider, call_sign=call_sign)
        ShiftFactory(team=team)
        ClinicianFactory(team=team)
        return team


@pytest.fixture
def city():
    return City()


@pytest.fixture
def desk(city):
    return client_for(city.desk)


def program_url(call) -> str:
    return f"/api/v1/calls/{call.pk}/program/"


# --- intake by program ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "call_type", "division", "program", "team"),
    [
        # LAPD 911 diversion of a welfare check in Wilshire: UMCR is tried first and takes it.
        (CallSource.CAD_911, CallType.WELFARE_CHECK, "WIL", "umcr", "ALCOTT-1"),
        # The same in Hollywood, which UMCR does not cover: the outreach program's.
        (CallSource.CAD_911, CallType.HOMELESSNESS, "HWD", "circle", "EXODUS-C1"),
        # The Fire Department's tiered dispatch sends a transport: only the vans take it.
        (CallSource.FIRE_TIERED, CallType.TRANSPORT, "WIL", "transport", "VAN-1"),
        # The 988 line passes on a crisis: UMCR takes no 988 calls, the transport program does.
        (CallSource.LINE_988, CallType.MENTAL_HEALTH_CRISIS, "HWD", "transport", "VAN-1"),
        # Someone asks for outreach directly: a self-referral only the outreach program takes.
        (CallSource.SELF_REFERRAL, CallType.HOMELESSNESS, "WIL", "circle", "ALCOTT-C1"),
    ],
)
def test_a_call_from_each_source_lands_in_the_program_that_takes_it(
    city, desk, source, call_type, division, program, team
):
    response = desk.post(
        INTAKE, intake_body(division, source=source, call_type=call_type), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["program"], body["team"]) == (program, team)
    call = Call.objects.get(pk=body["call"]["id"])
    assert (call.program.slug, call.team.call_sign) == (program, team)


def test_a_call_that_names_its_program_goes_there_even_if_another_comes_first(city, desk):
    response = desk.post(INTAKE, intake_body("WIL", program="circle"), format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["program"], response.json()["team"]) == ("circle", "ALCOTT-C1")


def test_a_call_no_program_takes_is_refused_with_each_programs_reasons(city, desk):
    body = intake_body("WIL", weapon_reported=True, safety_flags=["weapon_mentioned"])

    response = desk.post(INTAKE, body, format="json")

    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "not_eligible"
    assert answer["programs"] == {
        "umcr": ["A weapon was reported: send police."],
        "circle": [
            "A weapon was reported: send police.",
            "It does not go out on: weapon_mentioned.",
        ],
        "transport": [
            "It takes no calls from 911 via CAD.",
            "'welfare_check' is not a call type it takes (transport, mental_health_crisis).",
            "A weapon was reported: send police.",
        ],
    }
    assert (
        "Street Outreach Response: It does not go out on: weapon_mentioned." in (answer["reasons"])
    )
    refusal = IntakeRefusal.objects.get(cad_incident_number=body["cad_incident_number"])
    assert refusal.reasons == answer["reasons"]
    assert not Call.objects.filter(cad_incident_number=body["cad_incident_number"]).exists()


def test_a_program_named_for_a_division_it_does_not_cover_is_refused_not_rerouted(city, desk):
    # UMCR covers Wilshire only; another program covering Hollywood does not make it UMCR's.
    response = desk.post(INTAKE, intake_body("HWD", program="umcr"), format="json")

    assert response.status_code == 422
    assert response.json()["programs"] == {
        "umcr": ["No provider covers Hollywood for it at that time."]
    }
    assert not Call.objects.exists()
    assert IntakeRefusal.objects.get().payload["program"] == "umcr"


def test_an_unknown_or_inactive_program_is_a_400_naming_the_field(city, desk):
    city.transport.is_active = False
    city.transport.save()

    for slug in ("nope", "transport"):
        response = desk.post(INTAKE, intake_body("WIL", program=slug), format="json")

        assert response.status_code == 400
        assert "program" in response.json()


def test_routing_stays_within_the_programs_teams(city, desk):
    # Alcott's UMCR pair is free; its outreach team is busy. An outreach call still goes to
    # the outreach team: a team never works another program's call.
    CallFactory(team=city.alcott_outreach, division=city.wil)

    response = desk.post(INTAKE, intake_body("WIL", program="circle"), format="json")

    assert response.json()["team"] == "ALCOTT-C1"


def test_with_no_team_of_the_program_on_shift_the_call_waits_rather_than_cross(city, desk):
    city.alcott_outreach.shifts.all().delete()

    response = desk.post(INTAKE, intake_body("WIL", program="circle"), format="json")

    assert response.status_code == 201
    assert (response.json()["program"], response.json()["team"]) == ("circle", None)
    assert response.json()["provider"] == "alcott"


def test_a_team_of_another_program_cannot_be_assigned_by_hand(city, desk):
    call = CallFactory(team=city.umcr_team, division=city.wil)

    response = desk.post(assign_url(call), {"team": "ALCOTT-C1"}, format="json")

    assert response.status_code == 400
    assert response.json()["team"] == ["The team works for another program than the call's."]
    call.refresh_from_db()
    assert call.team == city.umcr_team


# --- the desk moves a call to another program ---------------------------------------------------


def dispatched_call(city):
    call = CallFactory(team=city.umcr_team, division=city.wil, call_type=CallType.HOMELESSNESS)
    StatusEventFactory(call=call, kind=EventKind.DISPATCHED)
    call.refresh_from_db()
    return call


def test_the_desk_moves_a_call_to_another_program_in_one_action(city, desk):
    call = dispatched_call(city)

    response = desk.post(
        program_url(call), {"program": "circle", "reason": "Sleeping rough."}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["program"], response.json()["team"]) == ("circle", "ALCOTT-C1")
    call.refresh_from_db()
    assert (call.program, call.team, call.status) == (
        city.circle,
        city.alcott_outreach,
        CallStatus.DISPATCHED,
    )
    move = ProgramMove.objects.get(call=call)
    assert (move.from_program, move.to_program, move.reason, move.moved_by) == (
        city.umcr,
        city.circle,
        "Sleeping rough.",
        city.desk.user,
    )


def test_a_move_to_a_program_that_does_not_take_the_call_is_refused_with_its_reasons(city, desk):
    call = dispatched_call(city)

    response = desk.post(program_url(call), {"program": "transport"}, format="json")

    assert response.status_code == 422
    assert response.json()["programs"] == {
        "transport": [
            "'homelessness' is not a call type it takes (transport, mental_health_crisis)."
        ]
    }
    call.refresh_from_db()
    assert call.program == city.umcr
    assert not ProgramMove.objects.exists()


def test_a_call_with_its_team_on_scene_does_not_move(city, desk):
    call = dispatched_call(city)
    StatusEventFactory(call=call, kind=EventKind.ON_SCENE)
    Call.objects.filter(pk=call.pk).update(status=CallStatus.ON_SCENE)

    response = desk.post(program_url(call), {"program": "circle"}, format="json")

    assert response.status_code == 409
    assert "on_scene" in response.json()["detail"]


def test_a_call_a_team_is_on_stays_with_it_when_the_new_program_has_nobody_on_shift(city, desk):
    call = dispatched_call(city)
    city.alcott_outreach.shifts.all().delete()

    response = desk.post(program_url(call), {"program": "circle"}, format="json")

    assert response.status_code == 409
    assert "stays with ALCOTT-1" in response.json()["detail"]
    call.refresh_from_db()
    assert (call.program, call.team) == (city.umcr, city.umcr_team)
    assert not ProgramMove.objects.exists()  # the whole move rolled back


@pytest.mark.parametrize("role", ["supervisor", "clinician"])
def test_only_the_desk_moves_calls_between_programs(city, role):
    call = dispatched_call(city)
    actor = (
        SupervisorFactory(provider=city.alcott)
        if role == "supervisor"
        else city.umcr_team.members.first()
    )

    response = client_for(actor).post(program_url(call), {"program": "circle"}, format="json")

    assert response.status_code == 403
    call.refresh_from_db()
    assert call.program == city.umcr


# --- the programs list ------------------------------------------------------------------------


def test_the_programs_list_gives_each_programs_rules_in_intake_order_in_one_query(city, desk):
    with CaptureQueriesContext(connection) as queries:
        response = desk.get("/api/v1/programs/")

    assert response.status_code == 200
    assert [p["slug"] for p in response.json()] == ["umcr", "circle", "transport"]
    transport = response.json()[2]
    assert transport["sources"] == ["fire_tiered", "line_988"]
    assert (transport["team_makeup"], transport["transports"]) == ("van_crew", True)
    # The token (with the user and responder) and the programs.
    assert len(queries) == 2


# --- the call's program history in its detail ---------------------------------------------------


def detail_queries(client, call) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/calls/{call.pk}/")
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/calls/").status_code == 200
    return len(queries)


def test_the_calls_detail_shows_its_program_history_in_a_fixed_number_of_queries(city, desk):
    call = dispatched_call(city)
    desk.post(program_url(call), {"program": "circle", "reason": "Sleeping rough."}, format="json")
    _, after_one = detail_queries(desk, call)
    listed_before = list_queries(desk)

    back = desk.post(
        program_url(call), {"program": "umcr", "reason": "In crisis after all."}, format="json"
    )
    body, after_two = detail_queries(desk, call)

    assert back.status_code == 200, back.json()
    moves = body["program_moves"]
    assert [(m["from_program"], m["to_program"], m["reason"], m["moved_by"]) for m in moves] == [
        ("umcr", "circle", "Sleeping rough.", city.desk.user.username),
        ("circle", "umcr", "In crisis after all.", city.desk.user.username),
    ]
    assert moves[0]["moved_at"] <= moves[1]["moved_at"]
    assert after_two == after_one
    assert list_queries(desk) == listed_before


def test_a_call_never_moved_has_an_empty_program_history(city, desk):
    call = dispatched_call(city)

    body, _ = detail_queries(desk, call)

    assert body["program_moves"] == []
