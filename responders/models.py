"""Who responds: providers and the divisions they cover, responders, teams, shifts, devices.

Workflows (signing in, revoking a phone) live in services.py; this module holds data and
the constraints the database itself enforces.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from knox.models import AbstractAuthToken

from umcr.models import TimeStampedModel
from umcr.sync import sequence

from .choices import DevicePlatform, OutOfServiceReason, Role, TeamMakeup


class Provider(TimeStampedModel):
    """A nonprofit that sends clinician pairs to the calls of the divisions it covers."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=40, unique=True, help_text="Short handle, e.g. 'alcott'.")
    phone = models.CharField(max_length=32, blank=True)
    alert_email = models.EmailField(
        blank=True, help_text="Where urgent alerts (police backup, no team on shift) go."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(TimeStampedModel):
    """An unarmed-response program: what it takes (call types, sources), what it refuses
    (its eligibility rules), the divisions it covers through which providers (Coverage) and
    how its teams are made. Data, not code: a city adds one in the admin.

    The lists hold values of the calls app's code lists (CallType, CallSource, SafetyFlag);
    the admin offers exactly those (calls/admin.py) and intake reads them (calls/routing.py).
    """

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=40, unique=True, help_text="Short handle, e.g. 'umcr'.")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    intake_order = models.PositiveSmallIntegerField(
        default=100,
        help_text="When a call names no program, programs are tried in this order (lowest "
        "first); the first that takes the call gets it.",
    )
    call_types = models.JSONField(
        default=list, blank=True, help_text="The call types the program takes (CallType)."
    )
    sources = models.JSONField(
        default=list, blank=True, help_text="Where it takes calls from (CallSource)."
    )
    refuses_weapon = models.BooleanField(
        default=True, help_text="Refuse a call where a weapon was reported."
    )
    refuses_violence = models.BooleanField(
        default=True, help_text="Refuse a call with violence in progress."
    )
    refused_safety_flags = models.JSONField(
        default=list, blank=True, help_text="Safety flags (SafetyFlag) that rule a call out."
    )
    team_makeup = models.CharField(
        max_length=24, choices=TeamMakeup.choices, default=TeamMakeup.CLINICIAN_PAIR
    )
    transports = models.BooleanField(
        default=False, help_text="Its teams can drive a client to care (a transport step)."
    )

    class Meta:
        ordering = ["intake_order", "name"]

    def __str__(self) -> str:
        return self.name


