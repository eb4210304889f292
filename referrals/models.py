"""The services directory and referrals to it, with every status change kept.

The lifecycle rules (which moves are allowed) live in services.py.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from calls.models import Call, Person
from responders.models import Division, Provider, Responder, Team
from umcr.models import ClientRecord, TimeStampedModel
from umcr.sync.base import SyncedModel

from .choices import ConsentMethod, ReferralStatus, ServiceCategory

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


def validate_hours(value) -> None:
    """Opening hours as `is_open_now` reads them: {"always": true}, or weekday keys, each a
    list of ["HH:MM", "HH:MM"] ranges; "24:00" may close a range; a range that ends before
    it starts runs past midnight (["18:00", "07:00"])."""
    if not isinstance(value, dict):
        raise ValidationError('Hours are an object, e.g. {"mon": [["08:00", "17:00"]]}.')
    for key, ranges in value.items():
        if key == "always":
            if not isinstance(ranges, bool):
                raise ValidationError('"always" is true or false.')
            continue
        if key not in WEEKDAYS:
            raise ValidationError(f'Unknown day "{key}": use {", ".join(WEEKDAYS)} or always.')
        if not isinstance(ranges, list):
            raise ValidationError(f'"{key}" is a list of ["HH:MM", "HH:MM"] ranges.')
        for span in ranges:
            ok = (
                isinstance(span, list)
                and len(span) == 2
                and all(isinstance(t, str) for t in span)
                and _CLOCK.match(span[0])
                and (_CLOCK.match(span[1]) or span[1] == "24:00")
                and span[0] != span[1]
            )
            if not ok:
                raise ValidationError(
                    f'"{key}": {span!r} is not a ["HH:MM", "HH:MM"] range of two different times.'
                )


class Service(SyncedModel, TimeStampedModel):
    """One entry of the directory, in the spirit of Open Referral HSDS (organization,
    service, location, contact, schedule, eligibility)."""

    organization = models.CharField(max_length=160)
    name = models.CharField(max_length=160)
    category = models.CharField(max_length=16, choices=ServiceCategory.choices)
    description = models.TextField(blank=True)
    address = models.CharField(max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    divisions_served = models.ManyToManyField(Division, related_name="services", blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    hours = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_hours],
        help_text=(
            'Opening hours by weekday, e.g. {"mon": [["08:00", "17:00"]], ...}; '
            '["18:00", "07:00"] runs past midnight; {"always": true} for around the clock.'
        ),
    )
    hours_text = models.CharField(
        max_length=200, blank=True, help_text="Hours, as people say them."
    )
    eligibility = models.TextField(blank=True, help_text="Who the service takes.")
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Places in all (beds, slots), if it has a limit."
    )
    is_accepting_clients = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organization", "name"]
        indexes = [models.Index(fields=["category", "is_active"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="service_unique_per_organization"
            ),
            models.CheckConstraint(
                condition=Q(category__in=ServiceCategory.values), name="service_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"


CLOSED_REFERRAL_STATUSES = (
    ReferralStatus.COMPLETED,
    ReferralStatus.DECLINED,
    ReferralStatus.NO_SHOW,
    ReferralStatus.UNREACHABLE,
    ReferralStatus.WITHDRAWN,
)


class Referral(SyncedModel, ClientRecord):
    """A person referred to a service, with their consent, followed until it closes."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="referrals")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(
        max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PROPOSED
    )
    status_changed_at = models.DateTimeField()
    # No consent, no referral: the database refuses a row without it.
    consent_given = models.BooleanField()
    consent_method = models.CharField(max_length=16, choices=ConsentMethod.choices)
    consent_recorded_at = models.DateTimeField()
    referred_by = models.ForeignKey(
        Responder, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals_made"
    )
    # Scope follows the record: the pair that referred keeps seeing the referral, whichever
    # team its members move to later (referrals.permissions.referral_scope).
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The team whose clinician made the referral.",
    )
    assigned_to = models.ForeignKey(
        Responder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals_assigned",
        help_text="The case manager who follows it up.",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-status_changed_at"]
        indexes = [
            models.Index(fields=["provider", "status", "status_changed_at"]),
            models.Index(fields=["assigned_to", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_given=True), name="referral_requires_consent"
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(call__isnull=False),
                name="referral_has_person_or_call",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Referral to {self.service} ({self.get_status_display()})"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_REFERRAL_STATUSES


class ReferralStatusChange(models.Model):
    """One step of a referral's history: who moved it, from what to what, when, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    changed_by = models.ForeignKey(
        Responder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '–'} → {self.to_status}"
