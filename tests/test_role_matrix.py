"""The role matrix (umcr/policy.py), proved on every way in: one generated case per
(resource, action, way in) x role x {in scope, out of scope}.

Each probe performs one action through one way in and reads back from the database whether
it took effect; the case expects it to take effect exactly when
`policy.allows(role, action, resource)` and the record is in the actor's scope (and, for the
admin, the actor is staff; for a cell with a limit, the probe's variant is within it). So the
cases follow the matrix: change a cell and the expectations change with it.

The world, built afresh for each case: two providers ("own" and "other"), each with a team
(and a spare team to reassign to), a clinician of that team, a case manager, a supervisor,
a person, a call of the team about the person (its dispatch event, a note, an outcome, a
backup request, a follow-up, a referral), a quarantined push, an access-log row and a
device; one dispatch desk; one service. The actor is the own provider's responder of the
role (the desk for the dispatcher); "in scope" probes the own provider's records,
"out of scope" the other's. The desk reaches every call, so it has no out-of-scope case.

What each way in answers:
- REST (`/api/v1/`): allowed 200/201; inside scope but not granted 403 (a call's detail
  answers 200 with the part left out and named in `withheld`; lists answer 200 without
  the record); out of scope 404 (lists: 200 without it; a create naming another's call
  in its body: 400 naming the field). Two answers say nothing of the record and are taken
  for either: a refusal by role alone (403) for a role granted the action on no record,
  and "not found" (404) for a role that may not read the kind at all.
- sync push: applied, or named in `experimentalRejectedIds` and kept in the quarantine.
- sync pull (first sync): the record is delivered, or absent.
- admin page: the changelist lists the record and its change page opens (200), or the
  record is not listed and its page is refused (302 to the admin index, 403 or 404).
  The admin is for staff (supervisors and case managers): the clinician and the desk are
  sent to the login page on every admin probe.
- admin action (and admin form): the record changed, or not (the action not offered, or
  refused; the form not offered).

The ways in of each row (a (resource, action) with no probe on a way in has no such way in):
- calls: read (REST list and detail, pull, admin page); change (REST assign, admin action
  `reassign`); create (REST intake; phones never create calls).
- status_events: read (REST call detail `events`, pull, admin page); create (REST and push,
  a team step and a desk step: the cell's limits); void (admin action `void`).
- notes: read (REST call detail `notes`, pull, admin page); create (REST, push);
  void (admin action `void`).
- outcome_codes: read (REST call detail `outcome.disposition`, pull `calls.disposition`,
  admin page); create (REST, push); void (admin action `void` on the outcome).
- outcome_details: read (REST call detail `outcome.summary`, pull `outcomes`); create
  (REST, push: the summary written); void (admin action `void`: the same outcome record).
- backup_requests: read (REST list, pull, admin page); create (REST, push); change (REST
  status and push: acknowledge - not the team's - and cancel).
- people: read (REST person page and call detail `person`, pull, admin page); create and
  change (push; there is no REST or admin write of a person).
- follow_ups: read (REST list, detail and call detail `followups`, pull, admin page);
  create (REST, push); change (REST cancel, push, admin action `cancel`, admin form:
  the purpose).
- referrals: read (REST list, detail and call detail `referrals`, pull, admin page);
  create (REST, push); change (REST status, push, admin action `close_withdrawn`, admin
  form: the notes).
- devices: read (admin pages of a device and of an account); void (admin action `revoke_devices`); change (admin action
  `suspend_accounts` on a responder). Everyone signs their own devices in and out: not a cell.
- quarantine: read (admin page); change (admin form: saving a resolution).
- access_log: read (admin page).
- figures: read (REST `/metrics/` for the provider).
- call_programs: read (REST `/programs/`, admin page: programs are the city's, the same in
  and out of scope); change (REST move of the call to another program).
- transports: read (REST detail, admin page, pull); create (REST and push, from the scene of
  the team's other call); change (REST `arrived`, push: the ride arrived, and a
  destination's refusal pushed in its own table).
- check_ins: read (REST the call's check-ins, pull); create (REST, push).
- safety_alerts: read (REST list, pull); change (REST acknowledge, the board's Acknowledge
  button: a form POST in a browser session).
- board: read (the live board's page, `/board/live/`, in a browser session: the call listed).
- team_status: read (REST `/teams/`); change (REST and push: availability and position
  pings; a request names no team, it reports the caller's own, so outside scope it answers
  200 - or is applied, pushed - and the other side's team is untouched).
- desk_notes: read (REST list on the call, pull); create (REST, the live board's form;
  phones never push them).

Where the code disagrees with the matrix, the case is kept and marked xfail (strict), its
reason saying what the code does instead (DISAGREEMENTS below).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.forms import MultiWidget
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.choices import BackupStatus, CallStatus, Disposition, EventKind
from calls.models import (
    BackupRequest,
    Call,
    CheckIn,
    DeskNote,
    Note,
    Outcome,
    Person,
    SafetyAlert,
    StatusEvent,
)
from followups.choices import FollowUpStatus
from followups.models import FollowUp
from referrals.choices import ReferralStatus, ServiceCategory
from referrals.models import Referral, Service
from responders.choices import Role
from responders.models import Device, Division, Program, Provider, Responder, Team
from tests.admin_lists import every_row
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    CaseManagerFactory,
    ClinicianFactory,
    CoverageFactory,
    DeviceFactory,
    DispatcherFactory,
    DivisionFactory,
    FollowUpFactory,
    NoteFactory,
    OutcomeFactory,
    PersonFactory,
    ProgramFactory,
    ProviderFactory,
    ReferralFactory,
    ServiceFactory,
    ShiftFactory,
    StatusEventFactory,
    SupervisorFactory,
    TeamFactory,
    signed_in_client,
)
from transports.models import DestinationRefusal, Transport
from umcr import policy
from umcr.models import AccessLog, QuarantinedRecord
from umcr.policy import CHANGE, CREATE, READ, VOID
from umcr.sync import sequence
from umcr.sync.registry import SCHEMA_VERSION

ROLES = tuple(policy.ROLE_COLUMNS)  # clinician, case_manager, supervisor, dispatcher
STAFF = (Role.SUPERVISOR, Role.CASE_MANAGER)
IN_SCOPE, OUT_OF_SCOPE = "in_scope", "out_of_scope"

API = "/api/v1"
PULL = f"{API}/sync/pull/"
PUSH = f"{API}/sync/push/"

# How a way in answers (Answer.status for push, pull and admin actions).
APPLIED, QUARANTINED = "applied", "quarantined"
LISTED, ABSENT = "listed", "absent"
DONE, NOT_DONE = "done", "not done"
OPENED, REFUSED, LOGIN = "opened", "refused", "login"


# --- the world --------------------------------------------------------------------------------


@dataclass
class Side:
    """One provider's people and records."""

    provider: Provider
    division: Division
    team: Team
    spare_team: Team
    clinician: Responder
    case_manager: Responder
    supervisor: Responder
    person: Person
    call: Call
    event: StatusEvent
    note: Note
    outcome: Outcome
    backup: BackupRequest
    followup: FollowUp
    referral: Referral
    quarantined: QuarantinedRecord
    access_log: AccessLog
    device: Device
    # A second program covering the side's division, with a team of the provider on shift.
    program: Program
    # A ride under way on the call, and another call of the team whose pair is on scene.
    transport: Transport
    scene_call: Call
    # A note from the desk to the team on the call.
    desk_note: DeskNote
    # A check-in on the call, and a safety alert (a missed check-in) on the scene call.
    check_in: CheckIn
    safety_alert: SafetyAlert


