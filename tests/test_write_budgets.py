"""Query budgets of the writes: each field-record POST, each desk write, each follow-up and
referral action, and a sync push of N records per pushable table, asserted as exact query
counts, so a per-record (N+1) query cannot creep in unnoticed, nor an improvement go unseen.

Re-tuning after a change of the code is changing a number in WRITE_BUDGETS or PUSH_BUDGETS
below, nothing else. A REST write is counted as the request runs (its token, its scope
check, its locks, its writes and its answer); what waits for the commit (a django-q2 task)
is not part of it: the REST cases run in the test's transaction, where on_commit callbacks
do not run, as in the other API tests.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.conf import Conf
from rest_framework.test import APIClient

from calls.choices import BackupStatus, CallStatus, EventKind
from calls.models import SafetyAlert
from followups.models import FollowUpChange
from referrals.choices import ReferralStatus, ServiceCategory
from responders.models import Program
from tests.calls.helpers import (
    backup_body,
    backup_status_url,
    backups_url,
    event_body,
    events_url,
    minutes_ago,
    note_body,
    notes_url,
    outcome_body,
    outcome_url,
    phone_of,
    team_pair,
)
from tests.calls.routing_helpers import INTAKE, assign_url, intake_body
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    ClinicianFactory,
    CoverageFactory,
    DispatcherFactory,
    FollowUpFactory,
    NoteFactory,
    OutcomeFactory,
    ServiceFactory,
    ShiftFactory,
    StatusEventFactory,
    SupervisorFactory,
    TeamFactory,
)
from tests.followups.helpers import (
    FOLLOWUPS,
    REFERRALS,
    api_as,
    followup_body,
    followup_url,
    hours_from_now,
    iso,
    provider_staff,
    referral_body,
    referral_in,
    referral_status_url,
)
from tests.sync import helpers as sync
from transports.models import Transport
from umcr.sync import registry, sequence

# The sync tests' fixtures: the counter row a flush removes, and what migrations stored.
migration_data = sync.migration_data
sync_counter = sync.sync_counter

# --- the budgets: re-tune here ---------------------------------------------------------------

# Queries of one successful REST write, by endpoint (and the case it is measured in). The
# shape most share: the device token with its user and responder (1 query); the scope
# lookup; SAVEPOINT; the sync counter held (`+ 0`) before the row lock (SELECT ... FOR
# UPDATE); the replay lookup of the client's id; a counter claim (`+ 1`) before each synced
# write; RELEASE; the access log's INSERT for what the answer shows.
WRITE_BUDGETS: dict[str, int] = {
    # A pair's field records on their call (calls/api/views.py).
    # The event: its first-of-kind lookups, the call's derived state written, and the call
    # read again by the view for the answer (the service's locked copy is not returned).
    "call_event": 15,
    "call_note": 10,
    "call_note_addendum": 11,  # + the amended note's existence on this call
    "call_outcome": 13,  # + the current outcome, and the call's disposition written
    "call_outcome_correction": 14,  # + the call's events, to keep the timeline possible
    # + the alert: the call with team and division, its audience, the known dedupe keys,
    # one bulk INSERT of the deliveries.
    "call_backup_request": 14,
    # A check-in (calls/api/checkins.py): the call's checks and lock, the replay lookup, the
    # INSERT, the next due time read to close the open safety alerts due before it, the
    # closing, and the next due time read for the answer.
    "call_check_in": 13,
    # Acknowledging a safety alert: found in scope and locked, saved, read for the answer.
    "safety_alert_acknowledge": 9,
    # The desk and supervisors (calls/api/intake.py, BackupRequestStatusView).
    # The move, its alert (audience, dedupe keys, deliveries), then the answer loads the
    # mover's responder and user one query each.
    "backup_status_by_desk": 14,
    "backup_cancel_by_team": 14,
    # Intake of a new call: division, repeat, active programs and coverage lookups (one
    # coverage lookup per program tried: one here), the call, the team
    # choice (2), then assign_call, which re-stamps the call's eleven child tables (an UPDATE
    # and a counter claim each: 22 statements) although a new call has no child rows; the
    # dispatched event with the call's derived state; the team's alert (its users, the
    # known dedupe keys, the deliveries).
    # Was 39: + desk notes (16), transports and their refusals (15), check-ins and safety
    # alerts (16).
    "intake_call": 49,
    # Reassignment: the team lookup, sync exits for the previous team (the call's and each
    # child table's ids: 12 SELECTs, 2 INSERTs), the eleven child tables re-stamped (22), the
    # dispatched event with the call's derived state, the new team's alert (3), and the
    # provider and the program for the answer.
    "call_assign": 57,  # was 42: the same new child tables
    # Follow-ups (followups/api/views.py). Each answers with the follow-up re-read with its
    # history, whose changed_by is prefetched as responder and user (two queries).
    # The call is read with its person (calls.selectors.find_in_scope): was 15.
    "followup_create": 14,
    "followup_complete": 16,  # a nested savepoint: complete_followup wraps change_followup
    "followup_complete_with_next": 21,  # + the next follow-up, its history, the link back
    "followup_missed": 14,
    "followup_cancel": 14,
    "followup_reschedule": 14,
    "followup_assign": 18,  # + the assignee and the team's lookups, the person re-stamped
    # Referrals (referrals/api/views.py): create records the consent with the referral;
    # status moves it. Each answers like a follow-up (re-read, history, responder, user).
    "referral_create": 14,  # the call read with its person, as followup_create: was 15
    "referral_status_sent": 14,
    "referral_status_withdrawn": 14,
    "referral_status_completed": 14,
}

# A push of N records of one table runs exactly base + per_record * N statements
# (transaction control left out: see `statements`) while the N records fit in one slice of
# the table (umcr/sync/push.py: SLICE_RECORDS, 100 for notes); each further slice adds the
# slice's own few statements. The base is 8 for every table: the token, the device's
# quarantine count of the hour, the sequence, the user's open quarantine, the scope reload
# (7 before any slice), then the slice's counter hold and its one lookup of the pushed ids
# already stored; a call-record table's slice also locks the calls its records name, in one
# query (calls.permissions.lock_calls_for_writing: +1, so notes on 2 calls cost what notes
# on 1 do).
# Notes cost nothing per note: the slice's notes are checked in memory and written in one
# INSERT (+ its savepoint and counter claim: base 12). The other tables still apply each
# record alone in its savepoint (2 statements), but no longer find, lock or check its call
# again (the slice did, once), nor look its id up again (the slice's lookup found it new):
# a status event costs the first-of-kind lookups, the counter claim, the INSERT and the
# call's derived state.
PUSH_BUDGETS: dict[str, tuple[int, int]] = {
    "notes": (12, 0),  # was (7, 9)
    "status_events": (8, 11),  # was (7, 14)
    # An outcome is one per call, so each is on a call of its own; their calls are locked
    # in the slice's one query (was a lookup and a lock each).
    "outcomes": (8, 9),  # was (6, 13)
    # + the alert: the call read again, its audience, the known dedupe keys, the deliveries;
    # and at its commit one delivery-loop task queued (an INSERT into the ORM broker).
    "backup_requests": (8, 11),  # was (7, 14)
    "people": (8, 7),  # was (7, 7): + the slice's counter hold
    # The calls and people a slice's records name are found in scope in one query each
    # (calls.selectors.find_in_scope: + 1 a slice, - 1 a record); a change of a stored one
    # no longer looks its row up and locks it again: the slice's lookup locked it.
    "follow_ups": (9, 9),  # was (7, 10)
    "referrals": (9, 9),  # was (7, 10)
    # Push-only: the team's availability through its service (a savepoint, the team locked
    # and changed, each record); a slice's pings stored by one record_positions.
    "team_availability": (7, 6),
    "position_pings": (13, 0),
    # A ride, in its savepoint: the counter held, the replay lookup, its call found in scope
    # and locked, the open-ride check, the destination, the INSERT with its counter claim
    # (transports/services.py start_transport). Not batched: a shift pushes a ride or two.
    "transports": (8, 10),
    # A refusal, in its savepoint: its ride found in scope, the replay lookup, the counter
    # held, the ride locked in scope, the destination, the INSERT and the ride driven on
    # (each with its counter claim). No call lock of the slice: base 7.
    "destination_refusals": (7, 13),
    # Check-ins (calls/checkins.py) apply each alone, as status events do: the savepoint,
    # the call's checks, the counter claim, the INSERT, the next due time read again (one
    # query of subqueries) and the closing (an UPDATE, with its counter claim) of the open
    # safety alerts due before it.
    "check_ins": (8, 9),
}
PUSH_SIZES = (1, 10, 30)


# --- REST writes --------------------------------------------------------------------------------


@dataclass
class Write:
    """One request ready to send, and the status its success answers with."""

    client: APIClient
    url: str
    body: dict
    status: int = 200


def _pair_with_alert_audience():
    """A team's pair and their call, and the people a backup alert goes to (the desk, the
    provider's supervisor), so the alert path writes its rows."""
    pair = team_pair()
    DispatcherFactory()
    SupervisorFactory(provider=pair.team.provider)
    return pair


