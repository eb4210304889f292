"""Calls and the field records teams write on them: status events, notes, outcomes,
police-backup requests; and the people served.

Field records are append-only: a correction is a new row that points at what it corrects,
never an edit. The call's status and timestamps are derived from its events (services.py).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from responders.models import Device, Division, Program, Provider, Responder, Team
from umcr.models import ClientRecord, TimeStampedModel
from umcr.sync.base import SyncedModel

from .choices import (
    BackupReason,
    BackupStatus,
    CallSource,
    CallStatus,
    CallType,
    CheckInAnswer,
    Disposition,
    EventKind,
    Priority,
)


class Voidable(models.Model):
    """Clinical records are never erased: a record entered in error is voided, with a reason,
    and phones drop it on their next pull."""

    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


class Person(SyncedModel, Voidable, ClientRecord):
    """Someone a team served. Minimal identifying data: only what finds them again."""

    given_name = models.CharField(max_length=80, blank=True)
    family_name = models.CharField(max_length=80, blank=True)
    preferred_name = models.CharField(max_length=80, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    approximate_age = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="When the birth date is unknown."
    )
    phone = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=40, blank=True, help_text="Preferred language.")
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="people",
        help_text="The provider whose team first recorded this person.",
    )
    created_by = models.ForeignKey(
        Responder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Scope follows the record: the pair that recorded someone keeps seeing them, whichever
    # team its members move to later (calls.permissions.team_people_scope).
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The team that recorded this person.",
    )

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["family_name", "given_name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(approximate_age__isnull=True) | Q(approximate_age__lte=120),
                name="person_age_plausible",
            ),
        ]

    def __str__(self) -> str:
        name = " ".join(p for p in (self.given_name, self.family_name) if p)
        return name or self.preferred_name or f"Unnamed person {str(self.id)[:8]}"


class Call(SyncedModel, TimeStampedModel):
    """A call for an unarmed response: what the desk knows, where it was routed, and the
    status derived from the team's events."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="calls",
        help_text="The program that took the call (intake names or matches it).",
    )
    source = models.CharField(max_length=16, choices=CallSource.choices)
    cad_incident_number = models.CharField(
        max_length=40, help_text="The incident number in the source's dispatch system."
    )
    received_at = models.DateTimeField(db_index=True)
    call_type = models.CharField(max_length=32, choices=CallType.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.PROMPT)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="calls")
    address = models.CharField(max_length=200)
    address_key = models.CharField(
        max_length=200,
        db_index=True,
        editable=False,
        help_text="The address normalised, to find prior contacts at the same place.",
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    narrative = models.TextField(blank=True, help_text="The dispatcher's account of the call.")
    caller_account = models.TextField(blank=True, help_text="What the caller said, in brief.")
    caller_phone = models.CharField(max_length=32, blank=True)
    safety_flags = models.JSONField(
        default=list, blank=True, help_text="SafetyFlag values the desk reported."
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    routed_provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )

    # Derived from the status events (calls.services.derive_call_state); never set by hand.
    status = models.CharField(
        max_length=16, choices=CallStatus.choices, default=CallStatus.PENDING, editable=False
    )
    dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    en_route_at = models.DateTimeField(null=True, blank=True, editable=False)
    on_scene_at = models.DateTimeField(null=True, blank=True, editable=False)
    transporting_at = models.DateTimeField(null=True, blank=True, editable=False)
    cleared_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Derived from the current outcome (the one nothing supersedes), for lists and figures.
    disposition = models.CharField(
        max_length=32, choices=Disposition.choices, blank=True, editable=False
    )
    police_involved = models.BooleanField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["team", "status", "priority", "received_at"]),
            # The closed part of a team's queue, newest first.
            models.Index(fields=["team", "-received_at"], name="call_team_recent_idx"),
            models.Index(fields=["routed_provider", "received_at"]),
            models.Index(fields=["person", "received_at"]),
            # A team's open calls (a few among its thousands): the sync's first page, the
            # window, a team's queue.
            models.Index(
                fields=["team"],
                condition=~Q(status__in=[CallStatus.CLEARED, CallStatus.CANCELLED]),
                name="call_open_by_team_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "cad_incident_number"], name="call_unique_cad_incident"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="call_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="call_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(routed_provider__isnull=False),
                name="call_team_needs_provider",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="call_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CallStatus.values), name="call_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cad_incident_number} {self.get_call_type_display()}"

    def save(self, *args, **kwargs) -> None:
        self.address_key = normalise_address(self.address)
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status not in (CallStatus.CLEARED, CallStatus.CANCELLED)


