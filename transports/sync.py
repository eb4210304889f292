"""The transports app's synced tables: transports (mutable: a stale write is a 409 for the
phone) and the destinations' refusals on the way (append-only). Both follow their call in
and out of the phones' window, like the call's own records (calls/sync.py).

A pushed record goes through transports.services, read by the REST endpoints' serializers
(umcr.sync.parsing): a new ride by TransportCreateSerializer, an arrival by
ArrivedSerializer, a hand-off by HandedOffSerializer, a refusal by RefusedSerializer; a bad
record names the same fields both ways.

WatermelonDB sends a record once, as it stands: a ride started, refused on the way, driven
on, arrived and handed off offline comes as one created transport (at its last destination,
handed off) and its refusals in their own table. So a transport's record is applied as the
steps that lead to it, in the order they happened: the start (at the first refused
destination, if any), each refusal of the push on this ride (by `refused_at`), the arrival,
the hand-off. Each step already taken is skipped, so a replay changes nothing; the
refusals' own table then finds them stored (replays).
"""

import uuid
from typing import Any

from django.db.models import Q
from rest_framework import serializers

from calls.sync import call_records_window, open_call_records_first, unchanged_or_refuse
from responders.models import Device, Responder
from umcr.errors import Conflict, Invalid
from umcr.sync.context import PushContext
from umcr.sync.parsing import RecordParser
from umcr.sync.registry import SyncTable, register
from umcr.sync.types import Record

from . import permissions, services
from .api.serializers import (
    ArrivedSerializer,
    HandedOffSerializer,
    RefusedSerializer,
    TransportCreateSerializer,
)
from .choices import TransportStatus
from .models import DestinationRefusal, Transport

Context = PushContext[Responder, Device]

TRANSPORTS = "transports"
REFUSALS = "destination_refusals"
# The schema version that brought both tables (umcr/sync/registry.py).
SINCE_VERSION = 3
# Where each status stands in a ride: a record may only move a ride forward.
ORDER: dict[str, int] = {
    TransportStatus.UNDER_WAY: 0,
    TransportStatus.ARRIVED: 1,
    TransportStatus.HANDED_OFF: 2,
}
# The columns set when the ride started; a later record may not change them.
START_COLUMNS = ("on_hold", "consent_given", "consent_method")


def transports_audience(responder: Responder) -> Q:
    return permissions.transport_scope(responder)


def refusals_audience(responder: Responder) -> Q:
    return permissions.refusal_scope(responder)


def _refusal_parser() -> RecordParser:
    # A refusal names its ride in a column (`transport_id`); REST takes it from the URL.
    return RecordParser(RefusedSerializer, extra={"transport": serializers.UUIDField()})


def _destination_id(record: Record) -> int | None:
    """The refused destination a phone names (`destination_id`), if it is a number."""
    value = record.get("destination_id")
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