def call_event() -> Write:
    pair = team_pair()
    body = event_body(EventKind.ON_SCENE, minutes_ago(5))
    return Write(pair.first.client, events_url(pair.call), body, 201)


def call_note() -> Write:
    pair = team_pair()
    body = note_body("Calm; accepted water.", minutes_ago(5))
    return Write(pair.first.client, notes_url(pair.call), body, 201)


def call_note_addendum() -> Write:
    pair = team_pair()
    note = NoteFactory(call=pair.call, responder=pair.first.responder)
    body = note_body("He said Tuesday, not Monday.", minutes_ago(1), amends=note.pk)
    return Write(pair.first.client, notes_url(pair.call), body, 201)


def call_outcome() -> Write:
    pair = team_pair()
    StatusEventFactory(call=pair.call, kind=EventKind.ON_SCENE, occurred_at=minutes_ago(30))
    return Write(pair.first.client, outcome_url(pair.call), outcome_body(minutes_ago(5)), 201)


def call_outcome_correction() -> Write:
    pair = team_pair()
    StatusEventFactory(call=pair.call, kind=EventKind.ON_SCENE, occurred_at=minutes_ago(30))
    first = OutcomeFactory(call=pair.call, responder=pair.first.responder)
    body = outcome_body(minutes_ago(2), supersedes=first.pk, disposition="referred_to_services")
    return Write(pair.first.client, outcome_url(pair.call), body, 201)


