"""Reads of the follow-ups app: who sees which follow-ups, and the case manager's queues."""

from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from responders.choices import Role
from responders.models import Responder

from .choices import FollowUpStatus
from .models import FollowUp
from .permissions import followup_scope

QUEUES = {
    "overdue": "Scheduled and past its window (due_by before now).",
    "due_today": "Scheduled, its window open now or opening before midnight, not yet overdue.",
    "upcoming": "Scheduled, its window opening after today.",
    "unassigned": "Scheduled with no team and no case manager.",
}


FOLLOWUP_RELATED = ("person", "call__division", "assigned_team", "assigned_to__user")


def followups_for_responder(*, responder: Responder) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(followup_scope(responder)).select_related(*FOLLOWUP_RELATED)


def end_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=local.tzinfo)


def is_overdue(followup: FollowUp, now: datetime | None = None) -> bool:
    """queue_filter("overdue") for one follow-up already loaded."""
    return followup.status == FollowUpStatus.SCHEDULED and followup.due_by < (now or timezone.now())


def queue_filter(queue: str, now: datetime | None = None) -> Q:
    now = now or timezone.now()
    scheduled = Q(status=FollowUpStatus.SCHEDULED)
    if queue == "overdue":
        return scheduled & Q(due_by__lt=now)
    if queue == "due_today":
        return scheduled & Q(due_by__gte=now, not_before__lt=end_of_today(now))
    if queue == "upcoming":
        return scheduled & Q(not_before__gte=end_of_today(now))
    if queue == "unassigned":
        return scheduled & Q(assigned_team__isnull=True, assigned_to__isnull=True)
    raise ValueError(queue)


def mine_filter(responder: Responder, whose: str) -> Q:
    """mine: assigned to me (a clinician: to my pair); team: to my pair; provider: all."""
    if whose == "provider":
        return Q()
    if whose == "team" or responder.role == Role.CLINICIAN:
        return Q(assigned_team_id=responder.team_id) if responder.team_id else Q(pk__in=[])
    return Q(assigned_to=responder)