@dataclass
class Actor:
    role: str
    responder: Responder
    _api: object = None
    _web: Client | None = None

    @property
    def api(self):
        """A phone signed in as the actor (a device token)."""
        if self._api is None:
            self._api, _, _ = signed_in_client(self.responder)
        return self._api

    @property
    def web(self) -> Client:
        """A browser signed in to the admin as the actor."""
        if self._web is None:
            self._web = Client()
            self._web.force_login(self.responder.user)
        return self._web


@dataclass
class World:
    own: Side
    other: Side
    desk: Responder
    service: Service

    def actor(self, role: str) -> Actor:
        responder = self.desk if role == Role.DISPATCHER else getattr(self.own, role)
        return Actor(role, responder)


def build_side(name: str) -> Side:
    now = timezone.now()
    provider = ProviderFactory(name=name.title(), slug=name)
    division = DivisionFactory(code=name[:3].upper())
    CoverageFactory(provider=provider, division=division)
    team = TeamFactory(provider=provider, call_sign=f"{name.upper()}-1")
    clinician = ClinicianFactory(team=team, user__username=f"{name}-clinician")
    person = PersonFactory(provider=provider, given_name="Dana", family_name=f"{name.title()}son")
    call = CallFactory(team=team, division=division, person=person)
    outreach = ProgramFactory(slug="circle")
    CoverageFactory(program=outreach, provider=provider, division=division)
    ShiftFactory(team=TeamFactory(program=outreach, provider=provider, call_sign=f"{name}-C1"))
    # UMCR transports in this world, so that a ride can start from its calls.
    Program.objects.filter(pk=team.program_id).update(transports=True)
    destination = ServiceFactory(category=ServiceCategory.CRISIS_STABILIZATION)
    return Side(
        provider=provider,
        division=division,
        team=team,
        spare_team=TeamFactory(provider=provider, call_sign=f"{name.upper()}-2"),
        clinician=clinician,
        case_manager=CaseManagerFactory(provider=provider, user__username=f"{name}-cm"),
        supervisor=SupervisorFactory(provider=provider, user__username=f"{name}-supervisor"),
        person=person,
        call=call,
        event=StatusEventFactory(
            call=call, kind=EventKind.DISPATCHED, occurred_at=now - timedelta(minutes=30)
        ),
        note=NoteFactory(call=call, body=f"{name} note: calm, accepted water."),
        outcome=OutcomeFactory(
            call=call,
            disposition=Disposition.RESOLVED_ON_SCENE,
            summary=f"{name} summary: talked it through.",
            occurred_at=now - timedelta(minutes=10),
        ),
        backup=BackupRequestFactory(call=call, occurred_at=now - timedelta(minutes=20)),
        followup=FollowUpFactory(call=call, person=person),
        referral=ReferralFactory(call=call, person=person),
        quarantined=QuarantinedRecord.objects.create(
            user=clinician.user,
            provider=provider,
            table="notes",
            record_id=str(uuid.uuid4()),
            operation="deleted",
            payload={},
            reason={"detail": "Phones never erase records."},
        ),
        access_log=AccessLog.objects.create(
            user=clinician.user,
            channel="rest",
            record_type="call",
            record_ids=[str(call.pk)],
            provider=provider,
        ),
        device=DeviceFactory(responder=clinician),
        program=outreach,
        transport=Transport.objects.create(
            call=call,
            provider=provider,
            team=team,
            destination=destination,
            consent_given=True,
            consent_method="verbal",
            departed_at=now - timedelta(minutes=5),
        ),
        scene_call=(
            scene_call := CallFactory(team=team, division=division, status=CallStatus.ON_SCENE)
        ),
        check_in=CheckIn.objects.create(
            call=call, answer="ok", occurred_at=now - timedelta(minutes=15)
        ),
        safety_alert=SafetyAlert.objects.create(
            call=scene_call, team=team, due_at=now - timedelta(minutes=6)
        ),
        desk_note=DeskNote.objects.create(call=call, body=f"{name}: caller walked to the park."),
    )


@pytest.fixture
def world() -> World:
    return World(
        own=build_side("own"),
        other=build_side("other"),
        desk=DispatcherFactory(user__username="desk"),
        service=ServiceFactory(),
    )


# --- what a probe reports ---------------------------------------------------------------------


@dataclass
class Answer:
    performed: bool
    status: object  # an HTTP status (REST) or one of the words above


def ids_in(body) -> set[str]:
    rows = body["results"] if isinstance(body, dict) else body
    return {str(row["id"]) for row in rows}


def minutes_ago(minutes: float):
    return timezone.now() - timedelta(minutes=minutes)


def ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def rest_get(actor: Actor, url: str, **params):
    return actor.api.get(url, params)


def rest_post(actor: Actor, url: str, body: dict):
    return actor.api.post(url, body, format="json")


def call_detail(actor: Actor, side: Side):
    return rest_get(actor, f"{API}/calls/{side.call.pk}/")


# --- sync --------------------------------------------------------------------------------------


def pulled(actor: Actor, table: str) -> dict[str, dict]:
    """The records of `table` a first sync delivers to the actor, by id."""
    response = actor.api.get(PULL, {"last_pulled_at": "null", "schema_version": SCHEMA_VERSION})
    assert response.status_code == 200, response.content
    section = response.json()["changes"][table]
    return {r["id"]: r for op in ("created", "updated") for r in section[op]}


def pull_probe(table: str, record: Callable[[Side], object]):
    def run(actor: Actor, side: Side, world: World) -> Answer:
        listed = str(record(side).pk) in pulled(actor, table)
        return Answer(listed, LISTED if listed else ABSENT)

    return run


