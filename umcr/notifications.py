"""Notifying people from scheduled work (reminders, escalations, digests): the task writes
the outbox's rows (umcr/outbox.py) and sends them at once itself; whatever cannot be sent
now is retried by the delivery loop. Knows no app's rules."""

from django.db import transaction

from .models import Delivery, DeliveryState
from .outbox import deliver_one, enqueue, one_line_title

__all__ = ["notify_each", "one_line_title"]


def notify_each(recipients, *, kind: str, title: str, body: str, key: str, call=None) -> int:
    """Notify every recipient in the app and by email, keyed `<key>:<user id>`; returns how
    many were newly notified (a repeat of the same key notifies no one twice)."""
    with transaction.atomic():
        newly = enqueue(recipients, kind=kind, title=title, body=body, key=key, call=call)
    if newly:
        pending = Delivery.objects.filter(
            dedupe_key__startswith=f"{key}:", state=DeliveryState.PENDING
        ).values_list("pk", flat=True)
        for pk in list(pending):
            deliver_one(pk)
    return newly
