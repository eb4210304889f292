"""django-q2 tasks of the calls app: alerting the desk and the supervisors.

Each is safe to run twice (a retried task notifies once): notifications are keyed.
"""

from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from responders.choices import Role
from umcr.models import NotificationKind
from umcr.notifications import notify, one_line_title

from .models import BackupRequest


def backup_audience(backup: BackupRequest):
    """The desk, and the supervisors of the provider the call was routed to."""
    users = get_user_model().objects.filter(is_active=True)
    desk = users.filter(responder__role=Role.DISPATCHER)
    supervisors = users.filter(
        responder__role=Role.SUPERVISOR,
        responder__provider_id=backup.call.routed_provider_id,
    )
    return (desk | supervisors).distinct()


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
    sent = 0
    for user in backup_audience(backup):
        _, created = notify(
            recipient=user,
            kind=NotificationKind.BACKUP_REQUESTED,
            title=title,
            body=body,
            call=call,
            dedupe_key=f"backup_requested:{backup.pk}:{user.pk}",
        )
        sent += created
    alert_email = call.routed_provider.alert_email if call.routed_provider else ""
    if sent and alert_email:
        # Only the run that notified anyone emails the provider's alert address.
        send_mail(title, body, None, [alert_email], fail_silently=True)
    return sent


def alert_backup_moved(backup_id: str, to_status: str) -> int:
    """Tell the team's clinicians and the supervisors how their backup request moved."""
    backup = BackupRequest.objects.select_related("call__team").get(pk=backup_id)
    call = backup.call
    users = get_user_model().objects.filter(is_active=True)
    team = users.filter(responder__team_id=call.team_id) if call.team_id else users.none()
    supervisors = users.filter(
        responder__role=Role.SUPERVISOR, responder__provider_id=call.routed_provider_id
    )
    label = backup.get_status_display() if backup.status == to_status else to_status
    sent = 0
    for user in (team | supervisors).distinct():
        _, created = notify(
            recipient=user,
            kind=NotificationKind.BACKUP_STATUS,
            title=f"Backup on {call.cad_incident_number}: {label}",
            body=f"The police-backup request at {call.address} is now: {label}.",
            call=call,
            dedupe_key=f"backup_status:{backup.pk}:{to_status}:{user.pk}",
        )
        sent += created
    return sent


def notify_team_assigned(call_id: str, event_id: str) -> int:
    """Tell the clinicians of the call's team that a call is theirs."""
    from .models import Call

    call = Call.objects.select_related("team", "division").get(pk=call_id)
    if call.team_id is None:
        return 0
    sent = 0
    for user in get_user_model().objects.filter(is_active=True, responder__team_id=call.team_id):
        _, created = notify(
            recipient=user,
            kind=NotificationKind.CALL_ASSIGNED,
            title=f"New call: {call.get_call_type_display()} at {call.address}",
            body=f"Priority {call.priority}. {call.narrative}",
            call=call,
            dedupe_key=f"call_assigned:{event_id}:{user.pk}",
        )
        sent += created
    return sent


def alert_call_waiting(call_id: str) -> int:
    """No team of the provider is on shift: tell its supervisors a call is waiting."""
    from .models import Call

    call = Call.objects.select_related("division").get(pk=call_id)
    if call.team_id is not None or call.routed_provider_id is None:
        return 0
    sent = 0
    supervisors = get_user_model().objects.filter(
        is_active=True,
        responder__role=Role.SUPERVISOR,
        responder__provider_id=call.routed_provider_id,
    )
    for user in supervisors:
        _, created = notify(
            recipient=user,
            kind=NotificationKind.CALL_UNASSIGNED,
            title=f"Call waiting, no team on shift: {call.get_call_type_display()} at {call.address}",
            body=f"Call {call.cad_incident_number} in {call.division} (priority {call.priority}) "
            "has no team on shift. Assign it from the admin or the API.",
            call=call,
            dedupe_key=f"call_unassigned:{call.pk}:{user.pk}",
        )
        sent += created
    return sent