class TransportPush:
    """A ride as the phone has it now, applied as the steps that lead to it."""

    def prepare(self, ctx: Context, records: list[Record]) -> None:
        """The push's refusals, parsed once, by the ride they are on, in the order they
        happened; those that do not parse are left to their own table (quarantined there,
        naming the fields)."""
        parser = _refusal_parser()
        by_ride: dict[uuid.UUID, list[tuple[dict[str, Any], int | None]]] = {}
        section = ctx.changes.get(REFUSALS) or {}
        for op in ("created", "updated"):
            for record in section.get(op, []):
                try:
                    data = parser.parse(record)
                except Invalid:
                    continue
                by_ride.setdefault(data["transport"], []).append((data, _destination_id(record)))
        for refusals in by_ride.values():
            refusals.sort(key=lambda item: item[0]["refused_at"])
        ctx.held.put("refusals", by_ride)

    def _refusals(self, ctx: Context, ride: uuid.UUID) -> list[tuple[dict[str, Any], int | None]]:
        return list(ctx.held.get("refusals", {}).get(ride, []))

    def create(self, ctx: Context, record: Record) -> None:
        data = RecordParser(TransportCreateSerializer).parse(record)
        refusals = self._refusals(ctx, data["id"])
        first = refusals[0][1] if refusals else None
        written = services.start_transport(
            responder=ctx.responder,
            transport_id=data["id"],
            call_id=data["call"],
            # A ride refused on the way set out for the first destination that refused.
            destination_id=first if first is not None else data["destination"],
            departed_at=data["departed_at"],
            on_hold=data["on_hold"],
            consent_given=data["consent_given"],
            consent_method=data["consent_method"],
        )
        transport = written.record
        assert isinstance(transport, Transport)
        self._steps(ctx, record, transport, refusals)

    def update(self, ctx: Context, record: Record, existing: Transport) -> None:
        # `existing` is in the pusher's scope and locked: the engine looked it up so.
        changed = [
            column
            for column in START_COLUMNS
            if column in record and record[column] != getattr(existing, column)
        ]
        if changed:
            raise Conflict(
                f"{', '.join(changed)} are set when the ride starts and cannot change.",
                code="start_fixed",
            )
        self._steps(ctx, record, existing, self._refusals(ctx, existing.pk))

    def _steps(
        self,
        ctx: Context,
        record: Record,
        transport: Transport,
        refusals: list[tuple[dict[str, Any], int | None]],
    ) -> None:
        """The refusals of the push on this ride, then the arrival and the hand-off the
        record shows and the ride has not had yet."""
        for refusal, refused in refusals:
            transport = services.refuse(
                transport=transport,
                responder=ctx.responder,
                reason=refusal["reason"],
                next_destination_id=refusal["next_destination"],
                refused_at=refusal["refused_at"],
                refusal_id=refusal["id"],
                refused_destination_id=refused,
            )
        status = record.get("status", transport.status)
        if status not in ORDER:
            raise Invalid(
                {"status": [f"Not one of {', '.join(ORDER)} (a phone's step of a ride)."]}
            )
        if ORDER[status] < ORDER.get(transport.status, len(ORDER)):
            raise Conflict(
                f"The ride is {transport.status}; a record cannot take it back to {status}.",
                code="step_back",
            )
        destination = _column_int(record, "destination_id")
        if destination is not None and destination != transport.destination_id:
            raise Invalid(
                {"destination": ["A ride changes destination only by a refusal on the way."]}
            )
        if ORDER[status] >= ORDER[TransportStatus.ARRIVED] and (
            transport.status == TransportStatus.UNDER_WAY
        ):
            arrival = RecordParser(ArrivedSerializer).parse(_only(record, "arrived_at"))
            transport = services.arrive(
                transport=transport, responder=ctx.responder, arrived_at=arrival["arrived_at"]
            )
        if status == TransportStatus.HANDED_OFF and transport.status == TransportStatus.ARRIVED:
            handed = RecordParser(HandedOffSerializer).parse(
                _only(record, "handed_off_at", "received_by")
            )
            services.hand_off(
                transport=transport,
                responder=ctx.responder,
                handed_off_at=handed["handed_off_at"],
                received_by=handed["received_by"],
            )


def _only(record: Record, *columns: str) -> Record:
    return {column: record.get(column) for column in columns}


def _column_int(record: Record, column: str) -> int | None:
    value = record.get(column)
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        raise Invalid({column.removesuffix("_id"): ["A valid integer is required."]}) from None


class RefusalPush:
    """A destination's refusal recorded on the phone: applied through services.refuse, unless
    its ride's record in the same push applied it already (then it is a replay)."""

    def create(self, ctx: Context, record: Record) -> None:
        data = _refusal_parser().parse(record)
        transport = Transport.objects.filter(
            permissions.transport_scope(ctx.responder), pk=data["transport"]
        ).first()
        if transport is None:
            raise Invalid({"transport": ["No such transport in your scope."]})
        services.refuse(
            transport=transport,
            responder=ctx.responder,
            reason=data["reason"],
            next_destination_id=data["next_destination"],
            refused_at=data["refused_at"],
            refusal_id=data["id"],
            refused_destination_id=_destination_id(record),
        )

    def update(self, ctx: Context, record: Record, existing: DestinationRefusal) -> None:
        data = _refusal_parser().parse(record)
        unchanged_or_refuse(existing, "Destination refusals", reason=data["reason"])


register(
    SyncTable(
        name=TRANSPORTS,
        model=Transport,
        columns=[
            "id",
            "call_id",
            "person_id",
            "team_id",
            "destination_id",
            "on_hold",
            "consent_given",
            "consent_method",
            "status",
            "departed_at",
            "arrived_at",
            "handed_off_at",
            "received_by",
            "driven_by_id",
            "updated_at",
        ],
        audience=transports_audience,
        window=call_records_window,
        first_page=open_call_records_first,
        push=TransportPush(),
        mutable=True,
        # After the call's events (a ride starts from the scene).
        push_order=80,
        since_version=SINCE_VERSION,
    )
)
register(
    SyncTable(
        name=REFUSALS,
        model=DestinationRefusal,
        columns=[
            "id",
            "transport_id",
            "call_id",
            "destination_id",
            "next_destination_id",
            "reason",
            "refused_at",
            "recorded_at",
        ],
        # The REST name of the destination that refused; the server's receipt time.
        renames={"destination_id": "service_id", "recorded_at": "created_at"},
        audience=refusals_audience,
        window=call_records_window,
        first_page=open_call_records_first,
        push=RefusalPush(),
        # After the rides: a ride's record applies the refusals of its push itself.
        push_order=85,
        since_version=SINCE_VERSION,
    )
)