def normalise_address(address: str) -> str:
    """Lower-case, single-spaced, without punctuation: '123 Main St.' == '123  main st'."""
    kept = "".join(ch if ch.isalnum() else " " for ch in address.lower())
    return " ".join(kept.split())


class FieldRecord(SyncedModel, Voidable, ClientRecord):
    """A record a responder writes on a call from the phone: when the phone says it happened
    (`occurred_at`) and when the server learned of it (`created_at`), by whom, from where."""

    occurred_at = models.DateTimeField(help_text="When it happened, by the phone's clock.")
    responder = models.ForeignKey(
        Responder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class StatusEvent(FieldRecord):
    """A step in a call's timeline (acknowledged, on scene, cleared...), append-only."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)

    class Meta:
        ordering = ["occurred_at", "created_at"]
        indexes = [
            models.Index(fields=["call", "occurred_at"]),
            # The call's latest dispatch, whatever the number of its events.
            models.Index(fields=["call", "kind", "created_at"], name="event_call_kind_arrival_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="status_event_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Note(FieldRecord):
    """An on-scene note. Append-only: a correction is an addendum that `amends` the note."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField()
    amends = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="addenda"
    )

    class Meta:
        ordering = ["occurred_at", "created_at"]
        indexes = [models.Index(fields=["call", "occurred_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="note_body_not_empty"),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(amends=F("id")),
                name="note_does_not_amend_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"Note {str(self.id)[:8]} on {self.call_id}"


class Outcome(FieldRecord):
    """How a call ended. A correction is a new outcome that `supersedes` the current one;
    the call's outcome is its newest one not voided (`Outcome.current_of`). Voiding a
    correction entered in error brings back the one it corrected; voiding every outcome
    lets the team record the outcome afresh."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="outcomes")
    disposition = models.CharField(max_length=32, choices=Disposition.choices)
    police_involved = models.BooleanField(default=False)
    people_served = models.PositiveSmallIntegerField(default=1)
    summary = models.TextField(blank=True)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )

    class Meta:
        ordering = ["occurred_at", "created_at"]
        constraints = [
            # One original outcome per call; corrections chain from it one at a time. Voided
            # rows are out of the chain, so a row may be corrected again once the correction
            # of it was voided.
            models.UniqueConstraint(
                fields=["call"],
                condition=Q(supersedes__isnull=True, voided_at__isnull=True),
                name="outcome_one_original_per_call",
            ),
            models.UniqueConstraint(
                fields=["supersedes"],
                condition=Q(voided_at__isnull=True),
                name="outcome_superseded_once",
            ),
            models.CheckConstraint(
                condition=Q(disposition__in=Disposition.values), name="outcome_disposition_valid"
            ),
            models.CheckConstraint(
                condition=Q(people_served__lte=100), name="outcome_people_served_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_disposition_display()} ({self.call_id})"

    @staticmethod
    def current_of(outcomes) -> "Outcome | None":
        """The call's outcome among `outcomes` (one call's, voided ones or not): the newest
        one not voided. Every correction supersedes the outcome current when it was written,
        so this is the end of the chain once voided rows are left out."""
        live = [o for o in outcomes if o.voided_at is None]
        return max(live, key=lambda o: (o.created_seq, o.created_at), default=None)


class BackupRequest(FieldRecord):
    """A team's request for police. Urgent: accepted online at once and alerts the desk.
    The request itself is append-only; only its desk-managed status moves."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="backup_requests")
    reason = models.CharField(max_length=32, choices=BackupReason.choices)
    details = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=BackupStatus.choices, default=BackupStatus.REQUESTED
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["status", "occurred_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=BackupReason.values), name="backup_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=BackupStatus.values), name="backup_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(reason=BackupReason.OTHER) | ~Q(details=""),
                name="backup_other_needs_details",
            ),
        ]

    def __str__(self) -> str:
        return f"Backup: {self.get_reason_display()} ({self.get_status_display()})"


