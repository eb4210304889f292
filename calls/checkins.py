"""On-scene safety check-ins: the team's answers (record_check_in), when the next one is due
(check_in_due), the timer that raises and escalates safety alerts for missed ones
(run_check_in_timers, a django-q2 Schedule created by migration calls/0015) and the desk's
acknowledgement (acknowledge_safety_alert). Not the ways in: REST is calls/api/checkins.py,
sync calls/sync.py, the board calls/board.py.

The rules, in sentences:
- While a team is on scene (the call's status is on_scene), its phone asks "all OK?": the
  first check-in is due CHECKIN_INTERVAL_MINUTES after arriving (on_scene_at), the next one
  an interval after the latest answer, or after the minutes a "longer visit" answer asked
  for. An answer counts from when it was given by the phone's clock (an answer given offline
  counts from then), but never from later than the server received it: a phone whose clock
  runs fast cannot put the next check-in off.
- A check-in still missing CHECKIN_GRACE_MINUTES after it was due raises a safety alert,
  once per missed check-in (keyed by the call and the time it was due), and tells the desk
  and the provider's supervisors; again every CHECKIN_ESCALATE_MINUTES (each round its own
  notification key) until someone acknowledges it or the team answers.
- The desk acknowledging an open alert takes over: the next check-in is due an interval
  later (acknowledging one the team had already answered moves nothing).
- An answer that reaches the server after the alert was raised (a phone back online late)
  does not cancel the alert: it closes it, naming the answer, and the alert stays in the
  call's history - but only if it moves the next check-in past the alert's due time. An
  answer older than the latest one (the partner's phone syncing late), or one a slow clock
  dates before the missed check-in, answers nothing and closes nothing.
- "Need help" is a police-backup request for responder safety (calls.services
  .request_backup: the same alerts and delivery), written with the answer.
- A team that clears or leaves the scene stops the timer; alerts already raised stay until
  acknowledged.
"""

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Least
from django.utils import timezone

from responders.models import Device, Responder
from umcr import policy
from umcr.errors import Invalid
from umcr.models import NotificationKind
from umcr.outbox import enqueue, one_line_title
from umcr.policy import CHANGE, CREATE
from umcr.sync import sequence

from . import alerts, permissions, services
from .choices import BackupReason, CallStatus, CheckInAnswer
from .models import CHECK_AGAIN_MINUTES, BackupRequest, Call, CheckIn, SafetyAlert
from .permissions import LockedCall
from .services import Written

# A "need help" answer's backup request gets an id derived from the answer's, so the two
# are one write whichever way (and however often) the answer arrives.
NEED_HELP_NAMESPACE = uuid.UUID("5b0f3c2e-8a4d-4f7e-9a43-1c1d2e6a7b90")

logger = logging.getLogger(__name__)


def interval() -> timedelta:
    return timedelta(minutes=settings.CHECKIN_INTERVAL_MINUTES)


def grace() -> timedelta:
    return timedelta(minutes=settings.CHECKIN_GRACE_MINUTES)


def escalate_every() -> timedelta:
    return timedelta(minutes=max(settings.CHECKIN_ESCALATE_MINUTES, 1))


# --- when the next check-in is due ------------------------------------------------------------


CallRows = TypeVar("CallRows", bound=QuerySet[Any])


def with_check_in_clock(calls: CallRows) -> CallRows:
    """Calls annotated with what their next check-in's due time is computed from: the
    latest live answer (when, what, the minutes asked for) and the latest acknowledgement
    of a safety alert. Subqueries: no query per call."""
    latest = (
        CheckIn.objects.filter(call=OuterRef("pk"), voided_at__isnull=True)
        # By the phone's clock, never later than the server received it (a fast clock).
        .annotate(answered_at=Least("occurred_at", "created_at"))
        .order_by("-answered_at", "-created_at")
    )
    # Only an alert acknowledged while still open (the desk took over); acknowledging one
    # the team had answered already moves nothing.
    acknowledged = (
        SafetyAlert.objects.filter(call=OuterRef("pk"), acknowledged_at__isnull=False)
        .filter(Q(closed_at__isnull=True) | Q(acknowledged_at__lt=F("closed_at")))
        .order_by("-acknowledged_at")
    )
    return calls.annotate(
        last_check_in_at=Subquery(latest.values("answered_at")[:1]),
        last_check_in_answer=Subquery(latest.values("answer")[:1]),
        last_check_again_minutes=Subquery(latest.values("check_again_minutes")[:1]),
        last_alert_acknowledged_at=Subquery(acknowledged.values("acknowledged_at")[:1]),
    )


