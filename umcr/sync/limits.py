"""Per-device push limits: a runaway or hostile client cannot flood the server or the
quarantine. Over a limit the push is refused whole with 429 and `Retry-After`; nothing of
it is applied, so the phone sends it again later unchanged.

- Records per minute (SYNC_PUSH_RECORDS_PER_MINUTE, default 10,000: two of the largest
  pushes a minute), counted in the cache per device in one-minute windows. With the
  default local-memory cache each app server process counts its own (as DRF's throttles
  do); the quarantine limit below, kept in the database, holds across servers.
- Refused records kept in the quarantine per hour (SYNC_QUARANTINE_PER_HOUR, default 2,000),
  counted from the quarantine itself.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ..models import QuarantinedRecord
from .context import AnyPushContext


class PushLimited(Exception):
    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.body: dict[str, str] = {"detail": detail, "code": "throttled"}
        self.retry_after = retry_after


def _who(ctx: AnyPushContext) -> str:
    """Whose pushes are counted together: the device's, or without one the user's. A cache
    key, not an audience: a responder may push from several phones."""
    return f"device:{ctx.device.pk}" if ctx.device is not None else f"user:{ctx.user.pk}"


def check_push(ctx: AnyPushContext, records: int) -> None:
    """Refuse this push if it would pass a limit; count it otherwise."""
    per_minute = settings.SYNC_PUSH_RECORDS_PER_MINUTE
    per_hour = settings.SYNC_QUARANTINE_PER_HOUR
    since = timezone.now() - timedelta(hours=1)
    kept = QuarantinedRecord.objects.filter(user_id=ctx.user.pk, received_at__gte=since)
    if ctx.device is not None:
        kept = kept.filter(device_id=ctx.device.pk)
    if kept.count() >= per_hour:
        raise PushLimited(
            f"This device had {per_hour} records refused in the last hour; the quarantine "
            "takes no more from it for now. Check the refused records' reasons.",
            retry_after=15 * 60,
        )
    now = time.time()
    window = int(now // 60)
    key = f"umcr:push:{_who(ctx)}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        total = cache.incr(key, records)
    except ValueError:  # expired between add and incr
        cache.set(key, records, timeout=120)
        total = records
    if total > per_minute:
        cache.decr(key, records)
        raise PushLimited(
            f"At most {per_minute} records a minute are taken from one device; send the "
            "rest in a minute.",
            retry_after=max(1, 60 - int(now % 60)),
        )
