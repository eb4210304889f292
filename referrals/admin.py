"""Admin for the services directory (shared by all providers) and referrals (scoped)."""

from django.contrib import admin, messages

from umcr.admin import (
    STAFF_ROLES,
    HistoryInline,
    LandingFilter,
    ScopedAdmin,
    staff_responder,
    staff_role,
)
from umcr.errors import DomainError
from umcr.policy import CHANGE

from . import permissions, selectors, services
from .choices import ReferralStatus
from .models import Referral, ReferralStatusChange, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    """The directory is city-wide: every provider's staff may read it, supervisors keep it."""

    list_display = [
        "name",
        "organization",
        "category",
        "phone",
        "is_accepting_clients",
        "is_active",
    ]
    list_filter = ["category", "is_accepting_clients", "is_active", "divisions_served"]
    search_fields = ["name", "organization", "description", "address", "eligibility"]
    filter_horizontal = ["divisions_served"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser or staff_role(request) is not None

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or staff_role(request) == "supervisor"

    has_add_permission = has_change_permission

    def has_delete_permission(self, request, obj=None) -> bool:
        # A service leaves the directory by unticking is_active, which phones pull; a deleted
        # row would stay on every phone (and referrals keep pointing at it).
        return False


class ReferralHistoryInline(HistoryInline):
    model = ReferralStatusChange
    fields = ["changed_at", "from_status", "to_status", "changed_by", "note"]


class StaleFilter(LandingFilter):
    """Opens on the stale referrals (no change for STALE_AFTER), oldest change first."""

    title = "queue"
    parameter_name = "queue"
    landing = "stale"

    def lookups(self, request, model_admin):
        return [("stale", f"no change for {selectors.STALE_AFTER.days} days")]

    def filter(self, queryset, value):
        if value == "stale":
            return queryset.filter(selectors.stale_filter())
        return queryset


@admin.register(Referral)
class ReferralAdmin(ScopedAdmin):
    audit_kind = "referral"
    list_display = ["__str__", "person", "service", "status", "status_changed_at", "assigned_to"]
    list_filter = [StaleFilter, "status", "service__category"]
    search_fields = ["service__name", "person__given_name", "person__family_name", "notes"]
    date_hierarchy = "status_changed_at"
    ordering = ["status_changed_at"]
    list_select_related = ["person", "service", "assigned_to__user"]
    raw_id_fields = ["person", "call"]
    readonly_fields = [
        "status",
        "status_changed_at",
        "consent_given",
        "consent_method",
        "consent_recorded_at",
        "referred_by",
    ]
    change_roles = STAFF_ROLES
    add_roles = ()
    inlines = [ReferralHistoryInline]
    actions = ["close_completed", "close_withdrawn", "close_unreachable"]

    def _move(self, request, queryset, to_status) -> None:
        responder = staff_responder(request)
        if responder is None:  # offered only to responders (has_move_permission); kept honest
            self.message_user(request, "Only a responder may move referrals.", messages.ERROR)
            return
        done = 0
        for referral in queryset:
            try:
                services.move_referral(
                    referral=referral,
                    responder=responder,
                    to_status=to_status,
                    note="Closed in the admin.",
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{referral}: {exc.detail}", messages.WARNING)
        self.message_user(request, f"{done} referral(s) moved to {to_status}.", messages.SUCCESS)

    def has_move_permission(self, request) -> bool:
        # The actions move referrals through the services, which ask the same policy again.
        return permissions.may(staff_responder(request), CHANGE)

    @admin.action(description="Close selected referrals as completed", permissions=["move"])
    def close_completed(self, request, queryset):
        self._move(request, queryset, ReferralStatus.COMPLETED)

    @admin.action(description="Close selected referrals as withdrawn", permissions=["move"])
    def close_withdrawn(self, request, queryset):
        self._move(request, queryset, ReferralStatus.WITHDRAWN)

    @admin.action(description="Close selected referrals as unreachable", permissions=["move"])
    def close_unreachable(self, request, queryset):
        self._move(request, queryset, ReferralStatus.UNREACHABLE)
