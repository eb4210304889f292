"""Writes of the follow-ups app: creating a follow-up and moving it through its lifecycle.

scheduled -> completed | missed | cancelled; a reschedule keeps it scheduled with a new
window and keeps the old window in its history. Closed follow-ups do not move again (409).
The REST API, the sync push and the admin all come through here.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from calls.models import Person
from calls.selectors import FoundInScope, call_and_person_in_scope
from calls.services import Written, find_replay, person_left_team
from responders.choices import Role
from responders.models import Responder, Team
from responders.permissions import provider_of
from umcr.concurrency import check_version
from umcr.errors import Conflict, Invalid
from umcr.policy import CHANGE, CREATE
from umcr.sync import audience, sequence
from umcr.sync.exits import record_exits

from . import permissions
from .choices import FollowUpStatus
from .models import FollowUp, FollowUpChange
from .permissions import followup_scope

CLOSED = (FollowUpStatus.COMPLETED, FollowUpStatus.MISSED, FollowUpStatus.CANCELLED)


def _check_window(not_before: datetime, due_by: datetime) -> None:
    if due_by < not_before:
        raise Invalid({"due_by": ["Must not be before not_before."]})


def _assignees(
    responder: Responder, team_id: int | None, assigned_to_id: int | None
) -> tuple[Team | None, Responder | None]:
    if team_id is not None and assigned_to_id is not None:
        raise Invalid({"assigned_to": ["A follow-up goes to a team or a case manager, not both."]})
    team = person = None
    if team_id is not None:
        team = Team.objects.filter(pk=team_id, provider_id=provider_of(responder)).first()
        if team is None:
            raise Invalid({"assigned_team": ["No such team in your provider."]})
    if assigned_to_id is not None:
        person = Responder.objects.filter(
            pk=assigned_to_id,
            provider_id=provider_of(responder),
            role__in=[Role.CASE_MANAGER, Role.SUPERVISOR],
        ).first()
        if person is None:
            raise Invalid({"assigned_to": ["No such case manager in your provider."]})
    return team, person


@transaction.atomic
def create_followup(
    *,
    responder: Responder,
    followup_id: uuid.UUID,
    kind: str,
    not_before: datetime,
    due_by: datetime,
    person_id: uuid.UUID | None = None,
    call_id: uuid.UUID | None = None,
    assigned_team_id: int | None = None,
    assigned_to_id: int | None = None,
    purpose: str = "",
    found: FoundInScope | None = None,
) -> Written:
    """Schedule a follow-up from a call or a person. Clinicians schedule for their own pair
    (the default assignee); case managers and supervisors for anyone of their provider.
    `kind` is one of FollowUpKind (checked by the caller's serializer, the one parser of
    both ways in). A field refused here is named as the API names it (`person`, `call`).
    `found`: the call and person already found in the responder's scope by the caller (the
    push finds a slice's at once: calls.selectors.find_in_scope)."""
    permissions.check(responder, CREATE)
    stored = find_replay(FollowUp, followup_id, scope=followup_scope(responder))
    if stored is not None:
        return stored
    if person_id is None and call_id is None:
        raise Invalid({"person": ["A follow-up needs a person or a call."]})
    _check_window(not_before, due_by)
    if found is None:
        call, person = call_and_person_in_scope(
            responder=responder, call_id=call_id, person_id=person_id
        )
    else:
        call, person = found.call_and_person(call_id, person_id)
    if responder.role == Role.CLINICIAN and assigned_to_id is None and assigned_team_id is None:
        assigned_team_id = responder.team_id
    team, assignee = _assignees(responder, assigned_team_id, assigned_to_id)
    followup = _schedule(
        responder,
        id=followup_id,
        provider_id=responder.provider_id,
        person=person,
        call=call,
        kind=kind,
        purpose=purpose,
        not_before=not_before,
        due_by=due_by,
        assigned_team=team,
        assigned_to=assignee,
    )
    return Written(followup, created=True)


def _schedule(responder: Responder, note: str = "", **fields: Any) -> FollowUp:
    """A new follow-up and the first row of its history."""
    followup = FollowUp.objects.create(created_by=responder, **fields)
    FollowUpChange.objects.create(
        followup=followup,
        from_status="",
        to_status=followup.status,
        changed_by=responder,
        note=note,
    )
    return followup


@dataclass(frozen=True)
class Window:
    """When a follow-up is to happen: not before `not_before`, at the latest by `due_by`."""

    not_before: datetime
    due_by: datetime


@transaction.atomic
def change_followup(
    *,
    followup: FollowUp,
    responder: Responder,
    status: str | None = None,
    not_before: datetime | None = None,
    due_by: datetime | None = None,
    outcome: str | None = None,
    note: str = "",
    expected_version: int | None = None,
    accessed: bool = False,
) -> FollowUp:
    """Complete, miss, cancel or reschedule a follow-up. Repeating the current state is a
    no-op (a retried request); any move of a closed follow-up is a 409, and so is a change
    based on an older version than the stored one (`expected_version`). `status` is one of
    FollowUpStatus (checked by the serializer of whoever asks: the REST views pass their
    own, the push's record is read by FollowUpMoveSerializer).

    `accessed`: the caller found `followup` in the responder's scope and locked it (after
    the sync counter) in this transaction - the push, which locks a slice's rows at once -
    so it is taken as it is, the matrix's `change` checked; otherwise it is found, locked and
    checked here."""
    if accessed:
        permissions.check(responder, CHANGE)
    else:
        sequence.hold()
        followup = permissions.access_followup(responder, followup.pk, action=CHANGE, lock=True)
    check_version(followup, expected_version, "follow-up")
    target = status or followup.status
    window = _moved_window(followup, not_before, due_by)
    if _repeats_current_state(followup, target, window, outcome):
        return followup
    _check_open(followup)
    change = FollowUpChange(
        followup=followup,
        from_status=followup.status,
        to_status=target,
        changed_by=responder,
        note=note,
    )
    if window is not None:
        _reschedule(followup, change, target, window)
    if target in CLOSED:
        _close(followup, target, outcome)
    if outcome is not None:
        followup.outcome = outcome
    followup.status = target
    followup.save()
    change.save()
    return followup


