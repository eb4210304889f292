"""Reads of the referrals app: who sees which referrals, the stale queue, the directory."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from responders.models import Responder

from .models import CLOSED_REFERRAL_STATUSES, WEEKDAYS, Referral, Service
from .permissions import referral_scope

# A referral with no change for this long shows in the case manager's queue.
STALE_AFTER = timedelta(days=14)


REFERRAL_RELATED = ("service", "person", "call", "referred_by__user", "assigned_to__user")


def referrals_for_responder(*, responder: Responder) -> QuerySet[Referral]:
    return Referral.objects.filter(referral_scope(responder)).select_related(*REFERRAL_RELATED)


def stale_filter(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return ~Q(status__in=CLOSED_REFERRAL_STATUSES) & Q(status_changed_at__lt=now - STALE_AFTER)


def _ranges(hours: dict[str, Any], day: str) -> list[tuple[str, str]]:
    """The day's well-formed ranges. Hours are validated on save (validate_hours); rows
    written around that (a shell, an import) must not break the directory, so the rest is
    left out."""
    ranges = hours.get(day)
    if not isinstance(ranges, list):
        return []
    return [
        (span[0], span[1])
        for span in ranges
        if isinstance(span, list) and len(span) == 2 and all(isinstance(t, str) for t in span)
    ]


def is_stale(referral: Referral, now: datetime | None = None) -> bool:
    """stale_filter for one referral already loaded."""
    now = now or timezone.now()
    return not referral.is_closed and referral.status_changed_at < now - STALE_AFTER


def is_open_now(service: Service, at: datetime | None = None) -> bool:
    """Whether the service's opening hours (local time) include `at`; a range that ends
    before it starts runs past midnight into the next day."""
    hours = service.hours if isinstance(service.hours, dict) else {}
    if hours.get("always") is True:
        return True
    local = timezone.localtime(at or timezone.now())
    clock = local.strftime("%H:%M")
    today, yesterday = WEEKDAYS[local.weekday()], WEEKDAYS[local.weekday() - 1]
    for start, end in _ranges(hours, today):
        if start <= clock < end or (end < start and clock >= start):
            return True
    return any(end < start and clock < end for start, end in _ranges(hours, yesterday))


def directory(*, text: str = "", category: str = "", division: str = "") -> QuerySet[Service]:
    qs = Service.objects.filter(is_active=True)
    if text:
        for word in text.split():
            qs = qs.filter(
                Q(name__icontains=word)
                | Q(organization__icontains=word)
                | Q(description__icontains=word)
                | Q(eligibility__icontains=word)
            )
    if category:
        qs = qs.filter(category=category)
    if division:
        qs = qs.filter(divisions_served__code=division)
    return qs.prefetch_related("divisions_served").order_by("organization", "name").distinct()