def call_backup_request() -> Write:
    pair = _pair_with_alert_audience()
    return Write(pair.first.client, backups_url(pair.call), backup_body(minutes_ago(1)), 201)


def call_check_in() -> Write:
    pair = team_pair()
    body = {"id": str(uuid.uuid4()), "answer": "ok", "occurred_at": iso(minutes_ago(1))}
    return Write(pair.first.client, f"/api/v1/calls/{pair.call.pk}/check-ins/", body, 201)


def safety_alert_acknowledge() -> Write:
    pair = team_pair()
    alert = SafetyAlert.objects.create(
        call=pair.call, team=pair.team, due_at=minutes_ago(10), raised_at=minutes_ago(5)
    )
    desk = phone_of(DispatcherFactory(), "Desk console")
    return Write(desk.client, f"/api/v1/safety-alerts/{alert.pk}/acknowledge/", {})


def backup_status_by_desk() -> Write:
    pair = team_pair()
    SupervisorFactory(provider=pair.team.provider)
    backup = BackupRequestFactory(call=pair.call, responder=pair.first.responder)
    desk = phone_of(DispatcherFactory(), "Desk console")
    return Write(desk.client, backup_status_url(backup), {"status": BackupStatus.ACKNOWLEDGED})


def backup_cancel_by_team() -> Write:
    pair = _pair_with_alert_audience()
    backup = BackupRequestFactory(call=pair.call, responder=pair.first.responder)
    body = {"status": BackupStatus.CANCELLED}
    return Write(pair.second.client, backup_status_url(backup), body)


def intake_call() -> Write:
    team = TeamFactory()
    ClinicianFactory(team=team)  # so the team is alerted, as a staffed team is
    ShiftFactory(team=team)
    coverage = CoverageFactory(provider=team.provider, starts_on=date(2024, 1, 1))
    desk = phone_of(DispatcherFactory(), "Desk console")
    return Write(desk.client, INTAKE, intake_body(coverage.division), 201)


def call_assign() -> Write:
    pair = team_pair()
    StatusEventFactory(call=pair.call, kind=EventKind.DISPATCHED)
    other = TeamFactory(provider=pair.team.provider)
    ClinicianFactory(team=other)  # so the new team is alerted, as a staffed team is
    supervisor = phone_of(SupervisorFactory(provider=pair.team.provider), "Supervisor's laptop")
    return Write(supervisor.client, assign_url(pair.call), {"team": other.call_sign})


def _open_followup(staff):
    """A scheduled follow-up with its first history row, as the service writes it."""
    followup = FollowUpFactory(call=staff.call, person=staff.person)
    FollowUpChange.objects.create(
        followup=followup, from_status="", to_status=followup.status, changed_by=staff.clinician
    )
    return followup


def followup_create() -> Write:
    staff = provider_staff("Alcott", "WIL")
    body = followup_body(call=staff.call.pk)
    return Write(api_as(staff.clinician), FOLLOWUPS, body, 201)


