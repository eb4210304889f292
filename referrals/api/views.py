"""The services directory and referrals: closed-loop, every move kept."""

import uuid

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from responders.models import Responder
from umcr.api import (
    IsResponder,
    StrictCursorPagination,
    StrictFilterSet,
    query_bool,
    query_choice,
    query_text,
    request_responder,
    strict_boolean_filter,
)
from umcr.api_docs import ERROR_RESPONSES, LIST_ERRORS, WRITE_ERRORS
from umcr.viewsets import ScopedRecordViewSet, record_change

from .. import selectors, services
from ..choices import ReferralStatus, ServiceCategory
from ..models import CLOSED_REFERRAL_STATUSES, Referral, Service
from . import examples
from .serializers import (
    ReferralCreateSerializer,
    ReferralDetailSerializer,
    ReferralMoveSerializer,
    ReferralSerializer,
    ServiceSerializer,
)


@extend_schema(tags=["services directory"])
class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsResponder]
    # The directory is the same for every responder: no scope, so nothing that needs one.
    queryset = Service.objects.filter(is_active=True).prefetch_related("divisions_served")
    serializer_class = ServiceSerializer
    pagination_class = None

    @extend_schema(
        summary="Search the services directory",
        description="Housing, treatment, rehab, shelter and more, by text, category, division, "
        "open now and accepting clients.",
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Words in name, organization, description or eligibility.",
            ),
            OpenApiParameter("category", OpenApiTypes.STR, enum=ServiceCategory.values),
            OpenApiParameter(
                "division", OpenApiTypes.STR, description="Division code served, e.g. WIL."
            ),
            OpenApiParameter("open_now", OpenApiTypes.BOOL),
            OpenApiParameter("accepting", OpenApiTypes.BOOL, description="Accepting clients."),
        ],
        responses={200: ServiceSerializer(many=True), **LIST_ERRORS},
    )
    def list(self, request):
        qs = selectors.directory(
            # A long search is cut, not refused (a pasted paragraph still finds something).
            text=query_text(request, "q", 4000)[:200],
            category=query_choice(request, "category", ServiceCategory.values) or "",
            division=query_text(request, "division", 8),
        )
        accepting = query_bool(request, "accepting")
        if accepting is not None:
            qs = qs.filter(is_accepting_clients=accepting)
        services_ = list(qs)
        open_now = query_bool(request, "open_now")
        if open_now is not None:
            # Opening hours are a small JSON per service; the directory is small.
            services_ = [s for s in services_ if selectors.is_open_now(s) == open_now]
        return Response(ServiceSerializer(services_, many=True).data)

    @extend_schema(
        summary="One service",
        responses={200: ServiceSerializer, 404: ERROR_RESPONSES[404], **LIST_ERRORS},
    )
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk=pk)


class ReferralFilter(StrictFilterSet):
    queue = django_filters.ChoiceFilter(
        choices=[("stale", "stale"), ("open", "open")],
        method="filter_queue",
        help_text=f"stale: open with no change for {selectors.STALE_AFTER.days} days; "
        "open: not yet closed.",
    )
    status = django_filters.MultipleChoiceFilter(choices=ReferralStatus.choices)
    category = django_filters.ChoiceFilter(
        field_name="service__category", choices=ServiceCategory.choices
    )
    person = django_filters.UUIDFilter(field_name="person_id")
    mine = strict_boolean_filter(
        method="filter_mine",
        help_text="true: assigned to me.",
    )

    class Meta:
        model = Referral
        fields = ["queue", "status", "category", "person", "mine"]

    def filter_queue(self, queryset, name, value):
        if value == "stale":
            return queryset.filter(selectors.stale_filter())
        return queryset.exclude(status__in=CLOSED_REFERRAL_STATUSES)

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_mine(self, queryset, name, value):
        responder = request_responder(self.request)
        return queryset.filter(assigned_to=responder) if value else queryset


class OldestChangeFirst(StrictCursorPagination):
    ordering = ("status_changed_at", "id")


@extend_schema_view(
    list=extend_schema(
        summary="Referrals, with the stale queue",
        description="Oldest change first. A referral with no change for 14 days is "
        "`is_stale` and carries a `suggested_followup`.",
        responses={200: ReferralSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One referral, with its history",
        responses={200: ReferralDetailSerializer, 404: ERROR_RESPONSES[404], **LIST_ERRORS},
    ),
)
@extend_schema(tags=["referrals"])
class ReferralViewSet(ScopedRecordViewSet):
    model = Referral
    serializer_class = ReferralSerializer
    detail_serializer_class = ReferralDetailSerializer
    detail_related = selectors.REFERRAL_RELATED
    history = "history__changed_by__user"
    filterset_class = ReferralFilter
    pagination_class = OldestChangeFirst

    def scoped_queryset(self, responder: Responder) -> QuerySet[Referral]:
        return selectors.referrals_for_responder(responder=responder)

    @extend_schema(
        summary="Refer someone to a service",
        description="From a call or a person, with the person's consent recorded (no consent: "
        "400). The same `id` again returns the stored referral (200).",
        request=ReferralCreateSerializer,
        responses={201: ReferralDetailSerializer, 200: ReferralDetailSerializer, **WRITE_ERRORS},
        examples=[examples.SHELTER_BED],
    )
    def create(self, request: Request) -> Response:
        serializer = ReferralCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        written = services.create_referral(
            responder=request_responder(request),
            referral_id=data.get("id") or uuid.uuid4(),
            service_id=data["service"],
            consent_given=data["consent_given"],
            consent_method=data["consent_method"],
            person_id=data.get("person"),
            call_id=data.get("call"),
            notes=data["notes"],
            assigned_to_id=data.get("assigned_to"),
        )
        return self.written_response(written)

    @record_change(
        summary="Move a referral along its loop",
        description="proposed → sent → accepted → enrolled → completed, or declined, no_show, "
        "unreachable, withdrawn. Illegal moves and moves of a closed referral are 409.",
        request=ReferralMoveSerializer,
        response=ReferralDetailSerializer,
        examples=[examples.ACCEPTED],
    )
    def status(self, request: Request, pk: str) -> Response:
        change = self.change_request(request, pk, ReferralMoveSerializer)
        referral = services.move_referral(
            referral=change.record,
            responder=change.responder,
            expected_version=change.expected_version,
            to_status=change.data["status"],
            note=change.data["note"],
        )
        return self.changed_response(referral)
