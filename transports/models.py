"""A transport: a team drives a client to care (a crisis stabilization unit, a sobering
centre, urgent care, a shelter), with the client's consent or on a hold, and hands them over.
A destination that refuses is kept (DestinationRefusal) and the team drives on to another.

Workflows live in services.py; this module holds data and what the database enforces.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from calls.models import Call, Person
from referrals.choices import ConsentMethod
from referrals.models import Service
from responders.models import Provider, Responder, Team
from umcr.models import ClientRecord
from umcr.sync.base import SyncedModel

from .choices import TransportStatus


class Transport(SyncedModel, ClientRecord):
    """One ride with a client, from departure to hand-off. Its id is the phone's; phones
    sync it (transports/sync.py), and its sync sequence number is its REST `version`."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="transports")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="transports"
    )
    # Scope follows the record: the provider and team the call had when the ride began.
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="transports")
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="transports"
    )
    destination = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="transports",
        help_text="Where the client is being taken now (from the services directory).",
    )
    on_hold = models.BooleanField(
        default=False, help_text="The client is on a psychiatric hold (no consent asked)."
    )
    consent_given = models.BooleanField(default=False)
    consent_method = models.CharField(max_length=16, choices=ConsentMethod.choices, blank=True)
    status = models.CharField(
        max_length=16, choices=TransportStatus.choices, default=TransportStatus.UNDER_WAY
    )
    departed_at = models.DateTimeField()
    arrived_at = models.DateTimeField(null=True, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    received_by = models.CharField(
        max_length=120, blank=True, help_text="Who at the destination took the client over."
    )
    driven_by = models.ForeignKey(
        Responder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-departed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_hold=True) | Q(consent_given=True),
                name="transport_consent_or_hold",
            ),
            models.CheckConstraint(
                condition=~Q(status="handed_off")
                | (~Q(received_by="") & Q(handed_off_at__isnull=False)),
                name="transport_handoff_names_the_receiver",
            ),
        ]

    def __str__(self) -> str:
        return f"Transport to {self.destination} ({self.get_status_display()})"


class DestinationRefusal(SyncedModel, ClientRecord):
    """A destination would not take the client (full, not the right care): kept with why,
    and the transport drove on to another. Its id is the phone's (a refusal recorded
    offline is pushed once); append-only."""

    transport = models.ForeignKey(Transport, on_delete=models.CASCADE, related_name="refusals")
    # The transport's call, kept on the refusal: it syncs and moves with the call like the
    # call's other records (calls/children.py).
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="destination_refusals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    next_destination = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the team drove on to (empty for refusals recorded before it was kept).",
    )
    reason = models.TextField()
    refused_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["refused_at"]

    def __str__(self) -> str:
        return f"{self.service} refused: {self.reason[:40]}"