def pulled_disposition(actor: Actor, side: Side, world: World) -> Answer:
    """The disposition code as the desk gets it too: a column of the `calls` table."""
    record = pulled(actor, "calls").get(str(side.call.pk))
    shown = record is not None and record["disposition"] == side.outcome.disposition
    return Answer(shown, LISTED if record is not None else ABSENT)


def push(actor: Actor, table: str, op: str, record: dict) -> Answer:
    """Push one record; report whether it was applied or quarantined (never both)."""
    section = {"created": [], "updated": [], "deleted": []}
    section[op] = [record]
    url = f"{PUSH}?last_pulled_at={sequence.current()}"
    response = actor.api.post(url, {"changes": {table: section}}, format="json")
    assert response.status_code == 200, response.content
    rejected = response.json()["experimentalRejectedIds"].get(table, [])
    kept = QuarantinedRecord.objects.filter(table=table, record_id=record["id"]).exists()
    assert (record["id"] in rejected) == kept, response.json()
    return Answer(not kept, QUARANTINED if kept else APPLIED)


def push_create(table: str, make: Callable[[Side, World], dict], stored: Callable[[dict], bool]):
    def run(actor: Actor, side: Side, world: World) -> Answer:
        record = make(side, world)
        answer = push(actor, table, "created", record)
        assert stored(record) is answer.performed
        return answer

    return run


def push_update(table: str, make: Callable[[Side], dict], changed: Callable[[Side], bool]):
    def run(actor: Actor, side: Side, world: World) -> Answer:
        answer = push(actor, table, "updated", make(side))
        assert changed(side) is answer.performed
        return answer

    return run


def push_team_status(table: str, make: Callable[[], dict], changed: Callable[[Team], bool]):
    """Push a report of the pusher's own team; report whether the side's team changed."""

    def run(actor: Actor, side: Side, world: World) -> Answer:
        answer = push(actor, table, "created", make())
        return Answer(changed(Team.objects.get(pk=side.team.pk)), answer.status)

    return run


def new_id() -> str:
    return str(uuid.uuid4())


def note_record(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "call_id": str(side.call.pk),
        "body": "Pushed: sitting on the kerb.",
        "written_at": ms(minutes_ago(2)),
        "amends_id": None,
    }


def event_record(kind: str):
    def make(side: Side, world: World) -> dict:
        return {
            "id": new_id(),
            "call_id": str(side.call.pk),
            "kind": kind,
            "occurred_at": ms(minutes_ago(2)),
        }

    return make


def outcome_record(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "call_id": str(side.call.pk),
        "disposition": Disposition.REFERRED_TO_SERVICES,
        "police_involved": False,
        "people_served": 1,
        "summary": "Pushed summary: agreed to a shelter bed.",
        "occurred_at": ms(minutes_ago(2)),
        "supersedes_id": str(side.outcome.pk),
    }


def backup_record(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "call_id": str(side.call.pk),
        "reason": "weapon_seen",
        "details": "Pushed: knife in his waistband.",
        "occurred_at": ms(minutes_ago(2)),
    }


def person_record(side: Side, world: World) -> dict:
    return {"id": new_id(), "call_id": str(side.call.pk), "given_name": "Sam", "family_name": "Doe"}


def followup_record(side: Side, world: World) -> dict:
    opens = timezone.now() + timedelta(days=1)
    return {
        "id": new_id(),
        "call_id": str(side.call.pk),
        "person_id": None,
        "kind": "visit",
        "purpose": "Pushed: see whether the bed worked out.",
        "not_before": ms(opens),
        "due_by": ms(opens + timedelta(days=2)),
    }


def referral_record(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "call_id": str(side.call.pk),
        "person_id": None,
        "service_id": world.service.pk,
        "consent_given": True,
        "consent_method": "verbal",
        "notes": "Pushed: wants a bed tonight.",
    }


def exists(model) -> Callable[[dict], bool]:
    return lambda record: model.objects.filter(pk=record["id"]).exists()


def outcome_with_summary(record: dict) -> bool:
    return Outcome.objects.filter(pk=record["id"], summary=record["summary"]).exists()


# --- REST ----------------------------------------------------------------------------------------


def rest_list(url: Callable[[Side], str], record: Callable[[Side], object]):
    def run(actor: Actor, side: Side, world: World) -> Answer:
        response = rest_get(actor, url(side))
        listed = response.status_code == 200 and str(record(side).pk) in ids_in(response.json())
        return Answer(listed, response.status_code)

    return run


def rest_detail(url: Callable[[Side], str], record: Callable[[Side], object]):
    def run(actor: Actor, side: Side, world: World) -> Answer:
        response = rest_get(actor, url(side))
        shown = response.status_code == 200 and response.json()["id"] == str(record(side).pk)
        return Answer(shown, response.status_code)

    return run


def call_part(read: Callable[[dict, Side], bool], withheld_as: str):
    """A part of the call's detail: shown, or left out and named in `withheld`."""

    def run(actor: Actor, side: Side, world: World) -> Answer:
        response = call_detail(actor, side)
        if response.status_code != 200:
            return Answer(False, response.status_code)
        body = response.json()
        shown = read(body, side)
        assert shown is (withheld_as not in body["withheld"]), body["withheld"]
        return Answer(shown, response.status_code)

    return run


def rest_write(
    url: Callable[[Side], str],
    body: Callable[[Side, World], dict],
    taken: Callable[[Side, dict], bool],
):
    """POST `body`; report from the database whether it took effect."""

    def run(actor: Actor, side: Side, world: World) -> Answer:
        sent = body(side, world)
        response = rest_post(actor, url(side), sent)
        return Answer(taken(side, sent), response.status_code)

    return run


def event_body(kind: str):
    return lambda side, world: {
        "id": new_id(),
        "kind": kind,
        "occurred_at": minutes_ago(2).isoformat(),
    }


def note_body(side: Side, world: World) -> dict:
    return {"id": new_id(), "body": "Calm; talking about a bed.", "written_at": minutes_ago(2)}


def outcome_body(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "disposition": Disposition.REFERRED_TO_SERVICES,
        "police_involved": False,
        "people_served": 1,
        "summary": "REST summary: agreed to a shelter bed.",
        "occurred_at": minutes_ago(2).isoformat(),
        "supersedes": str(side.outcome.pk),
    }


def backup_body(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "reason": "weapon_seen",
        "details": "Knife in his waistband.",
        "occurred_at": minutes_ago(2).isoformat(),
    }


def intake_body(side: Side, world: World) -> dict:
    return {
        "source": "cad_911",
        "cad_incident_number": f"MATRIX-{uuid.uuid4().hex[:8]}",
        "received_at": minutes_ago(1).isoformat(),
        "call_type": "welfare_check",
        "division": side.division.code,
        "address": "5800 Wilshire Blvd",
        "narrative": "Man in the bus shelter for hours.",
    }


