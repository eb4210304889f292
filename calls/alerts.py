"""Who is told what when something happens on a call: the desk and the supervisors of a
police-backup request, the team of an assignment, the supervisors of a call waiting, the
team and then the desk of a dispatch nobody acknowledged (calls/tasks.py times it).

Each function writes the outbox's delivery rows (umcr/outbox.py) inside the transaction of
the change that causes it, so an alert is stored with its cause or not at all; the delivery
loop sends it. Keyed by the cause, so writing the same cause twice alerts once.
"""

from datetime import timedelta

from responders.choices import Role
from responders.selectors import active_users, supervisors_of
from umcr.models import NotificationKind
from umcr.outbox import enqueue, one_line_title

from .models import BackupRequest, Call, CallReroute, DeskNote, StatusEvent


def desk_and_supervisors(call: Call):
    """The desk, and the supervisors of the provider the call was routed to."""
    desk = active_users(role=Role.DISPATCHER)
    return (desk | supervisors_of(call.routed_provider_id)).distinct()


def backup_subject(backup: BackupRequest) -> str:
    return f"backup_request:{backup.pk}"


def backup_requested(backup: BackupRequest) -> int:
    """Tell the desk and the supervisors a team asked for police (and the provider's alert
    address). Returns how many people are newly alerted."""
    call = Call.objects.select_related("team", "division", "routed_provider").get(pk=backup.call_id)
    title = one_line_title(
        f"POLICE BACKUP: {call.team} at {call.address} ({backup.get_reason_display()})"
    )
    body = (
        f"Team {call.team} asked for police backup on call {call.cad_incident_number} "
        f"at {call.address}, {call.division}.\nReason: {backup.get_reason_display()}.\n"
        f"Details: {backup.details or '-'}\nRequested at {backup.occurred_at.isoformat()}."
    )
    alert_email = call.routed_provider.alert_email if call.routed_provider else ""
    return enqueue(
        desk_and_supervisors(call),
        kind=NotificationKind.BACKUP_REQUESTED,
        title=title,
        body=body,
        call=call,
        key=f"backup_requested:{backup.pk}",
        subject=backup_subject(backup),
        emails=[alert_email] if alert_email else [],
    )


def backup_moved(backup: BackupRequest, to_status: str) -> int:
    """Tell the team's clinicians and the supervisors how their backup request moved."""
    call = backup.call
    team = active_users(team_id=call.team_id) if call.team_id else active_users().none()
    label = backup.get_status_display() if backup.status == to_status else to_status
    return enqueue(
        (team | supervisors_of(call.routed_provider_id)).distinct(),
        kind=NotificationKind.BACKUP_STATUS,
        title=f"Backup on {call.cad_incident_number}: {label}",
        body=f"The police-backup request at {call.address} is now: {label}.",
        call=call,
        key=f"backup_status:{backup.pk}:{to_status}",
        subject=backup_subject(backup),
    )


def team_assigned(call: Call, event: StatusEvent) -> int:
    """Tell the clinicians of the call's team that a call is theirs."""
    if call.team_id is None:
        return 0
    return enqueue(
        active_users(team_id=call.team_id),
        kind=NotificationKind.CALL_ASSIGNED,
        title=f"New call: {call.get_call_type_display()} at {call.address}",
        body=f"Priority {call.priority}. {call.narrative}",
        call=call,
        key=f"call_assigned:{event.pk}",
    )


def call_waiting(call: Call) -> int:
    """No team of the provider is on shift: tell its supervisors a call is waiting."""
    if call.team_id is not None or call.routed_provider_id is None:
        return 0
    return enqueue(
        supervisors_of(call.routed_provider_id),
        kind=NotificationKind.CALL_UNASSIGNED,
        title=f"Call waiting, no team on shift: {call.get_call_type_display()} at {call.address}",
        body=f"Call {call.cad_incident_number} in {call.division} (priority {call.priority}) "
        "has no team on shift. Assign it from the admin or the API.",
        call=call,
        key=f"call_unassigned:{call.pk}",
    )


def _minutes(late: timedelta) -> int:
    return int(late.total_seconds() // 60)


def ack_reminder(call: Call, dispatch_id: object, late: timedelta) -> int:
    """Remind the team of a dispatch it has not acknowledged within its window."""
    return enqueue(
        active_users(team_id=call.team_id),
        kind=NotificationKind.ACK_REMINDER,
        title=f"Acknowledge the call at {call.address} (priority {call.priority})",
        body=f"Dispatched {_minutes(late)} min ago and not acknowledged. "
        f"{call.get_call_type_display()}: {call.narrative[:200]}",
        call=call,
        key=f"ack_reminder:{dispatch_id}",
    )


def ack_overdue(call: Call, dispatch_id: object, late: timedelta) -> int:
    """Tell the desk and the supervisors a dispatch is still not acknowledged."""
    return enqueue(
        desk_and_supervisors(call),
        kind=NotificationKind.ACK_OVERDUE,
        title=f"NOT ACKNOWLEDGED: {call.team} at {call.address} (priority {call.priority})",
        body=f"Call {call.cad_incident_number} in {call.division} was dispatched to "
        f"{call.team} {_minutes(late)} min ago and nobody has acknowledged it. Reach the team "
        "or reroute the call.",
        call=call,
        key=f"ack_overdue:{dispatch_id}",
    )


def desk_note_written(call: Call, note: DeskNote) -> int:
    """Tell the clinicians of the call's team the desk wrote to them (none if no team yet:
    the team it is assigned to pulls the note with the call)."""
    if call.team_id is None:
        return 0
    return enqueue(
        active_users(team_id=call.team_id),
        kind=NotificationKind.DESK_NOTE,
        # The note itself may hold health details: it reaches the phones by sync and the
        # API, never a notification's title or body (which may go out by email).
        title=f"Note from the desk on {call.cad_incident_number}",
        body="The desk wrote a note to your team on this call: open the call to read it.",
        call=call,
        key=f"desk_note:{note.pk}",
    )


def call_rerouted(call: Call, reroute: CallReroute) -> int:
    """Tell the team that did not answer, the team that has the call now, the desk and the
    supervisors that the acknowledgement window moved the call."""
    old_team, new_team = reroute.from_team, reroute.to_team
    desk = active_users(role=Role.DISPATCHER) | supervisors_of(call.routed_provider_id)
    teams = active_users(team_id__in=[old_team.pk, new_team.pk])
    recipients = (teams | desk).distinct()
    return enqueue(
        recipients,
        kind=NotificationKind.CALL_REROUTED,
        title=f"REROUTED: {call.cad_incident_number} from {old_team} to {new_team}",
        body=f"Call {call.cad_incident_number} at {call.address} ({call.division}) was not "
        f"acknowledged by {old_team} and now goes to {new_team}. {reroute.reason}",
        call=call,
        key=f"call_rerouted:{reroute.missed_dispatch_id}",
    )
