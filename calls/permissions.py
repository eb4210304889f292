"""Who may do what to calls, their field records and the people served: one place, asked by
the services, the REST views, the sync push and pull, and the admin.

Scope: a clinician reaches their own team's calls; supervisors and case managers their own
provider's; the dispatch desk every call. Outside scope a record does not exist (404). Inside
scope the role matrix (umcr/policy.py, this app's rows registered below) decides (403).
Scope follows the record - the call's team and provider, the team and provider that recorded
a person - never the current team of whoever wrote it, so moving a clinician between teams
or providers carries no record across.

The desk gets what dispatch needs (minimum necessary): logistics, status, the disposition
code, police involvement and backup requests; not note bodies, outcome summaries or people's
identity and contact details.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from responders.choices import Role
from responders.models import Provider, Responder, Team
from umcr import policy
from umcr.errors import NotAllowed
from umcr.policy import CHANGE, CREATE, NOTHING, READ, VOID

from . import children
from .choices import DESK_EVENT_KINDS, TEAM_EVENT_KINDS, BackupStatus
from .models import BackupRequest, Call, CallReroute, Note, Outcome, Person, StatusEvent


class System:
    """The server's own timers acting on a call (the acknowledgement window's automatic
    reroute, calls/reroute.py): no person and no way in, so no role to ask the matrix."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = System()

# Who acts: the API's responder, the admin's user (a superuser may do anything there), or
# the server's own timer (SYSTEM).
Actor = Responder | AbstractBaseUser | AnonymousUser | System | None
# A field record of a call.
CallRecord = StatusEvent | Note | Outcome | BackupRequest

policy.register(
    "calls",
    "calls: logistics (type, place, narrative, team, status)",
    clinician="read",
    case_manager="read",
    supervisor="read change",
    dispatcher="read create change",
    limits={"supervisor": "reassign", "dispatcher": "intake, assign"},
)
policy.register(
    "status_events",
    "status events",
    clinician="read create",
    case_manager="read",
    supervisor="read void",
    dispatcher="read create",
    limits={"clinician": "the team's steps", "dispatcher": "dispatched, cancelled"},
)
policy.register(
    "notes",
    "notes",
    clinician="read create",
    case_manager="read",
    supervisor="read void",
    limits={"clinician": "a correction is an addendum"},
)
policy.register(
    "outcome_codes",
    "outcomes: disposition code, police involved",
    clinician="read create",
    case_manager="read",
    supervisor="read void",
    dispatcher="read",
    limits={"clinician": "a correction supersedes"},
)
policy.register(
    "outcome_details",
    "outcomes: summary",
    clinician="read create",
    case_manager="read",
    supervisor="read void",
)
policy.register(
    "backup_requests",
    "backup requests",
    clinician="read create change",
    case_manager="read",
    supervisor="read",
    dispatcher="read change",
    limits={"clinician": "cancel", "dispatcher": "move its status"},
)
policy.register(
    "people",
    "people: identity and contact details",
    clinician="read create change",
    case_manager="read",
    supervisor="read",
)

policy.register(
    "call_programs",
    "programs: the programs and a call's program",
    clinician="read",
    case_manager="read",
    supervisor="read",
    dispatcher="read change",
    limits={"dispatcher": "move a call to another program"},
    position=120,
)
policy.register(
    "board",
    "the live board (open calls, teams, pending alerts)",
    supervisor="read",
    dispatcher="read",
    limits={"supervisor": "own provider"},
    position=960,
)
policy.register(
    "figures",
    "program figures",
    case_manager="read",
    supervisor="read",
    dispatcher="read",
    limits={"case_manager": "own provider", "supervisor": "own provider"},
    position=950,
)

# The matrix row of each field record; those a supervisor may void (entered in error).
RECORD_RESOURCES = {
    StatusEvent: "status_events",
    Note: "notes",
    Outcome: "outcome_codes",
    BackupRequest: "backup_requests",
}
VOIDABLE = {model: row for model, row in RECORD_RESOURCES.items() if model is not BackupRequest}


def may(responder: Responder | None, action: str, resource: str) -> bool:
    """The matrix's answer for this responder's role (no responder: nothing)."""
    return responder is not None and policy.allows(responder.role, action, resource)


