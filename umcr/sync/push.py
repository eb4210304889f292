"""Push: apply a phone's offline changes once, through the apps' own services.

- Valid records are applied in short transactions (a slice of a table each: SLICE_RECORDS),
  so no phone's batch holds the writers' lock for long; each invalid one is refused alone
  (a savepoint), named back in `experimentalRejectedIds` with its reason, and kept with its
  raw payload in the quarantine. Nothing is silently dropped.
- Each record is read by its REST endpoint's serializer (parsing.py); what a slice's records
  need (their stored rows, their calls) is found, locked and checked once for the slice,
  and the services write on the rows they are given (_apply_slice).
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
from contextlib import nullcontext
from typing import Any

import orjson
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ..errors import DomainError, IdTaken, Invalid
from ..models import QuarantinedRecord, SyncBatch
from . import sequence
from .base import Actor, current_actor
from .context import AnyPushContext, Held, PushContext, Reason
from .limits import check_push
from .packed import json_default
from .pull import cursor_predates_scope, reload_scope
from .registry import SyncTable, registry, tables
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
    ctx.changes = changes
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
            applied = _apply_all(ctx, changes)
            rejected_ids = {name: list(reasons) for name, reasons in ctx.rejected.items()}
            body = {
                "ok": True,
                "applied": applied,
                "experimentalRejectedIds": rejected_ids,
                "rejected": ctx.rejected,
            }
            answer = orjson.dumps(body, default=json_default)
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


# How many records of a table one transaction of a push applies (its slice). Every writer
# takes the sync counter's lock until it commits (sequence.py); a push applied in one
# transaction held it for its whole batch (16 s for 5,000 records) while every other phone's
# writes, police-backup requests included, waited. In slices, another writer waits at most
# one slice. A handler that writes its slice at once (notes: one INSERT) takes larger ones
# (its `slice_size`). Counted in records, not in time: a push's queries then depend on the
# code and the batch, never on the clock (tests/test_write_budgets.py counts them).
SLICE_RECORDS = 50


def _apply_all(ctx: AnyPushContext, changes: dict[str, Any]) -> int:
    applied = 0
    for table in tables(pushed=True):
        ops = changes.get(table.name)
        if ops:
            applied += _apply_table(ctx, table, ops)
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
    for table in tables(pushed=True):
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
    """The stored rows these ids name, in the pusher's audience only (the stale check, before
    anything is applied; each slice then looks its ids up again: _stored_rows)."""
    valid = [key for key in (_normalised_id(table, raw) for raw in ids) if key is not None]
    return table.model._default_manager.filter(table.audience(ctx.responder)).filter(pk__in=valid)


def _apply_table(ctx: AnyPushContext, table: SyncTable, ops: dict[str, Any]) -> int:
    applied = 0
    records = [("created", r) for r in ops.get("created", [])]
    records += [("updated", r) for r in ops.get("updated", [])]
    # Within a table, the phone's own order of events (e.g. a note before its addendum).
    records = _dependency_order(records)
    size = getattr(table.push, "slice_size", SLICE_RECORDS)
    for start in range(0, len(records), size):
        applied += _apply_slice(ctx, table, records[start : start + size])
    deleted = ops.get("deleted", [])
    if deleted:
        with transaction.atomic():
            for record_id in deleted:
                _quarantine(
                    ctx,
                    table.name,
                    record_id,
                    "deleted",
                    {"id": record_id},
                    {
                        "detail": "Records are never erased from a phone: void a clinical "
                        "record with a reason in the admin, write an addendum, or cancel it.",
                        "code": "delete_refused",
                    },
                )
    return applied


def _apply_slice(ctx: AnyPushContext, table: SyncTable, records: list[tuple[str, Record]]) -> int:
    """One transaction: the slice's records applied, each refused alone.

    A handler (registry.PushHandler) may add, each found by name and optional:
    - `prepare(ctx, records)`: before the transaction, work that needs no row (parsing);
    - `begin(ctx, records)`: in it, after the sync counter is held, find, lock and check
      once what the slice's records need (their calls), keeping it in `ctx.held`;
    - `queues_writes = True`: create() and update() write nothing (no savepoint each), they
      queue what `flush(ctx)` then writes at once, returning the records it refused, each
      with why.
    The rows the records' ids already name are looked up here, once for the slice (and
    locked when the table is mutable, so the stale check and the edit see the same row)."""
    ctx.held = Held()
    handler = table.push
    if handler is None:
        with transaction.atomic():
            for op, record in records:
                _quarantine(
                    ctx,
                    table.name,
                    record["id"],
                    op,
                    record,
                    {
                        "detail": f"The {table.name} table is read-only for phones.",
                        "code": "read_only",
                    },
                )
        return 0
    prepare = getattr(handler, "prepare", None)
    if prepare is not None:
        prepare(ctx, [record for _, record in records])
    queues = bool(getattr(handler, "queues_writes", False))
    done: list[Record] = []
    with transaction.atomic():
        # The counter first, then row locks: the order every writer follows (sequence.py).
        # Held, it also means no other writer stores a row until this slice commits: what
        # the lookups below find is what there is.
        sequence.hold()
        known, taken = _stored_rows(ctx, table, [record["id"] for _, record in records])
        begin = getattr(handler, "begin", None)
        if begin is not None:
            begin(ctx, [record for _, record in records])
        for op, record in records:
            if _apply_one(ctx, table, op, record, known, taken, savepoint=not queues):
                done.append(record)
        flush = getattr(handler, "flush", None)
        # The records the flush refused, themselves (one id may be sent twice in a push).
        refused: list[tuple[Record, Reason]] = flush(ctx) if flush is not None else []
        ops = {id(record): op for op, record in records}
        for record, reason in refused:
            _quarantine(ctx, table.name, record["id"], ops[id(record)], record, reason)
        unapplied = {id(record) for record, _ in refused}
        applied = [str(record["id"]) for record in done if id(record) not in unapplied]
        settled = [i for i in applied if (table.name, i) in ctx.quarantined]
        if settled:
            # Refused before (say, `cleared` before the partner's `on_scene` arrived),
            # applied now: the quarantine entries are settled.
            QuarantinedRecord.objects.filter(
                user_id=ctx.user.pk,
                table=table.name,
                record_id__in=settled,
                resolved_at__isnull=True,
            ).update(resolved_at=timezone.now(), resolution="Applied by a later push.")
    return len(applied)


def _stored_rows(
    ctx: AnyPushContext, table: SyncTable, ids: list[Any]
) -> tuple[dict[str, Any], set[str]]:
    """The stored rows these ids name that the pusher sees (a known id is an update, or a
    replay), by id, and the ids stored but out of their sight (taken: to them an unknown
    id they may not use, which says nothing of what it names). One query when every id is
    new, as a phone's new records are; a second for what is seen, locked when the table is
    mutable (in id order), so the edit applies to exactly the row checked."""
    valid = {key for key in (_normalised_id(table, raw) for raw in ids) if key is not None}
    if not valid or not table.pulled:
        return {}, set()  # a push-only table's ids are the phone's, naming no row
    rows = table.model._default_manager.filter(pk__in=valid).order_by().values_list("pk", flat=True)
    stored = {str(pk) for pk in rows}
    if not stored:
        return {}, set()
    seen = table.model._default_manager.filter(table.audience(ctx.responder)).filter(pk__in=stored)
    if table.mutable:
        seen = seen.select_for_update(of=("self",)).order_by("pk")
    known = {str(row.pk): row for row in seen}
    return known, stored - set(known)


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
    ctx: AnyPushContext,
    table: SyncTable,
    op: str,
    record: Record,
    known: dict[str, Any],
    taken: set[str],
    *,
    savepoint: bool,
) -> bool:
    """The record applied (or queued by its handler) in a savepoint of its own, or refused
    into the quarantine: True if it was."""
    handler = table.push
    assert handler is not None  # read-only tables are refused whole by _apply_slice
    try:
        with transaction.atomic() if savepoint else nullcontext():
            key = _normalised_id(table, record["id"])
            if key is None:
                raise Invalid({"id": ["Not a valid id."]})
            if key in taken:
                raise IdTaken()
            if (table.name, key) in ctx.stale_until_reset:
                raise _Stale(must_reset=True)
            existing = known.get(key)
            if existing is not None and getattr(existing, "voided_at", None) is not None:
                raise _Voided()
            if existing is not None and table.mutable and _changed_since_pull(ctx, existing):
                # The push checked for stale writes before it began, but commits in slices:
                # another writer may have changed the row since. Asked of the locked row.
                raise _Stale(must_reset=False)
            if existing is None:
                handler.create(ctx, record)
            else:
                # A record "created" with an id that exists is an update (or a replay).
                handler.update(ctx, record, existing)
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
    except (ValueError, TypeError, DataError, IntegrityError) as exc:
        # Values the checks above did not foresee: refused alone, never a 500 for the batch.
        reason = {"detail": f"The record could not be stored: {exc}"[:500], "code": "invalid"}
    refused = getattr(handler, "refused", None)
    if refused is not None:
        refused(ctx, record)
    _quarantine(ctx, table.name, record["id"], op, record, reason)
    return False


class _Voided(Exception):
    pass


class _Stale(Exception):
    def __init__(self, must_reset: bool):
        super().__init__(must_reset)
        self.must_reset = must_reset


def _changed_since_pull(ctx: AnyPushContext, row: Any) -> bool:
    last = ctx.last_pulled_at if ctx.last_pulled_at is not None else -1
    return bool(row.sync_seq > last) and not ctx.is_own_write(row)


def _normalised_id(table: SyncTable, record_id: object) -> str | None:
    """The id as the primary key spells it, or None if it cannot be one (refused per record
    by _apply_one; left out of lookups). A push-only table's ids are the phone's own."""
    if not table.pulled:
        return record_id[:64] if isinstance(record_id, str) and record_id else None
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