def followup_body(side: Side, world: World) -> dict:
    opens = timezone.now() + timedelta(days=1)
    return {
        "id": new_id(),
        "kind": "visit",
        "call": str(side.call.pk),
        "not_before": opens.isoformat(),
        "due_by": (opens + timedelta(days=2)).isoformat(),
        "purpose": "See whether the shelter bed worked out.",
    }


def referral_body(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "service": world.service.pk,
        "call": str(side.call.pk),
        "consent_given": True,
        "consent_method": "verbal",
        "notes": "Wants a bed tonight.",
    }


def has_id(model):
    return lambda side, sent: model.objects.filter(pk=sent["id"]).exists()


def figures(actor: Actor, side: Side, world: World) -> Answer:
    response = rest_get(actor, f"{API}/metrics/", provider=side.provider.slug)
    shown = response.status_code == 200 and response.json()["filters"]["provider"] == (
        side.provider.slug
    )
    return Answer(shown, response.status_code)


def board_lists_call(actor: Actor, side: Side, world: World) -> Answer:
    response = actor.web.get("/board/live/")
    listed = response.status_code == 200 and (
        f'data-cad="{side.call.cad_incident_number}"' in response.content.decode()
    )
    return Answer(listed, response.status_code)


def board_desk_note(actor: Actor, side: Side, world: World) -> Answer:
    """A note to the team from the board's form, naming the call by its CAD number."""
    body = "From the board: the caller moved."
    response = actor.web.post(
        "/board/desk-note/", {"cad": side.call.cad_incident_number, "body": body}
    )
    return Answer(DeskNote.objects.filter(call=side.call, body=body).exists(), response.status_code)


def check_in_record(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "call_id": str(side.call.pk),
        "answer": "ok",
        "check_again_minutes": None,
        "occurred_at": ms(minutes_ago(2)),
    }


def check_in_body(side: Side, world: World) -> dict:
    return {"id": new_id(), "answer": "ok", "occurred_at": minutes_ago(2).isoformat()}


def check_ins_listed(actor: Actor, side: Side, world: World) -> Answer:
    response = rest_get(actor, f"{call_of(side)}check-ins/")
    listed = response.status_code == 200 and str(side.check_in.pk) in ids_in(
        response.json()["check_ins"]
    )
    return Answer(listed, response.status_code)


def alert_acknowledged(side: Side, sent=None) -> bool:
    return SafetyAlert.objects.filter(
        pk=side.safety_alert.pk, acknowledged_at__isnull=False
    ).exists()


def board_acknowledge(actor: Actor, side: Side, world: World) -> Answer:
    response = actor.web.post(f"/board/safety-alerts/{side.safety_alert.pk}/acknowledge/")
    return Answer(alert_acknowledged(side), response.status_code)


def teams_listed(actor: Actor, side: Side, world: World) -> Answer:
    response = rest_get(actor, f"{API}/teams/")
    listed = response.status_code == 200 and side.team.call_sign in {
        row["call_sign"] for row in response.json()
    }
    return Answer(listed, response.status_code)


def transport_body(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "call": str(side.scene_call.pk),
        "destination": side.transport.destination_id,
        "departed_at": minutes_ago(2).isoformat(),
        "consent_given": True,
        "consent_method": "verbal",
    }


def ride_record(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "call_id": str(side.scene_call.pk),
        "destination_id": str(side.transport.destination_id),
        "departed_at": ms(minutes_ago(2)),
        "consent_given": True,
        "consent_method": "verbal",
        "status": "under_way",
    }


def refusal_record(side: Side, world: World) -> dict:
    return {
        "id": new_id(),
        "transport_id": str(side.transport.pk),
        "destination_id": str(side.transport.destination_id),
        "next_destination_id": str(world.service.pk),
        "reason": "Pushed: no beds until morning.",
        "refused_at": ms(minutes_ago(1)),
    }


def programs_listed(actor: Actor, side: Side, world: World) -> Answer:
    response = rest_get(actor, f"{API}/programs/")
    listed = response.status_code == 200 and side.program.slug in {
        program["slug"] for program in response.json()
    }
    return Answer(listed, response.status_code)


# --- admin ---------------------------------------------------------------------------------------


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def is_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def admin_page(record: Callable[[Side], object]):
    """The changelist lists the record and its change page opens, or neither."""

    def run(actor: Actor, side: Side, world: World) -> Answer:
        obj = record(side)
        # Every row: follow-up and referral lists open on a queue (what needs the reader).
        listing = actor.web.get(changelist_url(type(obj)), every_row(type(obj)))
        page = actor.web.get(change_url(obj))
        if is_login(listing):
            assert is_login(page)
            return Answer(False, LOGIN)
        listed = listing.status_code == 200 and change_url(obj) in listing.content.decode()
        assert listing.status_code in (200, 403), listing.status_code
        opened = page.status_code == 200
        assert page.status_code in (200, 302, 403, 404), page.status_code
        assert listed is opened, (listing.status_code, page.status_code)
        return Answer(opened, OPENED if opened else REFUSED)

    return run


def admin_action(
    record: Callable[[Side], object],
    action: str,
    took_effect: Callable[[Side], bool],
    **form,
):
    """POST the changelist's action on the record, with the action form's fields."""

    def run(actor: Actor, side: Side, world: World) -> Answer:
        obj = record(side)
        data = {"action": action, "_selected_action": [str(obj.pk)], "index": 0}
        data.update({k: (v(side) if callable(v) else v) for k, v in form.items()})
        response = actor.web.post(changelist_url(type(obj)), data)
        if is_login(response):
            assert not took_effect(side)
            return Answer(False, LOGIN)
        assert response.status_code in (200, 302, 403), response.status_code
        done = took_effect(side)
        return Answer(done, DONE if done else NOT_DONE)

    return run


def form_data(response) -> dict:
    """A change form as the browser posts it back: each editable field's value and each
    inline's management form and rows."""
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(n): management[n].value() for n in management.fields})
        forms += list(inline.formset.forms)
    for form in forms:
        for bound in form:
            value, widget = bound.value(), bound.field.widget
            if isinstance(widget, MultiWidget):
                for i, part in enumerate(widget.decompress(value)):
                    data[f"{bound.html_name}_{i}"] = "" if part is None else str(part)
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            elif value is not None:
                data[bound.html_name] = str(value)
    return data


