"""Reading calls through the field API: GET /api/v1/calls/ (the team's queue: scope, filters,
order, cursor pages, ETag) and GET /api/v1/calls/{id}/ (the whole call, who may read it, the
access log each read writes, and a query count that does not grow with the call)."""

import base64
import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from calls import services
from calls.choices import BackupReason, CallStatus, CallType, Disposition, EventKind, Priority
from tests.calls.helpers import CALLS, call_url, minutes_ago, phone_of, team_pair
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    CaseManagerFactory,
    ClinicianFactory,
    DispatcherFactory,
    FollowUpFactory,
    NoteFactory,
    OutcomeFactory,
    PersonFactory,
    ProviderFactory,
    ReferralFactory,
    StatusEventFactory,
    SupervisorFactory,
    UserFactory,
)
from umcr.audit import reads_of
from umcr.models import AccessLog

pytestmark = pytest.mark.django_db


def listed_ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


def ids(*calls) -> list[str]:
    return [str(call.pk) for call in calls]


def cursor(**payload) -> str:
    """A cursor as the pagination encodes one (to craft broken ones)."""
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def pair():
    return team_pair()


# --- the list: scope ----------------------------------------------------------------------


def test_clinician_lists_only_their_teams_calls(pair):
    same_provider_other_team = CallFactory(routed_provider=pair.team.provider)
    other_provider = CallFactory()

    response = pair.first.client.get(CALLS)

    assert response.status_code == 200
    assert listed_ids(response) == ids(pair.call)
    assert str(same_provider_other_team.pk) not in listed_ids(response)
    assert str(other_provider.pk) not in listed_ids(response)


def test_both_clinicians_of_a_pair_list_the_same_calls(pair):
    CallFactory(team=pair.team)

    first = pair.first.client.get(CALLS)
    second = pair.second.client.get(CALLS)

    assert len(listed_ids(first)) == 2
    assert listed_ids(first) == listed_ids(second)


def test_clinician_without_a_team_lists_no_calls():
    loner = ClinicianFactory(team=None, provider=ProviderFactory())
    CallFactory(routed_provider=loner.provider)

    response = phone_of(loner).client.get(CALLS)

    assert response.status_code == 200
    assert response.json() == {"next": None, "results": []}


@pytest.mark.parametrize("role_factory", [SupervisorFactory, CaseManagerFactory])
def test_supervisor_and_case_manager_list_every_team_of_their_provider(role_factory, pair):
    other_team_call = CallFactory(routed_provider=pair.team.provider)
    CallFactory()  # another provider's
    reader = role_factory(provider=pair.team.provider)

    response = phone_of(reader).client.get(CALLS)

    assert response.status_code == 200
    assert sorted(listed_ids(response)) == sorted(ids(pair.call, other_team_call))


def test_dispatcher_lists_the_calls_of_every_provider(pair):
    other_provider_call = CallFactory()
    unassigned = CallFactory(team=None, routed_provider=None)

    response = phone_of(DispatcherFactory()).client.get(CALLS)

    assert response.status_code == 200
    assert sorted(listed_ids(response)) == sorted(ids(pair.call, other_provider_call, unassigned))


def test_user_without_a_responder_profile_is_refused_the_list():
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.get(CALLS)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_list_without_credentials_is_401(api_client, pair):
    response = api_client.get(CALLS)

    assert response.status_code == 401
    assert "detail" in response.json()


# --- the list: what a row carries ---------------------------------------------------------


def test_list_item_carries_what_the_phone_shows_per_row(pair):
    call = pair.call
    StatusEventFactory(call=call, kind=EventKind.DISPATCHED, occurred_at=minutes_ago(30))
    call.dispatched_at = minutes_ago(30)
    call.status = CallStatus.DISPATCHED
    call.save()
    NoteFactory.create_batch(3, call=call)

    item = pair.first.client.get(CALLS).json()["results"][0]

    call.refresh_from_db()
    assert item["id"] == str(call.pk)
    assert item["call_type"] == CallType.WELFARE_CHECK
    assert item["priority"] == Priority.PROMPT
    assert item["address"] == call.address
    assert item["division"] == call.division.code
    assert item["division_name"] == call.division.name
    assert item["team"] == pair.team.call_sign
    assert item["status"] == CallStatus.DISPATCHED
    assert parse_datetime(item["received_at"]) == call.received_at
    assert item["dispatched_at"] is not None
    assert item["note_count"] == 3


