"""Admin for calls and their field records, scoped to the supervisor's provider.

A call's page shows its timeline, notes, outcomes and backup requests; those records are
append-only and read-only here (a correction is an addendum from the phone, never an edit).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string

from responders.models import Program, Team
from umcr import policy
from umcr.admin import (
    STAFF_ROLES,
    ReadOnlyInline,
    ScopedAdmin,
    latest_reads_table,
    register_home_panel,
    staff_responder,
    staff_role,
)
from umcr.errors import DomainError
from umcr.policy import CHANGE, READ

from . import permissions, services
from .board import board_summary
from .choices import CallSource, CallType, SafetyFlag
from .models import (
    BackupRequest,
    Call,
    CallReroute,
    CheckIn,
    DeskNote,
    IntakeRefusal,
    Note,
    Outcome,
    Person,
    ProgramMove,
    SafetyAlert,
    StatusEvent,
)


class ProgramForm(forms.ModelForm):
    """A program's lists as checkboxes of the calls app's code lists: a city adds a program
    here, with no code, and can pick only values intake knows."""

    call_types = forms.MultipleChoiceField(
        choices=CallType.choices, widget=forms.CheckboxSelectMultiple
    )
    sources = forms.MultipleChoiceField(
        choices=CallSource.choices, widget=forms.CheckboxSelectMultiple
    )
    refused_safety_flags = forms.MultipleChoiceField(
        choices=SafetyFlag.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "slug",
            "description",
            "is_active",
            "intake_order",
            "call_types",
            "sources",
            "refuses_weapon",
            "refuses_violence",
            "refused_safety_flags",
            "team_makeup",
            "transports",
        ]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    """Programs are the city's: staff who may read them look, only superusers change them
    (coverage and teams carry the program: Coverage and Team pages)."""

    form = ProgramForm
    list_display = ["name", "slug", "intake_order", "team_makeup", "transports", "is_active"]
    list_filter = ["is_active", "team_makeup"]
    search_fields = ["name", "slug"]

    def has_module_permission(self, request) -> bool:
        if request.user.is_superuser:
            return True
        return staff_role(request) is not None and policy.may(
            staff_responder(request), READ, "call_programs"
        )

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


class ReassignForm(ActionForm):
    team = forms.CharField(
        required=False, max_length=20, label="Team call sign", help_text="For 'Reassign'."
    )


CALL_SCOPE = "call__routed_provider"


class StatusEventInline(ReadOnlyInline):
    model = StatusEvent
    provider_path = CALL_SCOPE
    fields = ["kind", "occurred_at", "created_at", "responder", "device"]


class NoteInline(ReadOnlyInline):
    model = Note
    audit_kind = "note"
    provider_path = CALL_SCOPE
    fields = ["occurred_at", "responder", "body", "amends"]


class OutcomeInline(ReadOnlyInline):
    model = Outcome
    audit_kind = "outcome"
    provider_path = CALL_SCOPE
    fields = ["disposition", "police_involved", "people_served", "summary", "supersedes"]


class BackupRequestInline(ReadOnlyInline):
    model = BackupRequest
    audit_kind = "backuprequest"
    provider_path = CALL_SCOPE
    fields = ["reason", "details", "status", "occurred_at", "responder"]


class CheckInInline(ReadOnlyInline):
    model = CheckIn
    provider_path = CALL_SCOPE
    fields = ["answer", "check_again_minutes", "occurred_at", "created_at", "responder"]


class SafetyAlertInline(ReadOnlyInline):
    """Missed check-ins stay in the call's history, answered late or not."""

    model = SafetyAlert
    provider_path = CALL_SCOPE
    fields = ["due_at", "raised_at", "acknowledged_at", "acknowledged_by", "closed_at"]


class ProgramMoveInline(ReadOnlyInline):
    model = ProgramMove
    provider_path = CALL_SCOPE
    fields = ["moved_at", "from_program", "to_program", "moved_by", "reason"]


class DeskNoteInline(ReadOnlyInline):
    model = DeskNote
    provider_path = CALL_SCOPE
    fields = ["created_at", "author", "body"]


class CallRerouteInline(ReadOnlyInline):
    model = CallReroute
    provider_path = CALL_SCOPE
    fields = ["rerouted_at", "from_team", "to_team", "reason"]


