"""The follow-ups API: a case manager's queues, and the moves of a follow-up's lifecycle."""

import uuid

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from responders.models import Responder
from umcr.api import StrictCursorPagination, StrictFilterSet, request_responder
from umcr.api_docs import ERROR_RESPONSES, LIST_ERRORS, WRITE_ERRORS
from umcr.viewsets import ScopedRecordViewSet, record_change

from .. import selectors, services
from ..choices import FollowUpKind, FollowUpStatus
from ..models import FollowUp
from . import examples
from .serializers import (
    AssignSerializer,
    CompleteSerializer,
    FollowUpCreateSerializer,
    FollowUpDetailSerializer,
    FollowUpSerializer,
    NoteOnlySerializer,
    RescheduleSerializer,
)


class FollowUpFilter(StrictFilterSet):
    queue = django_filters.ChoiceFilter(
        choices=[(k, k) for k in selectors.QUEUES],
        method="filter_queue",
        help_text="; ".join(f"{k}: {v}" for k, v in selectors.QUEUES.items()),
    )
    whose = django_filters.ChoiceFilter(
        choices=[("mine", "mine"), ("team", "team"), ("provider", "provider")],
        method="filter_whose",
        help_text="mine (a clinician: my pair's), team, or provider (default).",
    )
    status = django_filters.MultipleChoiceFilter(choices=FollowUpStatus.choices)
    kind = django_filters.ChoiceFilter(choices=FollowUpKind.choices)
    division = django_filters.CharFilter(
        field_name="call__division__code", help_text="Division code, e.g. WIL."
    )
    person = django_filters.UUIDFilter(field_name="person_id")

    class Meta:
        model = FollowUp
        fields = ["queue", "whose", "status", "kind", "division", "person"]

    def filter_queue(self, queryset, name, value):
        return queryset.filter(selectors.queue_filter(value))

    def filter_whose(self, queryset, name, value):
        return queryset.filter(selectors.mine_filter(request_responder(self.request), value))


class DueFirst(StrictCursorPagination):
    ordering = ("due_by", "id")


@extend_schema_view(
    list=extend_schema(
        summary="Follow-ups, by queue",
        description=(
            "The follow-ups you may see (a pair: its own and its calls'; provider staff: "
            "the provider's), soonest due first. Queues: "
            + "; ".join(f"`{k}`: {v}" for k, v in selectors.QUEUES.items())
        ),
        responses={200: FollowUpSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One follow-up, with its history",
        responses={200: FollowUpDetailSerializer, 404: ERROR_RESPONSES[404], **LIST_ERRORS},
    ),
)
@extend_schema(tags=["follow-ups"])
class FollowUpViewSet(ScopedRecordViewSet):
    model = FollowUp
    serializer_class = FollowUpSerializer
    detail_serializer_class = FollowUpDetailSerializer
    detail_related = selectors.FOLLOWUP_RELATED
    history = "changes__changed_by__user"
    filterset_class = FollowUpFilter
    pagination_class = DueFirst

    def scoped_queryset(self, responder: Responder) -> QuerySet[FollowUp]:
        return selectors.followups_for_responder(responder=responder)

    @extend_schema(
        summary="Schedule a follow-up",
        description=(
            "From a call or a person. A clinician's follow-up goes to their pair unless "
            "assigned otherwise; the same `id` again returns the stored one (200)."
        ),
        request=FollowUpCreateSerializer,
        responses={201: FollowUpDetailSerializer, 200: FollowUpDetailSerializer, **WRITE_ERRORS},
        examples=[examples.VISIT_IN_TWO_DAYS],
    )
    def create(self, request: Request) -> Response:
        serializer = FollowUpCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        written = services.create_followup(
            responder=request_responder(request),
            followup_id=data.get("id") or uuid.uuid4(),
            kind=data["kind"],
            not_before=data["not_before"],
            due_by=data["due_by"],
            person_id=data.get("person"),
            call_id=data.get("call"),
            assigned_team_id=data.get("assigned_team"),
            assigned_to_id=data.get("assigned_to"),
            purpose=data["purpose"],
        )
        return self.written_response(written)

    @record_change(
        summary="Complete a follow-up",
        description="Records what happened; `next` schedules the following one in the same step.",
        request=CompleteSerializer,
        response=FollowUpDetailSerializer,
    )
    def complete(self, request: Request, pk: str) -> Response:
        change = self.change_request(request, pk, CompleteSerializer)
        followup = services.complete_followup(
            followup=change.record,
            responder=change.responder,
            expected_version=change.expected_version,
            outcome=change.data["outcome"],
            next_window=change.data.get("next"),
        )
        return self.changed_response(followup)

    @record_change(
        summary="Mark a follow-up missed",
        request=NoteOnlySerializer,
        response=FollowUpDetailSerializer,
    )
    def missed(self, request: Request, pk: str) -> Response:
        change = self.change_request(request, pk, NoteOnlySerializer)
        followup = services.change_followup(
            followup=change.record,
            responder=change.responder,
            expected_version=change.expected_version,
            status=FollowUpStatus.MISSED,
            note=change.data["note"],
        )
        return self.changed_response(followup)

    @record_change(
        summary="Cancel a follow-up",
        request=NoteOnlySerializer,
        response=FollowUpDetailSerializer,
    )
    def cancel(self, request: Request, pk: str) -> Response:
        change = self.change_request(request, pk, NoteOnlySerializer)
        followup = services.change_followup(
            followup=change.record,
            responder=change.responder,
            expected_version=change.expected_version,
            status=FollowUpStatus.CANCELLED,
            note=change.data["note"],
        )
        return self.changed_response(followup)

    @record_change(
        summary="Reschedule a follow-up",
        description="A new window; the old one is kept in the history.",
        request=RescheduleSerializer,
        response=FollowUpDetailSerializer,
    )
    def reschedule(self, request: Request, pk: str) -> Response:
        change = self.change_request(request, pk, RescheduleSerializer)
        followup = services.change_followup(
            followup=change.record,
            responder=change.responder,
            expected_version=change.expected_version,
            not_before=change.data["not_before"],
            due_by=change.data["due_by"],
            note=change.data["note"],
        )
        return self.changed_response(followup)

    @record_change(
        summary="Hand a follow-up to a team or case manager",
        request=AssignSerializer,
        response=FollowUpDetailSerializer,
    )
    def assign(self, request: Request, pk: str) -> Response:
        change = self.change_request(request, pk, AssignSerializer)
        followup = services.reassign_followup(
            followup=change.record,
            responder=change.responder,
            expected_version=change.expected_version,
            team_id=change.data.get("assigned_team"),
            assigned_to_id=change.data.get("assigned_to"),
        )
        return self.changed_response(followup)