class Division(TimeStampedModel):
    """A police division (an LAPD 'area'); calls are routed by the division they come from."""

    name = models.CharField(max_length=80, unique=True)
    code = models.CharField(max_length=8, unique=True, help_text="Short code, e.g. 'WIL'.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Coverage(TimeStampedModel):
    """A provider covers a division for a program from `starts_on` until `ends_on`
    (open-ended if empty). A provider may serve several programs, each by its own rows."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="coverages")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="coverages")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="coverages")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["division__name", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="coverage_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["program", "division", "starts_on"],
                name="coverage_one_start_per_program_division",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} covers {self.division} for {self.program} from {self.starts_on}"

    def clean(self) -> None:
        # One provider per division and program at any time, so routing is never ambiguous.
        if self.division_id is None or self.starts_on is None or self.program_id is None:
            return
        overlapping = Coverage.objects.filter(
            division_id=self.division_id, program_id=self.program_id
        ).exclude(pk=self.pk)
        overlapping = overlapping.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=self.starts_on))
        if self.ends_on is not None:
            overlapping = overlapping.filter(starts_on__lte=self.ends_on)
        if overlapping.exists():
            raise ValidationError(
                {
                    "starts_on": "Another provider already covers this division for this "
                    "program in that period."
                }
            )


class Team(TimeStampedModel):
    """A pair who go out together for one program (made as the program says), known to the
    desk by a call sign."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="teams")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="teams")
    call_sign = models.CharField(max_length=20, unique=True, help_text="e.g. 'ALCOTT-1'.")
    divisions = models.ManyToManyField(Division, related_name="teams", blank=True)
    is_active = models.BooleanField(default=True)
    # Set from the phone (responders.services.set_availability); empty: in service.
    out_of_service = models.CharField(max_length=16, choices=OutOfServiceReason.choices, blank=True)
    availability_changed_at = models.DateTimeField(null=True, blank=True)
    # The last known position (the latest ping by when it was taken), for routing and the
    # desk; the pings themselves are PositionPing, kept POSITION_RETENTION_DAYS.
    last_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    last_position_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["call_sign"]

    def __str__(self) -> str:
        return self.call_sign


class PositionPing(models.Model):
    """Where a team's phone was, when: sent in batches while on shift (at most one kept per
    30 s), kept POSITION_RETENTION_DAYS for review, then removed (responders/tasks.py)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="pings")
    responder = models.ForeignKey(
        "Responder", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["team", "-taken_at"], name="ping_team_taken_idx")]

    def __str__(self) -> str:
        return f"{self.team} at {self.latitude},{self.longitude} ({self.taken_at:%H:%M:%S})"


# What a responder's sync scope is made of: the rows their phone holds follow from these.
SCOPE_FIELDS = ("team_id", "provider_id", "role")
# The same, as an update() or save(update_fields=...) may name them.
SCOPE_NAMES = {*SCOPE_FIELDS, "team", "provider"}


class ResponderQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """A bulk change of team, provider or role moves each row's scope epoch, as save()
        does (for every row named, changed or not: a needless resync is harmless)."""
        if not SCOPE_NAMES & set(kwargs):
            return super().update(**kwargs)
        with sequence.atomic_claim():
            kwargs["scope_changed_seq"] = sequence.claim()
            return super().update(**kwargs)


class Responder(TimeStampedModel):
    """A person who signs in: the profile of a Django user, with their provider and role.

    `scope_changed_seq` is the sync sequence number at which their team, provider or role
    last changed. A phone's cursor below it was pulled under the old scope: it holds records
    it may no longer see and lacks the new scope's older records, which no incremental pull
    can mend, so the pull tells the phone to start again (umcr/sync/pull.py).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="responder"
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="responders",
        null=True,
        blank=True,
        help_text="Empty only for the dispatch desk, which serves every provider.",
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    # PROTECT: a team is emptied by moving its members (each move restarts their phones'
    # sync under the new scope) before it can be deleted; a silent SET_NULL would not.
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
        help_text="Clinicians only: the pair they work in.",
    )
    display_name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    scope_changed_seq = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Sync sequence number of the last change of team, provider or role.",
    )

    objects = ResponderQuerySet.as_manager()

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role=Role.DISPATCHER) | Q(provider__isnull=False),
                name="responder_provider_unless_dispatcher",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="responder_role_valid"),
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(role=Role.CLINICIAN),
                name="responder_team_only_for_clinicians",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()

    def clean(self) -> None:
        if self.team_id is not None and self.role != Role.CLINICIAN:
            raise ValidationError({"team": "Only clinicians work in a team."})
        if self.team is not None and self.provider_id != self.team.provider_id:
            raise ValidationError({"team": "The team belongs to another provider."})
        if self.team_id is not None:
            others = Responder.objects.filter(team_id=self.team_id).exclude(pk=self.pk)
            if others.count() >= 2:
                raise ValidationError({"team": "A team is a pair: it already has two members."})

    def save(self, *args, **kwargs):
        """Moves the scope epoch when team, provider or role change, however the save is
        made (admin, shell, services). The number is claimed inside the saving transaction,
        never read from the counter beforehand: a number read before would let a pull whose
        snapshot still shows the old scope hand out a cursor at or above it, and that phone
        would never be told to resync. A claimed number N commits with the new scope, so
        every snapshot that sees N sees the new scope too."""
        update_fields = kwargs.get("update_fields")
        scope_named = update_fields is None or SCOPE_NAMES & set(update_fields)
        if self.pk is None or not scope_named:
            return super().save(*args, **kwargs)
        with sequence.atomic_claim():
            # The counter's lock first (the writers' lock order), then the stored scope: two
            # saves of one responder cannot both miss each other's change.
            sequence.hold()
            stored = Responder.objects.filter(pk=self.pk).values_list(*SCOPE_FIELDS).first()
            if stored is not None and stored != tuple(getattr(self, f) for f in SCOPE_FIELDS):
                self.scope_changed_seq = sequence.claim()
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "scope_changed_seq"}
            # The partners' scope does not move: what a pair sees follows its records (the
            # team kept on each person and referral), not who is in the pair today.
            return super().save(*args, **kwargs)

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    @property
    def is_dispatcher(self) -> bool:
        return self.role == Role.DISPATCHER


class Shift(TimeStampedModel):
    """A team on duty from `starts_at` to `ends_at` (teams cover the clock in shifts)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["team", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
            models.UniqueConstraint(fields=["team", "starts_at"], name="shift_one_start_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    def clean(self) -> None:
        if self.team_id is None or self.starts_at is None or self.ends_at is None:
            return
        overlaps = Shift.objects.filter(
            team_id=self.team_id, starts_at__lt=self.ends_at, ends_at__gt=self.starts_at
        ).exclude(pk=self.pk)
        if overlaps.exists():
            raise ValidationError({"starts_at": "The team already has a shift in that period."})


class Device(TimeStampedModel):  # type: ignore[django-manager-missing]  # knox token manager
    """A phone (or other client) a responder signed in on; revoking it ends its tokens."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    responder = models.ForeignKey(Responder, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(max_length=120, help_text="What the phone calls itself.")
    platform = models.CharField(
        max_length=16, choices=DevicePlatform.choices, default=DevicePlatform.OTHER
    )
    app_version = models.CharField(max_length=32, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-last_seen_at", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.responder})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class DeviceToken(AbstractAuthToken):
    """knox's hashed token, tied to the device it was issued to (KNOX_TOKEN_MODEL)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="tokens")

    class Meta:
        verbose_name = "device token"
