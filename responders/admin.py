"""Admin for providers, coverage, responders, teams, shifts and devices.

Supervisors run their own provider's teams, shifts and devices here; they can revoke a lost
phone (its token stops working on its next request) but cannot change anyone's provider or
role, their own included.
"""

from django.contrib import admin, messages
from django.db.models import Count, QuerySet

from umcr import policy
from umcr.admin import STAFF_ROLES, ScopedAdmin, staff_role
from umcr.errors import DomainError
from umcr.policy import CHANGE, READ, VOID

from . import permissions, services
from .choices import Role
from .models import Coverage, Device, Division, Provider, Responder, Shift, Team


@admin.register(Provider)
class ProviderAdmin(ScopedAdmin):
    provider_path = "pk"
    list_display = ["name", "slug", "phone", "alert_email", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    add_roles = ()

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        return ["name", "slug", "is_active"]


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    """Divisions are the city's; everyone on staff may look, only superusers change them."""

    list_display = ["name", "code"]
    search_fields = ["name", "code"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser or staff_role(request) is not None

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


@admin.register(Coverage)
class CoverageAdmin(ScopedAdmin):
    list_display = ["division", "program", "provider", "starts_on", "ends_on"]
    list_filter = ["program", ("provider", admin.RelatedOnlyFieldListFilter), "division"]
    change_roles = ()
    list_select_related = ["division", "program", "provider"]


class TeamMemberInline(admin.TabularInline):
    model = Responder
    fields = ["user", "display_name", "phone"]
    readonly_fields = ["user"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or staff_role(request) is not None

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or staff_role(request) == Role.SUPERVISOR


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    list_display = [
        "call_sign",
        "program",
        "provider",
        "member_names",
        "division_names",
        "is_active",
    ]
    list_filter = [
        "is_active",
        "program",
        ("provider", admin.RelatedOnlyFieldListFilter),
        "divisions",
    ]
    search_fields = ["call_sign", "members__user__username", "members__display_name"]
    filter_horizontal = ["divisions"]
    inlines = [TeamMemberInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("program", "provider")
            .prefetch_related("members__user", "divisions")
        )

    @admin.display(description="members")
    def member_names(self, team: Team) -> str:
        return ", ".join(str(m) for m in team.members.all())

    @admin.display(description="divisions")
    def division_names(self, team: Team) -> str:
        return ", ".join(d.code for d in team.divisions.all())


@admin.register(Responder)
class ResponderAdmin(ScopedAdmin):
    list_display = ["__str__", "user", "role", "provider", "team", "device_count", "is_active"]
    list_filter = [
        "role",
        ("provider", admin.RelatedOnlyFieldListFilter),
        ("team", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["user__username", "display_name", "user__email", "phone"]
    list_select_related = ["user", "provider", "team"]
    add_roles = ()  # accounts are created by superusers, with the user they belong to
    view_roles = policy.roles_allowed(READ, "devices", among=STAFF_ROLES)

    actions = ["suspend_accounts", "reinstate_accounts"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(device_total=Count("devices"))

    def has_suspend_permission(self, request) -> bool:
        return permissions.may(request.user, CHANGE)

    def _each(self, request, queryset, move, done: str) -> None:
        count = 0
        for responder in queryset.select_related("user"):
            try:
                move(responder, request.user)
            except DomainError as exc:
                self.message_user(request, f"{responder}: {exc.detail}", messages.WARNING)
                continue
            count += 1
        self.message_user(request, f"{count} account(s) {done}.", messages.SUCCESS)

    @admin.action(
        description="Suspend selected accounts (all devices and sessions end, no sign-in)",
        permissions=["suspend"],
    )
    def suspend_accounts(self, request, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            lambda responder, user: services.suspend_responder(
                responder=responder, suspended_by=user
            ),
            "suspended",
        )

    @admin.action(description="Reinstate selected accounts", permissions=["suspend"])
    def reinstate_accounts(self, request, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            lambda responder, user: services.reinstate_responder(
                responder=responder, reinstated_by=user
            ),
            "reinstated",
        )

    @admin.display(description="active", boolean=True)
    def is_active(self, responder) -> bool:
        return responder.user.is_active

    @admin.display(description="devices", ordering="device_total")
    def device_count(self, responder) -> int:
        return responder.device_total

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        # Nobody widens their own (or anyone's) scope from here.
        return ["user", "provider", "role"]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)


@admin.register(Shift)
class ShiftAdmin(ScopedAdmin):
    provider_path = "team__provider"
    list_display = ["team", "starts_at", "ends_at"]
    list_filter = [("team", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "starts_at"
    search_fields = ["team__call_sign"]
    list_select_related = ["team"]
    delete_roles = (Role.SUPERVISOR,)


@admin.register(Device)
class DeviceAdmin(ScopedAdmin):
    provider_path = "responder__provider"
    list_display = ["name", "responder", "platform", "app_version", "last_seen_at", "revoked_at"]
    list_filter = ["platform", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "responder__user__username", "responder__display_name"]
    list_select_related = ["responder__user"]
    readonly_fields = [
        "id",
        "responder",
        "name",
        "platform",
        "app_version",
        "last_seen_at",
        "revoked_at",
        "revoked_by",
        "created_at",
    ]
    actions = ["revoke_devices"]
    add_roles = ()  # devices appear when a phone signs in
    view_roles = policy.roles_allowed(READ, "devices", among=STAFF_ROLES)

    def has_revoke_permission(self, request) -> bool:
        return permissions.may(request.user, VOID)

    @admin.action(
        description="Revoke selected devices (lost or retired phones)", permissions=["revoke"]
    )
    def revoke_devices(self, request, queryset: QuerySet) -> None:
        count = 0
        for device in queryset.filter(revoked_at__isnull=True).select_related("responder"):
            try:
                services.revoke_device(device=device, revoked_by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{device}: {exc.detail}", messages.WARNING)
                continue
            count += 1
        self.message_user(
            request, f"Revoked {count} device(s); their tokens no longer work.", messages.SUCCESS
        )
