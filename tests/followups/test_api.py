"""The follow-ups API: scheduling (POST /api/v1/followups/), every move of a follow-up's
lifecycle (complete, missed, cancel, reschedule, assign) and the 409 of a closed one, the
case manager's queues and filters (GET /api/v1/followups/), who may see what, bad input,
and a list whose query count does not grow with the data.

Two providers, Alcott (division WIL) and Exodus (division SE), each with a pair of
clinicians, a case manager and a supervisor.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from followups.choices import FollowUpKind, FollowUpStatus
from followups.models import FollowUp, FollowUpChange
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    DivisionFactory,
    FollowUpFactory,
    PersonFactory,
    TeamFactory,
)
from tests.followups.helpers import (
    CLOSED_FOLLOWUP_STATUSES,
    FOLLOWUP_MOVES,
    FOLLOWUPS,
    api_as,
    closed_followup,
    followup_body,
    followup_url,
    hours_from_now,
    ids,
    iso,
    local_midnight_tonight,
    provider_staff,
    same_instant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


@pytest.fixture
def exodus():
    return provider_staff("Exodus", "SE")


def open_followup(staff, **fields) -> FollowUp:
    """A scheduled follow-up of the staff's call, with its first history row, as the
    service writes it."""
    followup = FollowUpFactory(call=staff.call, person=staff.person, **fields)
    FollowUpChange.objects.create(
        followup=followup, from_status="", to_status=followup.status, changed_by=staff.clinician
    )
    return followup


def move_body(move: str, staff) -> dict:
    """A valid body for each move endpoint."""
    if move == "complete":
        return {"outcome": "Found her at the shelter; she kept the bed."}
    if move == "reschedule":
        opens = hours_from_now(72)
        return {"not_before": iso(opens), "due_by": iso(opens + timedelta(days=1))}
    if move == "assign":
        return {"assigned_to": staff.case_manager.pk}
    return {"note": "Nobody at the address."}


# --- scheduling -----------------------------------------------------------------------------


def test_clinician_schedules_a_follow_up_of_a_call_for_their_own_pair(alcott):
    body = followup_body(call=alcott.call.pk)

    response = api_as(alcott.clinician).post(FOLLOWUPS, body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert data["id"] == body["id"]
    assert data["status"] == "scheduled"
    assert data["assigned_team"] == alcott.team.pk
    assert data["person"] == str(alcott.person.pk)
    assert data["division"] == "WIL"
    assert [(h["from_status"], h["to_status"], h["changed_by"]) for h in data["history"]] == [
        ("", "scheduled", "alcott-clinician")
    ]
    stored = FollowUp.objects.get(pk=body["id"])
    assert (stored.provider, stored.created_by, stored.call) == (
        alcott.provider,
        alcott.clinician,
        alcott.call,
    )


def test_scheduling_the_same_id_again_returns_the_stored_follow_up(alcott):
    client = api_as(alcott.clinician)
    body = followup_body(call=alcott.call.pk)
    client.post(FOLLOWUPS, body, format="json")

    again = client.post(FOLLOWUPS, {**body, "purpose": "A retry after a lost response"}, "json")

    assert again.status_code == 200
    assert again.json()["purpose"] == "See whether the shelter bed worked out."
    assert FollowUp.objects.filter(pk=body["id"]).count() == 1
    assert FollowUpChange.objects.filter(followup_id=body["id"]).count() == 1


def test_scheduling_with_the_id_of_another_providers_follow_up_is_409_and_reveals_nothing(
    alcott, exodus
):
    theirs = open_followup(exodus, purpose="Check on the eviction notice.")

    response = api_as(alcott.clinician).post(
        FOLLOWUPS, followup_body(id=str(theirs.pk), call=alcott.call.pk), format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "id_taken"
    assert "eviction" not in response.content.decode()
    assert exodus.person.family_name not in response.content.decode()


@pytest.mark.parametrize("move", ["complete", "cancel"])
def test_a_malformed_follow_up_id_in_a_move_url_is_404(alcott, move):
    response = api_as(alcott.case_manager).post(
        f"{FOLLOWUPS}000000000000000000000000000000000000/{move}/",
        move_body(move, alcott),
        format="json",
    )

    assert response.status_code == 404
    assert response.json()["detail"]


def test_an_upper_case_follow_up_id_finds_the_follow_up(alcott):
    followup = open_followup(alcott)

    response = api_as(alcott.case_manager).get(followup_url(str(followup.pk).upper()))

    assert response.status_code == 200
    assert response.json()["id"] == str(followup.pk)


def test_case_manager_schedules_a_phone_call_with_a_person_for_themselves(alcott):
    body = followup_body(
        person=alcott.person.pk, kind="phone_call", assigned_to=alcott.case_manager.pk
    )

    response = api_as(alcott.case_manager).post(FOLLOWUPS, body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert (data["kind"], data["call"], data["assigned_team"]) == ("phone_call", None, None)
    assert data["assigned_to_username"] == "alcott-case-manager"
    assert FollowUp.objects.get(pk=body["id"]).assigned_to == alcott.case_manager


def test_dispatcher_may_not_schedule_a_follow_up(alcott):
    body = followup_body(call=alcott.call.pk)

    response = api_as(DispatcherFactory()).post(FOLLOWUPS, body, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    assert not FollowUp.objects.filter(pk=body["id"]).exists()


def test_scheduling_on_another_providers_call_is_400_and_creates_nothing(alcott, exodus):
    body = followup_body(call=exodus.call.pk)

    response = api_as(alcott.case_manager).post(FOLLOWUPS, body, format="json")

    assert response.status_code == 400
    assert "No such call in your scope." in str(response.json())
    assert not FollowUp.objects.filter(pk=body["id"]).exists()


def test_scheduling_for_another_providers_team_is_400_naming_assigned_team(alcott, exodus):
    body = followup_body(call=alcott.call.pk, assigned_team=exodus.team.pk)

    response = api_as(alcott.case_manager).post(FOLLOWUPS, body, format="json")

    assert response.status_code == 400
    assert "assigned_team" in response.json()
    assert not FollowUp.objects.filter(pk=body["id"]).exists()


# --- the lifecycle ----------------------------------------------------------------------------


def test_completing_records_the_outcome_and_closes_the_follow_up(alcott):
    followup = open_followup(alcott)

    response = api_as(alcott.clinician).post(
        followup_url(followup, "complete/"), {"outcome": "She kept the bed."}, format="json"
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["outcome"]) == ("completed", "She kept the bed.")
    assert data["closed_at"] is not None
    assert data["history"][-1]["from_status"] == "scheduled"
    assert data["history"][-1]["to_status"] == "completed"
    assert data["history"][-1]["changed_by"] == "alcott-clinician"
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.COMPLETED
    assert followup.closed_at is not None


def test_completing_with_next_schedules_the_next_follow_up_linked_to_it(alcott):
    followup = open_followup(alcott)
    opens = hours_from_now(7 * 24)
    body = {
        "outcome": "Bed kept; wants help with benefits.",
        "next": {"kind": "phone_call", "not_before": iso(opens), "due_by": iso(opens)},
    }

    response = api_as(alcott.clinician).post(followup_url(followup, "complete/"), body, "json")

    assert response.status_code == 200
    followup.refresh_from_db()
    following = followup.next_followup
    assert following is not None
    assert response.json()["next_followup"] == str(following.pk)
    assert following.status == FollowUpStatus.SCHEDULED
    assert (following.kind, following.not_before, following.due_by) == ("phone_call", opens, opens)
    assert (following.person, following.call, following.assigned_team) == (
        alcott.person,
        alcott.call,
        alcott.team,
    )
    assert following.purpose == followup.purpose
    assert following.changes.get().to_status == "scheduled"


def test_completing_again_with_next_is_a_retry_and_schedules_nothing_more(alcott):
    followup = open_followup(alcott)
    opens = hours_from_now(7 * 24)
    body = {
        "outcome": "Bed kept.",
        "next": {"kind": "visit", "not_before": iso(opens), "due_by": iso(opens)},
    }
    client = api_as(alcott.clinician)
    first = client.post(followup_url(followup, "complete/"), body, "json")

    again = client.post(followup_url(followup, "complete/"), body, "json")

    assert again.status_code == 200
    assert again.json()["next_followup"] == first.json()["next_followup"]
    assert FollowUp.objects.count() == 2
    assert followup.changes.count() == 2


def test_pair_a_follow_up_was_handed_to_completes_it_with_next(alcott):
    visitors = ClinicianFactory(provider=alcott.provider)
    followup = open_followup(alcott, assigned_team=visitors.team)
    opens = hours_from_now(7 * 24)
    body = {
        "outcome": "Bed kept.",
        "next": {"kind": "visit", "not_before": iso(opens), "due_by": iso(opens)},
    }

    response = api_as(visitors).post(followup_url(followup, "complete/"), body, "json")

    assert response.status_code == 200
    followup.refresh_from_db()
    assert followup.next_followup.assigned_team == visitors.team


def test_marking_missed_closes_it_with_the_note_in_history(alcott):
    followup = open_followup(alcott)

    response = api_as(alcott.case_manager).post(
        followup_url(followup, "missed/"), {"note": "Tent gone from the corner."}, "json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "missed"
    last = response.json()["history"][-1]
    assert (last["from_status"], last["to_status"], last["note"], last["changed_by"]) == (
        "scheduled",
        "missed",
        "Tent gone from the corner.",
        "alcott-case-manager",
    )
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUpStatus.MISSED


def test_cancelling_closes_it_with_the_note_in_history(alcott):
    followup = open_followup(alcott)

    response = api_as(alcott.case_manager).post(
        followup_url(followup, "cancel/"), {"note": "Moved in with her sister."}, "json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["history"][-1]["note"] == "Moved in with her sister."
    stored = FollowUp.objects.get(pk=followup.pk)
    assert stored.status == FollowUpStatus.CANCELLED
    assert stored.closed_at is not None


def test_rescheduling_keeps_it_scheduled_and_the_old_window_in_history(alcott):
    followup = open_followup(alcott)
    old_start, old_end = followup.not_before, followup.due_by
    opens = hours_from_now(96)

    response = api_as(alcott.clinician).post(
        followup_url(followup, "reschedule/"),
        {"not_before": iso(opens), "due_by": iso(opens + timedelta(hours=6)), "note": "Court"},
        "json",
    )

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "scheduled"
    assert same_instant(data["not_before"], opens)
    last = data["history"][-1]
    assert (last["from_status"], last["to_status"], last["note"]) == (
        "scheduled",
        "scheduled",
        "Court",
    )
    assert same_instant(last["old_not_before"], old_start)
    assert same_instant(last["old_due_by"], old_end)
    followup.refresh_from_db()
    assert (followup.not_before, followup.due_by) == (opens, opens + timedelta(hours=6))


def test_assigning_to_a_case_manager_takes_it_from_the_pair(alcott):
    followup = open_followup(alcott)

    response = api_as(alcott.supervisor).post(
        followup_url(followup, "assign/"), {"assigned_to": alcott.case_manager.pk}, "json"
    )

    assert response.status_code == 200
    assert (response.json()["assigned_team"], response.json()["assigned_to"]) == (
        None,
        alcott.case_manager.pk,
    )
    followup.refresh_from_db()
    assert (followup.assigned_team, followup.assigned_to) == (None, alcott.case_manager)


def test_assigning_to_another_team_of_the_provider_hands_it_over(alcott):
    followup = open_followup(alcott)
    other_team = TeamFactory(provider=alcott.provider)

    response = api_as(alcott.case_manager).post(
        followup_url(followup, "assign/"), {"assigned_team": other_team.pk}, "json"
    )

    assert response.status_code == 200
    assert FollowUp.objects.get(pk=followup.pk).assigned_team == other_team


def test_handing_a_follow_up_over_is_written_to_its_history(alcott):
    followup = open_followup(alcott)

    response = api_as(alcott.supervisor).post(
        followup_url(followup, "assign/"), {"assigned_to": alcott.case_manager.pk}, "json"
    )

    last = response.json()["history"][-1]
    assert (last["from_status"], last["to_status"]) == ("scheduled", "scheduled")
    assert last["note"] == f"Handed from {alcott.team.call_sign} to {alcott.case_manager}."
    assert FollowUpChange.objects.filter(followup=followup).count() == 2


def test_assigning_to_whoever_has_it_already_changes_nothing(alcott):
    followup = open_followup(alcott)

    response = api_as(alcott.supervisor).post(
        followup_url(followup, "assign/"), {"assigned_team": alcott.team.pk}, "json"
    )

    assert response.status_code == 200
    assert FollowUpChange.objects.filter(followup=followup).count() == 1


def test_assigning_to_another_providers_case_manager_is_400(alcott, exodus):
    followup = open_followup(alcott)

    response = api_as(alcott.case_manager).post(
        followup_url(followup, "assign/"), {"assigned_to": exodus.case_manager.pk}, "json"
    )

    assert response.status_code == 400
    assert "assigned_to" in response.json()
    assert FollowUp.objects.get(pk=followup.pk).assigned_team == alcott.team


def test_assigning_to_nobody_is_400_naming_assigned_team(alcott):
    followup = open_followup(alcott)

    response = api_as(alcott.case_manager).post(followup_url(followup, "assign/"), {}, "json")

    assert response.status_code == 400
    assert "assigned_team" in response.json()


# --- moves a follow-up's state does not allow -----------------------------------------------


MOVE_TARGET = {"complete": "completed", "missed": "missed", "cancel": "cancelled"}
ILLEGAL_MOVES_OF_CLOSED = [
    (status, move)
    for status in CLOSED_FOLLOWUP_STATUSES
    for move in ("complete", "missed", "cancel", "reschedule")
    if MOVE_TARGET.get(move) != status
]


@pytest.mark.parametrize(("status", "move"), ILLEGAL_MOVES_OF_CLOSED)
def test_moving_a_closed_follow_up_is_409_saying_why(alcott, status, move):
    followup = closed_followup(alcott, status)

    response = api_as(alcott.case_manager).post(
        followup_url(followup, f"{move}/"), move_body(move, alcott), "json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"The follow-up is already {status}; it cannot change now.",
        "code": "conflict",
    }
    stored = FollowUp.objects.get(pk=followup.pk)
    assert (stored.status, stored.not_before) == (status, followup.not_before)
    assert not stored.changes.exists()


@pytest.mark.parametrize("move", ["complete", "missed", "cancel"])
def test_repeating_the_move_that_closed_it_is_200_and_changes_nothing(alcott, move):
    followup = closed_followup(alcott, MOVE_TARGET[move])

    response = api_as(alcott.case_manager).post(
        followup_url(followup, f"{move}/"), move_body(move, alcott), "json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == MOVE_TARGET[move]
    assert not FollowUpChange.objects.filter(followup=followup).exists()


@pytest.mark.parametrize("status", CLOSED_FOLLOWUP_STATUSES)
def test_assigning_a_closed_follow_up_is_409(alcott, status):
    followup = closed_followup(alcott, status)

    response = api_as(alcott.case_manager).post(
        followup_url(followup, "assign/"), {"assigned_to": alcott.case_manager.pk}, "json"
    )

    assert response.status_code == 409
    assert FollowUp.objects.get(pk=followup.pk).assigned_to is None


def test_completing_without_an_outcome_is_400_naming_outcome(alcott):
    followup = open_followup(alcott)

    response = api_as(alcott.clinician).post(
        followup_url(followup, "complete/"), {"outcome": "  "}, "json"
    )

    assert response.status_code == 400
    assert "outcome" in response.json()
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUpStatus.SCHEDULED


def test_completing_with_a_next_window_closing_before_it_opens_is_400_and_keeps_it_open(
    alcott,
):
    followup = open_followup(alcott)
    opens = hours_from_now(48)
    body = {
        "outcome": "Bed kept.",
        "next": {"kind": "visit", "not_before": iso(opens), "due_by": iso(opens - timedelta(1))},
    }

    response = api_as(alcott.clinician).post(followup_url(followup, "complete/"), body, "json")

    assert response.status_code == 400
    assert "due_by" in response.json()
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUpStatus.SCHEDULED
    assert FollowUp.objects.count() == 1


def test_completing_with_a_next_of_unknown_kind_is_400_naming_it(alcott):
    followup = open_followup(alcott)
    opens = hours_from_now(48)
    body = {
        "outcome": "Bed kept.",
        "next": {"kind": "telegram", "not_before": iso(opens), "due_by": iso(opens)},
    }

    response = api_as(alcott.clinician).post(followup_url(followup, "complete/"), body, "json")

    assert response.status_code == 400
    assert "kind" in response.json()["next"]
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUpStatus.SCHEDULED


def test_rescheduling_to_a_window_closing_before_it_opens_is_400_naming_due_by(alcott):
    followup = open_followup(alcott)
    opens = hours_from_now(48)

    response = api_as(alcott.clinician).post(
        followup_url(followup, "reschedule/"),
        {"not_before": iso(opens), "due_by": iso(opens - timedelta(hours=1))},
        "json",
    )

    assert response.status_code == 400
    assert "due_by" in response.json()
    assert FollowUp.objects.get(pk=followup.pk).not_before == followup.not_before


# --- bad input when scheduling --------------------------------------------------------------


def without(body: dict, *fields) -> dict:
    return {k: v for k, v in body.items() if k not in fields}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param(lambda b, s: without(b, "kind"), "kind", id="kind-missing"),
        pytest.param(lambda b, s: {**b, "kind": "carrier_pigeon"}, "kind", id="kind-unknown"),
        pytest.param(lambda b, s: without(b, "not_before"), "not_before", id="opens-missing"),
        pytest.param(lambda b, s: {**b, "not_before": "soon"}, "not_before", id="opens-text"),
        pytest.param(
            lambda b, s: {**b, "due_by": "2026-02-30T10:00:00Z"}, "due_by", id="due-no-such-day"
        ),
        pytest.param(
            lambda b, s: {**b, "due_by": iso(hours_from_now(1))}, "due_by", id="due-before-opens"
        ),
        pytest.param(lambda b, s: {**b, "call": "not-a-uuid"}, "call", id="call-not-uuid"),
        pytest.param(lambda b, s: {**b, "person": "12345"}, "person", id="person-not-uuid"),
        pytest.param(lambda b, s: {**b, "id": "not-a-uuid"}, "id", id="id-not-uuid"),
        pytest.param(
            lambda b, s: {**b, "assigned_team": "first"}, "assigned_team", id="team-not-int"
        ),
        pytest.param(
            lambda b, s: {**b, "assigned_to": s.clinician.pk},
            "assigned_to",
            id="assigned-to-a-clinician",
        ),
        pytest.param(
            lambda b, s: {**b, "assigned_team": s.team.pk, "assigned_to": s.case_manager.pk},
            "assigned_to",
            id="team-and-case-manager",
        ),
        pytest.param(lambda b, s: {**b, "purpose": "x" * 5001}, "purpose", id="purpose-long"),
        pytest.param(
            lambda b, s: without(b, "call"),
            "person",
            id="neither-person-nor-call",
        ),
        pytest.param(
            lambda b, s: {**b, "call": str(uuid.uuid4())},
            "call",
            id="call-unknown",
        ),
    ],
)
def test_bad_follow_up_is_400_naming_the_field(alcott, change, field):
    opens = hours_from_now(24)
    body = change(
        followup_body(call=alcott.call.pk, not_before=opens, due_by=opens + timedelta(1)),
        alcott,
    )

    response = api_as(alcott.case_manager).post(FOLLOWUPS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert FollowUp.objects.count() == 0


@pytest.mark.parametrize("move", FOLLOWUP_MOVES)
def test_a_move_on_a_follow_up_id_that_is_not_a_uuid_is_a_json_404(alcott, move):
    response = api_as(alcott.case_manager).post(f"{FOLLOWUPS}not-a-uuid/{move}/", {}, "json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- who sees which follow-ups ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["case_manager", "supervisor", "clinician"])
def test_other_providers_staff_get_404_on_the_follow_up(alcott, exodus, who):
    followup = open_followup(alcott)

    response = api_as(getattr(exodus, who)).get(followup_url(followup))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("who", ["case_manager", "clinician"])
@pytest.mark.parametrize("move", FOLLOWUP_MOVES)
def test_other_providers_staff_get_404_on_every_move(alcott, exodus, who, move):
    followup = open_followup(alcott)

    response = api_as(getattr(exodus, who)).post(
        followup_url(followup, f"{move}/"), move_body(move, exodus), "json"
    )

    assert response.status_code == 404
    stored = FollowUp.objects.get(pk=followup.pk)
    assert (stored.status, stored.assigned_team, stored.not_before) == (
        FollowUpStatus.SCHEDULED,
        alcott.team,
        followup.not_before,
    )
    assert stored.changes.count() == 1


def test_follow_up_list_never_includes_another_providers_rows(alcott, exodus):
    own = open_followup(exodus)
    open_followup(alcott)
    FollowUpFactory(provider=alcott.provider, assigned_team=None)

    response = api_as(exodus.case_manager).get(FOLLOWUPS, {"whose": "provider"})

    assert response.status_code == 200
    assert ids(response.json()) == {str(own.pk)}


def test_dispatcher_lists_no_follow_ups(alcott, exodus):
    open_followup(alcott)
    open_followup(exodus)

    response = api_as(DispatcherFactory()).get(FOLLOWUPS)

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_dispatcher_gets_404_on_a_follow_up(alcott):
    followup = open_followup(alcott)

    response = api_as(DispatcherFactory()).get(followup_url(followup))

    assert response.status_code == 404


def test_clinician_sees_their_pairs_and_their_calls_follow_ups_not_another_pairs(alcott):
    assigned_to_pair = FollowUpFactory(
        call=None, person=alcott.person, provider=alcott.provider, assigned_team=alcott.team
    )
    of_their_call = open_followup(alcott, assigned_team=None, assigned_to=alcott.case_manager)
    other_pair = ClinicianFactory(provider=alcott.provider)
    FollowUpFactory(call=CallFactory(team=other_pair.team))

    response = api_as(alcott.clinician).get(FOLLOWUPS)

    assert ids(response.json()) == {str(assigned_to_pair.pk), str(of_their_call.pk)}


def test_detail_shows_the_whole_history(alcott):
    followup = open_followup(alcott)
    client = api_as(alcott.clinician)
    opens = hours_from_now(30)
    client.post(
        followup_url(followup, "reschedule/"),
        {"not_before": iso(opens), "due_by": iso(opens + timedelta(1))},
        "json",
    )
    client.post(followup_url(followup, "complete/"), {"outcome": "Done."}, "json")

    response = client.get(followup_url(followup))

    assert response.status_code == 200
    assert [(h["from_status"], h["to_status"]) for h in response.json()["history"]] == [
        ("", "scheduled"),
        ("scheduled", "scheduled"),
        ("scheduled", "completed"),
    ]


# --- queues and filters ----------------------------------------------------------------------


@pytest.fixture
def queue_set(alcott, exodus):
    """Follow-ups of Alcott with windows at known places around now and local midnight,
    and two of Exodus that no Alcott queue may show."""
    now = timezone.now()
    midnight = local_midnight_tonight(now)
    day = timedelta(days=1)
    elsewhere = PersonFactory(provider=alcott.provider)
    olympic_call = CallFactory(
        team=alcott.team, division=DivisionFactory(code="OLY"), person=elsewhere
    )

    def make(**fields):
        fields.setdefault("call", alcott.call)
        fields.setdefault("person", alcott.person)
        return FollowUpFactory(**fields)

    FollowUpFactory(provider=exodus.provider, not_before=now - 3 * day, due_by=now - day)
    FollowUpFactory(provider=exodus.provider, assigned_team=None)
    return {
        "overdue": make(not_before=now - 3 * day, due_by=now - timedelta(hours=1)),
        "open_now": make(not_before=now - timedelta(hours=1), due_by=now + 2 * day),
        "opens_tonight_mine": make(
            not_before=now + (midnight - now) / 2,
            due_by=midnight + day,
            assigned_team=None,
            assigned_to=alcott.case_manager,
        ),
        "tomorrow": make(
            not_before=midnight + timedelta(hours=1),
            due_by=midnight + 2 * day,
            kind=FollowUpKind.PHONE_CALL,
        ),
        "unassigned_next_week": make(
            not_before=now + 7 * day,
            due_by=now + 9 * day,
            assigned_team=None,
            call=olympic_call,
            person=elsewhere,
        ),
        "unassigned_overdue": make(not_before=now - 2 * day, due_by=now - day, assigned_team=None),
        "completed": make(
            not_before=now - 3 * day,
            due_by=now - timedelta(hours=1),
            status=FollowUpStatus.COMPLETED,
            closed_at=now,
            outcome="Seen.",
        ),
        "cancelled": make(
            not_before=now + day,
            due_by=now + 2 * day,
            assigned_team=None,
            status=FollowUpStatus.CANCELLED,
            closed_at=now,
        ),
    }


def listed(queue_set, client, params) -> set[str]:
    response = client.get(FOLLOWUPS, params)
    assert response.status_code == 200, response.json()
    names = {str(f.pk): name for name, f in queue_set.items()}
    return {names.get(i, "other provider's") for i in ids(response.json())}


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("overdue", {"overdue", "unassigned_overdue"}),
        ("due_today", {"open_now", "opens_tonight_mine"}),
        ("upcoming", {"tomorrow", "unassigned_next_week"}),
        ("unassigned", {"unassigned_next_week", "unassigned_overdue"}),
    ],
)
def test_queue_lists_exactly_its_follow_ups(queue_set, alcott, queue, expected):
    client = api_as(alcott.case_manager)

    assert listed(queue_set, client, {"queue": queue}) == expected


@pytest.mark.parametrize(
    ("who", "whose", "expected"),
    [
        ("case_manager", "mine", {"opens_tonight_mine"}),
        ("case_manager", "team", set()),
        ("clinician", "team", {"overdue", "open_now", "tomorrow", "completed"}),
        ("clinician", "mine", {"overdue", "open_now", "tomorrow", "completed"}),
        (
            "case_manager",
            "provider",
            {
                "overdue",
                "open_now",
                "opens_tonight_mine",
                "tomorrow",
                "unassigned_next_week",
                "unassigned_overdue",
                "completed",
                "cancelled",
            },
        ),
    ],
)
def test_whose_narrows_the_list_to_mine_my_team_or_the_provider(
    queue_set, alcott, who, whose, expected
):
    client = api_as(getattr(alcott, who))

    assert listed(queue_set, client, {"whose": whose}) == expected


def test_queue_and_whose_combine(queue_set, alcott):
    client = api_as(alcott.clinician)

    assert listed(queue_set, client, {"queue": "due_today", "whose": "team"}) == {"open_now"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"division": "OLY"}, {"unassigned_next_week"}),
        ({"kind": "phone_call"}, {"tomorrow"}),
        ({"status": ["completed", "cancelled"]}, {"completed", "cancelled"}),
        ({"status": "scheduled", "queue": "overdue"}, {"overdue", "unassigned_overdue"}),
    ],
)
def test_filters_narrow_the_list(queue_set, alcott, params, expected):
    client = api_as(alcott.case_manager)

    assert listed(queue_set, client, params) == expected


def test_division_filter_keeps_the_follow_ups_of_calls_in_that_division(queue_set, alcott):
    client = api_as(alcott.case_manager)

    assert listed(queue_set, client, {"division": "WIL"}) == set(queue_set) - {
        "unassigned_next_week"
    }


def test_person_filter_keeps_that_persons_follow_ups(queue_set, alcott):
    person = queue_set["unassigned_next_week"].person_id

    assert listed(queue_set, api_as(alcott.case_manager), {"person": str(person)}) == {
        "unassigned_next_week"
    }


def test_list_comes_soonest_due_first_over_cursor_pages(queue_set, alcott):
    client = api_as(alcott.case_manager)
    expected = [str(f.pk) for f in sorted(queue_set.values(), key=lambda f: (f.due_by, str(f.pk)))]

    seen, url, params = [], FOLLOWUPS, {"page_size": 3}
    while url:
        page = client.get(url, params).json()
        seen += [row["id"] for row in page["results"]]
        url, params = page["next"], None

    assert seen == expected


def test_list_flags_an_overdue_follow_up(queue_set, alcott):
    response = api_as(alcott.case_manager).get(FOLLOWUPS, {"queue": "overdue"})

    assert {row["is_overdue"] for row in response.json()["results"]} == {True}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"queue": "yesterday"}, "queue"),
        ({"whose": "everyone"}, "whose"),
        ({"status": "lost"}, "status"),
        ({"kind": "fax"}, "kind"),
        ({"person": "not-a-uuid"}, "person"),
        pytest.param({"cursor": "not-a-cursor"}, "cursor"),
        pytest.param({"page_size": "ten"}, "page_size"),
    ],
)
def test_bad_list_parameter_is_400_naming_it(alcott, params, field):
    response = api_as(alcott.case_manager).get(FOLLOWUPS, params)

    assert response.status_code == 400
    assert field in response.json()


def grow_followups(staff, count: int) -> None:
    """`count` follow-ups of every shape a row can take: with a call or a person only,
    assigned to the pair, a case manager or nobody, in several divisions."""
    for n in range(count):
        call = CallFactory(team=staff.team, person=PersonFactory(provider=staff.provider))
        shape = n % 3
        FollowUpFactory(
            call=call if shape != 2 else None,
            person=call.person,
            provider=staff.provider,
            assigned_team=staff.team if shape == 0 else None,
            assigned_to=staff.case_manager if shape == 1 else None,
        )


@pytest.mark.parametrize("params", [{}, {"queue": "upcoming", "whose": "provider"}])
def test_list_query_count_does_not_grow_with_the_follow_ups(
    alcott, params, django_assert_max_num_queries, django_assert_num_queries
):
    client = api_as(alcott.case_manager)
    grow_followups(alcott, 3)
    with django_assert_max_num_queries(6) as small:
        response = client.get(FOLLOWUPS, params)
    assert len(response.json()["results"]) == 3

    grow_followups(alcott, 27)

    with django_assert_num_queries(len(small)):
        response = client.get(FOLLOWUPS, params)
    assert len(response.json()["results"]) == 30


def test_detail_query_count_does_not_grow_with_the_history(
    alcott, django_assert_max_num_queries, django_assert_num_queries
):
    followup = open_followup(alcott)
    client = api_as(alcott.case_manager)
    with django_assert_max_num_queries(6) as small:
        client.get(followup_url(followup))
    for n in range(10):
        FollowUpChange.objects.create(
            followup=followup,
            from_status="scheduled",
            to_status="scheduled",
            changed_by=alcott.clinician if n % 2 else alcott.case_manager,
        )

    with django_assert_num_queries(len(small)):
        response = client.get(followup_url(followup))
    assert len(response.json()["history"]) == 11
