"""Code lists of the transports app; every value says what it means."""

from django.db import models


class TransportStatus(models.TextChoices):
    """Where a transport stands."""

    #: The team left with the client for the destination.
    UNDER_WAY = "under_way", "Under way"
    #: At the destination, waiting to hand the client over.
    ARRIVED = "arrived", "Arrived"
    #: Someone at the destination took the client over: the transport is done.
    HANDED_OFF = "handed_off", "Handed off"
    #: Called off before a hand-off (the client changed their mind, a medical emergency).
    CANCELLED = "cancelled", "Cancelled"


CLOSED_TRANSPORT_STATUSES = (TransportStatus.HANDED_OFF, TransportStatus.CANCELLED)
