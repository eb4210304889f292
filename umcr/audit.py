"""The audit trail of reads: every response that carries personal data records who (user,
device), how (REST, sync, admin, command), what (record kind and ids) and when.

Reads are noted while the response is built (by `AuditedSerializer`, the sync pull view, the
admin's `ScopedAdmin`) into a collector that lives for one request; `AuditMiddleware` writes
them after the view, with one INSERT, if the response is a success. A request thus
costs at most one more query, whatever it read. Nothing here decides who may read what.
"""

import contextlib
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connection, router
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .models import AccessAction, AccessChannel, AccessLog
from .sync.base import current_actor

#: A request's path is kept up to this length (the column's).
PATH_LENGTH = 255


@dataclass
class ReadCollector:
    """The reads of one request (or command): record ids grouped by (channel, kind, provider),
    in the order first noted, each id once."""

    user_id: int | None = None  # for a command; a request's comes from its actor
    device_id: object = None
    groups: dict[tuple[str, str, int | None], dict[str, None]] = field(default_factory=dict)

    def add(self, channel: str, kind: str, provider_id, record_ids: Iterable) -> None:
        key = (channel, kind, provider_id)
        ids = dict.fromkeys(map(str, record_ids))  # C speed: a first pull notes 170,000
        group = self.groups.get(key)
        if group is None:
            self.groups[key] = ids
        else:
            group.update(ids)

    def rows(
        self, *, user_id, device_id, ip_address=None, path="", fallback_provider_id=None
    ) -> list[AccessLog]:
        """One row per (channel, kind, provider); records whose provider was not at hand
        take `fallback_provider_id` (the reader's own, whose scope they were read in)."""
        merged: dict[tuple, dict[str, None]] = {}
        for (channel, kind, provider_id), ids in self.groups.items():
            key = (channel, kind, provider_id or fallback_provider_id)
            if key in merged:
                merged[key] = {**merged[key], **ids}
            else:
                merged[key] = ids
        accessed_at = timezone.now()  # one instant for the whole response
        return [
            AccessLog(
                user_id=user_id,
                device_id=device_id,
                channel=channel,
                action=AccessAction.READ,
                record_type=kind,
                record_ids=list(ids),
                provider_id=provider_id,
                ip_address=ip_address,
                path=path[:PATH_LENGTH],
                accessed_at=accessed_at,
            )
            for (channel, kind, provider_id), ids in merged.items()
            if ids
        ]


_collector: ContextVar[ReadCollector | None] = ContextVar("umcr_audit_collector", default=None)

#: The kinds of record that carry personal data: every kind an app declares `audit_kind` for,
#: on a serializer or an admin page, as apps register with the admin. The sync pull logs the
#: tables of these kinds; others (status events, the services directory) hold none.
PERSONAL_KINDS: set[str] = set()


def declare_personal(kind: str | None) -> None:
    if kind:
        PERSONAL_KINDS.add(kind)


def note_reads(*, channel: str, kind: str, record_ids: Iterable, provider_id=None) -> None:
    """Record that the response being built delivers these records. Outside a request or a
    `collecting()` block there is no one to tell, and nothing is noted."""
    collector = _collector.get()
    if collector is not None:
        collector.add(channel, kind, provider_id, record_ids)


def note_records(
    *, channel: str, kind: str, records: Iterable[Model], provider_path: str | None = None
) -> None:
    """`note_reads` for loaded model instances, each with its provider read along
    `provider_path` ("call.routed_provider_id") through relations already loaded only:
    noting a read never costs a query. An unknown provider is None."""
    collector = _collector.get()
    if collector is None:
        return
    for record in records:
        provider_id = cached_path(record, provider_path) if provider_path else None
        collector.add(channel, kind, provider_id, [record.pk])


def cached_path(obj, path: str):
    """Follow a dotted path of attributes, stopping (None) at a relation not loaded yet."""
    *relations, last = path.split(".")
    for name in relations:
        relation = obj._meta.get_field(name)
        if not relation.is_cached(obj):
            return None
        obj = getattr(obj, name)
        if obj is None:
            return None
    return getattr(obj, last, None)


def model_path(model: type[Model], lookup: str) -> str:
    """The attribute path of an ORM lookup to a foreign key: "call__routed_provider" ->
    "call.routed_provider_id" (the last hop read from its column, never loaded)."""
    names = lookup.split("__")
    for name in names[:-1]:
        related = model._meta.get_field(name).related_model
        if not isinstance(related, type):
            raise ValueError(f"{lookup}: {name} is not a relation")
        model = related
    last = model._meta.get_field(names[-1])
    return ".".join([*names[:-1], getattr(last, "attname", last.name)])


