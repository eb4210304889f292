"""Sending notifications: a stored row the recipient can list, and an email, once.

Every sender names a `dedupe_key`; sending the same key twice (a task retried, a schedule
run twice) finds the stored row and sends nothing more. Knows no app's rules.
"""

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification

TITLE_LENGTH = Notification._meta.get_field("title").max_length


def one_line_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """A title fit for the column and for an email subject: one line, at most `limit` long
    (addresses and names come from the desk and can be long or hold line breaks)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify(*, recipient, kind: str, title: str, body: str, dedupe_key: str, call=None):
    """Store a notification for `recipient` and email it; a repeat of `dedupe_key` is a no-op.
    Returns (notification, created)."""
    title = one_line_title(title)
    existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title,
                body=body,
                call=call,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        # Another worker sent the same notification a moment ago.
        return Notification.objects.get(dedupe_key=dedupe_key), False
    if recipient.email:
        send_mail(title, body, None, [recipient.email], fail_silently=True)
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return notification, True


def notify_each(recipients, *, kind: str, title: str, body: str, key: str, call=None) -> int:
    """notify() every recipient, each keyed `<key>:<user id>`; returns how many were newly
    notified (a repeat of the same key notifies no one twice)."""
    sent = 0
    for user in recipients:
        _, created = notify(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            call=call,
            dedupe_key=f"{key}:{user.pk}",
        )
        sent += created
    return sent
