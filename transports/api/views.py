"""/api/v1/transports/: the team records a ride (start, arrival, a destination's refusal,
the hand-off); provider staff read them. Each step honours If-Match (the ride's `version`):
a step based on an older version is a 409 `stale`. Examples in examples.py."""

import uuid

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from responders.models import Responder
from umcr.api import request_responder
from umcr.api_docs import WRITE_ERRORS
from umcr.viewsets import ScopedRecordViewSet, record_change

from .. import services
from ..models import Transport
from ..permissions import transport_scope
from . import examples
from .serializers import (
    ArrivedSerializer,
    HandedOffSerializer,
    RefusedSerializer,
    TransportCreateSerializer,
    TransportSerializer,
)


class TransportViewSet(ScopedRecordViewSet):
    model = Transport
    serializer_class = TransportSerializer
    detail_serializer_class = TransportSerializer
    detail_related = ("destination", "team")
    history = "refusals__service"

    def scoped_queryset(self, responder: Responder) -> QuerySet[Transport]:
        return (
            Transport.objects.filter(transport_scope(responder))
            .select_related("destination", "team")
            .prefetch_related("refusals__service")
        )

    @extend_schema(
        summary="Start a transport",
        description="From the scene of a call of a program that transports (409 otherwise), "
        "to a destination of the services directory (crisis stabilization, sobering centre, "
        "urgent care, medical, mental health, shelter), with the client's consent or on a "
        "hold (400 without either). The same `id` again returns the stored ride (200).",
        request=TransportCreateSerializer,
        responses={201: TransportSerializer, 200: TransportSerializer, **WRITE_ERRORS},
        examples=[examples.START],
    )
    def create(self, request: Request) -> Response:
        serializer = TransportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        written = services.start_transport(
            responder=request_responder(request),
            transport_id=data.get("id") or uuid.uuid4(),
            call_id=data["call"],
            destination_id=data["destination"],
            departed_at=data["departed_at"],
            on_hold=data["on_hold"],
            consent_given=data["consent_given"],
            consent_method=data["consent_method"],
        )
        return self.written_response(written)

    @record_change(
        summary="Arrived at the destination",
        request=ArrivedSerializer,
        response=TransportSerializer,
    )
    def arrived(self, request: Request, pk: str) -> Response:
        change = self.change_request(request, pk, ArrivedSerializer)
        transport = services.arrive(
            transport=change.record,
            responder=change.responder,
            arrived_at=change.data["arrived_at"],
            expected_version=change.expected_version,
        )
        return self.changed_response(transport)

    @record_change(
        summary="The destination refused: drive on to another",
        description="Kept with the reason (in `refusals`); the ride continues to "
        "`next_destination`.",
        request=RefusedSerializer,
        response=TransportSerializer,
        examples=[examples.REFUSED],
    )
    def refused(self, request: Request, pk: str) -> Response:
        change = self.change_request(request, pk, RefusedSerializer)
        transport = services.refuse(
            transport=change.record,
            responder=change.responder,
            reason=change.data["reason"],
            next_destination_id=change.data["next_destination"],
            refused_at=change.data["refused_at"],
            refusal_id=change.data.get("id"),
            expected_version=change.expected_version,
        )
        return self.changed_response(transport)

    @record_change(
        summary="Handed the client over",
        description="Names who at the destination took the client over; the ride is done.",
        request=HandedOffSerializer,
        response=TransportSerializer,
        examples=[examples.HANDED_OFF],
    )
    def handed_off(self, request: Request, pk: str) -> Response:
        change = self.change_request(request, pk, HandedOffSerializer)
        transport = services.hand_off(
            transport=change.record,
            responder=change.responder,
            handed_off_at=change.data["handed_off_at"],
            received_by=change.data["received_by"],
            expected_version=change.expected_version,
        )
        return self.changed_response(transport)