class AuditedSerializer:
    """A DRF serializer mixin: each record the serializer represents is noted as read
    (channel "rest"), as `audit_kind` (the model's name, as the sync pull and the admin
    name it), with the provider read along `audit_provider_path` when already loaded."""

    audit_kind: str = ""
    audit_provider_path: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declare_personal(cls.audit_kind)

    def _note_read(self, instance) -> None:
        if isinstance(instance, Model) and instance.pk is not None:
            note_records(
                channel=AccessChannel.REST,
                kind=self.audit_kind,
                records=[instance],
                provider_path=self.audit_provider_path,
            )

    def to_representation(self, instance):
        self._note_read(instance)
        return super().to_representation(instance)  # type: ignore[misc]

    @property
    def data(self):
        # A serializer whose own to_representation skips ours (the call's detail) is still
        # noted when it is the response's top level.
        self._note_read(getattr(self, "instance", None))
        return super().data  # type: ignore[misc]


def request_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def reader_provider_id(request) -> int | None:
    """The reader's provider if their responder is already loaded (the token brings it; the
    admin caches it), else None: a clinician, supervisor or case manager reads only their
    own provider's records; the desk (no provider) and superusers anyone's."""
    user = getattr(request, "user", None)
    if getattr(user, "is_superuser", False):
        return None  # a superuser's scope is everyone's
    responder = getattr(request, "_umcr_responder", None)
    if responder is None:
        loaded = getattr(getattr(user, "_state", None), "fields_cache", {})
        responder = loaded.get("responder")
    return getattr(responder, "provider_id", None)


class AuditMiddleware:
    """Opens a collector for each request and, after the view, writes what it collected if
    the response succeeded (2xx): a refused or failed request delivered nothing. Placed after
    the authentication and the sync actor middleware: DRF authenticates inside the view and
    sets the actor (user and device) that is read here on the way out. A write that fails
    fails the response: data whose read cannot be recorded is not handed out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        collector = ReadCollector()
        token = _collector.set(collector)
        try:
            response = self.get_response(request)
            if 200 <= response.status_code < 300 and collector.groups:
                actor = current_actor.get()
                write_rows(
                    collector.rows(
                        user_id=actor.user_id,
                        device_id=actor.device_id,
                        ip_address=request_ip(request),
                        path=request.path,
                        fallback_provider_id=reader_provider_id(request),
                    )
                )
            return response
        finally:
            _collector.reset(token)


@contextlib.contextmanager
def collecting(*, user=None, device=None):
    """Collect the reads of a command or task (channel "command") and write them at the end
    of the block, unless it raised."""
    collector = ReadCollector(
        user_id=getattr(user, "pk", None), device_id=getattr(device, "pk", None)
    )
    token = _collector.set(collector)
    try:
        yield collector
    finally:
        _collector.reset(token)
    write_rows(collector.rows(user_id=collector.user_id, device_id=collector.device_id))


def write_rows(rows: list[AccessLog]) -> None:
    """One multi-row INSERT, without the transaction bulk_create() opens around it (BEGIN
    and COMMIT would be two more round trips in autocommit; one statement is atomic)."""
    if not rows:
        return
    fields = [f for f in AccessLog._meta.concrete_fields if not f.primary_key]
    AccessLog._base_manager._insert(  # type: ignore[attr-defined]
        rows, fields=fields, using=router.db_for_write(AccessLog)
    )


# --- reading the trail ------------------------------------------------------------------------


def reads_of(record_type: str, record_id) -> QuerySet[AccessLog]:
    """Every logged read of one record, newest first. On PostgreSQL `record_ids @> '["X"]'`
    on the GIN index; on SQLite (the demo) a scan through json_each."""
    logs = AccessLog.objects.filter(record_type=record_type)
    return logs.filter(with_record_id(str(record_id))).select_related("user", "device")


def with_record_id(record_id: str):
    """A filter (a Q or an expression) for the rows whose record_ids hold `record_id`."""
    from django.db.models import Q

    if connection.vendor == "postgresql":
        return Q(record_ids__contains=[record_id])
    return Q(
        RawSQL(
            f"EXISTS (SELECT 1 FROM json_each({AccessLog._meta.db_table}.record_ids) "
            "WHERE json_each.value = %s)",
            [record_id],
            output_field=BooleanField(),
        )
    )
