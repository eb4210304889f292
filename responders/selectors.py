"""Reads of the responders app."""

from datetime import datetime

from django.utils import timezone

from .models import Shift, Team


def current_shift(*, team: Team | None, at: datetime | None = None) -> Shift | None:
    """The team's shift on duty at `at` (now by default), if any."""
    if team is None:
        return None
    at = at or timezone.now()
    return (
        Shift.objects.filter(team=team, starts_at__lte=at, ends_at__gt=at)
        .order_by("starts_at")
        .first()
    )
