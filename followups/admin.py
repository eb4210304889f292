"""Admin for follow-ups, scoped to the staff member's provider."""

from django.contrib import admin, messages

from umcr.admin import STAFF_ROLES, HistoryInline, LandingFilter, ScopedAdmin, staff_responder
from umcr.errors import DomainError
from umcr.policy import CHANGE

from . import permissions, selectors, services
from .choices import FollowUpStatus
from .models import FollowUp, FollowUpChange


class FollowUpChangeInline(HistoryInline):
    model = FollowUpChange
    fields = [
        "changed_at",
        "from_status",
        "to_status",
        "old_not_before",
        "old_due_by",
        "changed_by",
        "note",
    ]


class QueueFilter(LandingFilter):
    """Opens on the open follow-ups (overdue first, then due today: the list is ordered by
    due_by), as a case manager works them."""

    title = "queue"
    parameter_name = "queue"
    landing = "open"

    def lookups(self, request, model_admin):
        return [("open", "open"), *((key, key.replace("_", " ")) for key in selectors.QUEUES)]

    def filter(self, queryset, value):
        if value == "open":
            return queryset.filter(status=FollowUpStatus.SCHEDULED)
        if value in selectors.QUEUES:
            return queryset.filter(selectors.queue_filter(value))
        return queryset


@admin.register(FollowUp)
class FollowUpAdmin(ScopedAdmin):
    audit_kind = "followup"
    list_display = [
        "__str__",
        "person",
        "status",
        "not_before",
        "due_by",
        "assigned_team",
        "assigned_to",
    ]
    list_filter = [
        QueueFilter,
        "status",
        "kind",
        ("assigned_team", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["purpose", "person__given_name", "person__family_name"]
    date_hierarchy = "due_by"
    ordering = ["due_by", "not_before"]
    list_select_related = ["person", "assigned_team", "assigned_to__user"]
    # Everything that moves a follow-up (its window, its assignee, its closing) goes through
    # the actions and the API, which write the history and take it off the old assignee's
    # phones; the form edits only the purpose. Follow-ups are scheduled through the API.
    readonly_fields = [
        "person",
        "call",
        "kind",
        "not_before",
        "due_by",
        "assigned_team",
        "assigned_to",
        "status",
        "outcome",
        "closed_at",
        "next_followup",
        "created_by",
    ]
    change_roles = STAFF_ROLES
    add_roles = ()
    inlines = [FollowUpChangeInline]
    actions = ["assign_to_me", "mark_completed", "mark_missed", "cancel"]

    def _each(self, request, queryset, move, **kwargs) -> None:
        responder = staff_responder(request)
        done, refused = 0, []
        for followup in queryset:
            try:
                move(followup=followup, responder=responder, **kwargs)
                done += 1
            except DomainError as exc:
                refused.append(f"{followup}: {exc.detail}")
        self.message_user(request, f"{done} follow-up(s) changed.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    def has_move_permission(self, request) -> bool:
        # The actions move follow-ups through the services, which ask the same policy again.
        return permissions.may(staff_responder(request), CHANGE)

    @admin.action(description="Assign selected follow-ups to me", permissions=["move"])
    def assign_to_me(self, request, queryset):
        me = staff_responder(request)
        self._each(
            request, queryset, services.reassign_followup, assigned_to_id=me.pk if me else None
        )

    @admin.action(description="Mark selected follow-ups completed", permissions=["move"])
    def mark_completed(self, request, queryset):
        self._each(
            request,
            queryset,
            services.change_followup,
            status=FollowUpStatus.COMPLETED,
            outcome="Completed (recorded in the admin).",
        )

    @admin.action(description="Mark selected follow-ups missed", permissions=["move"])
    def mark_missed(self, request, queryset):
        self._each(request, queryset, services.change_followup, status=FollowUpStatus.MISSED)

    @admin.action(description="Cancel selected follow-ups", permissions=["move"])
    def cancel(self, request, queryset):
        self._each(request, queryset, services.change_followup, status=FollowUpStatus.CANCELLED)