def admin_form(record: Callable[[Side], object], column: str, value: str):
    """Open the record's change form and save it with one column changed."""

    def run(actor: Actor, side: Side, world: World) -> Answer:
        obj = record(side)
        page = actor.web.get(change_url(obj))
        if is_login(page):
            return Answer(False, LOGIN)
        if page.status_code == 200 and column in page.context["adminform"].form.fields:
            response = actor.web.post(change_url(obj), {**form_data(page), column: value})
            assert response.status_code in (200, 302), response.status_code
        else:
            # No form to fill in: post the column alone, as a hand-made request would.
            response = actor.web.post(change_url(obj), {column: value})
            assert response.status_code in (200, 302, 403, 404), response.status_code
        done = type(obj).objects.filter(pk=obj.pk, **{column: value}).exists()
        return Answer(done, DONE if done else NOT_DONE)

    return run


def save_resolution(actor: Actor, side: Side, world: World) -> Answer:
    record = side.quarantined
    data = {"resolved_at_0": "", "resolved_at_1": "", "resolution": "Re-entered the note."}
    response = actor.web.post(change_url(record), data)
    if is_login(response):
        return Answer(False, LOGIN)
    assert response.status_code in (200, 302, 403, 404), response.status_code
    record.refresh_from_db()
    done = record.resolution == "Re-entered the note."
    return Answer(done, DONE if done else NOT_DONE)


def voided(attr: str):
    def check(side: Side) -> bool:
        obj = getattr(side, attr)
        return type(obj).objects.filter(pk=obj.pk, voided_at__isnull=False).exists()

    return check


# --- the probes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    resource: str
    action: str
    way: str  # rest, push, pull, admin_page, admin_action (a variant may follow: rest_list)
    run: Callable[[Actor, Side, World], Answer] = field(compare=False)
    # REST: the statuses of success, of a refusal inside scope, and outside it.
    ok: tuple = (200,)
    denied: tuple = (403,)
    hidden: tuple = (404,)
    # The cell's limit: roles this variant of the action is for (None: every granted role).
    only: tuple | None = None
    variant: str = ""
    # The record is the city's, not a provider's: reached in and out of scope alike.
    city_wide: bool = False

    @property
    def id(self) -> str:
        way = f"{self.way}_{self.variant}" if self.variant else self.way
        return f"{self.resource}-{self.action}-{way}"


def call_of(side: Side) -> str:
    return f"{API}/calls/{side.call.pk}/"


LIST = {"denied": (200, 403), "hidden": (200,)}
PART = {"denied": (200,)}  # the call's detail answers with the part withheld
BY_BODY = {"hidden": (400, 404)}  # a create naming another's call in its body
TEAM, DESK = (Role.CLINICIAN,), (Role.DISPATCHER,)
NOT_TEAM = (Role.CASE_MANAGER, Role.SUPERVISOR, Role.DISPATCHER)
NOT_DESK = (Role.CLINICIAN, Role.CASE_MANAGER, Role.SUPERVISOR)

