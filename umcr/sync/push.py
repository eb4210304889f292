"""Push: apply a phone's offline changes once, through the apps' own services.

- Valid records are applied in one transaction; each invalid one is refused alone (a
  savepoint), named back in `experimentalRejectedIds` with its reason, and kept with its raw
  payload in the quarantine. Nothing is silently dropped.
- A retry is harmless: records carry the phone's UUIDs (a known id is an update, or a
  replay of what is stored), and a batch id, when sent, returns the first answer verbatim.
- Append-only tables never conflict. A mutable record changed on the server after the
  phone's `last_pulled_at` by anyone but this device makes the whole push a 409, so the
  phone pulls and tries again; nothing of that push is applied.
"""

import hashlib
from dataclasses import dataclass, field

import orjson
from django.db import DataError, transaction
from django.http import Http404
from django.utils import timezone

from ..errors import DomainError, Invalid
from ..models import QuarantinedRecord, SyncBatch
from . import sequence
from .base import Actor, current_actor
from .registry import registry, tables

OPERATIONS = ("created", "updated", "deleted")


class PushRejected(Exception):
    """The push as a whole cannot be applied (bad shape: 400; stale: 409)."""

    def __init__(self, status: int, body: dict):
        super().__init__(body)
        self.status = status
        self.body = body


@dataclass
class PushContext:
    """Who pushes, from where, against which cursor; handlers read it, not the request."""

    user: object
    responder: object
    device: object | None
    last_pulled_at: int | None
    batch_id: str = ""
    rejected: dict = field(default_factory=dict)
    # Lookups handlers repeat within one push (a call for each of its notes).
    cache: dict = field(default_factory=dict)

    def is_own_write(self, row) -> bool:
        """Was the row's last change this device's (or, without a device, this user's)?"""
        if self.device is not None:
            return row.changed_device_id == self.device.pk
        return row.changed_by_id == self.user.pk


def validate_shape(changes) -> dict:
    """The changes object as WatermelonDB sends it, or a 400 naming what is wrong."""
    errors: dict = {}
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
    return changes


def push_changes(*, ctx: PushContext, changes: dict) -> tuple[int, dict]:
    changes = validate_shape(changes)
    body_hash = hashlib.sha256(orjson.dumps(changes, option=orjson.OPT_SORT_KEYS)).hexdigest()
    if ctx.batch_id:
        done = SyncBatch.objects.filter(user=ctx.user, batch_id=ctx.batch_id).first()
        if done is not None:
            if done.body_hash and done.body_hash != body_hash:
                raise PushRejected(
                    400, {"batch_id": ["Already used for a different batch; use a new id."]}
                )
            return done.status_code, done.response
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
    ctx.cache["quarantined"] = set(
        QuarantinedRecord.objects.filter(user=ctx.user, resolved_at__isnull=True).values_list(
            "table", "record_id"
        )
    )
    token = current_actor.set(Actor(ctx.user.pk, ctx.device.pk if ctx.device else None))
    try:
        with transaction.atomic():
            # The counter first: the lock order every writer follows (sequence.py).
            sequence.hold()
            _refuse_stale_writes(ctx, changes)
            applied = 0
            for table in tables():
                ops = changes.get(table.name)
                if ops:
                    applied += _apply_table(ctx, table, ops)
            rejected_ids = {name: list(reasons) for name, reasons in ctx.rejected.items()}
            body = {
                "ok": True,
                "applied": applied,
                "experimentalRejectedIds": rejected_ids,
                "rejected": ctx.rejected,
            }
            if ctx.batch_id:
                SyncBatch.objects.create(
                    user=ctx.user,
                    device=ctx.device,
                    batch_id=ctx.batch_id,
                    body_hash=body_hash,
                    status_code=200,
                    response=body,
                    seq=sequence.current(),
                )
    finally:
        current_actor.reset(token)
    return 200, body


