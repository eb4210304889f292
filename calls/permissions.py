"""Who may see and do what on calls: one place, shared by the REST API and the sync push.

Scope: a clinician reaches their own team's calls; supervisors and case managers their own
provider's; the dispatch desk every call. Outside scope a call does not exist (404). Inside
scope, roles decide what may be written (403): clinicians write their team's field records,
the desk writes desk events and backup statuses, supervisors and case managers only read.
"""

from django.db.models import Exists, OuterRef, Q

from responders.choices import Role
from responders.models import Responder
from umcr.errors import NotAllowed

from .choices import DESK_EVENT_KINDS, TEAM_EVENT_KINDS, BackupStatus
from .models import Call


def call_scope(responder: Responder, prefix: str = "") -> Q:
    """The calls `responder` may see, as a filter on Call (or, with a prefix such as
    "call__", on records that belong to a call)."""
    if responder.role == Role.DISPATCHER:
        return Q()
    if responder.role == Role.CLINICIAN:
        if responder.team_id is None:
            return Q(pk__in=[])
        return Q(**{f"{prefix}team_id": responder.team_id})
    if responder.provider_id is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}routed_provider_id": responder.provider_id})


def people_scope(responder: Responder) -> Q:
    """The people `responder` may see: those on calls they see; for a clinician also those
    their pair recorded or visits; for provider staff those their provider recorded."""
    if responder.role == Role.DISPATCHER:
        return Q()

    if responder.role == Role.CLINICIAN:
        if responder.team_id is None:
            return Q(pk__in=[])
        return team_people_scope(responder.team_id)
    if responder.provider_id is None:
        return Q(pk__in=[])
    return provider_people_scope(responder.provider_id)


def provider_people_scope(provider_id: int) -> Q:
    """The people a provider's staff see: on the provider's calls, or recorded by it."""
    on_calls = Exists(Call.objects.filter(routed_provider_id=provider_id, person=OuterRef("pk")))
    return Q(on_calls) | Q(provider_id=provider_id)


def team_people_scope(team_id: int) -> Q:
    """The people a pair sees: on its calls, visited by it, or recorded by it."""
    from followups.models import FollowUp

    on_calls = Exists(Call.objects.filter(team_id=team_id, person=OuterRef("pk")))
    visited = Exists(FollowUp.objects.filter(assigned_team_id=team_id, person=OuterRef("pk")))
    return Q(on_calls) | Q(visited) | Q(created_by__team_id=team_id)


def check_can_write_field_record(responder: Responder, call: Call, what: str) -> None:
    """Notes, outcomes and backup requests are written by the assigned team's clinicians."""
    if responder.role != Role.CLINICIAN or call.team_id != responder.team_id:
        raise NotAllowed(f"Only the clinicians of the assigned team may add {what}.")


def check_can_post_event(responder: Responder, call: Call, kind: str) -> None:
    if kind in DESK_EVENT_KINDS:
        if responder.role != Role.DISPATCHER:
            raise NotAllowed(f"Only the dispatch desk may post '{kind}' events.")
        return
    if kind in TEAM_EVENT_KINDS:
        check_can_write_field_record(responder, call, f"'{kind}' events")
        return
    raise NotAllowed(f"Unknown event kind '{kind}'.")


def check_can_move_backup(responder: Responder, call: Call, to_status: str) -> None:
    """The desk moves a backup request; the team may only call it off."""
    if responder.role == Role.DISPATCHER:
        return
    if to_status == BackupStatus.CANCELLED and responder.role == Role.CLINICIAN:
        check_can_write_field_record(responder, call, "backup cancellations")
        return
    raise NotAllowed("Only the dispatch desk moves a backup request (the team may cancel it).")
