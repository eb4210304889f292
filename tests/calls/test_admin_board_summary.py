"""The supervisor's admin home shows the live board's summary (calls/board.py board_summary,
registered on the admin's home by calls/admin.py): open calls, pending backups, overdue
acknowledgements and the lines other parts register, scoped to their provider, with a link
to /board/. Roles the policy does not let read the board see no summary."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from calls import board
from calls.choices import CallStatus, EventKind, Priority
from calls.models import StatusEvent
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    CaseManagerFactory,
    SupervisorFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def admin_home(responder) -> str:
    client = Client()
    client.force_login(responder.user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def line(html: str, label: str) -> int:
    found = re.search(rf"<th scope=\"row\">{label}</th>\s*<td>(?:<strong[^>]*>)?(\d+)", html)
    assert found, f"no line {label!r}"
    return int(found.group(1))


def late_call(team):
    at = timezone.now() - timedelta(minutes=5)
    call = CallFactory(team=team, priority=Priority.URGENT, status=CallStatus.DISPATCHED)
    event = StatusEvent.objects.create(call=call, kind=EventKind.DISPATCHED, occurred_at=at)
    StatusEvent.objects.filter(pk=event.pk).update(created_at=at)
    return call


def test_a_supervisor_sees_their_providers_summary_and_a_link_to_the_board():
    team = TeamFactory(call_sign="ALCOTT-1")
    supervisor = SupervisorFactory(provider=team.provider)
    late = late_call(team)
    BackupRequestFactory(call=late)
    CallFactory(team=team, status=CallStatus.ON_SCENE)
    CallFactory(team=team, status=CallStatus.CLEARED)
    other = TeamFactory(call_sign="EXODUS-1")  # another provider's: not counted
    BackupRequestFactory(call=late_call(other))

    html = admin_home(supervisor)

    assert 'id="board-summary"' in html
    assert line(html, "Open calls") == 2
    assert line(html, "Pending backup requests") == 1
    assert line(html, "Overdue acknowledgements") == 1
    assert 'href="/board/"' in html


def test_a_case_manager_sees_no_board_summary():
    team = TeamFactory()
    late_call(team)

    html = admin_home(CaseManagerFactory(provider=team.provider))

    assert 'id="board-summary"' not in html


def test_a_registered_line_is_shown_in_the_responders_scope(monkeypatch):
    team = TeamFactory()
    supervisor = SupervisorFactory(provider=team.provider)
    seen = []

    def overdue_checkins(responder, now) -> int:
        seen.append(responder.pk)
        return 3

    monkeypatch.setattr(board, "_summary_lines", [])
    board.register_summary_line("Check-ins overdue", overdue_checkins, urgent=True)

    html = admin_home(supervisor)

    assert line(html, "Check-ins overdue") == 3
    assert seen == [supervisor.pk]
