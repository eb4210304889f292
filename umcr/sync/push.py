"""Push: apply a phone's offline changes once, through the apps' own services.

- Valid records are applied in short transactions (CHUNK_SECONDS each), so no phone's
  batch holds the writers' lock for long; each invalid one is refused alone (a savepoint),
  named back in `experimentalRejectedIds` with its reason, and kept with its raw payload in
  the quarantine. Nothing is silently dropped.
- A retry is harmless: records carry the phone's UUIDs (a known id is an update, or a
  replay of what is stored), and a batch id, when sent, returns the first answer verbatim.
- Append-only tables never conflict. A mutable record changed on the server after the
  phone's `last_pulled_at` by anyone but this device makes the whole push a 409, so the
  phone pulls and tries again; nothing of that push is applied. One changed by someone else
  while the push runs is refused alone (quarantined as stale).
- Records the pusher cannot see are looked up as if they did not exist: no answer (a
  conflict, a replay, a refusal to edit) tells anything of another team's or provider's rows.
"""

import hashlib
import math
import time
from types import TracebackType
from typing import Any

import orjson
from django.db import DataError, connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ..errors import DomainError, Invalid
from ..models import QuarantinedRecord, SyncBatch
from . import sequence
from .base import Actor, current_actor
from .context import AnyPushContext, PushContext, Reason
from .limits import check_push
from .pull import cursor_predates_scope, reload_scope
from .registry import SyncTable, default_json, registry, tables
from .types import Record

__all__ = ["MAX_PUSH_RECORDS", "PushContext", "PushRejected", "push_changes"]

OPERATIONS = ("created", "updated", "deleted")
# A phone pushes a shift's work, a few hundred records; more is a runaway client, refused
# whole before it holds the writers' lock for minutes.
MAX_PUSH_RECORDS = 5_000