def check(responder: Responder | None, action: str, resource: str) -> None:
    if not may(responder, action, resource):
        label = resource.replace("_", " ")
        raise NotAllowed(f"Your role may not {action} {label}.")


def call_scope(responder: Responder, prefix: str = "") -> Q:
    """The calls `responder` may see, as a filter on Call (or, with a prefix such as
    "call__", on records that belong to a call)."""
    if responder.role == Role.DISPATCHER:
        return Q()
    if responder.role == Role.CLINICIAN:
        if responder.team_id is None:
            return NOTHING
        return Q(**{f"{prefix}team_id": responder.team_id})
    if responder.provider_id is None:
        return NOTHING
    return Q(**{f"{prefix}routed_provider_id": responder.provider_id})


# A team the acknowledgement window took a call from (calls/reroute.py) is often the one
# without signal, and may be on its way or there already: for this long it may still call
# for police on that call (nothing else: the call, its notes and timeline are the new team's).
REROUTED_BACKUP_WINDOW = timedelta(hours=12)


def _rerouted_from(responder: Responder) -> Q:
    """Calls an automatic reroute took from the responder's team within the window."""
    return Q(
        Exists(
            CallReroute.objects.filter(
                call=OuterRef("pk"),
                from_team_id=responder.team_id,
                rerouted_at__gte=timezone.now() - REROUTED_BACKUP_WINDOW,
            )
        )
    )


def write_scope(responder: Responder, resource: str) -> Q:
    """The calls a responder may write `resource` records on, as a filter on Call: the calls
    they see; for police backup, also those rerouted away from their team (above)."""
    scope = call_scope(responder)
    if resource == "backup_requests" and responder.role == Role.CLINICIAN and responder.team_id:
        scope |= _rerouted_from(responder)
    return scope


def in_write_scope(responder: Responder, call: Call, resource: str) -> bool:
    """write_scope for one call already loaded (a query only for a rerouted team's backup)."""
    if in_call_scope(responder, call):
        return True
    if resource != "backup_requests" or responder.role != Role.CLINICIAN or not responder.team_id:
        return False
    return Call.objects.filter(_rerouted_from(responder), pk=call.pk).exists()


def call_records_scope(responder: Responder, resource: str) -> Q:
    """The field records of one kind (`resource`) a responder reads: those of the calls they
    see, if their role reads that kind at all. A filter on the record's model."""
    if not may(responder, READ, resource):
        return NOTHING
    return call_scope(responder, prefix="call__")


def team_records_scope(responder: Responder, resource: str, *team_fields: str) -> Q:
    """The records of `resource` (follow-ups, referrals, transports: records of a call's
    team, kept with their provider) that `responder` reaches: a clinician those whose
    `team_fields` (the call's team, the team kept on the record) name their team; provider
    staff their provider's (`provider_id`); nobody the matrix does not let read them."""
    if not policy.may(responder, READ, resource):
        return NOTHING
    if responder.role == Role.CLINICIAN:
        if responder.team_id is None:
            return NOTHING
        scope = Q(**{team_fields[0]: responder.team_id})
        for name in team_fields[1:]:
            scope |= Q(**{name: responder.team_id})
        return scope
    if responder.provider_id is None:
        return NOTHING
    return Q(provider_id=responder.provider_id)


def in_call_scope(responder: Responder, call: Call) -> bool:
    """call_scope for one call already loaded (e.g. locked by a service)."""
    if responder.role == Role.DISPATCHER:
        return True
    if responder.role == Role.CLINICIAN:
        return responder.team_id is not None and call.team_id == responder.team_id
    return responder.provider_id is not None and call.routed_provider_id == responder.provider_id


def people_scope(responder: Responder) -> Q:
    """The people `responder` may see: for a clinician, those on their team's calls, visited
    by their team or recorded by it; for provider staff, those on the provider's calls or
    recorded by it; the desk none (it dispatches to places, not to people's records)."""
    if not may(responder, READ, "people"):
        return NOTHING
    if responder.role == Role.CLINICIAN:
        if responder.team_id is None:
            return NOTHING
        return team_people_scope(responder.team_id)
    if responder.provider_id is None:
        return NOTHING
    return provider_people_scope(responder.provider_id)


def provider_people_scope(provider_id: int) -> Q:
    """The people a provider's staff see: on the provider's calls, or recorded by it."""
    on_calls = Exists(Call.objects.filter(routed_provider_id=provider_id, person=OuterRef("pk")))
    return Q(on_calls) | Q(provider_id=provider_id)