PROBES = [
    # calls ----------------------------------------------------------------------------------
    Probe(
        "calls",
        READ,
        "rest",
        rest_list(lambda s: f"{API}/calls/", lambda s: s.call),
        variant="list",
        **LIST,
    ),
    Probe("calls", READ, "rest", rest_detail(call_of, lambda s: s.call), variant="detail"),
    Probe("calls", READ, "pull", pull_probe("calls", lambda s: s.call)),
    Probe("calls", READ, "admin_page", admin_page(lambda s: s.call)),
    Probe(
        "calls",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{call_of(s)}assign/",
            lambda s, w: {"team": s.spare_team.call_sign},
            lambda s, sent: Call.objects.get(pk=s.call.pk).team_id == s.spare_team.pk,
        ),
        variant="assign",
    ),
    Probe(
        "calls",
        CHANGE,
        "admin_action",
        admin_action(
            lambda s: s.call,
            "reassign",
            lambda s: Call.objects.get(pk=s.call.pk).team_id == s.spare_team.pk,
            team=lambda s: s.spare_team.call_sign,
        ),
        variant="reassign",
    ),
    Probe(
        "calls",
        CREATE,
        "rest",
        rest_write(
            lambda s: f"{API}/intake/calls/",
            intake_body,
            lambda s, sent: Call.objects.filter(
                cad_incident_number=sent["cad_incident_number"]
            ).exists(),
        ),
        ok=(201,),
        variant="intake",
    ),
    # status events -------------------------------------------------------------------------
    Probe(
        "status_events",
        READ,
        "rest",
        call_part(lambda b, s: str(s.event.pk) in ids_in(b["events"]), "status_events"),
        **PART,
    ),
    Probe("status_events", READ, "pull", pull_probe("status_events", lambda s: s.event)),
    Probe("status_events", READ, "admin_page", admin_page(lambda s: s.event)),
    Probe(
        "status_events",
        CREATE,
        "rest",
        rest_write(
            lambda s: f"{call_of(s)}events/",
            event_body(EventKind.ACKNOWLEDGED),
            has_id(StatusEvent),
        ),
        ok=(201,),
        only=NOT_DESK,
        variant="team_step",
    ),
    Probe(
        "status_events",
        CREATE,
        "rest",
        rest_write(
            lambda s: f"{call_of(s)}events/", event_body(EventKind.DISPATCHED), has_id(StatusEvent)
        ),
        ok=(201,),
        only=DESK,
        variant="desk_step",
    ),
    Probe(
        "status_events",
        CREATE,
        "push",
        push_create("status_events", event_record(EventKind.ACKNOWLEDGED), exists(StatusEvent)),
        only=NOT_DESK,
        variant="team_step",
    ),
    Probe(
        "status_events",
        CREATE,
        "push",
        push_create("status_events", event_record(EventKind.DISPATCHED), exists(StatusEvent)),
        only=DESK,
        variant="desk_step",
    ),
    Probe(
        "status_events",
        VOID,
        "admin_action",
        admin_action(lambda s: s.event, "void", voided("event"), reason="Entered in error."),
    ),
    # notes -------------------------------------------------------------------------------------
    Probe(
        "notes",
        READ,
        "rest",
        call_part(lambda b, s: str(s.note.pk) in ids_in(b["notes"]), "notes"),
        **PART,
    ),
    Probe("notes", READ, "pull", pull_probe("notes", lambda s: s.note)),
    Probe("notes", READ, "admin_page", admin_page(lambda s: s.note)),
    Probe(
        "notes",
        CREATE,
        "rest",
        rest_write(lambda s: f"{call_of(s)}notes/", note_body, has_id(Note)),
        ok=(201,),
    ),
    Probe("notes", CREATE, "push", push_create("notes", note_record, exists(Note))),
    Probe(
        "notes",
        VOID,
        "admin_action",
        admin_action(lambda s: s.note, "void", voided("note"), reason="Entered in error."),
    ),
    # outcomes: the code ------------------------------------------------------------------------
    Probe(
        "outcome_codes",
        READ,
        "rest",
        call_part(
            lambda b, s: (b["outcome"] or {}).get("disposition") == s.outcome.disposition,
            "outcome_codes",
        ),
        **PART,
    ),
    Probe(
        "outcome_codes",
        READ,
        "pull",
        pulled_disposition,
    ),
    Probe("outcome_codes", READ, "admin_page", admin_page(lambda s: s.outcome)),
    Probe(
        "outcome_codes",
        CREATE,
        "rest",
        rest_write(lambda s: f"{call_of(s)}outcome/", outcome_body, has_id(Outcome)),
        ok=(201,),
    ),
    Probe(
        "outcome_codes", CREATE, "push", push_create("outcomes", outcome_record, exists(Outcome))
    ),
    Probe(
        "outcome_codes",
        VOID,
        "admin_action",
        admin_action(lambda s: s.outcome, "void", voided("outcome"), reason="Entered in error."),
    ),
    # outcomes: the summary ---------------------------------------------------------------------
    Probe(
        "outcome_details",
        READ,
        "rest",
        call_part(
            lambda b, s: (b["outcome"] or {}).get("summary") == s.outcome.summary,
            "outcome_details",
        ),
        **PART,
    ),
    Probe("outcome_details", READ, "pull", pull_probe("outcomes", lambda s: s.outcome)),
    Probe(
        "outcome_details",
        CREATE,
        "rest",
        rest_write(
            lambda s: f"{call_of(s)}outcome/",
            outcome_body,
            lambda s, sent: Outcome.objects.filter(pk=sent["id"], summary=sent["summary"]).exists(),
        ),
        ok=(201,),
    ),
    Probe(
        "outcome_details",
        CREATE,
        "push",
        push_create("outcomes", outcome_record, outcome_with_summary),
    ),
    Probe(
        "outcome_details",
        VOID,
        "admin_action",
        admin_action(lambda s: s.outcome, "void", voided("outcome"), reason="Entered in error."),
    ),
    # backup requests ---------------------------------------------------------------------------
    Probe(
        "backup_requests",
        READ,
        "rest",
        rest_list(lambda s: f"{API}/backup-requests/", lambda s: s.backup),
        variant="list",
        **LIST,
    ),
    Probe("backup_requests", READ, "pull", pull_probe("backup_requests", lambda s: s.backup)),
    Probe("backup_requests", READ, "admin_page", admin_page(lambda s: s.backup)),
    Probe(
        "backup_requests",
        CREATE,
        "rest",
        rest_write(lambda s: f"{call_of(s)}backup-requests/", backup_body, has_id(BackupRequest)),
        ok=(201,),
    ),
    Probe(
        "backup_requests",
        CREATE,
        "push",
        push_create("backup_requests", backup_record, exists(BackupRequest)),
    ),
    Probe(
        "backup_requests",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{API}/backup-requests/{s.backup.pk}/status/",
            lambda s, w: {"status": BackupStatus.ACKNOWLEDGED},
            lambda s, sent: (
                BackupRequest.objects.get(pk=s.backup.pk).status == BackupStatus.ACKNOWLEDGED
            ),
        ),
        only=NOT_TEAM,
        variant="acknowledge",
    ),
    Probe(
        "backup_requests",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{API}/backup-requests/{s.backup.pk}/status/",
            lambda s, w: {"status": BackupStatus.CANCELLED},
            lambda s, sent: (
                BackupRequest.objects.get(pk=s.backup.pk).status == BackupStatus.CANCELLED
            ),
        ),
        variant="cancel",
    ),
    Probe(
        "backup_requests",
        CHANGE,
        "push",
        push_update(
            "backup_requests",
            lambda s: {**backup_record(s, None), "id": str(s.backup.pk), "status": "cancelled"},
            lambda s: BackupRequest.objects.get(pk=s.backup.pk).status == BackupStatus.CANCELLED,
        ),
        variant="cancel",
    ),
    Probe(
        "backup_requests",
        CHANGE,
        "push",
        push_update(
            "backup_requests",
            lambda s: {**backup_record(s, None), "id": str(s.backup.pk), "status": "acknowledged"},
            lambda s: BackupRequest.objects.get(pk=s.backup.pk).status == BackupStatus.ACKNOWLEDGED,
        ),
        only=NOT_TEAM,
        variant="acknowledge",
    ),
    # people ------------------------------------------------------------------------------------
    Probe(
        "people",
        READ,
        "rest",
        rest_detail(lambda s: f"{API}/people/{s.person.pk}/", lambda s: s.person),
    ),
    Probe(
        "people",
        READ,
        "rest",
        call_part(lambda b, s: (b["person"] or {}).get("id") == str(s.person.pk), "person"),
        variant="call",
        **PART,
    ),
    Probe("people", READ, "pull", pull_probe("people", lambda s: s.person)),
    Probe("people", READ, "admin_page", admin_page(lambda s: s.person)),
    Probe("people", CREATE, "push", push_create("people", person_record, exists(Person))),
    Probe(
        "people",
        CHANGE,
        "push",
        push_update(
            "people",
            lambda s: {
                "id": str(s.person.pk),
                "given_name": "EDIT",
                "family_name": s.person.family_name,
                "phone": "555-0000",
            },
            lambda s: Person.objects.get(pk=s.person.pk).given_name == "EDIT",
        ),
    ),
    # follow-ups --------------------------------------------------------------------------------
    Probe(
        "follow_ups",
        READ,
        "rest",
        rest_list(lambda s: f"{API}/followups/", lambda s: s.followup),
        variant="list",
        **LIST,
    ),
    Probe(
        "follow_ups",
        READ,
        "rest",
        rest_detail(lambda s: f"{API}/followups/{s.followup.pk}/", lambda s: s.followup),
        variant="detail",
    ),
    Probe(
        "follow_ups",
        READ,
        "rest",
        call_part(lambda b, s: str(s.followup.pk) in ids_in(b["followups"]), "followups"),
        variant="call",
        **PART,
    ),
    Probe("follow_ups", READ, "pull", pull_probe("follow_ups", lambda s: s.followup)),
    Probe("follow_ups", READ, "admin_page", admin_page(lambda s: s.followup)),
    Probe(
        "follow_ups",
        CREATE,
        "rest",
        rest_write(lambda s: f"{API}/followups/", followup_body, has_id(FollowUp)),
        ok=(201,),
        **BY_BODY,
    ),
    Probe(
        "follow_ups", CREATE, "push", push_create("follow_ups", followup_record, exists(FollowUp))
    ),
    Probe(
        "follow_ups",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{API}/followups/{s.followup.pk}/cancel/",
            lambda s, w: {"note": "He moved out of town."},
            lambda s, sent: (
                FollowUp.objects.get(pk=s.followup.pk).status == FollowUpStatus.CANCELLED
            ),
        ),
        variant="cancel",
    ),
    Probe(
        "follow_ups",
        CHANGE,
        "push",
        push_update(
            "follow_ups",
            lambda s: {"id": str(s.followup.pk), "status": FollowUpStatus.CANCELLED},
            lambda s: FollowUp.objects.get(pk=s.followup.pk).status == FollowUpStatus.CANCELLED,
        ),
        variant="cancel",
    ),
    Probe(
        "follow_ups",
        CHANGE,
        "admin_action",
        admin_action(
            lambda s: s.followup,
            "cancel",
            lambda s: FollowUp.objects.get(pk=s.followup.pk).status == FollowUpStatus.CANCELLED,
        ),
        variant="cancel",
    ),
    Probe(
        "follow_ups",
        CHANGE,
        "admin_form",
        admin_form(lambda s: s.followup, "purpose", "Bring the housing forms."),
        variant="purpose",
    ),
    # referrals ---------------------------------------------------------------------------------
    Probe(
        "referrals",
        READ,
        "rest",
        rest_list(lambda s: f"{API}/referrals/", lambda s: s.referral),
        variant="list",
        **LIST,
    ),
    Probe(
        "referrals",
        READ,
        "rest",
        rest_detail(lambda s: f"{API}/referrals/{s.referral.pk}/", lambda s: s.referral),
        variant="detail",
    ),
    Probe(
        "referrals",
        READ,
        "rest",
        call_part(lambda b, s: str(s.referral.pk) in ids_in(b["referrals"]), "referrals"),
        variant="call",
        **PART,
    ),
    Probe("referrals", READ, "pull", pull_probe("referrals", lambda s: s.referral)),
    Probe("referrals", READ, "admin_page", admin_page(lambda s: s.referral)),
    Probe(
        "referrals",
        CREATE,
        "rest",
        rest_write(lambda s: f"{API}/referrals/", referral_body, has_id(Referral)),
        ok=(201,),
        **BY_BODY,
    ),
    Probe("referrals", CREATE, "push", push_create("referrals", referral_record, exists(Referral))),
    Probe(
        "referrals",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{API}/referrals/{s.referral.pk}/status/",
            lambda s, w: {"status": ReferralStatus.SENT, "note": "Faxed the intake form."},
            lambda s, sent: Referral.objects.get(pk=s.referral.pk).status == ReferralStatus.SENT,
        ),
        variant="status",
    ),
    Probe(
        "referrals",
        CHANGE,
        "push",
        push_update(
            "referrals",
            lambda s: {"id": str(s.referral.pk), "status": ReferralStatus.SENT},
            lambda s: Referral.objects.get(pk=s.referral.pk).status == ReferralStatus.SENT,
        ),
        variant="status",
    ),
    Probe(
        "referrals",
        CHANGE,
        "admin_action",
        admin_action(
            lambda s: s.referral,
            "close_withdrawn",
            lambda s: Referral.objects.get(pk=s.referral.pk).status == ReferralStatus.WITHDRAWN,
        ),
        variant="close",
    ),
    Probe(
        "referrals",
        CHANGE,
        "admin_form",
        admin_form(lambda s: s.referral, "notes", "Intake Tuesday 10am."),
        variant="notes",
    ),
    # devices and accounts ----------------------------------------------------------------------
    Probe("devices", READ, "admin_page", admin_page(lambda s: s.device), variant="device"),
    Probe("devices", READ, "admin_page", admin_page(lambda s: s.clinician), variant="account"),
    Probe(
        "devices",
        VOID,
        "admin_action",
        admin_action(
            lambda s: s.device,
            "revoke_devices",
            lambda s: Device.objects.filter(pk=s.device.pk, revoked_at__isnull=False).exists(),
        ),
        variant="revoke",
    ),
    Probe(
        "devices",
        CHANGE,
        "admin_action",
        admin_action(
            lambda s: s.clinician,
            "suspend_accounts",
            lambda s: not get_user_model().objects.get(pk=s.clinician.user_id).is_active,
        ),
        variant="suspend",
    ),
    # the engine's own records ------------------------------------------------------------------
    Probe("quarantine", READ, "admin_page", admin_page(lambda s: s.quarantined)),
    Probe("quarantine", CHANGE, "admin_form", save_resolution, variant="resolve"),
    Probe("access_log", READ, "admin_page", admin_page(lambda s: s.access_log)),
    Probe("figures", READ, "rest", figures),
    # programs -------------------------------------------------------------------------------
    Probe("call_programs", READ, "rest", programs_listed, city_wide=True),
    Probe("call_programs", READ, "admin_page", admin_page(lambda s: s.program), city_wide=True),
    Probe(
        "call_programs",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{call_of(s)}program/",
            lambda s, w: {"program": s.program.slug, "reason": "Sleeping rough, no crisis."},
            lambda s, sent: Call.objects.get(pk=s.call.pk).program_id == s.program.pk,
        ),
        variant="move",
    ),
    # safety check-ins and alerts -----------------------------------------------------------
    Probe("check_ins", READ, "rest", check_ins_listed),
    Probe("check_ins", READ, "pull", pull_probe("check_ins", lambda s: s.check_in)),
    Probe(
        "check_ins",
        CREATE,
        "rest",
        rest_write(lambda s: f"{call_of(s)}check-ins/", check_in_body, has_id(CheckIn)),
        ok=(201,),
    ),
    Probe("check_ins", CREATE, "push", push_create("check_ins", check_in_record, exists(CheckIn))),
    Probe(
        "safety_alerts",
        READ,
        "rest",
        rest_list(lambda s: f"{API}/safety-alerts/", lambda s: s.safety_alert),
        variant="list",
        **LIST,
    ),
    Probe("safety_alerts", READ, "pull", pull_probe("safety_alerts", lambda s: s.safety_alert)),
    Probe(
        "safety_alerts",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{API}/safety-alerts/{s.safety_alert.pk}/acknowledge/",
            lambda s, w: {},
            alert_acknowledged,
        ),
        variant="acknowledge",
    ),
    Probe("safety_alerts", CHANGE, "web", board_acknowledge, ok=(302,), variant="acknowledge"),
    # the live board -------------------------------------------------------------------------
    Probe("board", READ, "web", board_lists_call, **LIST),
    # team status --------------------------------------------------------------------------
    Probe("team_status", READ, "rest", teams_listed, **LIST),
    Probe(
        "team_status",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{API}/team/availability/",
            lambda s, w: {"status": "out_of_service", "reason": "break"},
            lambda s, sent: Team.objects.get(pk=s.team.pk).out_of_service == "break",
        ),
        hidden=(200,),
        variant="availability",
    ),
    Probe(
        "team_status",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{API}/team/positions/",
            lambda s, w: {
                "pings": [
                    {
                        "latitude": "34.1",
                        "longitude": "-118.3",
                        "taken_at": minutes_ago(1).isoformat(),
                    }
                ]
            },
            lambda s, sent: Team.objects.get(pk=s.team.pk).last_position_at is not None,
        ),
        hidden=(200,),
        variant="positions",
    ),
    Probe(
        "team_status",
        CHANGE,
        "push",
        push_team_status(
            "team_availability",
            lambda: {"id": new_id(), "status": "out_of_service", "reason": "break"},
            lambda team: team.out_of_service == "break",
        ),
        hidden=(APPLIED,),
        variant="availability",
    ),
    Probe(
        "team_status",
        CHANGE,
        "push",
        push_team_status(
            "position_pings",
            lambda: {
                "id": new_id(),
                "latitude": 34.1,
                "longitude": -118.3,
                "taken_at": ms(minutes_ago(1)),
            },
            lambda team: team.last_position_at is not None,
        ),
        hidden=(APPLIED,),
        variant="positions",
    ),
    # desk notes -----------------------------------------------------------------------------
    Probe(
        "desk_notes",
        READ,
        "rest",
        rest_list(lambda s: f"{call_of(s)}desk-notes/", lambda s: s.desk_note),
    ),
    Probe("desk_notes", READ, "pull", pull_probe("desk_notes", lambda s: s.desk_note)),
    Probe(
        "desk_notes",
        CREATE,
        "rest",
        rest_write(
            lambda s: f"{call_of(s)}desk-notes/",
            lambda s, w: {"id": new_id(), "body": "Caller says he left."},
            has_id(DeskNote),
        ),
        ok=(201,),
    ),
    # the board's form names the call by its CAD number: another's is not on the board (400)
    Probe("desk_notes", CREATE, "web", board_desk_note, ok=(302,), hidden=(400,)),
    # transports -----------------------------------------------------------------------------
    Probe(
        "transports",
        READ,
        "rest",
        rest_detail(lambda s: f"{API}/transports/{s.transport.pk}/", lambda s: s.transport),
        variant="detail",
    ),
    Probe("transports", READ, "admin_page", admin_page(lambda s: s.transport)),
    Probe(
        "transports",
        CREATE,
        "rest",
        rest_write(
            lambda s: f"{API}/transports/",
            transport_body,
            lambda s, sent: Transport.objects.filter(pk=sent["id"]).exists(),
        ),
        ok=(201,),
        **BY_BODY,
    ),
    Probe(
        "transports",
        CHANGE,
        "rest",
        rest_write(
            lambda s: f"{API}/transports/{s.transport.pk}/arrived/",
            lambda s, w: {"arrived_at": minutes_ago(1).isoformat()},
            lambda s, sent: Transport.objects.get(pk=s.transport.pk).status == "arrived",
        ),
        variant="arrived",
    ),
    Probe("transports", READ, "pull", pull_probe("transports", lambda s: s.transport)),
    Probe("transports", CREATE, "push", push_create("transports", ride_record, exists(Transport))),
    Probe(
        "transports",
        CHANGE,
        "push",
        push_update(
            "transports",
            lambda s: {
                "id": str(s.transport.pk),
                "status": "arrived",
                "arrived_at": ms(minutes_ago(1)),
            },
            lambda s: Transport.objects.get(pk=s.transport.pk).status == "arrived",
        ),
        variant="arrived",
    ),
    Probe(
        "transports",
        CHANGE,
        "push",
        push_create("destination_refusals", refusal_record, exists(DestinationRefusal)),
        variant="refused",
    ),
]