class PushRejected(Exception):
    """The push as a whole cannot be applied (bad shape: 400; stale: 409)."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body)
        self.status = status
        self.body = body


def validate_shape(changes: object) -> dict[str, Any]:
    """The changes object as WatermelonDB sends it, or a 400 naming what is wrong."""
    errors: dict[str, list[str]] = {}
    if not isinstance(changes, dict):
        raise PushRejected(400, {"changes": ["Must be an object of tables."]})
    for name, ops in changes.items():
        table = registry.get(name)
        if table is None:
            errors[name] = [f"Unknown table; known tables: {', '.join(sorted(registry))}."]
            continue
        if not isinstance(ops, dict):
            errors[name] = ["Must be an object with created, updated and deleted."]
            continue
        for op in OPERATIONS:
            items = ops.get(op, [])
            if not isinstance(items, list):
                errors[f"{name}.{op}"] = ["Must be a list."]
            elif op == "deleted":
                if not all(isinstance(i, str) for i in items):
                    errors[f"{name}.{op}"] = ["Must be a list of ids."]
            elif not all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in items):
                errors[f"{name}.{op}"] = ["Each record must be an object with a string id."]
    if errors:
        raise PushRejected(400, errors)
    count = sum(len(ops.get(op, [])) for ops in changes.values() for op in OPERATIONS)
    if count > MAX_PUSH_RECORDS:
        raise PushRejected(
            400,
            {
                "changes": [
                    f"Holds {count} records; at most {MAX_PUSH_RECORDS} are taken in one push. "
                    "Push the rest in another."
                ]
            },
        )
    _refuse_non_finite_numbers(changes)
    return changes


def body_hash_of(changes: dict[str, Any]) -> str:
    """The batch's fingerprint, or a 400 for what JSON may hold but no store can keep."""
    try:
        encoded = orjson.dumps(changes, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:
        # orjson: "Integer exceeds 64-bit range" or "Recursion limit reached" (255 levels).
        raise PushRejected(
            400,
            {
                "changes": [
                    f"Cannot be stored: {exc}. Numbers must fit in 64 bits and values nest "
                    "at most 255 levels deep."
                ]
            },
        ) from None
    return hashlib.sha256(encoded).hexdigest()


def _refuse_non_finite_numbers(changes: dict[str, Any]) -> None:
    """A number too large for a double (1e400) reads as infinity, which no column, and no
    jsonb quarantine payload, can hold; phones never send one (JSON.stringify cannot)."""
    errors: dict[str, list[str]] = {}
    for name, ops in changes.items():
        for op in ("created", "updated"):
            for record in ops.get(op, []):
                bad = [column for column, value in record.items() if not _is_finite(value)]
                if bad:
                    errors.setdefault(f"{name}.{op}", []).append(
                        f"Record {record['id'][:64]}: {', '.join(sorted(map(str, bad)))} "
                        "out of range (a number too large to store)."
                    )
    if errors:
        raise PushRejected(400, errors)


def _is_finite(value: object) -> bool:
    """Iterative, so a deeply nested value cannot exhaust the stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def push_changes(*, ctx: AnyPushContext, changes: object) -> tuple[int, bytes]:
    """Applies a push. A phone whose cursor predates its scope epoch (a new team, provider or
    role; see Responder) is still heard: its offline notes and events are real work, checked
    against the current scope like any push, and the pull that tells it to reset its
    database would otherwise erase them. So the app pushes what it holds, then resets. Its
    stale mutable writes cannot be mended by a pull (the reset drops them), so they go to the
    quarantine with code "stale" instead of making the push 409 for ever."""
    changes = validate_shape(changes)
    body_hash = body_hash_of(changes)
    answered = _answer_of_batch(ctx, body_hash)
    if answered is not None:
        return answered
    check_push(ctx, sum(len(ops.get(op, [])) for ops in changes.values() for op in OPERATIONS))
    if ctx.last_pulled_at is not None and ctx.last_pulled_at > sequence.current():
        raise PushRejected(
            400,
            {
                "last_pulled_at": [
                    "Is ahead of the server's sequence: send the timestamp of "
                    "your last pull, not a clock."
                ]
            },
        )
    ctx.quarantined = set(
        QuarantinedRecord.objects.filter(user_id=ctx.user.pk, resolved_at__isnull=True).values_list(
            "table", "record_id"
        )
    )
    token = current_actor.set(Actor(ctx.user.pk, ctx.device.pk if ctx.device else None))
    try:
        with batch_lock(ctx):
            # A retry racing its own first attempt waited for the lock above; once it has
            # it, the first attempt has stored its answer, which is the answer again.
            answered = _answer_of_batch(ctx, body_hash)
            if answered is not None:
                return answered
            with transaction.atomic():
                # As it is now: a scope change committed since the token was read is seen.
                reload_scope(ctx.responder)
                # Before anything is applied: a stale write makes the whole push a 409.
                _refuse_stale_writes(ctx, changes)
            applied = _apply_in_chunks(ctx, changes)
            rejected_ids = {name: list(reasons) for name, reasons in ctx.rejected.items()}
            body = {
                "ok": True,
                "applied": applied,
                "experimentalRejectedIds": rejected_ids,
                "rejected": ctx.rejected,
            }
            answer = orjson.dumps(body, default=default_json)
            if ctx.batch_id:
                SyncBatch.objects.create(
                    user_id=ctx.user.pk,
                    device_id=ctx.device.pk if ctx.device is not None else None,
                    batch_id=ctx.batch_id,
                    body_hash=body_hash,
                    status_code=200,
                    response=body,
                    response_text=answer.decode(),
                    seq=sequence.current(),
                )
    finally:
        current_actor.reset(token)
    return 200, answer


# How long one transaction of a push may run before it commits and the next begins. Every
# writer takes the sync counter's lock until it commits (sequence.py); a push applied in one
# transaction held it for its whole batch (16 s for 5,000 records) while every other phone's
# writes, police-backup requests included, waited. In chunks of this length, another writer
# waits at most one chunk. Each record is still applied once (client ids), in its own
# savepoint, refused alone into the quarantine.
CHUNK_SECONDS = 0.02


class _Chunks:
    """Transactions that commit whenever CHUNK_SECONDS of work have run in them."""

    def __init__(self) -> None:
        self._atomic: transaction.Atomic | None = None
        self._started = 0.0

    def __enter__(self) -> "_Chunks":
        return self

    def record(self) -> None:
        """Before each record: commit the chunk if it has run long enough, open a new one."""
        if self._atomic is not None and time.monotonic() - self._started < CHUNK_SECONDS:
            return
        self.commit()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._started = time.monotonic()

    def commit(self) -> None:
        if self._atomic is not None:
            atomic, self._atomic = self._atomic, None
            atomic.__exit__(None, None, None)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._atomic is not None:
            atomic, self._atomic = self._atomic, None
            atomic.__exit__(exc_type, exc, traceback)


def _apply_in_chunks(ctx: AnyPushContext, changes: dict[str, Any]) -> int:
    applied = 0
    with _Chunks() as chunks:
        for table in tables():
            ops = changes.get(table.name)
            if ops:
                applied += _apply_table(ctx, table, ops, chunks)
    return applied


class batch_lock:
    """Serialises the attempts of one batch id of one user (a retry racing its first
    attempt), not other pushes: a PostgreSQL session advisory lock for the push's length.
    Elsewhere (SQLite) writes are serialised by the database itself."""

    def __init__(self, ctx: AnyPushContext):
        self.key: int | None = None
        if ctx.batch_id and connection.vendor == "postgresql":
            digest = hashlib.sha256(f"{ctx.user.pk}:{ctx.batch_id}".encode()).digest()
            self.key = int.from_bytes(digest[:8], "big", signed=True)

    def __enter__(self) -> "batch_lock":
        if self.key is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [self.key])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.key is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.key])


def _answer_of_batch(ctx: AnyPushContext, body_hash: str) -> tuple[int, bytes] | None:
    """The stored answer to this batch id, if it was pushed before: its very bytes."""
    if not ctx.batch_id:
        return None
    done = SyncBatch.objects.filter(user_id=ctx.user.pk, batch_id=ctx.batch_id).first()
    if done is None:
        return None
    if done.body_hash and done.body_hash != body_hash:
        raise PushRejected(400, {"batch_id": ["Already used for a different batch; use a new id."]})
    return done.status_code, done.response_text.encode() or orjson.dumps(done.response)


def _refuse_stale_writes(ctx: AnyPushContext, changes: dict[str, Any]) -> None:
    stale: dict[str, list[str]] = {}
    for table in tables():
        ops = changes.get(table.name)
        if not ops or not table.mutable:
            continue
        ids = [r["id"] for op in ("created", "updated") for r in ops.get(op, [])]
        if not ids:
            continue
        # Only rows the pusher sees: a conflict on another provider's row would say it exists.
        rows = _in_scope(ctx, table, ids).only(
            "pk", "sync_seq", "changed_by_id", "changed_device_id"
        )
        last = ctx.last_pulled_at if ctx.last_pulled_at is not None else -1
        for row in rows:
            if row.sync_seq > last and not ctx.is_own_write(row):
                stale.setdefault(table.name, []).append(str(row.pk))
    if stale and cursor_predates_scope(ctx.responder, ctx.last_pulled_at):
        ctx.stale_until_reset = {(name, pk) for name, pks in stale.items() for pk in pks}
        return
    if stale:
        raise PushRejected(
            409,
            {
                "detail": "Some records changed on the server since your last pull; "
                "pull, then push again.",
                "code": "stale",
                "conflicts": stale,
            },
        )


def _in_scope(ctx: AnyPushContext, table: SyncTable, ids: list[Any]) -> QuerySet[Any]:
    """The stored rows these ids name, in the pusher's audience only. Queried afresh by the
    stale check and by each table's apply: earlier tables' handlers run in between."""
    valid = [key for key in (_normalised_id(table, raw) for raw in ids) if key is not None]
    return table.model.objects.filter(table.audience(ctx.responder)).filter(pk__in=valid)


def _apply_table(
    ctx: AnyPushContext, table: SyncTable, ops: dict[str, Any], chunks: _Chunks
) -> int:
    applied = 0
    records = [("created", r) for r in ops.get("created", [])]
    records += [("updated", r) for r in ops.get("updated", [])]
    # Within a table, the phone's own order of events (e.g. a note before its addendum).
    records = _dependency_order(records)
    # One query for the rows these ids already name (a known id is an update or a replay),
    # in the pusher's audience only: a row they cannot see is, to them, an unknown id, and
    # handlers' update() receives only rows in scope.
    known = {str(row.pk): row for row in _in_scope(ctx, table, [r["id"] for _, r in records])}
    for op, record in records:
        chunks.record()
        if _apply_one(ctx, table, op, record, known):
            applied += 1
    for record_id in ops.get("deleted", []):
        chunks.record()
        _quarantine(
            ctx,
            table.name,
            record_id,
            "deleted",
            {"id": record_id},
            {
                "detail": "Records are never erased from a phone: void a clinical record with "
                "a reason in the admin, write an addendum, or cancel it.",
                "code": "delete_refused",
            },
        )
    return applied


REFERENCES = ("amends_id", "supersedes_id")


def _dependency_order(records: list[tuple[str, Record]]) -> list[tuple[str, Record]]:
    """Records after the records of the batch they point at (an addendum after its note, a
    correction after what it corrects). The phone's clock only breaks ties (status events
    in the order they happened), never overrides what a record points at."""
    by_id = {r["id"]: r for _, r in records}
    depths = _reference_depths(by_id)
    return sorted(records, key=lambda item: (depths[item[1]["id"]], _phone_time(item)))


def _reference_depths(by_id: dict[str, Record]) -> dict[str, int]:
    """How many records of the batch each one points through, in one pass: each chain is
    walked once, iteratively (a thousand notes each amending the previous is a thousand
    deep), and a loop of references (invalid, refused by the services) is cut where found."""
    depths: dict[str, int] = {}
    for start in by_id:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        base = -1
        while node is not None and node not in depths and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = _batch_target(by_id[node], by_id)
        if node is not None and node in depths:
            base = depths[node]
        for record_id in reversed(path):
            base += 1
            depths[record_id] = base
    return depths


def _batch_target(record: Record, by_id: dict[str, Record]) -> str | None:
    """The id of the record of this batch that `record` points at, if any."""
    for column in REFERENCES:
        target = record.get(column)
        if isinstance(target, str) and target in by_id and target != record["id"]:
            return target
    return None


def _phone_time(item: tuple[str, Record]) -> float:
    record = item[1]
    for column in ("occurred_at", "written_at"):
        value = record.get(column)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return 0.0


def _apply_one(
    ctx: AnyPushContext, table: SyncTable, op: str, record: Record, known: dict[str, Any]
) -> bool:
    if table.push is None:
        _quarantine(
            ctx,
            table.name,
            record["id"],
            op,
            record,
            {"detail": f"The {table.name} table is read-only for phones.", "code": "read_only"},
        )
        return False
    try:
        with transaction.atomic():
            key = _normalised_id(table, record["id"])
            if key is None:
                raise Invalid({"id": ["Not a valid id."]})
            if (table.name, key) in ctx.stale_until_reset:
                raise _Stale(must_reset=True)
            existing = known.get(key)
            if existing is not None and getattr(existing, "voided_at", None) is not None:
                raise _Voided()
            if existing is not None and table.mutable and _changed_meanwhile(ctx, table, key):
                raise _Stale(must_reset=False)
            if existing is None:
                table.push.create(ctx, record)
            else:
                # A record "created" with an id that exists is an update (or a replay).
                table.push.update(ctx, record, existing)
            if (table.name, str(record["id"])) in ctx.quarantined:
                # Refused before (say, `cleared` before the partner's `on_scene` arrived),
                # applied now: the quarantine entry is settled.
                QuarantinedRecord.objects.filter(
                    user_id=ctx.user.pk,
                    table=table.name,
                    record_id=str(record["id"]),
                    resolved_at__isnull=True,
                ).update(resolved_at=timezone.now(), resolution="Applied by a later push.")
        return True
    except DomainError as exc:
        reason = exc.as_body()
    except Http404:
        reason = {"detail": "No such record in your scope.", "code": "not_found"}
    except _Voided:
        reason = {"detail": "The record was voided; this edit was not applied.", "code": "voided"}
    except _Stale as stale:
        then = (
            "this phone must reset before it pulls again"
            if stale.must_reset
            else "pull, then send the edit again"
        )
        reason = {
            "detail": f"Changed on the server since your last pull, and {then}; this edit is "
            "kept here, not applied.",
            "code": "stale",
        }
    except (ValueError, TypeError, DataError) as exc:
        # Values the checks above did not foresee: refused alone, never a 500 for the batch.
        reason = {"detail": f"The record could not be stored: {exc}"[:500], "code": "invalid"}
    _quarantine(ctx, table.name, record["id"], op, record, reason)
    return False


class _Voided(Exception):
    pass


class _Stale(Exception):
    def __init__(self, must_reset: bool):
        super().__init__(must_reset)
        self.must_reset = must_reset


def _changed_meanwhile(ctx: AnyPushContext, table: SyncTable, key: str) -> bool:
    """The push checked for stale writes before it began, but commits in chunks: another
    writer may have changed this row since. Asked again of the row as it is now (locked, so
    the edit below applies to exactly what was checked)."""
    row = (
        table.model.objects.select_for_update(of=("self",))
        .filter(pk=key)
        .only("pk", "sync_seq", "changed_by_id", "changed_device_id")
        .first()
    )
    last = ctx.last_pulled_at if ctx.last_pulled_at is not None else -1
    return row is not None and row.sync_seq > last and not ctx.is_own_write(row)


def _normalised_id(table: SyncTable, record_id: object) -> str | None:
    """The id as the primary key spells it, or None if it cannot be one (refused per record
    by _apply_one; left out of lookups)."""
    try:
        return str(table.model._meta.pk.to_python(record_id))
    except Exception:  # noqa: BLE001 - any malformed id
        return None


def _storable(value: Any) -> Any:
    """JSON the database can keep: PostgreSQL's jsonb refuses NUL characters, and JSON has no
    infinity or NaN (validate_shape refuses them; this keeps any other path safe)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _quarantine(
    ctx: AnyPushContext,
    table_name: str,
    record_id: object,
    op: str,
    payload: Record,
    reason: Reason,
) -> None:
    ctx.rejected.setdefault(table_name, {})[str(record_id)] = reason
    payload, reason = _storable(payload), _storable(reason)
    # A retried push refused again is the same refusal, kept once.
    already = QuarantinedRecord.objects.filter(
        user_id=ctx.user.pk,
        table=table_name,
        record_id=str(record_id)[:64],
        operation=op,
        payload=payload,
        resolved_at__isnull=True,
    ).exists()
    if already:
        return
    QuarantinedRecord.objects.create(
        user_id=ctx.user.pk,
        device_id=ctx.device.pk if ctx.device is not None else None,
        provider_id=getattr(ctx.responder, "provider_id", None),
        batch_id=ctx.batch_id,
        table=table_name,
        record_id=str(record_id)[:64],
        operation=op,
        payload=payload,
        reason=reason,
    )