# Bounds of a "longer visit, check again in M minutes" answer.
CHECK_AGAIN_MINUTES = (5, 120)


class CheckIn(FieldRecord):
    """A team's answer to the phone's on-scene safety check-in ("all OK?"), append-only.
    The next check-in is due an interval after the latest answer (calls/checkins.py)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="check_ins")
    answer = models.CharField(max_length=16, choices=CheckInAnswer.choices)
    check_again_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A longer visit: when to ask again, in minutes."
    )
    backup_request = models.OneToOneField(
        BackupRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="check_in",
        help_text="A 'need help' answer's police-backup request (responder safety).",
    )

    class Meta:
        ordering = ["occurred_at", "created_at"]
        indexes = [models.Index(fields=["call", "occurred_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(answer__in=CheckInAnswer.values), name="check_in_answer_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        answer=CheckInAnswer.LONGER_VISIT,
                        check_again_minutes__gte=CHECK_AGAIN_MINUTES[0],
                        check_again_minutes__lte=CHECK_AGAIN_MINUTES[1],
                    )
                    | (~Q(answer=CheckInAnswer.LONGER_VISIT) & Q(check_again_minutes__isnull=True))
                ),
                name="check_in_again_only_for_longer_visit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_answer_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class SafetyAlert(SyncedModel, TimeStampedModel):
    """A check-in missed past its grace period: the desk and the supervisors are alerted,
    again every few minutes, until someone acknowledges it. A late answer from the team
    closes it (`closed_by`), never erases it: the alert stays in the call's history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="safety_alerts")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(help_text="When the missed check-in was due.")
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the team's late answer reached the server."
    )
    closed_by = models.ForeignKey(
        CheckIn,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closed_alerts",
        help_text="The late check-in that closed the alert.",
    )

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["acknowledged_at", "raised_at"])]
        constraints = [
            # One alert per missed check-in: a timer that fires twice raises it once.
            models.UniqueConstraint(fields=["call", "due_at"], name="safety_alert_once_per_due"),
        ]

    def __str__(self) -> str:
        return f"Missed check-in {self.team} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        """Still escalating: neither acknowledged nor answered."""
        return self.acknowledged_at is None and self.closed_at is None


class IntakeRefusal(models.Model):
    """A call the desk or CAD sent that is not for an unarmed response (a weapon, violence in
    progress, a type outside the program, an uncovered division): kept, with why, so the
    program can show what it turned away and the desk's record matches."""

    source = models.CharField(max_length=16, blank=True)
    cad_incident_number = models.CharField(max_length=40, blank=True)
    payload = models.JSONField()
    reasons = models.JSONField()
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    refused_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-refused_at"]

    def __str__(self) -> str:
        return f"Refused {self.cad_incident_number}"


class ProgramMove(models.Model):
    """The desk moved a call to another program (intake matched it to the wrong one, or the
    situation changed): kept in the call's history, with who and why."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="program_moves")
    from_program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    to_program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    moved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["moved_at"]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.from_program} -> {self.to_program}"


# The longest desk note a team is sent: a few sentences read on a phone, not a report.
DESK_NOTE_MAX_LENGTH = 2000


class DeskNote(SyncedModel, ClientRecord):
    """A note from the desk (or a supervisor) to the team on a call ("caller says he walked to
    the park"). Append-only: a correction is another note. Phones pull them, never push."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="desk_notes")
    body = models.CharField(max_length=DESK_NOTE_MAX_LENGTH)
    author = models.ForeignKey(
        Responder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["call", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="desk_note_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Desk note {str(self.id)[:8]} on {self.call_id}"


class CallReroute(models.Model):
    """A call moved from a team that did not acknowledge it to the next team, by the
    acknowledgement window (ACK_AUTO_REROUTE) - kept in the call's history. One per missed
    dispatch: the timer firing twice reroutes once."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="reroutes")
    missed_dispatch = models.OneToOneField(
        StatusEvent,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The dispatch nobody acknowledged.",
    )
    from_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    rerouted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rerouted_at"]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.from_team_id} -> {self.to_team_id}"
