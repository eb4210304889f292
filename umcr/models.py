"""Cross-cutting tables and abstract bases: timestamps, client-generated ids, stored
notifications and the access log. Nothing here knows any one app's rules."""

import uuid

from django.conf import settings
from django.db import IntegrityError, models
from django.utils import timezone


class TimeStampedModel(models.Model):
    """Every row keeps when it was created and last changed on the server."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ClientRecord(TimeStampedModel):
    """A record a phone may create offline: its UUID primary key is generated on the phone,
    so a retry after a lost response names the same row instead of creating a second one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class NotificationKind(models.TextChoices):
    """What a notification is about."""

    #: A team asked for police backup on a call.
    BACKUP_REQUESTED = "backup_requested", "Police backup requested"
    #: A backup request moved (acknowledged, police en route, ...).
    BACKUP_STATUS = "backup_status", "Backup request updated"
    #: A call was assigned to the recipient's team.
    CALL_ASSIGNED = "call_assigned", "Call assigned"
    #: A call is waiting with no team on shift.
    CALL_UNASSIGNED = "call_unassigned", "Call waiting for a team"
    #: A follow-up's window opens soon.
    FOLLOWUP_REMINDER = "followup_reminder", "Follow-up reminder"
    #: A follow-up is past its window.
    FOLLOWUP_OVERDUE = "followup_overdue", "Follow-up overdue"
    #: The day's queue, for a case manager.
    DAILY_DIGEST = "daily_digest", "Daily digest"
    #: A police-backup alert is still not delivered a minute after the request.
    BACKUP_UNDELIVERED = "backup_undelivered", "Backup alert not delivered"
    #: A call dispatched to the recipient's team is not acknowledged within its window.
    ACK_REMINDER = "ack_reminder", "Call not acknowledged: reminder"
    #: A dispatched call is still not acknowledged a second window later (desk, supervisors).
    ACK_OVERDUE = "ack_overdue", "Call not acknowledged"
    #: A team on scene has not answered its safety check-in (desk, supervisors; repeats
    #: until someone acknowledges the alert).
    CHECKIN_MISSED = "checkin_missed", "Safety check-in missed"
    #: The desk wrote a note to the team on a call.
    DESK_NOTE = "desk_note", "Note from the desk"
    #: A call was moved to another team (by the desk, or by the acknowledgement window).
    CALL_REROUTED = "call_rerouted", "Call rerouted"


