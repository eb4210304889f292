"""Reads of the calls app: scoped, prefetched querysets for lists and details, and the
prior contacts that brief a team before it arrives."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import (
    Count,
    Exists,
    Manager,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from responders.choices import Availability
from responders.models import Responder, Shift, Team
from umcr.errors import Invalid
from umcr.policy import READ

from . import children, permissions
from .choices import OPEN_STATUSES, CallStatus
from .models import BackupRequest, Call, Note, Outcome, Person, StatusEvent
from .permissions import call_scope, people_scope

PRIOR_CONTACTS_LIMIT = 10

M = TypeVar("M", bound=Model)


def calls_for_responder(*, responder: Responder) -> QuerySet[Call]:
    """Every call the responder may see, nothing more."""
    return Call.objects.filter(call_scope(responder))


def call_list(*, responder: Responder) -> QuerySet[Call]:
    """The calls list: what a phone shows per row, in one query."""
    note_count = (
        Note.objects.filter(call=OuterRef("pk"), voided_at=None)
        .order_by()
        .values("call")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        calls_for_responder(responder=responder)
        .select_related("program", "division", "team")
        .annotate(note_count=Subquery(note_count))
    )


def open_filter(is_open: bool) -> Q:
    return Q(status__in=OPEN_STATUSES) if is_open else ~Q(status__in=OPEN_STATUSES)


def call_detail(*, responder: Responder) -> QuerySet[Call]:
    """Everything about one call in a fixed number of queries, whatever its size: its
    own records and those of the apps built on calls (calls/children.py)."""
    return (
        calls_for_responder(responder=responder)
        .select_related("program", "division", "team", "person", "routed_provider")
        .prefetch_related(
            # Voided records stay in the database, not in the briefing.
            Prefetch("events", queryset=_with_author(StatusEvent.objects.filter(voided_at=None))),
            Prefetch("notes", queryset=_with_author(Note.objects.filter(voided_at=None))),
            Prefetch("outcomes", queryset=_with_author(Outcome.objects.filter(voided_at=None))),
            Prefetch("backup_requests", queryset=_with_author(BackupRequest.objects)),
            *(
                Prefetch(child.name, queryset=child.detail_queryset())
                for child in children.registered()
            ),
            Prefetch("team__members", queryset=Responder.objects.select_related("user")),
        )
    )


def _with_author(records: Manager[M] | QuerySet[M]) -> QuerySet[M]:
    return records.select_related("responder__user")


def prior_contacts(*, call: Call) -> list[Call]:
    """Earlier calls at the same address or with the same person, within the provider
    that holds this call's records, newest first: a safety briefing before arrival."""
    same = Q(address_key=call.address_key)
    if call.person_id is not None:
        same |= Q(person_id=call.person_id)
    scope = Q(routed_provider_id=call.routed_provider_id) if call.routed_provider_id else Q()
    # The outcome comes from the call's own columns (kept in step with its current outcome).
    return list(
        Call.objects.filter(same, scope, received_at__lt=call.received_at)
        .exclude(pk=call.pk)
        .exclude(status=CallStatus.CANCELLED)
        .order_by("-received_at")
        .prefetch_related(
            Prefetch("backup_requests", queryset=BackupRequest.objects.order_by("occurred_at"))
        )[:PRIOR_CONTACTS_LIMIT]
    )


def backup_requests_for_responder(*, responder: Responder) -> QuerySet[BackupRequest]:
    if not permissions.may(responder, READ, "backup_requests"):
        return BackupRequest.objects.none()
    # The calls first, as a subquery: the desk's list is every provider's.
    calls = Call.objects.filter(call_scope(responder)).values("pk")
    return BackupRequest.objects.filter(call__in=calls).select_related(
        "call__team", "call__division", "responder__user"
    )


def call_and_person_in_scope(
    *, responder: Responder, call_id: uuid.UUID | None, person_id: uuid.UUID | None
) -> tuple[Call | None, Person | None]:
    """The call and person a follow-up or referral is about, each within the responder's
    scope, or Invalid naming the one that is not (by the API's name: `call`, `person`).
    The person defaults to the call's."""
    found = find_in_scope(
        responder=responder,
        call_ids=[call_id] if call_id is not None else [],
        person_ids=[person_id] if person_id is not None else [],
    )
    return found.call_and_person(call_id, person_id)


@dataclass(frozen=True)
class FoundInScope:
    """Calls and people a responder reaches, found at once (a push's slice of follow-ups,
    referrals or people): call_and_person_in_scope's answer for many pairs of ids, from one
    query of calls and one of people."""

    calls: dict[uuid.UUID, Call]
    people: dict[uuid.UUID, Person]

    def call_and_person(
        self, call_id: uuid.UUID | None, person_id: uuid.UUID | None
    ) -> tuple[Call | None, Person | None]:
        call = person = None
        if call_id is not None:
            call = self.calls.get(call_id)
            if call is None:
                raise Invalid({"call": ["No such call in your scope."]})
        if person_id is not None:
            person = self.people.get(person_id)
            if person is None:
                raise Invalid({"person": ["No such person in your scope."]})
        return call, person or (call.person if call else None)


def find_in_scope(
    *,
    responder: Responder,
    call_ids: Iterable[uuid.UUID],
    person_ids: Iterable[uuid.UUID] = (),
) -> FoundInScope:
    """The calls and people of these ids the responder reaches (each with its person), one
    query each (none for no ids); the others are left out, missing and out of scope alike."""
    wanted_calls, wanted_people = set(call_ids), set(person_ids)
    calls = (
        calls_for_responder(responder=responder)
        .filter(pk__in=wanted_calls)
        .select_related("person")
        if wanted_calls
        else []
    )
    people = (
        Person.objects.filter(people_scope(responder), pk__in=wanted_people)
        if wanted_people
        else []
    )
    return FoundInScope(
        calls={call.pk: call for call in calls},
        people={person.pk: person for person in people},
    )


# --- teams (GET /teams/, the live board, routing) ---------------------------------------


def with_availability(teams: QuerySet[Team]) -> QuerySet[Team]:
    """Teams annotated with whether they are on shift now and their latest open call."""
    now = timezone.now()
    current = Call.objects.filter(team=OuterRef("pk"), status__in=OPEN_STATUSES).order_by(
        "-received_at"
    )
    return teams.annotate(
        on_shift=Exists(
            Shift.objects.filter(team=OuterRef("pk"), starts_at__lte=now, ends_at__gt=now)
        ),
        current_call=Subquery(current.values("pk")[:1]),
    )


def availability(team: Team) -> str:
    if not getattr(team, "on_shift", False):
        return Availability.OFF_SHIFT
    if getattr(team, "current_call", None) is not None:
        return Availability.ON_CALL
    return Availability.OUT_OF_SERVICE if team.out_of_service else Availability.AVAILABLE