def test_note_count_is_zero_for_a_call_without_notes(pair):
    item = pair.first.client.get(CALLS).json()["results"][0]

    assert item["note_count"] == 0


def test_note_count_leaves_out_voided_notes_as_the_detail_does(pair):
    kept, voided = NoteFactory.create_batch(2, call=pair.call)
    supervisor = SupervisorFactory(provider=pair.call.routed_provider)
    services.void_field_record(record=voided, voided_by=supervisor.user, reason="dup")

    item = pair.first.client.get(CALLS).json()["results"][0]

    assert item["note_count"] == 1
    detail = pair.first.client.get(f"{CALLS}{pair.call.pk}/").json()
    assert [note["id"] for note in detail["notes"]] == [str(kept.pk)]


def test_note_count_counts_only_the_notes_of_that_call(pair):
    NoteFactory.create_batch(2, call=pair.call)
    NoteFactory.create_batch(4, call=CallFactory(team=pair.team))

    items = {i["id"]: i for i in pair.first.client.get(CALLS).json()["results"]}

    assert items[str(pair.call.pk)]["note_count"] == 2


# --- the list: filters --------------------------------------------------------------------


@pytest.fixture
def mixed_queue(pair):
    """One team's calls in every state, named for what they are."""
    team = pair.team
    pair.call.delete()
    return pair, {
        "pending": CallFactory(team=team, status=CallStatus.PENDING),
        "on_scene": CallFactory(team=team, status=CallStatus.ON_SCENE),
        "cleared": CallFactory(team=team, status=CallStatus.CLEARED),
        "cancelled": CallFactory(team=team, status=CallStatus.CANCELLED),
    }


def test_state_open_lists_only_calls_not_yet_cleared_or_cancelled(mixed_queue):
    pair, calls = mixed_queue

    response = pair.first.client.get(CALLS, {"state": "open"})

    assert response.status_code == 200
    assert sorted(listed_ids(response)) == sorted(ids(calls["pending"], calls["on_scene"]))


def test_state_closed_lists_only_cleared_and_cancelled_calls(mixed_queue):
    pair, calls = mixed_queue

    response = pair.first.client.get(CALLS, {"state": "closed"})

    assert response.status_code == 200
    assert sorted(listed_ids(response)) == sorted(ids(calls["cleared"], calls["cancelled"]))


def test_status_filter_takes_several_statuses(mixed_queue):
    pair, calls = mixed_queue

    response = pair.first.client.get(CALLS, {"status": ["on_scene", "cancelled"]})

    assert response.status_code == 200
    assert sorted(listed_ids(response)) == sorted(ids(calls["on_scene"], calls["cancelled"]))


def test_received_after_and_before_bound_the_list(pair):
    now = timezone.now()
    early = CallFactory(team=pair.team, received_at=now - timedelta(hours=5))
    middle = CallFactory(team=pair.team, received_at=now - timedelta(hours=3))
    pair.call.received_at = now - timedelta(minutes=5)
    pair.call.save()

    response = pair.first.client.get(
        CALLS,
        {
            "received_after": (now - timedelta(hours=4)).isoformat(),
            "received_before": (now - timedelta(hours=1)).isoformat(),
        },
    )

    assert response.status_code == 200
    assert listed_ids(response) == ids(middle)
    assert str(early.pk) not in listed_ids(response)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"received_after": "yesterday"}, "received_after"),
        ({"received_before": "2025-13-45T99:00:00Z"}, "received_before"),
        ({"state": "maybe"}, "state"),
        ({"status": "on_fire"}, "status"),
    ],
)
def test_bad_filter_is_400_naming_the_parameter(pair, params, field):
    response = pair.first.client.get(CALLS, params)

    assert response.status_code == 400
    assert field in response.json()


# --- the list: order and pages ------------------------------------------------------------