class Notification(models.Model):
    """A message to one user, stored so they can list it; `dedupe_key` makes every sender
    idempotent (a task run twice notifies once)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    call = models.ForeignKey(
        "calls.Call", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class AccessChannel(models.TextChoices):
    """How a record was read."""

    #: The field API (`/api/v1/`), a phone or the desk's link.
    REST = "rest", "REST API"
    #: A sync pull (WatermelonDB), the ids delivered per table.
    SYNC = "sync", "Sync pull"
    #: A Django admin page (change page, list, autocomplete).
    ADMIN = "admin", "Admin"
    #: A management command or a background task.
    COMMAND = "command", "Command"


class AccessAction(models.TextChoices):
    """What was done to the records (reads only, for now)."""

    #: The records were delivered in a response.
    READ = "read", "Read"


class AppendOnlyViolation(IntegrityError):
    """An access-log row was to be changed or deleted: the trail is append-only for everyone;
    only the retention job removes rows, once they are past retention."""


#: How long access-log rows are kept (HIPAA 164.316(b)(2): six years). The database's
#: trigger (migration 0006) refuses deleting younger rows with the same interval.
ACCESS_LOG_RETENTION_YEARS = 6


def access_log_retention_cutoff(now=None):
    """The instant six calendar years before `now`: rows written before it may go."""
    now = now or timezone.now()
    try:
        return now.replace(year=now.year - ACCESS_LOG_RETENTION_YEARS)
    except ValueError:  # 29 February, as PostgreSQL's interval arithmetic does
        return now.replace(year=now.year - ACCESS_LOG_RETENTION_YEARS, day=28)


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyViolation("Access-log rows are never changed.")

    def delete(self):
        raise AppendOnlyViolation(
            "Access-log rows are deleted only past retention (umcr.tasks.purge_access_log)."
        )

    def delete_past_retention(self, *, before) -> int:
        """Delete the rows written before `before`, which must lie at least six years back
        (the database's trigger checks each row again)."""
        if before > access_log_retention_cutoff():
            raise AppendOnlyViolation("Access-log rows are kept six years.")
        count, _ = models.QuerySet.delete(self.filter(accessed_at__lt=before))
        return count


class AccessLog(models.Model):
    """Who read which records, how, when and from which device: the audit trail HIPAA
    164.312(b) asks for. One row holds one response's reads of one kind of record for one
    provider (umcr/audit.py writes them). Append-only: rows are never changed, and deleted
    only past retention."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for a command or task run by no one signed in.",
    )
    device = models.ForeignKey(
        "responders.Device", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=AccessChannel.choices)
    action = models.CharField(max_length=16, choices=AccessAction.choices, default="read")
    record_type = models.CharField(
        max_length=32, help_text="The model's name: 'call', 'person', 'note', 'followup', ..."
    )
    record_ids = models.JSONField(
        default=list, help_text="The ids read, as strings (one for a single record's page)."
    )
    provider = models.ForeignKey(
        "responders.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The provider whose records were read (scopes the log for supervisors); "
        "empty when the read spans providers (the desk's pulls, a superuser's pages).",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=255, blank=True, help_text="The request's path.")
    accessed_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-accessed_at", "-id"]
        indexes = [
            models.Index(fields=["provider", "-accessed_at"]),
            # "Who read record X" is record_ids @> '["X"]' on a GIN index, made by a
            # PostgreSQL-only migration (0006); SQLite scans.
        ]

    def __str__(self) -> str:
        count = len(self.record_ids or [])
        return f"{self.user} {self.action} {count} {self.record_type} ({self.channel})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyViolation("Access-log rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation(
            "Access-log rows are deleted only past retention (umcr.tasks.purge_access_log)."
        )


# --- offline sync ------------------------------------------------------------------------------


class SyncCounter(models.Model):
    """The server's change sequence: one row, bumped inside every transaction that writes a
    synced record (umcr/sync/sequence.py says why this and not a clock or xids)."""

    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="sync_counter_single_row")
        ]

    def __str__(self) -> str:
        return f"sync sequence at {self.value}"


class SyncExit(models.Model):
    """A record that left an audience's scope (a call reassigned away from a team), or was
    deleted or voided for everyone (`audience` "*"): phones get its id in `deleted`.
    Kept SYNC_EXIT_RETENTION_DAYS days (umcr/sync/exits.py purges older ones; a cursor
    older than what was purged must resync)."""

    table = models.CharField(max_length=40)
    record_id = models.CharField(max_length=64)
    audience = models.CharField(max_length=40, help_text='"team:<id>", "responder:<id>" or "*".')
    seq = models.BigIntegerField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["audience", "seq"])]

    def __str__(self) -> str:
        return f"{self.table} {self.record_id} left {self.audience} at {self.seq}"


class SyncMark(models.Model):
    """A point of the change sequence that pulls reason about (umcr/sync/window.py).

    With `window_start`: from sequence number `seq` on, pulls used that lower bound of the
    sync window (a new mark each time the bound moves: once a day, or when the setting
    changes). Without: the exit retention's horizon - exits up to `seq` were purged, so a
    cursor below it must resync."""

    seq = models.BigIntegerField(db_index=True)
    window_start = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        if self.window_start is None:
            return f"exits purged up to {self.seq}"
        return f"window from {self.window_start:%Y-%m-%d %H:%M} since {self.seq}"


class SyncPage(models.Model):
    """Where a paged pull stands (umcr/sync/pull.py). A page with more to come answers
    `PAGE_CURSOR_BASE + id` as its timestamp - to the phone an opaque whole number like any
    other cursor - so the next page knows its position, the window starts its pages used,
    and on a first sync the snapshot of the open calls sent first."""

    # No foreign key: umcr names no app (the responder is settings.UMCR_DEVICE_MODEL's).
    responder_id = models.BigIntegerField()
    position = models.BigIntegerField(help_text="The sequence number the pages reached.")
    open_snapshot = models.BigIntegerField(
        null=True, blank=True, help_text="A first sync's open calls were sent as of this."
    )
    window_from = models.DateTimeField(null=True, blank=True)
    window_to = models.DateTimeField(null=True, blank=True)
    # A first sync's pages, planned once on its first page: where each ends (sequence
    # numbers up to `open_snapshot`), so no page after it counts rows again.
    cuts = models.JSONField(null=True, blank=True)
    # ... and how they are read: {"tables": [those with rows], "streamed": [the ends of the
    # pages longer than a page, streamed; the others are read whole]} (None: every table,
    # streamed).
    plan_reads = models.JSONField(null=True, blank=True)
    # A first sync's window, fixed on its first page (umcr.sync.window.Window.anchors): the
    # ids inside of each anchor, {name: [id, ...]}, on the first page's row only, kept a day
    # (umcr.sync.exits.FIRST_SYNC_KEPT).
    anchors = models.JSONField(null=True, blank=True)
    # The pages after it, up to its snapshot, name that first page.
    first_page = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"page of responder {self.responder_id} at {self.position}"


class SyncBatch(models.Model):
    """A push already applied, by the batch id the phone sent: a retry after a lost response
    gets the stored answer and changes nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(
        "responders.Device", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    batch_id = models.CharField(max_length=64)
    body_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the changes, to catch a reused id."
    )
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    response_text = models.TextField(
        blank=True,
        help_text="The answer exactly as sent (jsonb reorders keys): a retry gets the same bytes.",
    )
    seq = models.BigIntegerField(help_text="The sequence when the batch was applied.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "batch_id"], name="sync_batch_once_per_user")
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} ({self.user})"


class QuarantinedRecord(models.Model):
    """A pushed record that could not be applied, kept with its raw payload and the reason,
    so nothing a clinician wrote is silently dropped. Supervisors see their provider's."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(
        "responders.Device", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider = models.ForeignKey(
        "responders.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    batch_id = models.CharField(max_length=64, blank=True)
    table = models.CharField(max_length=40)
    record_id = models.CharField(max_length=64)
    operation = models.CharField(max_length=8, help_text="created, updated or deleted.")
    payload = models.JSONField(help_text="The record exactly as the phone sent it.")
    reason = models.JSONField(help_text="Why it was refused: a message or {field: [messages]}.")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "quarantined sync record"

    def __str__(self) -> str:
        return f"{self.table} {self.record_id} ({self.operation})"


# --- delivery ---------------------------------------------------------------------------------


class DeliveryChannel(models.TextChoices):
    """How a message reaches its recipient."""

    #: A stored notification the recipient lists (GET /notifications/, the admin).
    IN_APP = "in_app", "In the app"
    #: An email to the recipient's address (or a provider's alert address).
    EMAIL = "email", "Email"


class DeliveryState(models.TextChoices):
    """Where a delivery stands."""

    #: Written with its cause; waits for the delivery loop (again after a failed try).
    PENDING = "pending", "Pending"
    #: Delivered (the notification stored, or the mail server took the email).
    SENT = "sent", "Sent"
    #: Given up after MAX_ATTEMPTS tries; the last error says why.
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One message to one recipient on one channel: the transactional outbox. Written in the
    same transaction as what causes it (a backup request, an assignment), so no broker
    outage or killed worker can lose it; sent by the delivery loop (umcr/outbox.py), which
    retries with backoff and is idempotent per row."""

    dedupe_key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for an address that is nobody's account (a provider's alerts).",
    )
    address = models.EmailField(blank=True, help_text="Where an email goes.")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    call = models.ForeignKey(
        "calls.Call", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(
        max_length=80, blank=True, help_text='What it is about, e.g. "backup_request:<id>".'
    )
    notification_key = models.CharField(
        max_length=200, blank=True, help_text="The key of the recipient's in-app notification."
    )
    state = models.CharField(
        max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["subject", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=DeliveryState.values), name="delivery_state_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(channel="email") | ~models.Q(address=""),
                name="delivery_email_has_address",
            ),
            models.CheckConstraint(
                condition=~models.Q(channel="in_app") | models.Q(recipient__isnull=False),
                name="delivery_in_app_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.title} ({self.state})"
