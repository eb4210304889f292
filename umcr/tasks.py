"""django-q2 tasks of the cross-cutting pieces: the access log's retention.

Scheduled by umcr/migrations/0007_access_log_retention_schedule.py (daily)."""

from datetime import timedelta

from django.utils import timezone

from .models import AccessLog, access_log_retention_cutoff

#: Rows deleted per statement: short statements, no long lock on the table.
PURGE_BATCH = 5_000

#: A day's margin under the six years, so a row the database's trigger (whose clock is the
#: transaction's start) still counts as young is never in a batch.
PURGE_MARGIN = timedelta(days=1)


def purge_access_log(batch_size: int = PURGE_BATCH) -> int:
    """Delete access-log rows older than the six-year retention, in batches, oldest first;
    returns how many went. The only deleter the append-only table allows."""
    before = access_log_retention_cutoff(timezone.now()) - PURGE_MARGIN
    expired = AccessLog.objects.filter(accessed_at__lt=before)
    deleted = 0
    while True:
        batch = list(
            expired.order_by("accessed_at", "pk").values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return deleted
        deleted += AccessLog.objects.filter(pk__in=batch).delete_past_retention(before=before)
