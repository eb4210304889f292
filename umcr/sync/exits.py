"""Recording that records left an audience (a team lost a call) or were removed for all,
and forgetting those records after SYNC_EXIT_RETENTION_DAYS (a daily task).

Retention: exits older than the retention are purged, and the highest sequence number
purged is kept as the horizon (a SyncMark without a window start). A pull from a cursor
below the horizon could miss a delete, so it is refused with 409 `resync_required`
(umcr/sync/pull.py); a cursor at or above it finds every exit it needs.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ..models import SyncExit, SyncMark, SyncPage
from . import sequence
from .audience import AudienceKey


def record_exits(table: str, record_ids: Iterable[object], audience: AudienceKey) -> int:
    """Phones of `audience` (umcr.sync.audience: a team's, a responder's, everyone's) get
    these ids as deleted."""
    ids = [str(pk) for pk in record_ids]
    if not ids:
        return 0
    seq = sequence.claim()
    SyncExit.objects.bulk_create(
        [SyncExit(table=table, record_id=pk, audience=audience, seq=seq) for pk in ids]
    )
    return len(ids)


# How long a first sync's window is kept for the pages after its first (SyncPage.anchors).
FIRST_SYNC_KEPT = timedelta(days=1)


def purge_expired_exits() -> int:
    """Delete the exits older than the retention; returns how many went. Scheduled daily
    by umcr/migrations/0011_sync_marks.py. Every exit up to the newest expired one's sequence
    number goes, so the horizon is exact: nothing at or above it was removed."""
    cutoff = timezone.now() - timedelta(days=settings.SYNC_EXIT_RETENTION_DAYS)
    # Pages of pulls never finished (a phone that gave up mid-way starts again: 409).
    # Only the keys are read to delete (a first page's window can be large); the pages that
    # name a deleted first page go with it.
    SyncPage.objects.filter(created_at__lt=cutoff).only("pk").delete()
    # A first sync's window (the ids its first page kept, and with it the pages after it)
    # after a day: one left unfinished that long starts again, as its window moved on.
    SyncPage.objects.filter(
        anchors__isnull=False, created_at__lt=timezone.now() - FIRST_SYNC_KEPT
    ).only("pk").delete()
    with transaction.atomic():
        top = SyncExit.objects.filter(created_at__lt=cutoff).aggregate(top=Max("seq"))["top"]
        if top is None:
            return 0
        deleted, _ = SyncExit.objects.filter(seq__lte=top).delete()
        previous = SyncMark.objects.filter(window_start__isnull=True)
        horizon = max(top, max(previous.values_list("seq", flat=True), default=0))
        previous.delete()
        SyncMark.objects.create(seq=horizon, window_start=None)
        # Window marks below the horizon: only the latest is still needed (a cursor at the
        # horizon reads it); older cursors resync anyway.
        keep = (
            SyncMark.objects.filter(window_start__isnull=False, seq__lte=horizon)
            .order_by("-seq")
            .values_list("seq", flat=True)
            .first()
        )
        if keep is not None:
            SyncMark.objects.filter(window_start__isnull=False, seq__lt=keep).delete()
    return deleted