def _refuse_stale_writes(ctx: PushContext, changes: dict) -> None:
    stale: dict[str, list[str]] = {}
    for table in tables():
        ops = changes.get(table.name)
        if not ops or not table.mutable:
            continue
        ids = [r["id"] for op in ("created", "updated") for r in ops.get(op, [])]
        if not ids:
            continue
        rows = table.model.objects.filter(pk__in=_valid_ids(table, ids)).only(
            "pk", "sync_seq", "changed_by_id", "changed_device_id"
        )
        last = ctx.last_pulled_at if ctx.last_pulled_at is not None else -1
        for row in rows:
            if row.sync_seq > last and not ctx.is_own_write(row):
                stale.setdefault(table.name, []).append(str(row.pk))
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


def _valid_ids(table, ids):
    pk_field = table.model._meta.pk
    valid = []
    for raw in ids:
        try:
            valid.append(pk_field.to_python(raw))
        except Exception:  # noqa: BLE001 - a malformed id is refused per record later
            continue
    return valid


def _apply_table(ctx: PushContext, table, ops: dict) -> int:
    applied = 0
    records = [("created", r) for r in ops.get("created", [])]
    records += [("updated", r) for r in ops.get("updated", [])]
    # Within a table, the phone's own order of events (e.g. a note before its addendum).
    records = _dependency_order(records)
    # One query for the rows these ids already name (a known id is an update or a replay).
    wanted = _valid_ids(table, [r["id"] for _, r in records])
    known = {str(row.pk): row for row in table.model.objects.filter(pk__in=wanted)}
    for op, record in records:
        if _apply_one(ctx, table, op, record, known):
            applied += 1
    for record_id in ops.get("deleted", []):
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


def _dependency_order(records: list) -> list:
    """Records after the records of the batch they point at (an addendum after its note, a
    correction after what it corrects). The phone's clock only breaks ties (status events
    in the order they happened), never overrides what a record points at."""
    by_id = {r["id"]: r for _, r in records}

    def depth(record, seen=()) -> int:
        for column in REFERENCES:
            target = record.get(column)
            if isinstance(target, str) and target in by_id and target not in seen:
                return 1 + depth(by_id[target], (*seen, record["id"]))
        return 0

    return sorted(records, key=lambda item: (depth(item[1]), _phone_time(item)))


def _phone_time(item) -> float:
    record = item[1]
    for column in ("occurred_at", "written_at"):
        value = record.get(column)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return 0.0


def _apply_one(ctx: PushContext, table, op: str, record: dict, known: dict) -> bool:
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
            existing = known.get(key)
            if existing is not None and getattr(existing, "voided_at", None) is not None:
                raise _Voided()
            if existing is None:
                table.push.create(ctx, record)
            else:
                # A record "created" with an id that exists is an update (or a replay).
                table.push.update(ctx, record, existing)
            if (table.name, str(record["id"])) in ctx.cache.get("quarantined", ()):
                # Refused before (say, `cleared` before the partner's `on_scene` arrived),
                # applied now: the quarantine entry is settled.
                QuarantinedRecord.objects.filter(
                    user=ctx.user,
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
    except (ValueError, TypeError, DataError) as exc:
        # Values the checks above did not foresee: refused alone, never a 500 for the batch.
        reason = {"detail": f"The record could not be stored: {exc}"[:500], "code": "invalid"}
    _quarantine(ctx, table.name, record["id"], op, record, reason)
    return False


class _Voided(Exception):
    pass


def _normalised_id(table, record_id) -> str | None:
    try:
        return str(table.model._meta.pk.to_python(record_id))
    except Exception:  # noqa: BLE001 - any malformed id
        return None


def _storable(value):
    """JSON the database can keep: PostgreSQL's jsonb refuses NUL characters."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _quarantine(ctx, table_name, record_id, op, payload, reason) -> None:
    ctx.rejected.setdefault(table_name, {})[str(record_id)] = reason
    payload, reason = _storable(payload), _storable(reason)
    # A retried push refused again is the same refusal, kept once.
    already = QuarantinedRecord.objects.filter(
        user=ctx.user,
        table=table_name,
        record_id=str(record_id)[:64],
        operation=op,
        payload=payload,
        resolved_at__isnull=True,
    ).exists()
    if already:
        return
    QuarantinedRecord.objects.create(
        user=ctx.user,
        device=ctx.device,
        provider_id=getattr(ctx.responder, "provider_id", None),
        batch_id=ctx.batch_id,
        table=table_name,
        record_id=str(record_id)[:64],
        operation=op,
        payload=payload,
        reason=reason,
    )