# --- expectations ------------------------------------------------------------------------------


def expected_performed(probe: Probe, role: str, in_scope: bool) -> bool:
    if probe.way.startswith("admin") and role not in STAFF:
        return False  # the admin is for staff
    if probe.only is not None and role not in probe.only:
        return False  # outside the cell's limit
    return (in_scope or probe.city_wide) and policy.allows(role, probe.action, probe.resource)


def expected_statuses(probe: Probe, role: str, in_scope: bool, performed: bool) -> set:
    if probe.way.startswith("admin") and role not in STAFF:
        return {LOGIN}
    if probe.way == "push":
        if performed:
            return {APPLIED}
        # A report of the pusher's own team (team status) is applied to it, not the other's.
        return {QUARANTINED} | (set(probe.hidden) & {APPLIED} if not in_scope else set())
    if probe.way == "pull":
        return {LISTED} if performed else {ABSENT, LISTED}  # listed: a column withheld
    if probe.way == "admin_page":
        return {OPENED} if performed else {REFUSED}
    if probe.way in ("admin_action", "admin_form"):
        return {DONE} if performed else {NOT_DONE}
    if performed:
        return set(probe.ok)
    statuses = set(probe.denied if in_scope else probe.hidden)
    # Answers that say nothing of the record (see the module's docstring).
    if not policy.allows(role, probe.action, probe.resource):
        statuses.add(403)
    if not policy.allows(role, READ, probe.resource):
        statuses.add(404)
    return statuses


