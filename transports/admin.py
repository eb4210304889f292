"""Transports in the admin: read-only for provider staff (the team records the ride from
the phone), with the destinations that refused on the way."""

from django.contrib import admin

from umcr.admin import STAFF_ROLES, ReadOnlyInline, ScopedAdmin

from .models import DestinationRefusal, Transport


class DestinationRefusalInline(ReadOnlyInline):
    model = DestinationRefusal
    provider_path = "transport__provider"
    fields = ["refused_at", "service", "reason", "recorded_by"]


@admin.register(Transport)
class TransportAdmin(ScopedAdmin):
    audit_kind = "transport"
    list_display = ["departed_at", "call", "team", "destination", "status", "handed_off_at"]
    list_filter = ["status", ("team", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["call", "team", "destination"]
    date_hierarchy = "departed_at"
    inlines = [DestinationRefusalInline]
    view_roles = STAFF_ROLES
    change_roles = ()
    add_roles = ()
    readonly_fields = [
        "call",
        "person",
        "provider",
        "team",
        "destination",
        "on_hold",
        "consent_given",
        "consent_method",
        "status",
        "departed_at",
        "arrived_at",
        "handed_off_at",
        "received_by",
        "driven_by",
    ]