@pytest.fixture
def queue(pair):
    """Seven calls of one team: four open of mixed priority and age, three closed."""
    now = timezone.now()
    team = pair.team
    pair.call.delete()

    def make(hours_ago, priority=Priority.PROMPT, status=CallStatus.DISPATCHED):
        return CallFactory(
            team=team,
            received_at=now - timedelta(hours=hours_ago),
            priority=priority,
            status=status,
        )

    calls = {
        "routine_5h": make(5, Priority.ROUTINE, CallStatus.ACKNOWLEDGED),
        "urgent_1h": make(1, Priority.URGENT),
        "urgent_3h": make(3, Priority.URGENT, CallStatus.ON_SCENE),
        "prompt_2h": make(2, Priority.PROMPT, CallStatus.PENDING),
        "cleared_4h": make(4, Priority.URGENT, CallStatus.CLEARED),
        "cancelled_half_hour": make(0.5, Priority.ROUTINE, CallStatus.CANCELLED),
        "cleared_6h": make(6, Priority.PROMPT, CallStatus.CLEARED),
    }
    expected = [
        "urgent_3h",
        "urgent_1h",
        "prompt_2h",
        "routine_5h",
        "cancelled_half_hour",
        "cleared_4h",
        "cleared_6h",
    ]
    return pair, [str(calls[name].pk) for name in expected]


def test_open_calls_come_first_by_priority_then_oldest_then_closed_newest_first(queue):
    pair, expected = queue

    response = pair.first.client.get(CALLS)

    assert response.status_code == 200
    assert listed_ids(response) == expected
    assert response.json()["next"] is None


def test_page_size_limits_the_page_and_gives_a_next_link(queue):
    pair, expected = queue

    response = pair.first.client.get(CALLS, {"page_size": 3})

    assert response.status_code == 200
    assert listed_ids(response) == expected[:3]
    assert response.json()["next"].startswith("http://testserver/api/v1/calls/?")
    assert "cursor=" in response.json()["next"]


def test_following_next_links_walks_the_whole_queue_once_in_order(queue):
    pair, expected = queue
    seen: list[str] = []
    url, params = CALLS, {"page_size": 3}

    for _ in range(10):
        response = pair.first.client.get(url, params)
        assert response.status_code == 200
        seen.extend(listed_ids(response))
        url, params = response.json()["next"], None
        if url is None:
            break

    assert seen == expected


def test_next_link_keeps_the_filters(queue):
    pair, expected = queue

    first = pair.first.client.get(CALLS, {"page_size": 1, "state": "closed"})
    second = pair.first.client.get(first.json()["next"])

    assert "state=closed" in first.json()["next"]
    assert listed_ids(first) == expected[4:5]
    assert listed_ids(second) == expected[5:6]


def test_page_filled_exactly_by_open_calls_links_on_to_the_closed_ones(queue):
    pair, expected = queue

    first = pair.first.client.get(CALLS, {"page_size": 4})
    second = pair.first.client.get(first.json()["next"])

    assert first.status_code == 200
    assert listed_ids(first) == expected[:4]
    assert listed_ids(second) == expected[4:]


@pytest.mark.parametrize("page_size", ["0", "-1", "201", "ten", "1.5"])
def test_page_size_out_of_range_or_not_a_number_is_400(pair, page_size):
    response = pair.first.client.get(CALLS, {"page_size": page_size})

    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.parametrize(
    "bad_cursor",
    [
        "not-a-cursor",
        "%%%",
        cursor(s="sideways", p=1, t="2025-01-01T00:00:00+00:00", id=str(uuid.uuid4())),
        cursor(s="open", p="high", t="2025-01-01T00:00:00+00:00", id=str(uuid.uuid4())),
        cursor(s="open", p=1, t="last tuesday", id=str(uuid.uuid4())),
        cursor(s="open", p=1, t="2025-01-01T00:00:00+00:00", id="not-a-uuid"),
        cursor(s="closed", t="2025-01-01T00:00:00+00:00"),
        cursor(s="open", p=1, t="2025-01-01T00:00:00+00:00", id=7),
        cursor(s="open", p=float("inf"), t="2025-01-01T00:00:00+00:00", id=str(uuid.uuid4())),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
    ],
)
def test_invalid_cursor_is_400(pair, bad_cursor):
    response = pair.first.client.get(CALLS, {"cursor": bad_cursor})

    assert response.status_code == 400
    assert response.json() == {"cursor": ["Invalid cursor."]}