def check_in_due(call: Call) -> datetime | None:
    """When the call's next check-in is due (a call from with_check_in_clock), or None if
    its team is not on scene."""
    if call.status != CallStatus.ON_SCENE or call.on_scene_at is None:
        return None
    base, wait = call.on_scene_at, interval()
    answered_at = getattr(call, "last_check_in_at", None)
    if answered_at is not None and answered_at >= base:
        base = answered_at
        minutes = getattr(call, "last_check_again_minutes", None)
        if getattr(call, "last_check_in_answer", None) == CheckInAnswer.LONGER_VISIT and minutes:
            wait = timedelta(minutes=minutes)
        else:
            wait = interval()
    acknowledged_at = getattr(call, "last_alert_acknowledged_at", None)
    if acknowledged_at is not None and acknowledged_at > base:
        base, wait = acknowledged_at, interval()
    return base + wait


def next_check_in_due(call_id: uuid.UUID) -> datetime | None:
    """check_in_due of one call, read now (one query); None if there is no such call."""
    clocked = with_check_in_clock(Call.objects.filter(pk=call_id)).first()
    return None if clocked is None else check_in_due(clocked)


def is_missed(due_at: datetime | None, now: datetime) -> bool:
    """Past its due time and its grace period: a safety alert is raised."""
    return due_at is not None and now >= due_at + grace()


# --- the team's answer --------------------------------------------------------------------------


def check_answer(answer: str, check_again_minutes: int | None) -> None:
    """A longer visit says when to ask again (5 to 120 minutes); the other answers do not."""
    low, high = CHECK_AGAIN_MINUTES
    if answer == CheckInAnswer.LONGER_VISIT:
        if check_again_minutes is None:
            raise Invalid({"check_again_minutes": ["Say when to check again (5 to 120)."]})
        if not low <= check_again_minutes <= high:
            raise Invalid({"check_again_minutes": [f"Must be from {low} to {high} minutes."]})
    elif check_again_minutes is not None:
        raise Invalid({"check_again_minutes": ["Only a longer visit says when to check again."]})


def need_help_request_id(check_in_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NEED_HELP_NAMESPACE, str(check_in_id))


@transaction.atomic
def record_check_in(
    *,
    call: Call | LockedCall,
    responder: Responder,
    device: Device | None,
    check_in_id: uuid.UUID,
    answer: str,
    occurred_at: datetime,
    check_again_minutes: int | None = None,
    details: str = "",
    new_id: bool = False,
) -> Written:
    """Append the team's answer to a safety check-in. It closes the call's open safety
    alerts (never cancels them); "need help" also asks for police backup (responder safety,
    alerting the desk and the supervisors at once). `call` and `new_id` as for
    calls.services.record_status_event."""

    def check_input() -> None:
        services.check_not_in_future(occurred_at)
        check_answer(answer, check_again_minutes)

    call = services._writable_call(responder, call, "check_ins", check_input)
    replay = (
        None
        if new_id
        else services.find_replay(
            CheckIn,
            check_in_id,
            scope=permissions.call_records_scope(responder, "check_ins"),
            call=call,
            content={"answer": answer, "check_again_minutes": check_again_minutes},
        )
    )
    if replay is not None:
        return replay
    backup = None
    if answer == CheckInAnswer.NEED_HELP:
        # Written on the call locked above; the policy still decides who asks for police.
        permissions.check(responder, CREATE, "backup_requests")
        help_text = "Answered 'need help' to the on-scene safety check-in."
        written = services.request_backup(
            call=LockedCall(call, "backup_requests"),
            responder=responder,
            device=device,
            request_id=need_help_request_id(check_in_id),
            reason=BackupReason.RESPONDER_SAFETY,
            details=f"{help_text} {details}".strip(),
            occurred_at=occurred_at,
        )
        backup = cast(BackupRequest, written.record)
    check_in = CheckIn.objects.create(
        id=check_in_id,
        call=call,
        answer=answer,
        check_again_minutes=check_again_minutes,
        occurred_at=occurred_at,
        responder=responder,
        device=device,
        backup_request=backup,
    )
    # A late answer closes what it answers (the alerts of check-ins due before the one it
    # sets next); the alerts stay, acknowledged or not. An answer that moves nothing (older
    # than the latest, dated before the missed check-in) closes nothing.
    next_due = next_check_in_due(call.pk)
    answered = SafetyAlert.objects.filter(call=call, closed_at__isnull=True)
    if next_due is not None:
        answered = answered.filter(due_at__lt=next_due)
    answered.update(closed_at=timezone.now(), closed_by=check_in, updated_at=timezone.now())
    return Written(check_in, created=True)


# --- the desk -----------------------------------------------------------------------------------


