"""The live board: one web page for the desk and the supervisors (Django templates, no
single-page framework). Safety alerts (missed check-ins, with an Acknowledge button), then
pending backup requests, overdue acknowledgements and overdue check-ins first and impossible
to miss, then open calls with their age, the time since their last event and when their next
check-in is due, then the teams with availability, last position and current call. The
page asks for its body again every few seconds (a fetch of /board/live/, swapped in place):
no reload.

Scoped like everything else: the desk sees every call and team, a supervisor their
provider's; the policy's "board" row (calls/permissions.py) says who may open it at all.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Max, Q, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from responders.choices import Availability
from responders.models import Responder, Team
from responders.permissions import team_scope
from umcr import policy
from umcr.actors import user_responder
from umcr.errors import DomainError, NotAllowed
from umcr.policy import READ

from . import desk_notes
from .checkins import (
    acknowledge_safety_alert,
    check_in_due,
    safety_alerts_for_responder,
    with_check_in_clock,
)
from .choices import OPEN_STATUSES, BackupReason, BackupStatus, CallStatus, EventKind
from .models import DESK_NOTE_MAX_LENGTH, BackupRequest, Call
from .permissions import call_scope
from .selectors import availability, with_availability
from .tasks import window

REFRESH_SECONDS = 3
PENDING_BACKUP = (BackupStatus.REQUESTED, BackupStatus.ACKNOWLEDGED, BackupStatus.POLICE_EN_ROUTE)


@dataclass(frozen=True)
class BoardCall:
    call: Call
    age: timedelta
    quiet: timedelta  # since its last event
    unacknowledged: bool  # dispatched, past its acknowledgement window
    since_dispatch: timedelta
    # On scene: when the team's next safety check-in is due, and whether it is past due.
    check_in_due: datetime | None = None
    check_in_late: bool = False
    # Minutes until it is due, or (late) since it was due.
    check_in_minutes: int = 0

    @property
    def dispatch_minutes(self) -> int:
        return int(self.since_dispatch.total_seconds() // 60)

    @property
    def age_minutes(self) -> int:
        return int(self.age.total_seconds() // 60)

    @property
    def quiet_minutes(self) -> int:
        return int(self.quiet.total_seconds() // 60)


def board_responder(request: HttpRequest) -> Responder:
    responder = user_responder(request.user)
    if responder is None or not policy.may(responder, READ, "board"):
        raise PermissionDenied
    return responder


def board_state(responder: Responder, now: datetime | None = None) -> dict[str, Any]:
    """What the board shows `responder`, in a fixed number of queries."""
    now = now or timezone.now()
    calls = with_check_in_clock(
        Call.objects.filter(call_scope(responder), status__in=OPEN_STATUSES)
        .select_related("team", "division", "program")
        .annotate(
            last_event=Max("events__created_at", filter=Q(events__voided_at__isnull=True)),
            # As the acknowledgement task reads it (calls/tasks.py): the latest live dispatch.
            last_dispatch=Max(
                "events__created_at",
                filter=Q(events__kind=EventKind.DISPATCHED, events__voided_at__isnull=True),
            ),
        )
        .order_by("priority", "received_at")
    )
    rows = []
    for call in calls:
        since = call.last_event or call.received_at
        late = (
            call.status == CallStatus.DISPATCHED
            and call.last_dispatch is not None
            and now - call.last_dispatch >= window(call.priority)
        )
        rows.append(
            BoardCall(
                call,
                now - call.received_at,
                now - since,
                late,
                now - (call.last_dispatch or call.received_at),
                *check_in_state(call, now),
            )
        )
    backups = (
        BackupRequest.objects.filter(call__in=calls.values("pk"), status__in=PENDING_BACKUP)
        .select_related("call__team")
        # A team that answered its check-in "need help" comes first (responder safety).
        .order_by(
            Case(When(reason=BackupReason.RESPONDER_SAFETY, then=0), default=1),
            "occurred_at",
        )
    )
    teams = with_availability(Team.objects.filter(team_scope(responder), is_active=True))
    return {
        "now": now,
        # Missed check-ins nobody has acknowledged: first on the board.
        "safety_alerts": list(
            safety_alerts_for_responder(responder=responder)
            .filter(acknowledged_at__isnull=True)
            .select_related("call__team")
            .order_by("raised_at")
        ),
        "late_check_ins": [row for row in rows if row.check_in_late],
        "backups": list(backups),
        "overdue": [row for row in rows if row.unacknowledged],
        "calls": rows,
        "teams": [
            (team, Availability(availability(team)).label)
            for team in teams.select_related("program").order_by("call_sign")
        ],
    }


def check_in_state(call: Call, now: datetime) -> tuple[datetime | None, bool, int]:
    """When the call's next check-in is due, whether it is late, and by or in how many
    minutes."""
    due_at = check_in_due(call)
    if due_at is None:
        return None, False, 0
    return due_at, now >= due_at, int(abs((due_at - now).total_seconds()) // 60)


@login_required(login_url="board-login")
def board(request: HttpRequest) -> HttpResponse:
    responder = board_responder(request)
    return render(
        request,
        "calls/board.html",
        {**board_state(responder), "responder": responder, "refresh": REFRESH_SECONDS},
    )


def board_live(request: HttpRequest) -> HttpResponse:
    """The board's body alone, for the page to swap in. Signed out (a session expired), a
    401 the page answers by reloading, to the sign-in page, rather than a sign-in form
    swapped into the board."""
    if not request.user.is_authenticated:
        return HttpResponse("Signed out.", status=401, content_type="text/plain")
    return render(request, "calls/board_body.html", board_state(board_responder(request)))


class BoardLoginView(LoginView):
    template_name = "calls/board_login.html"
    redirect_authenticated_user = True


@login_required(login_url="board-login")
@require_POST
def board_acknowledge_safety_alert(request: HttpRequest, alert_id: uuid.UUID) -> HttpResponse:
    """The board's Acknowledge button: the same service and policy as the REST endpoint."""
    responder = board_responder(request)
    try:
        acknowledge_safety_alert(alert_id=alert_id, responder=responder)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    return redirect("board")


