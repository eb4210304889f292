"""The two sync endpoints. They parse the query, call the engine, and answer with orjson
(the hot path: DRF's serializers are not the tool for thousands of raw rows)."""

from typing import Any

import orjson
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from ..api import IsResponder, request_responder
from ..api_docs import ERROR_RESPONSES, ErrorSerializer
from . import examples
from .devices import get_device_model
from .limits import PushLimited
from .packed import json_default, pull_json
from .pull import PullRequest, ResyncRequired, note_pulled, pull_changes, seq_of_cursor
from .push import PushContext, PushRejected, push_changes
from .registry import MIN_SCHEMA_VERSION, SCHEMA_VERSION
from .serializers import (
    StaleConflictSerializer,
    SyncPullSerializer,
    SyncPushBodySerializer,
    SyncPushResultSerializer,
    UnsupportedSchemaVersionSerializer,
)
from .types import DeviceLike, ResponderLike

MAX_LIMIT = 50_000


def json_response(body: Any, status: int = 200) -> HttpResponse:
    """`body` as JSON; bytes are sent as they are (a batch's stored answer)."""
    content = body if isinstance(body, bytes) else orjson.dumps(body, default=json_default)
    return HttpResponse(content, status=status, content_type="application/json")


def parse_cursor(
    raw: str | None, name: str = "last_pulled_at", required: bool = False
) -> int | None:
    if raw in (None, "", "null", "undefined"):
        if required:
            raise ValidationError({name: ["This parameter is required (a number, or null)."]})
        return None
    assert raw is not None  # for mypy: None is among the values above
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["Must be a whole number or null."]}) from None
    if value < 0:
        raise ValidationError({name: ["Must not be negative."]})
    return value


def parse_int(raw: str | None, name: str, low: int, high: int) -> int | None:
    if raw is None or raw in ("", "null"):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["Must be a whole number."]}) from None
    if not low <= value <= high:
        raise ValidationError({name: [f"Must be between {low} and {high}."]})
    return value


def parse_migration(raw: str | None) -> dict[str, Any] | None:
    if raw is None or raw in ("", "null"):
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValidationError({"migration": ["Must be JSON (or null)."]}) from None
    if value is None:
        return None
    shape = 'Must be {"from": <version>, "tables": [<table>], "columns": [{"table": <table>, "columns": [<column>]}]}.'
    if not isinstance(value, dict) or not _is_whole_number(value.get("from")):
        raise ValidationError({"migration": [shape]})
    tables = value.get("tables") or []
    columns = value.get("columns") or []
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
        raise ValidationError({"migration": [shape]})
    if not isinstance(columns, list) or not all(
        isinstance(c, dict)
        and isinstance(c.get("table"), str)
        and isinstance(c.get("columns", []), list)
        for c in columns
    ):
        raise ValidationError({"migration": [shape]})
    return value


def _is_whole_number(value: object) -> bool:
    # bool is an int to Python; `"from": true` is no schema version.
    return isinstance(value, int) and not isinstance(value, bool)


def version_refused(schema_version: int) -> HttpResponse | None:
    if MIN_SCHEMA_VERSION <= schema_version <= SCHEMA_VERSION:
        return None
    return json_response(
        {
            "detail": f"Schema version {schema_version} is not supported; this server syncs "
            f"versions {MIN_SCHEMA_VERSION} to {SCHEMA_VERSION}. Update the app.",
            "code": "unsupported_schema_version",
            "min_schema_version": MIN_SCHEMA_VERSION,
            "max_schema_version": SCHEMA_VERSION,
        },
        status=426,
    )


UNSUPPORTED_SCHEMA_VERSION = OpenApiResponse(
    UnsupportedSchemaVersionSerializer,
    description="The app's schema version is not supported; update the app.",
    examples=[examples.UNSUPPORTED_SCHEMA_VERSION],
)


