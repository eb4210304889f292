"""The transactional outbox: whatever must reach a person is written as delivery rows in the
same transaction as its cause, then sent by a retrying loop. Knows no app's rules.

- `enqueue()` writes one row per recipient and channel (in-app, email), keyed, inside the
  caller's transaction, and nudges the loop once it commits. A failed nudge (the broker is
  down) loses nothing: the rows are in the database, and the loop's schedule and the
  `deliver` command pick them up.
- `deliver_due()` is the loop: it claims each due row on its own (SKIP LOCKED, so loops in
  several workers never send one row at once), sends it, and marks it in one transaction.
  An in-app notification is stored and its row marked together: exactly once. An email is
  sent, then its row marked: a worker killed between the two sends that email again on the
  next pass (at least once; the only duplicate possible). A failure is retried with
  backoff; after MAX_ATTEMPTS the row is marked failed with the last error.
- A police-backup alert still undelivered a minute after its request is itself escalated
  (`escalate_undelivered`), and the desk's list shows each alert's delivery state.
"""

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import (
    Delivery,
    DeliveryChannel,
    DeliveryState,
    Notification,
    NotificationKind,
)

logger = logging.getLogger(__name__)

TITLE_LENGTH: int = Notification._meta.get_field("title").max_length  # type: ignore[assignment]
MAX_ATTEMPTS = 25
# Backoff after the n-th failed try: 5 s, 10 s, 20 s ... at most 15 minutes.
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=15)
# A backup alert not delivered within this is escalated.
UNDELIVERED_AFTER = timedelta(minutes=1)
LOOP_TASK = "umcr.outbox.deliver_due"


def one_line_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """A title fit for the column and for an email subject: one line, at most `limit` long
    (addresses and names come from the desk and can be long or hold line breaks)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _address_key(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()[:16]


def enqueue(
    recipients: Iterable,
    *,
    kind: str,
    title: str,
    body: str,
    key: str,
    call=None,
    subject: str = "",
    emails: Iterable[str] = (),
) -> int:
    """Write the deliveries of one message: in the app and by email to each recipient (a
    user), and by email to each extra address. Keyed `<key>:...`, so a cause written twice
    (a task retried, a timer fired twice) delivers once. Must run inside the transaction
    that writes the cause. Returns how many recipients are newly notified in the app."""
    title = one_line_title(title)
    now = timezone.now()
    common = {"kind": kind, "title": title, "body": body, "call": call, "subject": subject}
    rows = []
    for user in recipients:
        inbox_key = f"{key}:{user.pk}"
        rows.append(
            Delivery(
                dedupe_key=f"{inbox_key}:in_app",
                channel=DeliveryChannel.IN_APP,
                recipient=user,
                notification_key=inbox_key,
                next_attempt_at=now,
                **common,
            )
        )
        if user.email:
            rows.append(
                Delivery(
                    dedupe_key=f"{inbox_key}:email",
                    channel=DeliveryChannel.EMAIL,
                    recipient=user,
                    address=user.email,
                    notification_key=inbox_key,
                    next_attempt_at=now,
                    **common,
                )
            )
    for address in emails:
        if address:
            rows.append(
                Delivery(
                    dedupe_key=f"{key}:address:{_address_key(address)}:email",
                    channel=DeliveryChannel.EMAIL,
                    address=address,
                    next_attempt_at=now,
                    **common,
                )
            )
    keys = [row.dedupe_key for row in rows]
    known = set(Delivery.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    new = [row for row in rows if row.dedupe_key not in known]
    if not new:
        return 0
    # ignore_conflicts: another writer of the same cause may commit first; its rows stand.
    Delivery.objects.bulk_create(new, ignore_conflicts=True)
    transaction.on_commit(nudge)
    return sum(row.channel == DeliveryChannel.IN_APP for row in new)


def nudge() -> None:
    """Ask a worker to run the loop now. Best effort: with the broker down the rows wait for
    the loop's schedule or the `deliver` command, and the request that wrote them succeeds."""
    from django_q.tasks import async_task

    try:
        async_task(LOOP_TASK)
    except Exception:  # noqa: BLE001 - any broker failure; the rows are safe
        logger.warning("Could not queue the delivery loop; the schedule will send.", exc_info=True)


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def deliver_due(*, limit: int = 500, now: datetime | None = None) -> int:
    """Send every due delivery (at most `limit` in one pass); escalate backup alerts that
    are late. Returns how many were sent. Safe to run in several processes at once."""
    now = now or timezone.now()
    escalate_undelivered(now=now)
    due = (
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver_one(pk) for pk in list(due))