# --- the detail -----------------------------------------------------------------------------


def test_detail_shows_narrative_caller_account_location_and_person(pair):
    person = PersonFactory(provider=pair.team.provider, given_name="Luis", family_name="Ortega")
    call = CallFactory(
        team=pair.team,
        person=person,
        narrative="Man sitting in the road, talking to himself.",
        caller_account="Neighbour says he has been there since noon.",
        caller_phone="+1 213 555 0101",
        latitude="34.061234",
        longitude="-118.301234",
        safety_flags=["dog_on_premises"],
    )

    response = pair.first.client.get(call_url(call))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(call.pk)
    assert body["narrative"] == "Man sitting in the road, talking to himself."
    assert body["caller_account"] == "Neighbour says he has been there since noon."
    assert body["caller_phone"] == "+1 213 555 0101"
    assert body["address"] == call.address
    assert (body["latitude"], body["longitude"]) == ("34.061234", "-118.301234")
    assert body["safety_flags"] == ["dog_on_premises"]
    assert body["person"]["id"] == str(person.pk)
    assert (body["person"]["given_name"], body["person"]["family_name"]) == ("Luis", "Ortega")
    assert body["team"] == {
        "call_sign": pair.team.call_sign,
        "members": sorted(
            [pair.first.responder.user.username, pair.second.responder.user.username]
        ),
    }


def test_detail_of_a_call_without_person_or_records_has_empty_sections(pair):
    body = pair.first.client.get(call_url(pair.call)).json()

    assert body["person"] is None
    assert body["status"] == CallStatus.PENDING
    assert body["events"] == []
    assert body["notes"] == []
    assert body["outcome"] is None
    assert body["outcome_history"] == []
    assert body["backup_requests"] == []
    assert body["followups"] == []
    assert body["referrals"] == []
    assert body["prior_contacts"] == []


def test_detail_timeline_lists_events_in_the_order_they_happened(pair):
    on_scene = StatusEventFactory(
        call=pair.call, kind=EventKind.ON_SCENE, occurred_at=minutes_ago(10)
    )
    acknowledged = StatusEventFactory(
        call=pair.call,
        kind=EventKind.ACKNOWLEDGED,
        occurred_at=minutes_ago(40),
        responder=pair.second.responder,
    )
    en_route = StatusEventFactory(
        call=pair.call, kind=EventKind.EN_ROUTE, occurred_at=minutes_ago(30)
    )

    events = pair.first.client.get(call_url(pair.call)).json()["events"]

    assert [e["id"] for e in events] == ids(acknowledged, en_route, on_scene)
    assert [e["kind"] for e in events] == ["acknowledged", "en_route", "on_scene"]
    assert events[0]["author"] == pair.second.responder.user.username
    assert events[0]["recorded_at"] is not None


def test_detail_nests_addenda_under_the_note_they_amend(pair):
    first = NoteFactory(call=pair.call, body="Calm, accepted water.", occurred_at=minutes_ago(30))
    second = NoteFactory(call=pair.call, body="Wants a shelter bed.", occurred_at=minutes_ago(20))
    addendum = NoteFactory(
        call=pair.call,
        body="Correction: accepted water AND food.",
        amends=first,
        occurred_at=minutes_ago(10),
    )

    notes = pair.first.client.get(call_url(pair.call)).json()["notes"]

    assert [n["id"] for n in notes] == ids(first, second)
    assert [a["id"] for a in notes[0]["addenda"]] == ids(addendum)
    assert notes[0]["addenda"][0]["amends"] == str(first.pk)
    assert notes[0]["addenda"][0]["body"] == "Correction: accepted water AND food."
    assert notes[1]["addenda"] == []


def test_detail_lists_an_addendum_to_an_addendum_once_under_the_first_note(pair):
    first = NoteFactory(call=pair.call, occurred_at=minutes_ago(30))
    addendum = NoteFactory(call=pair.call, amends=first, occurred_at=minutes_ago(20))
    second_addendum = NoteFactory(call=pair.call, amends=addendum, occurred_at=minutes_ago(10))

    notes = pair.first.client.get(call_url(pair.call)).json()["notes"]

    assert [n["id"] for n in notes] == ids(first)
    assert [a["id"] for a in notes[0]["addenda"]] == ids(addendum, second_addendum)


