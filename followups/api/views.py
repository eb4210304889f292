"""The follow-ups API: a case manager's queues, and the moves of a follow-up's lifecycle."""

import uuid

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from umcr.api import (
    UUID_PATTERN,
    IsResponder,
    StrictCursorPagination,
    StrictFilterSet,
    api_field_names,
    request_responder,
)
from umcr.api_docs import ERROR_RESPONSES, LIST_ERRORS, WRITE_ERRORS
from umcr.concurrency import expected_version, if_match_parameter

from .. import selectors, services
from ..choices import FollowUpKind, FollowUpStatus
from ..models import FollowUp
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
class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsResponder]
    filterset_class = FollowUpFilter
    pagination_class = DueFirst
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FollowUp.objects.none()
        qs = selectors.followups_for_responder(responder=request_responder(self.request))
        if self.action == "retrieve":
            qs = qs.prefetch_related("changes__changed_by__user")
        return qs

    def get_serializer_class(self):
        return FollowUpDetailSerializer if self.action == "retrieve" else FollowUpSerializer

    def detail_body(self, followup) -> dict:
        # Not through the scope: a follow-up just handed to another team is still shown
        # to the person who handed it.
        fresh = (
            FollowUp.objects.select_related(*selectors.FOLLOWUP_RELATED)
            .prefetch_related("changes__changed_by__user")
            .get(pk=followup.pk)
        )
        return FollowUpDetailSerializer(fresh).data

    @extend_schema(
        summary="Schedule a follow-up",
        description=(
            "From a call or a person. A clinician's follow-up goes to their pair unless "
            "assigned otherwise; the same `id` again returns the stored one (200)."
        ),
        request=FollowUpCreateSerializer,
        responses={201: FollowUpDetailSerializer, 200: FollowUpDetailSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Visit in two days",
                request_only=True,
                value={
                    "kind": "visit",
                    "call": "0b7e4c1a-2d3f-4e5a-8b9c-1d2e3f4a5b6c",
                    "not_before": "2026-11-25T16:00:00Z",
                    "due_by": "2026-11-27T01:00:00Z",
                    "purpose": "See whether the shelter bed worked out.",
                },
            )
        ],
    )
    def create(self, request):
        serializer = FollowUpCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with api_field_names(person_id="person", call_id="call", assigned_team_id="assigned_team"):
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
        code = status.HTTP_201_CREATED if written.created else status.HTTP_200_OK
        return Response(self.detail_body(written.record), status=code)

    def _move(self, request, pk, serializer_class):
        followup = get_object_or_404(self.get_queryset(), pk=pk)
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return followup, serializer.validated_data

    @extend_schema(
        summary="Complete a follow-up",
        parameters=[if_match_parameter()],
        description="Records what happened; `next` schedules the following one in the same step.",
        request=CompleteSerializer,
        responses={200: FollowUpDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        followup, data = self._move(request, pk, CompleteSerializer)
        followup = services.complete_followup(
            followup=followup,
            responder=request_responder(request),
            expected_version=expected_version(request),
            outcome=data["outcome"],
            next_window=data.get("next"),
        )
        return Response(self.detail_body(followup))

    @extend_schema(
        summary="Mark a follow-up missed",
        parameters=[if_match_parameter()],
        request=NoteOnlySerializer,
        responses={200: FollowUpDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def missed(self, request, pk=None):
        followup, data = self._move(request, pk, NoteOnlySerializer)
        followup = services.change_followup(
            followup=followup,
            responder=request_responder(request),
            expected_version=expected_version(request),
            status=FollowUpStatus.MISSED,
            note=data["note"],
        )
        return Response(self.detail_body(followup))

    @extend_schema(
        summary="Cancel a follow-up",
        parameters=[if_match_parameter()],
        request=NoteOnlySerializer,
        responses={200: FollowUpDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        followup, data = self._move(request, pk, NoteOnlySerializer)
        followup = services.change_followup(
            followup=followup,
            responder=request_responder(request),
            expected_version=expected_version(request),
            status=FollowUpStatus.CANCELLED,
            note=data["note"],
        )
        return Response(self.detail_body(followup))

    @extend_schema(
        summary="Reschedule a follow-up",
        parameters=[if_match_parameter()],
        description="A new window; the old one is kept in the history.",
        request=RescheduleSerializer,
        responses={200: FollowUpDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        followup, data = self._move(request, pk, RescheduleSerializer)
        followup = services.change_followup(
            followup=followup,
            responder=request_responder(request),
            expected_version=expected_version(request),
            not_before=data["not_before"],
            due_by=data["due_by"],
            note=data["note"],
        )
        return Response(self.detail_body(followup))

    @extend_schema(
        summary="Hand a follow-up to a team or case manager",
        parameters=[if_match_parameter()],
        request=AssignSerializer,
        responses={200: FollowUpDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        followup, data = self._move(request, pk, AssignSerializer)
        followup = services.reassign_followup(
            followup=followup,
            responder=request_responder(request),
            expected_version=expected_version(request),
            team_id=data.get("assigned_team"),
            assigned_to_id=data.get("assigned_to"),
        )
        return Response(self.detail_body(followup))
