"""Admin scoping shared by every app: a supervisor or case manager works inside their own
provider, and cannot widen that scope.

Staff who are not superusers get no Django model permissions at all; what they may do is
decided here by their responder role, so no group or permission a supervisor could edit
grants them more. Each ModelAdmin names the path from its model to the provider (or, for a
scope no single path says, its own `provider_scope`); this module knows no app's models.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from . import audit
from .actors import user_responder
from .models import AccessChannel, AccessLog, Notification, QuarantinedRecord
from .policy import STAFF_ROLES, SUPERVISOR


def staff_responder(request: HttpRequest) -> Any | None:
    """The signed-in admin user's responder profile, cached on the request."""
    if not hasattr(request, "_umcr_responder"):
        request._umcr_responder = user_responder(request.user)  # type: ignore[attr-defined]
    return request._umcr_responder  # type: ignore[attr-defined]


def staff_role(request: HttpRequest) -> str | None:
    responder = staff_responder(request)
    if responder is None or responder.provider_id is None or not request.user.is_staff:
        return None
    return responder.role if responder.role in STAFF_ROLES else None


def provider_scope_q(model: type[Model], provider_id: int) -> Q | None:
    """Which rows of a related model a provider's staff may pick in a form (raw-id fields
    included): the scope of the model's own registered, provider-scoped admin page; or None
    if every row (a model whose page is not scoped: divisions, the services directory)."""
    try:
        model_admin = admin.site.get_model_admin(model)
    except NotRegistered:
        return None
    if not isinstance(model_admin, ProviderScopedMixin):
        return None
    return model_admin.provider_scope(provider_id)


