"""Scheduled work of the follow-ups app (django-q2 Schedules created by migration
followups/0003): reminders and overdue escalations. The case managers' daily digest reads
referrals too, so it lives in reports/tasks.py.

Each is idempotent: notifications are keyed, so a schedule that runs twice, or a task
retried after its worker died, notifies once. Each returns how many it newly notified.
"""

from datetime import timedelta

from django.utils import timezone

from responders.choices import Role
from responders.selectors import active_users
from umcr.models import NotificationKind
from umcr.notifications import notify_each

from . import selectors
from .choices import FollowUpStatus
from .models import FollowUp

# How long before a follow-up's window opens its assignee is reminded.
REMINDER_LEAD = timedelta(hours=24)
# Follow-ups overdue for longer than this were escalated already (the task runs every 15
# minutes; this covers a worker down for days) and stay on the supervisors' overdue queue.
# Without it every run would walk every overdue follow-up ever.
ESCALATION_WINDOW = timedelta(days=7)


def _assignee_users(followup: FollowUp):
    if followup.assigned_to_id is not None:
        return active_users(pk=followup.assigned_to_id)
    if followup.assigned_team_id is not None:
        return active_users(team_id=followup.assigned_team_id)
    # Unassigned: the provider's case managers pick it up.
    return active_users(provider_id=followup.provider_id, role=Role.CASE_MANAGER)


def _describe(followup: FollowUp) -> str:
    who = str(followup.person) if followup.person_id else "the person"
    where = f" at {followup.call.address}" if followup.call is not None else ""
    return f"{followup.get_kind_display()} with {who}{where}"


def send_followup_reminders() -> int:
    """Remind assignees of follow-ups whose window opens within REMINDER_LEAD."""
    now = timezone.now()
    due = FollowUp.objects.filter(
        status=FollowUpStatus.SCHEDULED, not_before__gt=now, not_before__lte=now + REMINDER_LEAD
    ).select_related("person", "call")
    sent = 0
    for followup in due:
        opens = timezone.localtime(followup.not_before)
        sent += notify_each(
            _assignee_users(followup),
            kind=NotificationKind.FOLLOWUP_REMINDER,
            title=f"Follow-up from {opens:%a %d %b %H:%M}: {_describe(followup)}",
            body=followup.purpose or "",
            call=followup.call,
            # A reschedule is a new window, so it earns a new reminder.
            key=f"followup_reminder:{followup.pk}:{followup.not_before.isoformat()}",
        )
    return sent


def escalate_overdue_followups() -> int:
    """Tell the provider's supervisors about follow-ups that went past their window (within
    ESCALATION_WINDOW)."""
    now = timezone.now()
    overdue = (
        FollowUp.objects.filter(selectors.queue_filter("overdue", now))
        .filter(due_by__gte=now - ESCALATION_WINDOW)
        .select_related("person", "call", "assigned_team", "assigned_to__user")
    )
    supervisors: dict[int | None, list] = {}
    for user in active_users(role=Role.SUPERVISOR).select_related("responder"):
        supervisors.setdefault(user.responder.provider_id, []).append(user)
    sent = 0
    for followup in overdue:
        owner = followup.assigned_team or followup.assigned_to or "nobody"
        sent += notify_each(
            supervisors.get(followup.provider_id, []),
            kind=NotificationKind.FOLLOWUP_OVERDUE,
            title=f"Overdue follow-up: {_describe(followup)} (assigned to {owner})",
            body=f"Due by {timezone.localtime(followup.due_by):%a %d %b %H:%M}. {followup.purpose}",
            call=followup.call,
            key=f"followup_overdue:{followup.pk}:{followup.due_by.isoformat()}",
        )
    return sent
