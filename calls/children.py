"""The registry of a call's children from the apps built on calls (follow-ups, referrals):
each such app registers here, from its AppConfig.ready(), what calls needs to know of its
records, so calls never imports it. Not for calls' own field records (events, notes,
outcomes, backup requests), which calls knows directly.

Calls then asks the registry where it would have named the app: the call's detail
prefetches and renders the children; a reassignment moves them with the call; a pair sees
the people its children point at; a person's page lists them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Exists, Model, QuerySet
from rest_framework.serializers import BaseSerializer

from responders.models import Responder
from umcr.sync.base import SyncQuerySet

from .models import Call, Person


@dataclass(frozen=True)
class CallChild:
    """Records of another app that belong to a call (their `call` foreign key) and to its
    person (their `person` foreign key). They are about the person: a role that may not
    read the person reads none of them either (permissions.withheld)."""

    # The reverse accessor on Call and on Person (the foreign keys' related_name), and the
    # key of the list in the call's detail and the person's page.
    name: str
    model: type[Model]
    # Its synced table: on a reassignment its rows leave the old team's phones (exits)
    # and are re-stamped for the new team's.
    sync_table: str
    # Renders one record in the call's detail and on the person's page.
    serializer: type[BaseSerializer]
    # The records the call's detail prefetches, with the relations `serializer` reads.
    detail_queryset: Callable[[], QuerySet[Any]]
    # The person's page: this person's records the responder may see, newest first, at
    # most 100 (keyword arguments `responder`, `person`).
    for_person: Callable[..., QuerySet[Any]]
    # The people a team sees through these records (an Exists on Person, e.g. those it
    # was given a visit to), or None if these records show a team nobody.
    people_seen_by_team: Callable[[int], Exists] | None = None

    def of_call(self, call: Call) -> SyncQuerySet[Any]:
        return cast(SyncQuerySet[Any], self.model._default_manager.filter(call=call))

    def of_person(self, *, responder: Responder, person: Person) -> list[Any]:
        return list(self.for_person(responder=responder, person=person))


_children: dict[str, CallChild] = {}


def register(child: CallChild) -> CallChild:
    if child.name in _children:
        raise ValueError(f"Call child {child.name!r} is registered twice.")
    _children[child.name] = child
    return child


def registered() -> list[CallChild]:
    """Every call child, in the order the apps registered them (INSTALLED_APPS)."""
    return list(_children.values())


def names() -> list[str]:
    return list(_children)