def _moved_window(
    followup: FollowUp, not_before: datetime | None, due_by: datetime | None
) -> Window | None:
    """The window the request moves the follow-up to, or None when it keeps the current one
    (an end not named stays where it is)."""
    moves = (not_before is not None and not_before != followup.not_before) or (
        due_by is not None and due_by != followup.due_by
    )
    if not moves:
        return None
    return Window(not_before or followup.not_before, due_by or followup.due_by)


def _repeats_current_state(
    followup: FollowUp, target: str, window: Window | None, outcome: str | None
) -> bool:
    """A retried request: it asks for the status the follow-up has and keeps its window,
    and writes no outcome - except that a closed follow-up's outcome is never rewritten, so
    repeating its close is a retry whatever outcome it carries."""
    if target != followup.status or window is not None:
        return False
    return followup.status in CLOSED or outcome is None


def _check_open(followup: FollowUp) -> None:
    """A closed follow-up does not move again."""
    if followup.status in CLOSED:
        raise Conflict(f"The follow-up is already {followup.status}; it cannot change now.")


def _reschedule(followup: FollowUp, change: FollowUpChange, target: str, window: Window) -> None:
    """Give the follow-up its new window; its history row keeps the old one. Only a
    follow-up that stays scheduled is rescheduled."""
    if target != FollowUpStatus.SCHEDULED:
        raise Conflict("Reschedule or close a follow-up, not both at once.")
    _check_window(window.not_before, window.due_by)
    change.old_not_before, change.old_due_by = followup.not_before, followup.due_by
    followup.not_before, followup.due_by = window.not_before, window.due_by


def _close(followup: FollowUp, target: str, outcome: str | None) -> None:
    """Stamp the close; completing says what happened (this request's outcome or the one
    already written)."""
    followup.closed_at = timezone.now()
    if target == FollowUpStatus.COMPLETED and not (outcome or followup.outcome).strip():
        raise Invalid({"outcome": ["Say what happened when completing a follow-up."]})


@transaction.atomic
def reassign_followup(
    *,
    followup: FollowUp,
    responder: Responder,
    team_id: int | None = None,
    assigned_to_id: int | None = None,
    expected_version: int | None = None,
) -> FollowUp:
    """Hand a follow-up to another team or case manager; the previous team's phones drop it
    on their next pull (unless they still see it through its call)."""
    sequence.hold()
    locked = permissions.access_followup(responder, followup.pk, action=CHANGE, lock=True)
    check_version(locked, expected_version, "follow-up")
    followup = FollowUp.objects.select_related("call", "assigned_team", "assigned_to__user").get(
        pk=followup.pk
    )
    if followup.status in CLOSED:
        raise Conflict(f"The follow-up is already {followup.status}; it cannot be handed over.")
    team, assignee = _assignees(responder, team_id, assigned_to_id)
    previous_team = followup.assigned_team_id
    if (followup.assigned_team_id, followup.assigned_to_id) == (
        team.pk if team else None,
        assignee.pk if assignee else None,
    ):
        return followup  # already theirs: no change, no history row
    previous = followup.assigned_team or followup.assigned_to or "nobody"
    followup.assigned_team, followup.assigned_to = team, assignee
    followup.save(update_fields=["assigned_team", "assigned_to", "updated_at"])
    FollowUpChange.objects.create(
        followup=followup,
        from_status=followup.status,
        to_status=followup.status,
        changed_by=responder,
        note=f"Handed from {previous} to {team or assignee}.",
    )
    still_seen = followup.call is not None and followup.call.team_id == previous_team
    if previous_team is not None and previous_team != followup.assigned_team_id and not still_seen:
        record_exits("follow_ups", [followup.pk], audience.team(previous_team))
        person_left_team(followup.person_id, previous_team)
    if followup.person_id is not None:
        # The new assignee's phones need the person the visit is about.
        Person.objects.filter(pk=followup.person_id).touch()
    return followup


@transaction.atomic
def complete_followup(
    *,
    followup: FollowUp,
    responder: Responder,
    outcome: str,
    next_window: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> FollowUp:
    """Complete a follow-up and, if asked, schedule the next one for the same person, call
    and assignee. The next one inherits what the first was allowed to touch, so a pair that
    was handed the follow-up need not see the original call."""
    followup = change_followup(
        followup=followup,
        responder=responder,
        status=FollowUpStatus.COMPLETED,
        outcome=outcome,
        expected_version=expected_version,
    )
    if next_window is None or followup.next_followup_id is not None:
        return followup
    _check_window(next_window["not_before"], next_window["due_by"])
    nxt = _schedule(
        responder,
        note=f"Scheduled on completing {followup.pk}.",
        provider_id=followup.provider_id,
        person_id=followup.person_id,
        call_id=followup.call_id,
        kind=next_window["kind"],
        purpose=next_window.get("purpose") or followup.purpose,
        not_before=next_window["not_before"],
        due_by=next_window["due_by"],
        assigned_team_id=followup.assigned_team_id,
        assigned_to_id=followup.assigned_to_id,
    )
    followup.next_followup = nxt
    followup.save(update_fields=["next_followup", "updated_at"])
    return followup