def team_people_scope(team_id: int) -> Q:
    """The people a pair sees: on its calls, through the records of apps built on calls
    (e.g. visited by it: calls/children.py), or recorded by it (the team that recorded
    them, kept on the person: not the current team of the clinician who did)."""
    scope = Q(Exists(Call.objects.filter(team_id=team_id, person=OuterRef("pk"))))
    for child in children.registered():
        if child.people_seen_by_team is not None:
            scope |= Q(child.people_seen_by_team(team_id))
    return scope | Q(team_id=team_id)


def check_can_write_field_record(responder: Responder, call: Call, resource: str) -> None:
    """Notes, outcomes and backup requests are written by the assigned team's clinicians:
    the call must be in the writer's scope (checked again on the locked row: a reassignment
    may have committed since it was read) and the matrix must grant the role `create`."""
    if not in_write_scope(responder, call, resource):
        raise NotAllowed("The call is no longer assigned to your team.")
    check(responder, CREATE, resource)


@dataclass(frozen=True)
class LockedCall:
    """A call found in the writer's scope and locked FOR UPDATE in the current transaction
    (after the sync counter: umcr/sync/sequence.py), the matrix granting the writer's role
    `create` of `resource`: what a service writes on without finding, locking or checking
    it again (Zulip's access_message(lock=True), then the action on the row it got)."""

    call: Call
    resource: str


def lock_calls_for_writing(
    responder: Responder, call_ids: Iterable[uuid.UUID], resource: str
) -> dict[uuid.UUID, LockedCall]:
    """The calls of `call_ids` the responder may write `resource` records on: found in their
    scope and locked in one `SELECT ... FOR UPDATE`, in id order (so two writers locking
    overlapping calls cannot deadlock). Missing and out of scope are left out alike (404 to
    the writer). The caller holds the sync counter first. NotAllowed if the role may not
    create `resource` records at all."""
    check(responder, CREATE, resource)
    wanted = set(call_ids)
    if not wanted:
        return {}
    rows = (
        Call.objects.select_for_update(of=("self",))
        .filter(write_scope(responder, resource), pk__in=wanted)
        .order_by("pk")
    )
    return {call.pk: LockedCall(call, resource) for call in rows}


def check_event_kind(responder: Responder, kind: str) -> None:
    """Who posts which steps: the team its own, the desk dispatched and cancelled."""
    if kind in DESK_EVENT_KINDS and responder.role != Role.DISPATCHER:
        raise NotAllowed(f"Only the dispatch desk may post '{kind}' events.")
    if kind in TEAM_EVENT_KINDS and responder.role != Role.CLINICIAN:
        raise NotAllowed(f"Only the team's clinicians may post '{kind}' events.")
    if kind not in DESK_EVENT_KINDS and kind not in TEAM_EVENT_KINDS:
        raise NotAllowed(f"Unknown event kind '{kind}'.")


def check_can_post_event(responder: Responder, call: Call, kind: str) -> None:
    """The team posts its own steps; the desk posts dispatched and cancelled."""
    check_can_write_field_record(responder, call, "status_events")
    check_event_kind(responder, kind)


def check_can_move_backup(responder: Responder, call: Call, to_status: str) -> None:
    """The desk moves a backup request; the team may only call it off."""
    if not in_call_scope(responder, call):
        raise NotAllowed("The call is no longer assigned to your team.")
    check(responder, CHANGE, "backup_requests")
    if responder.role == Role.CLINICIAN and to_status != BackupStatus.CANCELLED:
        raise NotAllowed("Only the dispatch desk moves a backup request (the team may cancel it).")


def acting_responder(actor: Actor) -> tuple[Responder | None, bool]:
    """Admin actions are taken by a user, the API's by a responder: the responder behind
    `actor` (if any) and whether it is a superuser, who may do anything in the admin."""
    if isinstance(actor, Responder):
        return actor, False
    if actor is None:
        return None, False
    return getattr(actor, "responder", None), bool(getattr(actor, "is_superuser", False))


