"""The live board: one web page for the desk and the supervisors (Django templates, no
single-page framework). Pending backup requests and overdue acknowledgements first and
impossible to miss, then open calls with their age and the time since their last event, then
the teams with availability, last position and current call. The page asks for its body
again every few seconds (a fetch of /board/live/, swapped in place): no reload.

Scoped like everything else: the desk sees every call and team, a supervisor their
provider's; the policy's "board" row (calls/permissions.py) says who may open it at all.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from responders.choices import Availability
from responders.models import Responder, Team
from umcr import policy
from umcr.actors import user_responder
from umcr.policy import READ

from .api.teams import availability, team_scope, with_availability
from .choices import OPEN_STATUSES, BackupStatus, CallStatus
from .models import BackupRequest, Call
from .permissions import call_scope
from .tasks import window

REFRESH_SECONDS = 3
PENDING_BACKUP = (BackupStatus.REQUESTED, BackupStatus.ACKNOWLEDGED, BackupStatus.POLICE_EN_ROUTE)


@dataclass(frozen=True)
class BoardCall:
    call: Call
    age: timedelta
    quiet: timedelta  # since its last event
    unacknowledged: bool  # dispatched, past its acknowledgement window

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
    calls = (
        Call.objects.filter(call_scope(responder), status__in=OPEN_STATUSES)
        .select_related("team", "division", "program")
        .annotate(last_event=Max("events__created_at"))
        .order_by("priority", "received_at")
    )
    rows = []
    for call in calls:
        since = call.last_event or call.received_at
        late = (
            call.status == CallStatus.DISPATCHED
            and call.dispatched_at is not None
            and now - since >= window(call.priority)
        )
        rows.append(BoardCall(call, now - call.received_at, now - since, late))
    backups = (
        BackupRequest.objects.filter(call__in=calls.values("pk"), status__in=PENDING_BACKUP)
        .select_related("call__team")
        .order_by("occurred_at")
    )
    teams = with_availability(Team.objects.filter(team_scope(responder), is_active=True))
    return {
        "now": now,
        "backups": list(backups),
        "overdue": [row for row in rows if row.unacknowledged],
        "calls": rows,
        "teams": [
            (team, Availability(availability(team)).label)
            for team in teams.select_related("program").order_by("call_sign")
        ],
    }


@login_required(login_url="board-login")
def board(request: HttpRequest) -> HttpResponse:
    responder = board_responder(request)
    return render(
        request,
        "calls/board.html",
        {**board_state(responder), "responder": responder, "refresh": REFRESH_SECONDS},
    )


@login_required(login_url="board-login")
def board_live(request: HttpRequest) -> HttpResponse:
    """The board's body alone, for the page to swap in."""
    return render(request, "calls/board_body.html", board_state(board_responder(request)))


class BoardLoginView(LoginView):
    template_name = "calls/board_login.html"
    redirect_authenticated_user = True
