"""Scheduled work of the responders app (a django-q2 Schedule created by migration
responders/0008): position pings are kept POSITION_RETENTION_DAYS (7 by default), then
removed. Where a team was is personal data about the clinicians in it; routing and the
board need only the last known position (kept on the team), and a week covers any review
of a call. Idempotent: returns how many pings it removed."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import PositionPing


def purge_position_pings() -> int:
    cutoff = timezone.now() - timedelta(days=settings.POSITION_RETENTION_DAYS)
    deleted, _ = PositionPing.objects.filter(taken_at__lt=cutoff).delete()
    return deleted
