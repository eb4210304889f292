from django.urls import path

from . import checkins, desk_notes, intake, programs, teams, views

urlpatterns = [
    path("calls/", views.CallListView.as_view(), name="call-list"),
    path("calls/<uuid:call_id>/", views.CallDetailView.as_view(), name="call-detail"),
    path("calls/<uuid:call_id>/events/", views.CallEventsView.as_view(), name="call-events"),
    path("calls/<uuid:call_id>/notes/", views.CallNotesView.as_view(), name="call-notes"),
    path("calls/<uuid:call_id>/outcome/", views.CallOutcomeView.as_view(), name="call-outcome"),
    path(
        "calls/<uuid:call_id>/backup-requests/",
        views.CallBackupRequestsView.as_view(),
        name="call-backup-requests",
    ),
    path(
        "calls/<uuid:call_id>/desk-notes/",
        desk_notes.CallDeskNotesView.as_view(),
        name="call-desk-notes",
    ),
    path("intake/calls/", intake.IntakeView.as_view(), name="intake-calls"),
    path("calls/<uuid:call_id>/assign/", intake.CallAssignView.as_view(), name="call-assign"),
    path("calls/<uuid:call_id>/program/", programs.CallProgramView.as_view(), name="call-program"),
    path("programs/", programs.ProgramListView.as_view(), name="program-list"),
    path("teams/", teams.TeamStatusListView.as_view(), name="team-list"),
    path("people/<uuid:person_id>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("backup-requests/", views.BackupRequestListView.as_view(), name="backup-request-list"),
    path(
        "backup-requests/<uuid:backup_id>/status/",
        views.BackupRequestStatusView.as_view(),
        name="backup-request-status",
    ),
]

# On-scene safety check-ins (calls/api/checkins.py).
urlpatterns += [
    path(
        "calls/<uuid:call_id>/check-ins/",
        checkins.CallCheckInsView.as_view(),
        name="call-check-ins",
    ),
    path("safety-alerts/", checkins.SafetyAlertListView.as_view(), name="safety-alert-list"),
    path(
        "safety-alerts/<uuid:alert_id>/acknowledge/",
        checkins.SafetyAlertAcknowledgeView.as_view(),
        name="safety-alert-acknowledge",
    ),
]