@admin.register(Call)
class CallAdmin(ScopedAdmin):
    provider_path = "routed_provider"
    audit_kind = "call"
    list_display = [
        "cad_incident_number",
        "program",
        "call_type",
        "priority",
        "status",
        "division",
        "team",
        "received_at",
        "address",
    ]
    list_filter = [
        "program",
        "status",
        "call_type",
        "priority",
        "division",
        ("team", admin.RelatedOnlyFieldListFilter),
        "source",
    ]
    search_fields = ["cad_incident_number", "address", "narrative"]
    date_hierarchy = "received_at"
    list_select_related = ["program", "division", "team"]
    inlines = [
        StatusEventInline,
        NoteInline,
        OutcomeInline,
        BackupRequestInline,
        CheckInInline,
        SafetyAlertInline,
        ProgramMoveInline,
        DeskNoteInline,
        CallRerouteInline,
    ]
    # The team moves only by the Reassign action (or POST /calls/{id}/assign/), which records
    # the dispatch, tells the teams and takes the call off the old team's phones; the person
    # only by the phones that identify them. Editing either here would skip all of that.
    readonly_fields = [
        "program",
        "team",
        "person",
        "source",
        "cad_incident_number",
        "received_at",
        "call_type",
        "priority",
        "division",
        "address",
        "latitude",
        "longitude",
        "narrative",
        "caller_account",
        "caller_phone",
        "safety_flags",
        "routed_provider",
        "status",
        "dispatched_at",
        "acknowledged_at",
        "en_route_at",
        "on_scene_at",
        "transporting_at",
        "cleared_at",
        "cancelled_at",
    ]
    add_roles = ()  # calls come from the desk's intake
    action_form = ReassignForm
    actions = ["reassign"]

    def has_reassign_permission(self, request) -> bool:
        actor = staff_responder(request) or request.user
        responder, superuser = permissions.acting_responder(actor)
        return superuser or permissions.may(responder, CHANGE, "calls")

    @admin.action(
        description="Reassign selected calls to the team named beside", permissions=["reassign"]
    )
    def reassign(self, request, queryset):
        sign = request.POST.get("team", "").strip()
        team = Team.objects.filter(call_sign=sign, is_active=True).first()
        if team is None:
            self.message_user(request, f"No active team '{sign}'.", messages.ERROR)
            return
        actor = request.user if request.user.is_superuser else staff_responder(request)
        done = 0
        for call in queryset:
            try:
                services.assign_call(call=call, team=team, assigned_by=actor)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{call}: {exc.detail}", messages.WARNING)
        self.message_user(request, f"{done} call(s) assigned to {team}.", messages.SUCCESS)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser and obj is None:
            return ["status"]
        return self.readonly_fields


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    audit_kind = "person"
    readonly_fields = ["who_read_this_record"]
    list_display = ["__str__", "preferred_name", "birth_date", "approximate_age", "provider"]
    search_fields = ["given_name", "family_name", "preferred_name", "phone"]
    list_filter = [("provider", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["provider"]
    change_roles = ()
    add_roles = ()

    view_roles = policy.roles_allowed(READ, "people", among=STAFF_ROLES)

    def provider_scope(self, provider_id: int) -> Q:
        # The provider that first met someone, and every provider whose calls served them:
        # on this page and in every form field that picks a person (umcr.admin).
        return permissions.provider_people_scope(provider_id)

    @admin.display(description="Who read this record")
    def who_read_this_record(self, person) -> str:
        return latest_reads_table("person", person.pk)


@admin.register(BackupRequest)
class BackupRequestAdmin(ScopedAdmin):
    provider_path = CALL_SCOPE
    audit_kind = "backuprequest"
    list_display = ["call", "reason", "status", "occurred_at", "responder"]
    list_filter = ["status", "reason"]
    search_fields = ["call__cad_incident_number", "details"]
    date_hierarchy = "occurred_at"
    list_select_related = ["call", "responder__user"]
    readonly_fields = [
        "id",
        "call",
        "reason",
        "details",
        "status",
        "status_changed_at",
        "status_changed_by",
        "occurred_at",
        "responder",
        "device",
        "created_at",
    ]
    change_roles = ()
    add_roles = ()


@admin.register(IntakeRefusal)
class IntakeRefusalAdmin(admin.ModelAdmin):
    """Calls the program turned away (sent to police instead): superusers and the desk's
    administrators review them; they belong to no provider."""

    list_display = ["refused_at", "source", "cad_incident_number", "reasons"]
    search_fields = ["cad_incident_number"]
    date_hierarchy = "refused_at"
    readonly_fields = [
        "source",
        "cad_incident_number",
        "payload",
        "reasons",
        "refused_by",
        "refused_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class VoidForm(ActionForm):
    reason = forms.CharField(required=False, max_length=500, label="Reason")


class FieldRecordAdmin(ScopedAdmin):
    """Field records are append-only: supervisors may only void one entered in error,
    with a reason; it stays in the record and phones drop it on their next pull."""

    provider_path = CALL_SCOPE
    action_form = VoidForm
    actions = ["void"]
    list_select_related = ["call", "responder__user"]
    search_fields = ["call__cad_incident_number"]
    list_filter = [("voided_at", admin.EmptyFieldListFilter)]
    add_roles = ()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_void_permission(self, request) -> bool:
        return permissions.may_void(request.user, permissions.VOIDABLE[self.model])

    @admin.action(
        description="Void selected records (entered in error) with the reason beside",
        permissions=["void"],
    )
    def void(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "Give a reason to void records.", messages.ERROR)
            return
        count = 0
        for record in queryset.filter(voided_at__isnull=True).select_related("call"):
            try:
                services.void_field_record(record=record, voided_by=request.user, reason=reason)
            except DomainError as exc:
                self.message_user(request, f"{record}: {exc.detail}", messages.WARNING)
                continue
            count += 1
        self.message_user(request, f"Voided {count} record(s).", messages.SUCCESS)


@admin.register(Note)
class NoteAdmin(FieldRecordAdmin):
    audit_kind = "note"
    list_display = ["call", "occurred_at", "responder", "body", "voided_at"]
    search_fields = ["call__cad_incident_number", "body"]


@admin.register(StatusEvent)
class StatusEventAdmin(FieldRecordAdmin):
    list_display = ["call", "kind", "occurred_at", "responder", "voided_at"]


@admin.register(Outcome)
class OutcomeAdmin(FieldRecordAdmin):
    audit_kind = "outcome"
    list_display = ["call", "disposition", "police_involved", "occurred_at", "voided_at"]


def board_summary_panel(request: HttpRequest) -> str:
    """The admin home's summary of the live board, for whom the policy lets read the board
    (a supervisor: their provider's), counted by the board itself (calls/board.py)."""
    responder = staff_responder(request)
    if responder is None or not policy.may(responder, READ, "board"):
        return ""
    context = {"responder": responder, "summary": board_summary(responder)}
    return render_to_string("calls/admin_board_summary.html", context, request=request)


register_home_panel(board_summary_panel)
