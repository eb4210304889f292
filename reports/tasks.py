"""Scheduled work of the reports app (a django-q2 Schedule, moved here from follow-ups by
migration reports/0001): the case managers' daily digest, which reads follow-ups and referrals
and so sits above both.

Idempotent like every scheduled task: digests are keyed by day, so a schedule that runs twice
notifies each case manager once. Returns how many it newly notified.
"""

from django.db.models import Count
from django.utils import timezone

from followups import selectors as followup_selectors
from followups.models import FollowUp
from referrals.models import Referral
from referrals.selectors import STALE_AFTER, stale_filter
from responders.choices import Role
from responders.selectors import active_users
from umcr.models import NotificationKind
from umcr.notifications import notify_each

DIGEST_QUEUES = ("overdue", "due_today", "unassigned")


def send_daily_digests() -> int:
    """One digest a day per case manager: their provider's queues in numbers."""
    today, now = timezone.localdate(), timezone.now()
    managers: dict[int, list] = {}
    for user in active_users(role=Role.CASE_MANAGER).select_related("responder"):
        if user.responder.provider_id is not None:  # a case manager always works for one
            managers.setdefault(user.responder.provider_id, []).append(user)
    sent = 0
    for provider_id, users in managers.items():
        # One provider's numbers, counted once for all of its case managers.
        counts = FollowUp.objects.filter(provider_id=provider_id).aggregate(
            **{
                queue: Count("pk", filter=followup_selectors.queue_filter(queue, now))
                for queue in DIGEST_QUEUES
            }
        )
        stale = Referral.objects.filter(stale_filter(now), provider_id=provider_id).count()
        sent += notify_each(
            users,
            kind=NotificationKind.DAILY_DIGEST,
            title=f"Your queue for {today:%A %d %B}",
            body=(
                f"Follow-ups overdue: {counts['overdue']}; due today: {counts['due_today']}; "
                f"unassigned: {counts['unassigned']}. Referrals with no change for "
                f"{STALE_AFTER.days} days: {stale}."
            ),
            key=f"daily_digest:{today.isoformat()}",
        )
    return sent
