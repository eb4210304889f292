"""Follow-up visits and calls to people a team met, until each one closes.

The lifecycle rules (reschedule, complete, miss) live in services.py.
"""

from django.db import models
from django.db.models import F, Q

from calls.models import Call, Person
from responders.models import Provider, Responder, Team
from umcr.models import ClientRecord
from umcr.sync.base import SyncedModel

from .choices import FollowUpKind, FollowUpStatus


class FollowUp(SyncedModel, ClientRecord):
    """Going back to someone: who, from which call, by whom, in which window, and how it went."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="followups")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="followups"
    )
    call = models.ForeignKey(
        Call,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
        help_text="The call it follows up on, if any.",
    )
    kind = models.CharField(max_length=16, choices=FollowUpKind.choices)
    purpose = models.TextField(blank=True)
    not_before = models.DateTimeField(help_text="The window opens.")
    due_by = models.DateTimeField(help_text="The window closes; after it the follow-up is overdue.")
    assigned_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="followups"
    )
    assigned_to = models.ForeignKey(
        Responder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followups",
        help_text="A case manager, when not a team.",
    )
    status = models.CharField(
        max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED
    )
    outcome = models.TextField(blank=True, help_text="What happened, when it closed.")
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Responder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_followup = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="previous_followup",
        help_text="The follow-up created when this one was completed.",
    )

    class Meta:
        ordering = ["due_by"]
        verbose_name = "follow-up"
        indexes = [
            models.Index(fields=["provider", "status", "due_by"]),
            models.Index(fields=["assigned_team", "status", "due_by"]),
            models.Index(fields=["assigned_to", "status", "due_by"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(call__isnull=False),
                name="followup_has_person_or_call",
            ),
            models.CheckConstraint(
                condition=Q(due_by__gte=F("not_before")), name="followup_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(assigned_team__isnull=True) | Q(assigned_to__isnull=True),
                name="followup_one_assignee",
            ),
            models.CheckConstraint(
                condition=Q(status__in=FollowUpStatus.values), name="followup_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=FollowUpStatus.SCHEDULED, closed_at__isnull=True)
                | (~Q(status=FollowUpStatus.SCHEDULED) & Q(closed_at__isnull=False)),
                name="followup_closed_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_by:%Y-%m-%d}"


class FollowUpChange(models.Model):
    """One entry in a follow-up's history: a status change or a reschedule (old window kept)."""

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=16, choices=FollowUpStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=FollowUpStatus.choices)
    old_not_before = models.DateTimeField(null=True, blank=True)
    old_due_by = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        Responder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '–'} → {self.to_status}"