def deliver_one(pk: int) -> bool:
    """Claim one delivery, send it and mark it, in one transaction. False if another loop
    holds it, it is no longer pending, or sending failed (it is then rescheduled)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, state=DeliveryState.PENDING)
            .first()
        )
        if delivery is None:
            return False
        now = timezone.now()
        delivery.attempts += 1
        try:
            with transaction.atomic():
                _send(delivery)
        except Exception as exc:  # noqa: BLE001 - a refusing mail server, a bad address...
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = DeliveryState.FAILED
            delivery.save(update_fields=["attempts", "last_error", "next_attempt_at", "state"])
            return False
        delivery.state = DeliveryState.SENT
        delivery.sent_at = now
        delivery.save(update_fields=["attempts", "state", "sent_at"])
        return True


def _send(delivery: Delivery) -> None:
    if delivery.channel == DeliveryChannel.IN_APP:
        try:
            with transaction.atomic():
                Notification.objects.get_or_create(
                    dedupe_key=delivery.notification_key,
                    defaults={
                        # In-app rows always have a recipient (a database constraint).
                        "recipient_id": delivery.recipient_id,  # type: ignore[misc]
                        "kind": delivery.kind,
                        "title": delivery.title,
                        "body": delivery.body,
                        "call_id": delivery.call_id,
                    },
                )
        except IntegrityError:
            # Stored by a racing sender a moment ago: delivered.
            pass
        return
    send_mail(delivery.title, delivery.body, None, [delivery.address], fail_silently=False)
    if delivery.notification_key:
        # The recipient's copy in the app says it was emailed too.
        Notification.objects.filter(dedupe_key=delivery.notification_key).update(
            emailed_at=timezone.now()
        )


def escalate_undelivered(*, now: datetime | None = None) -> int:
    """Backup alerts with a delivery still pending (or failed) a minute after they were
    written: tell the desk and the supervisors who got it, in the app, that an alert is
    late, once per request. Returns how many requests were escalated."""
    now = now or timezone.now()
    late = (
        Delivery.objects.filter(
            kind=NotificationKind.BACKUP_REQUESTED,
            created_at__lt=now - UNDELIVERED_AFTER,
            created_at__gte=now - timedelta(days=1),
        )
        .exclude(state=DeliveryState.SENT)
        .values_list("subject", flat=True)
        .distinct()
    )
    escalated = 0
    for subject in list(late):
        key = f"backup_undelivered:{subject}"
        if Delivery.objects.filter(dedupe_key__startswith=f"{key}:").exists():
            continue
        alert = Delivery.objects.filter(
            kind=NotificationKind.BACKUP_REQUESTED, subject=subject
        ).first()
        users = {
            d.recipient
            for d in Delivery.objects.filter(
                kind=NotificationKind.BACKUP_REQUESTED,
                subject=subject,
                channel=DeliveryChannel.IN_APP,
            ).select_related("recipient")
        }
        with transaction.atomic():
            escalated += bool(
                enqueue(
                    users,
                    kind=NotificationKind.BACKUP_UNDELIVERED,
                    title=f"NOT DELIVERED: {alert.title}" if alert else "Backup alert late",
                    body="A police-backup alert has not reached everyone it was sent to a "
                    "minute after the request. Check the desk's backup list and call the "
                    f"team.\n\n{alert.body if alert else ''}",
                    key=key,
                    call=alert.call if alert else None,
                    subject=subject,
                )
            )
    return escalated


def delivery_states(subjects: Iterable[str]) -> dict[str, dict]:
    """For the desk's list: per subject, how many deliveries are sent, pending, failed, and
    whether any is late (pending past UNDELIVERED_AFTER). One query."""
    from django.db.models import Count, Min, Q

    late_before = timezone.now() - UNDELIVERED_AFTER
    rows = (
        Delivery.objects.filter(subject__in=list(subjects))
        .exclude(kind=NotificationKind.BACKUP_UNDELIVERED)
        .values("subject")
        .annotate(
            sent=Count("pk", filter=Q(state=DeliveryState.SENT)),
            pending=Count("pk", filter=Q(state=DeliveryState.PENDING)),
            failed=Count("pk", filter=Q(state=DeliveryState.FAILED)),
            oldest_pending=Min("created_at", filter=~Q(state=DeliveryState.SENT)),
        )
    )
    return {
        row["subject"]: {
            "sent": row["sent"],
            "pending": row["pending"],
            "failed": row["failed"],
            "late": row["oldest_pending"] is not None and row["oldest_pending"] < late_before,
        }
        for row in rows
    }