def test_detail_shows_the_current_outcome_and_the_whole_history(pair):
    original = OutcomeFactory(
        call=pair.call, disposition=Disposition.REFUSED_SERVICES, occurred_at=minutes_ago(20)
    )
    correction = OutcomeFactory(
        call=pair.call,
        disposition=Disposition.REFERRED_TO_SERVICES,
        supersedes=original,
        occurred_at=minutes_ago(10),
    )

    body = pair.first.client.get(call_url(pair.call)).json()

    assert body["outcome"]["id"] == str(correction.pk)
    assert body["outcome"]["disposition"] == "referred_to_services"
    assert body["outcome"]["eido_code"] == "RES-REFERRED"
    assert body["outcome"]["supersedes"] == str(original.pk)
    assert [o["id"] for o in body["outcome_history"]] == ids(original, correction)


def test_detail_shows_backup_requests_followups_and_referrals(pair):
    backup = BackupRequestFactory(
        call=pair.call, reason=BackupReason.PERSON_REQUESTS_OFFICER, responder=pair.first.responder
    )
    followup = FollowUpFactory(call=pair.call)
    referral = ReferralFactory(call=pair.call)

    body = pair.first.client.get(call_url(pair.call)).json()

    assert [(b["id"], b["reason"], b["status"]) for b in body["backup_requests"]] == [
        (str(backup.pk), "person_requests_officer", "requested")
    ]
    assert body["backup_requests"][0]["author"] == pair.first.responder.user.username
    assert [f["id"] for f in body["followups"]] == ids(followup)
    assert body["followups"][0]["assigned_team"] == pair.team.call_sign
    assert [r["id"] for r in body["referrals"]] == ids(referral)
    assert body["referrals"][0]["service"] == referral.service.name


# --- the detail: prior contacts -------------------------------------------------------------


def test_prior_contact_at_the_same_address_shows_its_disposition_and_backup_reasons(pair):
    now = timezone.now()
    earlier = CallFactory(
        routed_provider=pair.team.provider,
        address="1200 W 7th St.",
        received_at=now - timedelta(days=30),
        status=CallStatus.CLEARED,
    )
    OutcomeFactory(call=earlier, disposition=Disposition.HANDED_TO_POLICE, police_involved=True)
    BackupRequestFactory(call=earlier, reason=BackupReason.WEAPON_SEEN)
    call = CallFactory(team=pair.team, address="1200  w 7th st", received_at=now)

    prior = pair.first.client.get(call_url(call)).json()["prior_contacts"]

    assert [p["id"] for p in prior] == ids(earlier)
    assert prior[0]["matched_on"] == ["address"]
    assert prior[0]["disposition"] == "handed_to_police"
    assert prior[0]["police_involved"] is True
    assert prior[0]["backup_reasons"] == ["weapon_seen"]


def test_prior_contact_with_the_same_person_elsewhere_is_listed(pair):
    now = timezone.now()
    person = PersonFactory(provider=pair.team.provider)
    earlier = CallFactory(
        team=pair.team, person=person, address="Echo Park Lake", received_at=now - timedelta(days=3)
    )
    call = CallFactory(team=pair.team, person=person, received_at=now)

    prior = pair.first.client.get(call_url(call)).json()["prior_contacts"]

    assert [p["id"] for p in prior] == ids(earlier)
    assert prior[0]["matched_on"] == ["person"]
    assert prior[0]["disposition"] is None
    assert prior[0]["backup_reasons"] == []


def test_prior_contacts_leave_out_other_providers_later_calls_and_the_call_itself(pair):
    now = timezone.now()
    address = "455 N Rossmore Ave"
    call = CallFactory(team=pair.team, address=address, received_at=now - timedelta(days=1))
    CallFactory(address=address, received_at=now - timedelta(days=5))  # another provider
    CallFactory(team=pair.team, address=address, received_at=now)  # later
    earlier = CallFactory(
        routed_provider=pair.team.provider, address=address, received_at=now - timedelta(days=9)
    )

    prior = pair.first.client.get(call_url(call)).json()["prior_contacts"]

    assert [p["id"] for p in prior] == ids(earlier)


