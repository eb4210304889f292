"""django-q2 tasks of the calls app: alerting the desk and the supervisors.

Each is safe to run twice (a retried task notifies once): notifications are keyed.
"""

from django.core.mail import send_mail

from responders.choices import Role
from responders.selectors import active_users, supervisors_of
from umcr.models import NotificationKind
from umcr.notifications import notify_each, one_line_title

from .models import BackupRequest


def backup_audience(backup: BackupRequest):
    """The desk, and the supervisors of the provider the call was routed to."""
    desk = active_users(role=Role.DISPATCHER)
    return (desk | supervisors_of(backup.call.routed_provider_id)).distinct()


def alert_backup_requested(backup_id: str) -> int:
    """Tell the desk and the supervisors a team asked for police. Returns how many were
    newly notified."""
    backup = BackupRequest.objects.select_related(
        "call__team", "call__division", "call__routed_provider"
    ).get(pk=backup_id)
    call = backup.call
    title = one_line_title(
        f"POLICE BACKUP: {call.team} at {call.address} ({backup.get_reason_display()})"
    )
    body = (
        f"Team {call.team} asked for police backup on call {call.cad_incident_number} "
        f"at {call.address}, {call.division}.\nReason: {backup.get_reason_display()}.\n"
        f"Details: {backup.details or '-'}\nRequested at {backup.occurred_at.isoformat()}."
    )
    sent = notify_each(
        backup_audience(backup),
        kind=NotificationKind.BACKUP_REQUESTED,
        title=title,
        body=body,
        call=call,
        key=f"backup_requested:{backup.pk}",
    )
    alert_email = call.routed_provider.alert_email if call.routed_provider else ""
    if sent and alert_email:
        # Only the run that notified anyone emails the provider's alert address.
        send_mail(title, body, None, [alert_email], fail_silently=True)
    return sent


def alert_backup_moved(backup_id: str, to_status: str) -> int:
    """Tell the team's clinicians and the supervisors how their backup request moved."""
    backup = BackupRequest.objects.select_related("call__team").get(pk=backup_id)
    call = backup.call
    team = active_users(team_id=call.team_id) if call.team_id else active_users().none()
    label = backup.get_status_display() if backup.status == to_status else to_status
    return notify_each(
        (team | supervisors_of(call.routed_provider_id)).distinct(),
        kind=NotificationKind.BACKUP_STATUS,
        title=f"Backup on {call.cad_incident_number}: {label}",
        body=f"The police-backup request at {call.address} is now: {label}.",
        call=call,
        key=f"backup_status:{backup.pk}:{to_status}",
    )


def notify_team_assigned(call_id: str, event_id: str) -> int:
    """Tell the clinicians of the call's team that a call is theirs."""
    from .models import Call

    call = Call.objects.select_related("team", "division").get(pk=call_id)
    if call.team_id is None:
        return 0
    return notify_each(
        active_users(team_id=call.team_id),
        kind=NotificationKind.CALL_ASSIGNED,
        title=f"New call: {call.get_call_type_display()} at {call.address}",
        body=f"Priority {call.priority}. {call.narrative}",
        call=call,
        key=f"call_assigned:{event_id}",
    )


def alert_call_waiting(call_id: str) -> int:
    """No team of the provider is on shift: tell its supervisors a call is waiting."""
    from .models import Call

    call = Call.objects.select_related("division").get(pk=call_id)
    if call.team_id is not None or call.routed_provider_id is None:
        return 0
    return notify_each(
        supervisors_of(call.routed_provider_id),
        kind=NotificationKind.CALL_UNASSIGNED,
        title=f"Call waiting, no team on shift: {call.get_call_type_display()} at {call.address}",
        body=f"Call {call.cad_incident_number} in {call.division} (priority {call.priority}) "
        "has no team on shift. Assign it from the admin or the API.",
        call=call,
        key=f"call_unassigned:{call.pk}",
    )