class ProviderScopedMixin:
    """Scope an admin page (or inline) to the provider of the signed-in staff member.

    - `provider_path`: lookup from the model to its provider (e.g. "team__provider").
    - `view_roles`, `change_roles`, `add_roles`, `delete_roles`: which staff roles may do what.
      Superusers may do everything; deleting clinical records is left to them alone.
    - `audit_kind`: set on the pages that show personal data (the model's name, "person"):
      every record such a page shows is written to the access log (channel "admin").
    """

    provider_path: str = "provider"
    view_roles: tuple = STAFF_ROLES
    change_roles: tuple = (SUPERVISOR,)
    add_roles: tuple | None = None  # defaults to change_roles
    delete_roles: tuple = ()
    audit_kind: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        audit.declare_personal(cls.audit_kind)

    def note_reads(self, request, records) -> None:
        """Note records this page shows as read, each with its provider when the relations
        to it are loaded, else the staff member's own (whose scope the page is)."""
        if not self.audit_kind:
            return
        fallback = None
        if not request.user.is_superuser:
            responder = staff_responder(request)
            fallback = responder.provider_id if responder else None
        path = audit.model_path(self.model, self.provider_path)  # type: ignore[attr-defined]
        by_provider: dict = {}
        for record in records:
            if record.pk is None:
                continue
            provider_id = audit.cached_path(record, path) if path else None
            by_provider.setdefault(provider_id or fallback, []).append(record.pk)
        for provider_id, ids in by_provider.items():
            audit.note_reads(
                channel=AccessChannel.ADMIN,
                kind=self.audit_kind,
                record_ids=ids,
                provider_id=provider_id,
            )

    def provider_scope(self, provider_id: int) -> Q:
        """The rows of this model a provider's staff reach: on this page, and in the choices
        of any form field that points at the model (provider_scope_q). An admin whose scope
        one path cannot say (people: met by the provider, or on its calls) overrides this."""
        return Q(**{self.provider_path: provider_id})

    def scope_queryset(self, qs: QuerySet, provider_id: int) -> QuerySet:
        return qs.filter(self.provider_scope(provider_id))

    def get_queryset(self, request):
        qs = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return qs
        responder = staff_responder(request)
        role = staff_role(request)
        if responder is None or role is None or role not in self.view_roles:
            return qs.none()
        return self.scope_queryset(qs, responder.provider_id)

    def _allowed(self, request, roles) -> bool:
        if request.user.is_superuser:
            return True
        return staff_role(request) in roles

    def has_module_permission(self, request) -> bool:
        return self._allowed(request, self.view_roles)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request, self.view_roles + self.change_roles)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request, self.change_roles)

    def has_add_permission(self, request, *args) -> bool:
        roles = self.change_roles if self.add_roles is None else self.add_roles
        return self._allowed(request, roles)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request, self.delete_roles)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        return _limit_choices(field, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
        return _limit_choices(field, db_field, request)


def _limit_choices(field, db_field, request):
    if field is None or request.user.is_superuser:
        return field
    responder = staff_responder(request)
    provider_id = responder.provider_id if responder else None
    if provider_id is None:
        field.queryset = field.queryset.none()
        return field
    scope = provider_scope_q(db_field.related_model, provider_id)
    if scope is not None:
        field.queryset = field.queryset.filter(scope)
    return field


class LandingFilter(admin.SimpleListFilter):
    """A list filter with a default: the page opens on what needs the reader (`landing`),
    and "all" (a choice like the others) shows everything. Subclasses give `lookups`
    (the landing one first) and `filter(queryset, value)`.

    A page read without the parameter is sent to it (ScopedAdmin._landing_redirect), so the
    form posts back with it; an action posted without it acts on the rows selected."""

    landing: str
    ALL = "all"

    def value(self) -> str:
        return super().value() or self.landing

    def queryset(self, request, queryset):
        value = super().value() or (self.landing if request.method == "GET" else self.ALL)
        return queryset if value == self.ALL else self.filter(queryset, value)

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        raise NotImplementedError

    def choices(self, changelist):
        # No "All" link that drops the parameter: without it the page lands on `landing`.
        for lookup, title in [*self.lookup_choices, (self.ALL, "all")]:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class AuditedPaginator(Paginator):
    """A paginator whose pages are noted as read when built (the admin's autocomplete)."""

    def __init__(self, *args, note_reads, **kwargs):
        super().__init__(*args, **kwargs)
        self.note_reads = note_reads

    def _get_page(self, object_list, *args, **kwargs) -> Page:
        records = list(object_list)
        self.note_reads(records)
        return super()._get_page(records, *args, **kwargs)  # type: ignore[misc]


class ScopedAdmin(ProviderScopedMixin, admin.ModelAdmin):
    """A ModelAdmin scoped to the staff member's provider. When the model has a direct
    `provider` field, new and edited rows are pinned to that provider.

    With `audit_kind` set, its change page (the record and its inlines that have an
    `audit_kind`), its list (the rows on the page) and its autocomplete answers are written
    to the access log."""

    list_per_page = 50

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if obj is not None and self.audit_kind and isinstance(response, TemplateResponse):
            self.note_reads(request, [obj])
            # Inline rows are loaded while the page renders; note them after, from the
            # formsets' own cache (no query).
            inlines = context.get("inline_admin_formsets", [])
            response.add_post_render_callback(lambda _: _note_inline_reads(request, inlines))
        return response

    def changelist_view(self, request, extra_context=None):
        landing = self._landing_redirect(request)
        if landing is not None:
            return landing
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if self.audit_kind and changelist is not None and isinstance(response, TemplateResponse):
            # The page's rows, from the queryset the template evaluated (no second query).
            response.add_post_render_callback(
                lambda _: self.note_reads(request, changelist.result_list)
            )
        return response

    def _landing_redirect(self, request) -> HttpResponseRedirect | None:
        """A list that lands on a queue (LandingFilter) is always read with its parameter in
        the URL: the changelist form posts back to it, so "select all" and the actions act
        on the rows the page showed, never on every row in scope."""
        if request.method != "GET":
            return None
        missing = {
            f.parameter_name: f.landing
            for f in self.list_filter
            if isinstance(f, type)
            and issubclass(f, LandingFilter)
            and f.parameter_name not in request.GET
        }
        if not missing:
            return None
        query = request.GET.copy()
        query.update(missing)
        return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        match = getattr(request, "resolver_match", None)
        if self.audit_kind and match is not None and match.url_name == "autocomplete":
            return AuditedPaginator(
                queryset,
                per_page,
                orphans,
                allow_empty_first_page,
                note_reads=lambda records: self.note_reads(request, records),
            )
        return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser and self.provider_path == "provider":
            fields.append("provider")
        return fields

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and self.provider_path == "provider":
            # Only staff with a responder profile get this far (has_*_permission).
            responder = staff_responder(request)
            if responder is None:
                raise PermissionDenied
            obj.provider_id = responder.provider_id
        super().save_model(request, obj, form, change)


#: How many of a record's latest reads its page lists.
LATEST_READS = 20


def latest_reads_table(record_type: str, record_id) -> str:
    """A record's latest reads (who, how, when, from which device), newest first, as a small
    HTML table for a read-only admin field: "who read this record"."""
    if record_id is None:
        return "-"
    logs = audit.reads_of(record_type, record_id)[:LATEST_READS]
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                localtime(log.accessed_at).strftime("%Y-%m-%d %H:%M:%S"),
                log.user or "-",
                log.get_channel_display(),
                log.device or "-",
                log.path or "-",
            )
            for log in logs
        ),
    )
    if not rows:
        return "No reads logged yet."
    return format_html(
        "<table><thead><tr><th>when</th><th>who</th><th>how</th><th>device</th>"
        "<th>page</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


def _note_inline_reads(request, inline_admin_formsets) -> None:
    for inline_admin_formset in inline_admin_formsets:
        inline = inline_admin_formset.opts
        if getattr(inline, "audit_kind", None):
            records = [form.instance for form in inline_admin_formset.formset.initial_forms]
            inline.note_reads(request, records)


class HistoryInline(admin.TabularInline):
    """A record's history (who changed what, when): shown to whoever sees the record, never
    edited. Subclasses name the model and `fields`."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields or [])

    def get_queryset(self, request):
        # Each row names who made the change: one join, not a query per row.
        return super().get_queryset(request).select_related("changed_by__user")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return True


class ReadOnlyInline(ProviderScopedMixin, admin.TabularInline):
    """An inline of append-only field records: shown, never edited from the admin."""

    extra = 0
    can_delete = False
    show_change_link = False
    change_roles: tuple = ()
    add_roles: tuple | None = ()

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields or [])


@admin.register(AccessLog)
class AccessLogAdmin(ScopedAdmin):
    """The audit trail of reads of personal data: supervisors see their provider's rows,
    superusers all. Append-only for everyone, superusers included: no add, change or delete
    here (the model and, on PostgreSQL, a trigger refuse them too). Search by a record's id
    (exact) or a username."""

    list_display = [
        "accessed_at",
        "channel",
        "record_type",
        "record_count",
        "user",
        "device",
        "provider",
        "ip_address",
    ]
    list_filter = ["channel", "record_type", "action"]
    search_fields = ["user__username"]
    search_help_text = "A record's id (exact), or a username."
    date_hierarchy = "accessed_at"
    list_select_related = ["user", "provider", "device__responder__user"]
    view_roles = (SUPERVISOR,)
    change_roles = ()
    add_roles = ()
    actions = None

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request, self.view_roles)

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        # record_ids @> '["<term>"]' on PostgreSQL's GIN index.
        return queryset.filter(Q(user__username__iexact=term) | audit.with_record_id(term)), False

    @admin.display(description="records")
    def record_count(self, log) -> int:
        return len(log.record_ids or [])


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "title"]
    list_select_related = ["recipient"]


@admin.register(QuarantinedRecord)
class QuarantinedRecordAdmin(ScopedAdmin):
    """Pushed records the server refused, kept with their payload until someone resolves
    them (re-enters the note, tells the clinician): nothing a phone sent is lost."""

    list_display = [
        "received_at",
        "table",
        "operation",
        "record_id",
        "user",
        "short_reason",
        "resolved_at",
    ]
    list_filter = ["table", "operation", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["record_id", "user__username", "batch_id"]
    date_hierarchy = "received_at"
    list_select_related = ["user"]
    readonly_fields = [
        "user",
        "device",
        "provider",
        "batch_id",
        "table",
        "record_id",
        "operation",
        "payload",
        "reason",
        "received_at",
    ]
    fields = [*readonly_fields, "resolved_at", "resolution"]
    add_roles = ()
    audit_kind = "quarantinedrecord"

    @admin.display(description="reason")
    def short_reason(self, record) -> str:
        reason = record.reason
        if isinstance(reason, dict) and "detail" in reason:
            return str(reason["detail"])[:120]
        return str(reason)[:120]


# --- the admin home's panels --------------------------------------------------------------------

# A panel renders what the signed-in user should see first on the admin's home (the live
# board's summary, from the calls app), or "" for someone it is not for. Apps register their
# panels (register_home_panel) from their admin modules, so this kernel names no app.
HomePanel = Callable[[HttpRequest], str]
_home_panels: list[HomePanel] = []


def register_home_panel(panel: HomePanel) -> HomePanel:
    """Show `panel` on the admin's home, above the apps list (in registration order)."""
    if panel not in _home_panels:
        _home_panels.append(panel)
    return panel


def home_panels(request: HttpRequest) -> list[str]:
    """The registered panels' HTML for this request, those with nothing to show left out."""
    return [html for html in (panel(request) for panel in _home_panels) if html]