# --- the detail: who may read it ------------------------------------------------------------


def test_clinician_of_another_team_of_the_same_provider_gets_404(pair):
    outsider = ClinicianFactory(provider=pair.team.provider)

    response = phone_of(outsider).client.get(call_url(pair.call))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not reads_of("call", pair.call.pk).exists()


@pytest.mark.parametrize(
    "role_factory",
    [ClinicianFactory, SupervisorFactory, CaseManagerFactory],
    ids=["clinician", "supervisor", "case_manager"],
)
def test_another_providers_staff_get_404_on_the_detail(pair, role_factory):
    response = phone_of(role_factory()).client.get(call_url(pair.call))

    assert response.status_code == 404
    assert not reads_of("call", pair.call.pk).exists()


@pytest.mark.parametrize("role_factory", [SupervisorFactory, CaseManagerFactory])
def test_supervisor_and_case_manager_read_their_providers_call(pair, role_factory):
    reader = role_factory(provider=pair.team.provider)

    response = phone_of(reader).client.get(call_url(pair.call))

    assert response.status_code == 200
    assert response.json()["id"] == str(pair.call.pk)


def test_dispatcher_reads_any_providers_call(pair):
    response = phone_of(DispatcherFactory()).client.get(call_url(pair.call))

    assert response.status_code == 200
    assert response.json()["id"] == str(pair.call.pk)