# Cases where the code does something else than the matrix says: {case id: what it does}.
DISAGREEMENTS: dict[str, str] = {}


def cases():
    for probe in PROBES:
        for role in ROLES:
            for scope in (IN_SCOPE, OUT_OF_SCOPE):
                if role == Role.DISPATCHER and scope == OUT_OF_SCOPE:
                    continue  # the desk reaches every call
                case_id = f"{probe.id}-{role}-{scope}"
                marks = []
                if case_id in DISAGREEMENTS:
                    marks.append(pytest.mark.xfail(strict=True, reason=DISAGREEMENTS[case_id]))
                yield pytest.param(probe, role, scope, id=case_id, marks=marks)


@pytest.mark.django_db
@pytest.mark.parametrize(("probe", "role", "scope"), list(cases()))
def test_role_matrix(world, probe, role, scope):
    actor = world.actor(role)
    side = world.own if scope == IN_SCOPE else world.other
    expected = expected_performed(probe, role, scope == IN_SCOPE)

    answer = probe.run(actor, side, world)

    assert answer.performed is expected, (
        f"{probe.id} by {role} ({scope}): the matrix says "
        f"{'allowed' if expected else 'refused'}, the code {answer.status}"
    )
    assert answer.status in expected_statuses(probe, role, scope == IN_SCOPE, expected), (
        answer.status
    )