# --- the board's summary (the supervisor's admin home, calls/admin.py) --------------------------


@dataclass(frozen=True)
class SummaryLine:
    label: str
    count: int
    # Shown as an alarm while the count is not zero (a pending backup, an overdue answer).
    urgent: bool = False


# Lines other parts of the calls app add to the summary, each counting in the responder's
# scope (e.g. the on-scene check-ins: safety alerts open, check-ins overdue):
# register_summary_line("Safety alerts open", count_open_safety_alerts, urgent=True).
SummaryCount = Callable[[Responder, datetime], int]
_summary_lines: list[tuple[str, SummaryCount, bool]] = []


def register_summary_line(label: str, count: SummaryCount, *, urgent: bool = False) -> None:
    if all(label != known for known, _, _ in _summary_lines):
        _summary_lines.append((label, count, urgent))


def board_summary(responder: Responder, now: datetime | None = None) -> list[SummaryLine]:
    """The board's counts for `responder`, in the board's own scope and terms: safety alerts,
    pending backup requests, overdue acknowledgements and check-ins first, then open calls,
    then the registered lines."""
    now = now or timezone.now()
    state = board_state(responder, now)
    lines = [
        SummaryLine("Safety alerts (missed check-ins)", len(state["safety_alerts"]), urgent=True),
        SummaryLine("Pending backup requests", len(state["backups"]), urgent=True),
        SummaryLine("Overdue acknowledgements", len(state["overdue"]), urgent=True),
        SummaryLine("Overdue check-ins", len(state["late_check_ins"]), urgent=True),
        SummaryLine("Open calls", len(state["calls"])),
    ]
    lines += [
        SummaryLine(label, count(responder, now), urgent) for label, count, urgent in _summary_lines
    ]
    return lines


# --- a note to the team, from the board ---------------------------------------------------------


class DeskNoteForm(forms.Form):
    """The board's note to a team: the call by its CAD incident number (as the board shows
    it) and the note, bounded as the REST endpoint bounds it."""

    cad = forms.CharField(max_length=40, label="Call (CAD number)")
    body = forms.CharField(max_length=DESK_NOTE_MAX_LENGTH, label="Note to the team")


@login_required(login_url="board-login")
@require_POST
def board_desk_note(request: HttpRequest) -> HttpResponse:
    """Write a desk note from the board (calls.desk_notes.write_desk_note, as REST does),
    then back to the board; a bad form or a call not found in scope is a 400 saying which
    field, a role the policy refuses 403."""
    responder = board_responder(request)
    form = DeskNoteForm(request.POST)
    if form.is_valid():
        calls = list(
            Call.objects.filter(
                call_scope(responder),
                cad_incident_number=form.cleaned_data["cad"],
                status__in=OPEN_STATUSES,
            )[:2]
        )
        if len(calls) != 1:
            form.add_error("cad", "No single open call with this number on your board.")
        else:
            try:
                desk_notes.write_desk_note(
                    call=calls[0], author=responder, body=form.cleaned_data["body"]
                )
            except DomainError as exc:
                form.add_error("body", str(exc.detail))
            except Http404:
                form.add_error("cad", "No single open call with this number on your board.")
    if not form.is_valid():
        context = {"form": form, "responder": responder}
        return render(request, "calls/board_desk_note.html", context, status=400)
    return redirect(f"{reverse('board')}?note=sent")