class FreedAfterUse(APIView):
    """A view that drops its request and answer once it has answered. DRF keeps both on the
    view, and the request points back to the view (parser_context): a cycle only the
    garbage collector frees, often many requests later (and the request to itself, through
    the same context). A pull's page of text (4.4 MB at 16,000 records) or a push's parsed
    records outlived their request: a gunicorn worker serving a whole-history first sync
    grew by every page, to +49 MiB; now +10 MiB (bench/sync.py)."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        # Parsed already: nothing reads the context again.
        self.request.parser_context = {}
        del self.response, self.request
        return response


class SyncPullView(FreedAfterUse):
    permission_classes = [IsResponder]

    @extend_schema(
        operation_id="sync_pull",
        summary="Pull changes (WatermelonDB)",
        description=(
            "Every change in your scope and sync window since `last_pulled_at` (the "
            "`timestamp` of your last pull, an opaque whole number, not a clock; `null` on a "
            "first sync), as `{changes: {table: {created, updated, deleted}}, timestamp, "
            "has_more}`. Times are epoch milliseconds. The window: your open calls, the calls "
            "of the last SYNC_WINDOW_DAYS days (30), what your open follow-ups and referrals "
            "point at, and their records; the services directory whole. Records that left "
            "your scope or the window, or were voided, come back in `deleted` (drop the local "
            "copy; older history is on the REST API, e.g. `GET /calls/?received_before=`). "
            "Every answer is one page of at most `limit` (and the server's page size) "
            "records: pull again from `timestamp` while `has_more`. A first sync larger than "
            "a page sends your open calls and their person and records first, then the rest "
            "of its window in pages of up to SYNC_FIRST_SYNC_PAGE records (default 32,000)."
        ),
        parameters=[
            OpenApiParameter("last_pulled_at", OpenApiTypes.STR, description="Cursor or `null`."),
            OpenApiParameter(
                "schema_version",
                {"type": "integer", "minimum": 0, "maximum": 10_000},
                description="The app's schema.",
            ),
            OpenApiParameter(
                "migration", OpenApiTypes.STR, description="WatermelonDB migration JSON or null."
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=f"Page size, 1–{MAX_LIMIT}.",
            ),
        ],
        responses={
            200: OpenApiResponse(SyncPullSerializer, examples=[examples.PULL_CHANGES]),
            400: ERROR_RESPONSES[400],
            401: ERROR_RESPONSES[401],
            403: ERROR_RESPONSES[403],
            409: OpenApiResponse(
                ErrorSerializer,
                description="Your scope changed since `last_pulled_at`, the cursor is older "
                "than the deletions the server keeps (SYNC_EXIT_RETENTION_DAYS), or names a "
                "page that expired (`reason`: scope, retention, expired): reset the local "
                "database and pull from `null`.",
                examples=[examples.PULL_RESYNC_REQUIRED],
            ),
            426: UNSUPPORTED_SCHEMA_VERSION,
        },
        tags=["sync"],
    )
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        last = parse_cursor(params.get("last_pulled_at"))
        version = parse_int(params.get("schema_version"), "schema_version", 0, 10_000)
        migration = parse_migration(params.get("migration"))
        limit = parse_int(params.get("limit"), "limit", 1, MAX_LIMIT)
        version = SCHEMA_VERSION if version is None else version
        refused = version_refused(version)
        if refused is not None:
            return refused
        responder = request_responder(request)
        try:
            body = pull_changes(
                responder=responder,
                request=PullRequest(last_pulled_at=last, migration=migration, limit=limit),
            )
        except ResyncRequired as exc:
            return json_response(exc.body, status=exc.status)
        note_pulled(body, responder=responder)
        return json_response(pull_json(body))


class SyncPushView(FreedAfterUse):
    permission_classes = [IsResponder]

    @extend_schema(
        operation_id="sync_push",
        summary="Push offline changes (WatermelonDB)",
        description=(
            "Applies the phone's changes once, through the same rules as the REST API. "
            "Refused records are listed in `experimentalRejectedIds` (with reasons in "
            "`rejected`) and kept in a quarantine supervisors see. A mutable record changed "
            "on the server since `last_pulled_at` by someone else makes the push a 409: pull, "
            "then push again. Send `batch_id` (query or `X-Batch-Id`) to make a retry return "
            "the first answer."
        ),
        parameters=[
            OpenApiParameter("last_pulled_at", OpenApiTypes.STR, description="The cursor."),
            OpenApiParameter("batch_id", OpenApiTypes.STR, description="Idempotency key."),
            OpenApiParameter("device_id", OpenApiTypes.UUID, description="Without a device token."),
            OpenApiParameter(
                "schema_version", {"type": "integer", "minimum": 0, "maximum": 10_000}
            ),
        ],
        request=SyncPushBodySerializer,
        examples=[examples.PUSH_A_NOTE],
        responses={
            200: OpenApiResponse(
                SyncPushResultSerializer, examples=[examples.PUSH_APPLIED_ONE_REFUSED]
            ),
            400: ERROR_RESPONSES[400],
            401: ERROR_RESPONSES[401],
            403: ERROR_RESPONSES[403],
            409: OpenApiResponse(
                StaleConflictSerializer,
                description="Records changed on the server since your pull: pull, then push.",
                examples=[examples.PUSH_STALE],
            ),
            426: UNSUPPORTED_SCHEMA_VERSION,
            429: OpenApiResponse(
                ErrorSerializer,
                description="Over this device's push limits (records a minute, refused records "
                "an hour): nothing was applied; push again after `Retry-After` seconds.",
                examples=[examples.PUSH_THROTTLED],
            ),
        },
        tags=["sync"],
    )
    def post(self, request: Request) -> HttpResponse:
        params = request.query_params
        # A page's cursor stands for the sequence number the pages reached.
        last = seq_of_cursor(parse_cursor(params.get("last_pulled_at")))
        version = parse_int(params.get("schema_version"), "schema_version", 0, 10_000)
        refused = version_refused(SCHEMA_VERSION if version is None else version)
        if refused is not None:
            return refused
        responder = request_responder(request)
        data = request.data
        changes = data.get("changes", data) if isinstance(data, dict) else data
        batch_id = params.get("batch_id") or request.headers.get("X-Batch-Id") or ""
        if len(batch_id) > 64:
            raise ValidationError({"batch_id": ["At most 64 characters."]})
        ctx = PushContext(
            user=request.user,
            responder=responder,
            device=self.device(request, responder),
            last_pulled_at=last,
            batch_id=batch_id,
        )
        try:
            status, body = push_changes(ctx=ctx, changes=changes)
        except PushRejected as exc:
            return json_response(exc.body, status=exc.status)
        except PushLimited as exc:
            response = json_response(exc.body, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return json_response(body, status=status)

    @staticmethod
    def device(request: Request, responder: ResponderLike) -> DeviceLike | None:
        device: DeviceLike | None = getattr(request.auth, "device", None)
        if device is not None:
            return device
        raw = request.query_params.get("device_id") or request.headers.get("X-Device-Id")
        if not raw:
            return None
        try:
            # The contract of settings.UMCR_DEVICE_MODEL (umcr/sync/devices.py).
            return get_device_model()._default_manager.get(
                pk=raw, responder=responder, revoked_at__isnull=True
            )
        except (ObjectDoesNotExist, ValueError, DjangoValidationError):
            # Not a UUID is Django's ValidationError (UUIDField.to_python); another
            # responder's, a revoked or an unknown device is DoesNotExist.
            raise ValidationError({"device_id": ["No such device of yours."]}) from None