def test_unknown_call_id_is_404(pair):
    response = pair.first.client.get(call_url(uuid.uuid4()))

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_malformed_call_id_in_the_path_gets_a_json_404(pair, method):
    client = pair.first.client

    if method == "get":
        response = client.get(f"{CALLS}not-a-uuid/")
    else:
        response = client.post(f"{CALLS}not-a-uuid/events/", {}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_user_without_a_responder_profile_is_refused_the_detail(pair):
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.get(call_url(pair.call))

    assert response.status_code == 403
    assert not AccessLog.objects.exists()


# --- the access log -------------------------------------------------------------------------


def test_reading_a_call_logs_who_read_it_and_from_which_device(pair):
    response = pair.first.client.get(call_url(pair.call), REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert log.user == pair.first.responder.user
    assert log.device == pair.first.device
    assert (log.record_type, log.record_ids, log.action) == ("call", [str(pair.call.pk)], "read")
    assert log.provider == pair.team.provider
    assert log.ip_address == "198.51.100.7"


def test_reading_a_call_with_a_person_logs_the_person_read_too(pair):
    person = PersonFactory(provider=pair.team.provider)
    call = CallFactory(team=pair.team, person=person)

    pair.second.client.get(call_url(call))

    logged = {
        (log.record_type, tuple(log.record_ids), log.user_id, log.device_id)
        for log in AccessLog.objects.all()
    }
    user, device = pair.second.responder.user.pk, pair.second.device.pk
    assert logged == {
        ("call", (str(call.pk),), user, device),
        ("person", (str(person.pk),), user, device),
    }


def test_every_read_of_the_detail_is_logged_again(pair):
    pair.first.client.get(call_url(pair.call))
    pair.first.client.get(call_url(pair.call))

    assert reads_of("call", pair.call.pk).count() == 2


def test_listing_calls_logs_the_listed_calls(pair):
    pair.first.client.get(CALLS)

    assert AccessLog.objects.get().record_ids == [str(pair.call.pk)]


# --- ETag -----------------------------------------------------------------------------------


@pytest.mark.parametrize("detail", [False, True], ids=["list", "detail"])
def test_same_request_with_if_none_match_gets_304(pair, detail):
    url = call_url(pair.call) if detail else CALLS
    first = pair.first.client.get(url)

    again = pair.first.client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["ETag"]
    assert again.status_code == 304
    assert again.content == b""


def test_phone_accepting_gzip_gets_304_for_its_weak_etag(pair):
    first = pair.first.client.get(CALLS, HTTP_ACCEPT_ENCODING="gzip")

    again = pair.first.client.get(
        CALLS, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"]
    )

    assert first.status_code == 200
    assert again.status_code == 304


def test_etag_changes_when_a_note_is_added(pair):
    first = pair.first.client.get(CALLS)
    NoteFactory(call=pair.call)

    again = pair.first.client.get(CALLS, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert again.json()["results"][0]["note_count"] == 1


def test_etag_of_the_partners_list_matches_for_the_same_calls(pair):
    first = pair.first.client.get(CALLS)

    partner = pair.second.client.get(CALLS, HTTP_IF_NONE_MATCH=first["ETag"])

    assert partner.status_code == 304


# --- query counts ---------------------------------------------------------------------------

# The token (with user, responder and device), the open section, the closed section; the
# access log.
LIST_QUERY_BUDGET = 4
# The token, the call, its events, notes, outcomes, backups, follow-ups, referrals, the team's
# members and their users; prior contacts with their outcomes and backups; the access log;
# its program moves, transports and the destinations that refused them (issue 15: was 14).
DETAIL_QUERY_BUDGET = 17


def grow_call(call, *, responder, size: int) -> None:
    """Give a call `size` notes (with addenda) and events, backups, a corrected outcome, a
    person, follow-ups and referrals."""
    start = timezone.now() - timedelta(hours=3)
    notes = NoteFactory.create_batch(
        size, call=call, responder=responder, occurred_at=start + timedelta(minutes=1)
    )
    NoteFactory(call=call, amends=notes[0], responder=responder)
    StatusEventFactory.create_batch(
        size,
        call=call,
        kind=EventKind.ACKNOWLEDGED,
        responder=responder,
        occurred_at=start + timedelta(minutes=2),
    )
    BackupRequestFactory.create_batch(3, call=call, responder=responder)
    original = OutcomeFactory(call=call, responder=responder)
    OutcomeFactory(call=call, responder=responder, supersedes=original)
    FollowUpFactory.create_batch(2, call=call)
    ReferralFactory.create_batch(2, call=call)


def test_list_query_count_does_not_grow_with_the_calls(
    pair, django_assert_max_num_queries, django_assert_num_queries
):
    CallFactory(team=pair.team)
    NoteFactory.create_batch(2, call=pair.call)
    with django_assert_max_num_queries(LIST_QUERY_BUDGET) as small:
        response = pair.first.client.get(CALLS)
    assert len(response.json()["results"]) == 2

    for n in range(28):
        call = CallFactory(team=pair.team, status=CallStatus.CLEARED if n % 3 else "on_scene")
        grow_call(call, responder=pair.first.responder, size=10)

    with django_assert_num_queries(len(small)):
        response = pair.first.client.get(CALLS)
    assert len(response.json()["results"]) == 30


def test_detail_query_count_does_not_grow_with_the_call(
    pair, django_assert_max_num_queries, django_assert_num_queries
):
    now = timezone.now()
    person = PersonFactory(provider=pair.team.provider)
    call = CallFactory(team=pair.team, person=person, address="10 Bonnie Brae St", received_at=now)
    CallFactory(team=pair.team, address="10 Bonnie Brae St", received_at=now - timedelta(days=1))
    NoteFactory.create_batch(2, call=call)
    StatusEventFactory.create_batch(2, call=call, kind=EventKind.EN_ROUTE)
    with django_assert_max_num_queries(DETAIL_QUERY_BUDGET) as small:
        response = pair.first.client.get(call_url(call))
    assert len(response.json()["prior_contacts"]) == 1

    grow_call(call, responder=pair.second.responder, size=10)
    for days in range(2, 30):
        earlier = CallFactory(
            team=pair.team,
            person=person if days % 2 else None,
            address="10 Bonnie Brae St" if days % 2 == 0 else f"{days} Alvarado St",
            received_at=now - timedelta(days=days),
        )
        grow_call(earlier, responder=pair.first.responder, size=10)

    with django_assert_num_queries(len(small)):
        response = pair.first.client.get(call_url(call))
    body = response.json()
    assert len(body["notes"]) == 12  # 2 + 10 roots; the addendum is nested
    assert len(body["events"]) == 12
    assert len(body["backup_requests"]) == 3
    assert len(body["prior_contacts"]) == 10
    assert len(body["followups"]) == 2
    assert len(body["referrals"]) == 2