def _followup_move(move: str, body: dict) -> Write:
    staff = provider_staff("Alcott", "WIL")
    followup = _open_followup(staff)
    return Write(api_as(staff.case_manager), followup_url(followup, f"{move}/"), body)


def followup_complete() -> Write:
    return _followup_move("complete", {"outcome": "Found her at the shelter; she kept the bed."})


def followup_complete_with_next() -> Write:
    opens = hours_from_now(24 * 7)
    upcoming = {
        "kind": "phone_call",
        "not_before": iso(opens),
        "due_by": iso(opens + timedelta(days=2)),
    }
    return _followup_move("complete", {"outcome": "Kept the bed.", "next": upcoming})


def followup_missed() -> Write:
    return _followup_move("missed", {"note": "Nobody at the address."})


def followup_cancel() -> Write:
    return _followup_move("cancel", {"note": "Moved out of the county."})


def followup_reschedule() -> Write:
    opens = hours_from_now(72)
    body = {"not_before": iso(opens), "due_by": iso(opens + timedelta(days=1)), "note": ""}
    return _followup_move("reschedule", body)


def followup_assign() -> Write:
    staff = provider_staff("Alcott", "WIL")
    followup = _open_followup(staff)
    body = {"assigned_to": staff.case_manager.pk}
    return Write(api_as(staff.case_manager), followup_url(followup, "assign/"), body)


def referral_create() -> Write:
    staff = provider_staff("Alcott", "WIL")
    body = referral_body(ServiceFactory(), call=staff.call.pk)
    return Write(api_as(staff.clinician), REFERRALS, body, 201)


def _referral_move(from_status: str, to_status: str) -> Write:
    staff = provider_staff("Alcott", "WIL")
    referral = referral_in(staff, from_status, referred_by=staff.clinician)
    body = {"status": to_status, "note": f"Now {to_status}."}
    return Write(api_as(staff.case_manager), referral_status_url(referral), body)


def referral_status_sent() -> Write:
    return _referral_move(ReferralStatus.PROPOSED, ReferralStatus.SENT)


def referral_status_withdrawn() -> Write:
    return _referral_move(ReferralStatus.PROPOSED, ReferralStatus.WITHDRAWN)


def referral_status_completed() -> Write:
    return _referral_move(ReferralStatus.ENROLLED, ReferralStatus.COMPLETED)


# Each budget's name is the function above that arranges its case.
WRITES: dict[str, Callable[[], Write]] = {name: globals()[name] for name in WRITE_BUDGETS}


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(WRITE_BUDGETS))
def test_write_stays_exactly_on_its_query_budget(endpoint, django_assert_num_queries):
    write = WRITES[endpoint]()

    with django_assert_num_queries(WRITE_BUDGETS[endpoint]):
        response = write.client.post(write.url, write.body, format="json")

    assert response.status_code == write.status, response.content