def safety_alert_scope(responder: Responder) -> Q:
    """The safety alerts a responder reaches: those of the calls they see, if their role
    reads safety alerts."""
    return permissions.call_records_scope(responder, "safety_alerts")


def safety_alerts_for_responder(*, responder: Responder) -> QuerySet[SafetyAlert]:
    return SafetyAlert.objects.filter(safety_alert_scope(responder)).select_related(
        "call__division", "team", "acknowledged_by", "closed_by"
    )


@transaction.atomic
def acknowledge_safety_alert(*, alert_id: uuid.UUID, responder: Responder) -> SafetyAlert:
    """The desk or a supervisor has seen a safety alert and takes it over: it stops
    re-alerting, and the team's next check-in is due an interval from now. Acknowledging an
    acknowledged alert changes nothing (a double click, a retry)."""
    sequence.hold()
    alert = policy.access(
        responder,
        SafetyAlert,
        alert_id,
        resource="safety_alerts",
        scope=safety_alert_scope,
        action=CHANGE,
        lock=True,
    )
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = responder.user
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
    return alert


# --- the timer ----------------------------------------------------------------------------------


def _minutes(late: timedelta) -> int:
    return max(int(late.total_seconds() // 60), 0)


def alert_round(alert: SafetyAlert, call: Call, round_number: int, now: datetime) -> int:
    """Tell the desk and the provider's supervisors (round n of the alert, its own key).
    Returns how many people are newly alerted."""
    again = f" (alert {round_number})" if round_number > 1 else ""
    title = one_line_title(f"SAFETY CHECK-IN MISSED: {call.team} at {call.address}{again}")
    body = (
        f"Team {call.team} has been on scene at {call.address}, {call.division} (call "
        f"{call.cad_incident_number}) and has not answered its safety check-in due "
        f"{_minutes(now - alert.due_at)} min ago. Call the team; acknowledge the alert on the "
        "board or the API once someone has it."
    )
    return enqueue(
        alerts.desk_and_supervisors(call),
        kind=NotificationKind.CHECKIN_MISSED,
        title=title,
        body=body,
        call=call,
        key=f"checkin_missed:{alert.pk}:{round_number}",
        subject=f"safety_alert:{alert.pk}",
    )


def current_round(alert: SafetyAlert, now: datetime) -> int:
    return int((now - alert.raised_at) / escalate_every()) + 1


def raise_missed_check_ins(now: datetime) -> int:
    """A safety alert for each team on scene whose check-in is past due and grace."""
    on_scene = with_check_in_clock(
        Call.objects.filter(
            status=CallStatus.ON_SCENE, team__isnull=False, on_scene_at__isnull=False
        ).select_related("team", "division")
    )
    sent = 0
    for call in on_scene:
        due_at = check_in_due(call)
        if due_at is None or call.team is None or not is_missed(due_at, now):
            continue
        try:
            sent += _raise_alert(call, due_at, now)
        except Exception:
            # One call's failure must not hold back the alerts of the calls after it.
            logger.exception("Safety check-in timer failed for call %s", call.pk)
    return sent


def _raise_alert(call: Call, due_at: datetime, now: datetime) -> int:
    """The safety alert of the check-in due at `due_at`, once; how many were alerted."""
    assert call.team is not None  # a call on scene has a team (raise_missed_check_ins)
    with transaction.atomic():
        # Every writer of a check-in holds the counter first: holding it, an answer
        # committed since the read above is seen, and the due time is read again.
        sequence.hold()
        if next_check_in_due(call.pk) != due_at:
            return 0
        alert, created = SafetyAlert.objects.get_or_create(
            call=call, due_at=due_at, defaults={"team": call.team, "raised_at": now}
        )
        return alert_round(alert, call, 1, now) if created else 0


def escalate_safety_alerts(now: datetime) -> int:
    """Re-alert every open safety alert (neither acknowledged nor answered) once per
    escalation period."""
    sent = 0
    open_alerts = SafetyAlert.objects.filter(
        acknowledged_at__isnull=True, closed_at__isnull=True
    ).select_related("call__team", "call__division")
    for alert in open_alerts:
        try:
            with transaction.atomic():
                sent += alert_round(alert, alert.call, current_round(alert, now), now)
        except Exception:
            # One alert's failure must not hold back the rounds of the others.
            logger.exception("Safety alert escalation failed for alert %s", alert.pk)
    return sent


def run_check_in_timers(now: datetime | None = None) -> int:
    """The schedule's task (every minute): raise alerts for missed check-ins, re-alert the
    open ones. Idempotent: a run twice in a minute alerts nobody twice. Returns how many
    people it newly alerted."""
    now = now or timezone.now()
    return raise_missed_check_ins(now) + escalate_safety_alerts(now)