def check_can_assign(actor: Actor, call: Call, team: Team) -> None:
    """Supervisors reassign their provider's calls to their provider's teams; the desk
    assigns any call to any team of the call's provider; superusers in the admin too."""
    if actor is SYSTEM:
        return  # the acknowledgement window's reroute, within the call's provider and program
    responder, superuser = acting_responder(actor)
    if superuser:
        return
    if responder is None or not in_call_scope(responder, call):
        raise Http404
    check(responder, CHANGE, "calls")
    if responder.role != Role.DISPATCHER and team.provider_id != responder.provider_id:
        raise NotAllowed("The team belongs to another provider.")


def assignable_teams(responder: Responder) -> Q:
    """The teams a responder may hand calls to, as a filter on Team: the desk any, a
    supervisor their provider's."""
    if responder.role == Role.DISPATCHER:
        return Q()
    if not may(responder, CHANGE, "calls") or responder.provider_id is None:
        return NOTHING
    return Q(provider_id=responder.provider_id)


def figures_provider(responder: Responder, asked: Provider | None = None) -> Provider | None:
    """Whose figures `responder` reads, given the provider asked for (a Provider or None):
    provider staff their own provider's whatever they ask (another's does not exist for
    them: 404); the desk the provider asked for, or every provider (None)."""
    check(responder, READ, "figures")
    if responder.role == Role.DISPATCHER:
        return asked
    if asked is not None and asked.pk != responder.provider_id:
        raise Http404
    return responder.provider


def check_can_change_person(responder: Responder, person: Person) -> None:
    """A pair keeps the details of the people it sees; provider staff and the desk read them
    (or not) but do not change them. `person` is in the responder's scope."""
    check(responder, CHANGE, "people")


def may_void(actor: Actor, resource: str) -> bool:
    """Whether this user may void records of `resource` at all (the admin's action)."""
    responder, superuser = acting_responder(actor)
    return superuser or may(responder, VOID, resource)


def check_can_void(actor: Actor, record: CallRecord) -> None:
    """A supervisor voids a clinical record of their provider entered in error; superusers
    any. The record's call decides the provider, whoever wrote it."""
    responder, superuser = acting_responder(actor)
    if superuser:
        return
    resource = VOIDABLE.get(type(record))
    if responder is None or resource is None or not in_call_scope(responder, record.call):
        raise NotAllowed("You may not void this record.")
    check(responder, VOID, resource)


def withheld(responder: Responder) -> set[str]:
    """What of a call this responder sees but may not read (the desk's minimum necessary):
    the names of the parts an answer leaves out."""
    parts = {"notes": "notes", "outcome_details": "outcome_details", "person": "people"}
    hidden = {part for part, resource in parts.items() if not may(responder, READ, resource)}
    if "person" in hidden:
        # A call's children from the apps built on it (follow-ups, referrals) are about
        # the person: whoever may not read the person reads none of them either.
        hidden |= set(children.names())
    return hidden


# --- notes from the desk to the team, and the server's own timers ------------------------------

policy.register(
    "desk_notes",
    "desk notes to the team",
    clinician="read",
    case_manager="read",
    supervisor="read create",
    dispatcher="read create",
    limits={"clinician": "the team's calls", "supervisor": "own provider's calls"},
    position=110,
)


def desk_notes_scope(responder: Responder) -> Q:
    """The desk notes `responder` reads: those on the calls they see (a filter on DeskNote)."""
    return call_records_scope(responder, "desk_notes")


def check_can_write_desk_note(responder: Responder | None, call: Call) -> None:
    """The desk writes to the team of any call, a supervisor to the teams of their provider's
    calls: the call in the writer's scope (404 outside it), the matrix granting `create`."""
    if responder is None or not in_call_scope(responder, call):
        raise Http404
    check(responder, CREATE, "desk_notes")


# On-scene safety check-ins (calls/checkins.py): the team answers; the desk and the
# supervisors watch, and acknowledge a missed one's safety alert.
policy.register(
    "check_ins",
    "safety check-ins: a team's on-scene answers",
    clinician="read create",
    case_manager="read",
    supervisor="read",
    dispatcher="read",
    limits={"clinician": "the team's own calls"},
    position=112,
)
policy.register(
    "safety_alerts",
    "safety alerts: missed check-ins",
    clinician="read",
    case_manager="read",
    supervisor="read change",
    dispatcher="read change",
    limits={"supervisor": "acknowledge", "dispatcher": "acknowledge"},
    position=113,
)
