"""Admin for follow-ups, scoped to the staff member's provider."""

from django.contrib import admin

from umcr.admin import STAFF_ROLES, ScopedAdmin

from .models import FollowUp, FollowUpChange


class FollowUpChangeInline(admin.TabularInline):
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
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return True


@admin.register(FollowUp)
class FollowUpAdmin(ScopedAdmin):
    list_display = [
        "__str__",
        "person",
        "status",
        "not_before",
        "due_by",
        "assigned_team",
        "assigned_to",
    ]
    list_filter = ["status", "kind", ("assigned_team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["purpose", "person__given_name", "person__family_name"]
    date_hierarchy = "due_by"
    list_select_related = ["person", "assigned_team", "assigned_to__user"]
    raw_id_fields = ["person", "call", "next_followup"]
    readonly_fields = ["status", "closed_at", "created_by"]
    change_roles = STAFF_ROLES
    inlines = [FollowUpChangeInline]
