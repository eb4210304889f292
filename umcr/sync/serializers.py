"""The shapes of the sync endpoints, for their OpenAPI description only: the views answer
with orjson (a pull may hold thousands of raw rows), and tests/sync/test_schema.py checks
that every key of a real answer is one these describe. A record is a table's raw columns
(each table's are listed in its app's sync.py); the envelope around the records is typed."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

RECORD_HELP = (
    "One record: the table's raw columns (WatermelonDB's snake_case) and their values. "
    "Times are epoch milliseconds, ids strings, dates YYYY-MM-DD."
)


class RecordField(serializers.DictField):
    """A record: any column name, any JSON value."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.JSONField(), help_text=RECORD_HELP, **kwargs)


class TableChangesSerializer(serializers.Serializer[Any]):
    created = serializers.ListField(
        child=RecordField(), help_text="Records new to the phone (on a first sync: all)."
    )
    updated = serializers.ListField(
        child=RecordField(), help_text="Records the phone has, in their latest state."
    )
    deleted = serializers.ListField(
        child=serializers.CharField(),
        help_text="Ids of records deleted, voided, or no longer in the caller's scope.",
    )

    class Meta:
        ref_name = "SyncTableChanges"


class SyncPullSerializer(serializers.Serializer[Any]):
    changes = serializers.DictField(
        child=TableChangesSerializer(),
        help_text="Every synced table by name, each with its created, updated and deleted.",
    )
    timestamp = serializers.IntegerField(
        help_text="The cursor: send it as `last_pulled_at` next time. A server sequence "
        "number, not a clock."
    )
    has_more = serializers.BooleanField(
        help_text="With `limit`: more changes wait; pull again from `timestamp`."
    )

    class Meta:
        ref_name = "SyncPull"


class PushTableChangesSerializer(serializers.Serializer[Any]):
    created = serializers.ListField(
        child=RecordField(),
        required=False,
        help_text="Records written on the phone, each with its `id` (a UUID the phone made).",
    )
    updated = serializers.ListField(
        child=RecordField(),
        required=False,
        help_text="Records changed on the phone; append-only tables take a replay only.",
    )
    deleted = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Ids the phone deleted: each is refused and quarantined (`delete_refused`).",
    )

    class Meta:
        ref_name = "SyncPushTableChanges"


class SyncPushBodySerializer(serializers.Serializer[Any]):
    changes = serializers.DictField(
        child=PushTableChangesSerializer(),
        help_text="The phone's changes by table. Records carry the phone's ids (UUIDs); "
        "`deleted` ids are refused (records are voided or corrected, never erased).",
    )

    class Meta:
        ref_name = "SyncPushBody"


@extend_schema_field(
    {
        "type": "object",
        "description": "Why a record was refused: `{detail, code}`, or each bad column named "
        "with its messages.",
        "properties": {
            "detail": {"type": "string", "description": "What is wrong, in a sentence."},
            "code": {"type": "string", "description": "Machine-readable, e.g. `stale`."},
        },
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    }
)
class RejectionField(serializers.DictField):
    """The reason one record was refused (DomainError.as_body(), or the engine's own)."""


class SyncPushResultSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField(help_text="Always true: the push as a whole was taken.")
    applied = serializers.IntegerField(help_text="How many records were applied (or replayed).")
    experimentalRejectedIds = serializers.DictField(  # noqa: N815 - WatermelonDB's name
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Ids of the refused records by table: the phone keeps them pending.",
    )
    rejected = serializers.DictField(
        child=serializers.DictField(child=RejectionField()),
        help_text="Why each was refused, by table and id. Each is kept in the quarantine. "
        "A record refused for its values names each bad field with its messages, by the REST "
        "API's name of the field: a record is read by the serializer of the REST endpoint "
        "taking the same record, so the keys are the ones a REST POST of it gets in its 400 "
        "(a column `<name>_id` is the field `<name>`: `call_id` is `call`, `service_id` is "
        "`service`, `amends_id` is `amends`; every other column keeps its name). A record "
        "refused whole says why in `detail`, with a `code` (append_only, id_taken, stale, "
        "voided, read_only, delete_refused, not_allowed, or a service's conflict code).",
    )

    class Meta:
        ref_name = "SyncPushResult"


class StaleConflictSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`stale`.")
    conflicts = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Ids changed on the server since your pull, by table.",
    )

    class Meta:
        ref_name = "SyncStaleConflict"


class UnsupportedSchemaVersionSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`unsupported_schema_version`.")
    min_schema_version = serializers.IntegerField()
    max_schema_version = serializers.IntegerField()

    class Meta:
        ref_name = "SyncUnsupportedSchemaVersion"