# --- pushes ---------------------------------------------------------------------------------------


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The SQL a push ran, less BEGIN and COMMIT (a push commits once a slice: how often is
    umcr/sync/push.py's to decide, not this budget's). Savepoints stay counted."""
    control = {"BEGIN", "COMMIT", "ROLLBACK"}
    return [query["sql"] for query in captured.captured_queries if query["sql"] not in control]


def records_for(table: str, pair, count: int) -> list[dict]:
    """`count` valid new records of `table`, as the pair's first phone writes them offline.
    A shift's notes, events, backup requests, follow-ups and referrals are on one call; an
    outcome is one per call, so each outcome is on a call of its own."""
    call = pair.call
    if table == "notes":
        return [
            sync.note_record(call, f"Note {i}.", sync.minutes_ago_ms(90 - i)) for i in range(count)
        ]
    if table == "status_events":
        # One kind throughout, so every size holds exactly one first-of-kind event.
        return [
            sync.event_record(call, EventKind.ON_SCENE, sync.minutes_ago_ms(90 - i))
            for i in range(count)
        ]
    if table == "outcomes":
        calls = CallFactory.create_batch(count, team=pair.team)
        return [sync.outcome_record(each, sync.minutes_ago_ms(10)) for each in calls]
    if table == "backup_requests":
        return [
            {
                "id": str(uuid.uuid4()),
                "call_id": str(call.pk),
                "reason": "weapon_seen",
                "details": f"Knife seen ({i}).",
                "occurred_at": sync.minutes_ago_ms(30 - i / 2),
            }
            for i in range(count)
        ]
    if table == "people":
        return [sync.person_record(given_name=f"Sam {i}") for i in range(count)]
    if table == "team_availability":
        reasons = ("break", "training")
        return [
            {"id": str(uuid.uuid4()), "status": "out_of_service", "reason": reasons[i % 2]}
            for i in range(count)
        ]
    if table == "position_pings":
        return [
            {
                "id": str(uuid.uuid4()),
                "latitude": 34.05 + i / 1000,
                "longitude": -118.25,
                "accuracy": 10,
                "taken_at": sync.minutes_ago_ms(30 - i),
            }
            for i in range(count)
        ]
    if table == "follow_ups":
        opens, due = sync.minutes_ago_ms(-60 * 24), sync.minutes_ago_ms(-60 * 72)
        return [sync.followup_record(call, opens, due) for _ in range(count)]
    if table == "referrals":
        service = ServiceFactory()
        return [sync.referral_record(call, service) for _ in range(count)]
    if table in ("transports", "destination_refusals"):
        return _ride_records(table, pair, count)
    if table == "check_ins":
        return [
            {
                "id": str(uuid.uuid4()),
                "call_id": str(call.pk),
                "answer": "ok",
                "check_again_minutes": None,
                "occurred_at": sync.minutes_ago_ms(30 - i / 2),
            }
            for i in range(count)
        ]
    raise AssertionError(f"No records for {table}: add them here.")


def _ride_records(table: str, pair, count: int) -> list[dict]:
    """Rides started on calls the van crew is on scene of (one ride under way a call), or
    refusals of rides under way, each driving on to another destination."""
    Program.objects.filter(pk=pair.team.program_id).update(transports=True)
    calls = CallFactory.create_batch(count, team=pair.team, status=CallStatus.ON_SCENE)
    csu = ServiceFactory(category=ServiceCategory.CRISIS_STABILIZATION)
    sobering = ServiceFactory(category=ServiceCategory.SOBERING_CENTER)
    if table == "transports":
        return [
            {
                "id": str(uuid.uuid4()),
                "call_id": str(call.pk),
                "destination_id": str(csu.pk),
                "consent_given": True,
                "consent_method": "verbal",
                "status": "under_way",
                "departed_at": sync.minutes_ago_ms(20),
            }
            for call in calls
        ]
    rides = [
        Transport.objects.create(
            call=call,
            provider=pair.team.provider,
            team=pair.team,
            destination=csu,
            consent_given=True,
            consent_method="verbal",
            departed_at=timezone.now() - timedelta(minutes=20),
        )
        for call in calls
    ]
    return [
        {
            "id": str(uuid.uuid4()),
            "transport_id": str(ride.pk),
            "destination_id": str(csu.pk),
            "next_destination_id": str(sobering.pk),
            "reason": "No beds until morning.",
            "refused_at": sync.minutes_ago_ms(10),
        }
        for ride in rides
    ]


def test_every_pushable_table_has_a_push_budget():
    pushable = {table.name for table in registry.tables(pushed=True) if table.push is not None}

    assert set(PUSH_BUDGETS) == pushable


@pytest.fixture
def queued_tasks(monkeypatch):
    """Tasks queued as a deployment queues them, not run in-process (the suite's Q_SYNC):
    what a worker later does is not the push's cost, and run at each commit it would make
    the count depend on where the push's chunks happen to commit."""
    monkeypatch.setattr(Conf, "SYNC", False)


@sync.SYNC_DB
@pytest.mark.usefixtures("sync_counter", "queued_tasks")
@pytest.mark.parametrize("size", PUSH_SIZES, ids=lambda size: f"{size}_records")
@pytest.mark.parametrize("table", list(PUSH_BUDGETS))
def test_push_costs_exactly_base_plus_per_record(table, size):
    pair = sync.team_pair()
    # The backup alert's audience, so its rows are written as in a deployment.
    DispatcherFactory()
    SupervisorFactory(provider=pair.team.provider)
    records = records_for(table, pair, size)
    cursor = sequence.current()
    base, per_record = PUSH_BUDGETS[table]

    with CaptureQueriesContext(connection) as captured:
        response = sync.push(pair.first.client, sync.created(**{table: records}), cursor)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["applied"], body["rejected"]) == (size, {})
    ran = statements(captured)
    expected = base + per_record * size
    assert len(ran) == expected, (
        f"A push of {size} {table} ran {len(ran)} statements, not {base} + {per_record} * "
        f"{size} = {expected}:\n" + "\n".join(f"{n}. {sql}" for n, sql in enumerate(ran, 1))
    )
