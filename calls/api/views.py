"""The field API: a team's calls, one call in full, and the records a pair writes on it.

Views are thin: parse with a serializer, call one selector or service, serialize. Scope
comes from the selectors (outside it: 404); the rules (409, 403) from the services.
"""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from umcr.api import (
    BoundedIsoDateTimeFilter,
    IsResponder,
    StrictFilterSet,
    request_responder,
    strict_boolean_filter,
)
from umcr.api_docs import ERROR_RESPONSES, READ_ERRORS, WRITE_ERRORS
from umcr.outbox import delivery_states
from umcr.viewsets import ResponderScopedMixin

from .. import alerts, children, permissions, selectors, services
from ..choices import BackupStatus, CallStatus
from ..models import BackupRequest, Call, Person, ProgramMove
from ..permissions import people_scope
from . import examples
from .pagination import CallQueuePagination
from .serializers import (
    BackupInputSerializer,
    BackupRequestSerializer,
    BackupStatusInputSerializer,
    CallDetailSerializer,
    CallListItemSerializer,
    CallStateSerializer,
    DeskBackupRequestSerializer,
    EventInputSerializer,
    EventWrittenSerializer,
    NoteInputSerializer,
    NoteSerializer,
    OutcomeInputSerializer,
    OutcomeSerializer,
    PersonDetailSerializer,
    StatusEventSerializer,
)


class CallFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(
        choices=[("open", "open"), ("closed", "closed")],
        method="filter_state",
        help_text="open: not yet cleared or cancelled; closed: cleared or cancelled.",
    )
    status = django_filters.MultipleChoiceFilter(choices=CallStatus.choices)
    received_after = BoundedIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = BoundedIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Call
        fields = ["state", "status", "received_after", "received_before"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(selectors.open_filter(value == "open"))


class CallListView(ResponderScopedMixin, generics.ListAPIView):
    permission_classes = [IsResponder]
    serializer_class = CallListItemSerializer
    pagination_class = CallQueuePagination
    filterset_class = CallFilter
    model = Call

    def scoped_queryset(self, responder):
        return selectors.call_list(responder=responder)

    @extend_schema(
        operation_id="calls_list",
        summary="List my calls",
        description=(
            "Clinicians see their team's calls; supervisors and case managers their "
            "provider's; the desk all. Open calls come first, by priority then oldest; then "
            "closed calls, newest first. Supports `ETag`/`If-None-Match` (304)."
        ),
        responses={
            200: CallListItemSerializer(many=True),
            400: ERROR_RESPONSES[400],
            **READ_ERRORS,
        },
        tags=["calls"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CallDetailView(ResponderScopedMixin, generics.RetrieveAPIView):
    permission_classes = [IsResponder]
    serializer_class = CallDetailSerializer
    lookup_url_kwarg = "call_id"
    model = Call

    def scoped_queryset(self, responder):
        # The program history in one query more, whatever its length.
        moves = ProgramMove.objects.select_related("from_program", "to_program", "moved_by")
        return selectors.call_detail(responder=responder).prefetch_related(
            Prefetch("program_moves", queryset=moves)
        )

    @extend_schema(
        operation_id="calls_retrieve",
        summary="One call, in full",
        description=(
            "The narrative, caller's account, location, the person served and prior contacts "
            "(earlier calls at the address or with the person, their outcomes and backup "
            "requests), the timeline, notes with addenda, outcome, backup requests, follow-ups "
            "and referrals. Each read is written to the access log."
        ),
        responses={200: CallDetailSerializer, 404: ERROR_RESPONSES[404], **READ_ERRORS},
        tags=["calls"],
    )
    def get(self, request, *args, **kwargs):
        call = self.get_object()
        context = {
            "prior_contacts": selectors.prior_contacts(call=call),
            "withheld": permissions.withheld(request_responder(request)),
        }
        body = CallDetailSerializer(call, context=context).data
        return Response(body)


class CallWriteView(APIView):
    """Base of the endpoints that write on one call: finds it within the caller's scope, or
    the wider scope the policy gives writers of `resource` (calls.permissions.write_scope)."""

    permission_classes = [IsResponder]
    # The matrix resource the endpoint writes, when its writers reach more than they see.
    resource: str | None = None

    def get_call(self) -> Call:
        responder = request_responder(self.request)
        if self.resource is None:
            scoped = selectors.calls_for_responder(responder=responder)
        else:
            scoped = Call.objects.filter(permissions.write_scope(responder, self.resource))
        return get_object_or_404(scoped, pk=self.kwargs["call_id"])

    def parse(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @staticmethod
    def written_status(written) -> int:
        return status.HTTP_201_CREATED if written.created else status.HTTP_200_OK


class CallEventsView(CallWriteView):
    @extend_schema(
        operation_id="calls_events_create",
        summary="Report a status change",
        description=(
            "Appends a status event (acknowledged, en_route, on_scene, transporting, cleared; "
            "the desk's dispatched and cancelled). The call's status and timestamps are "
            "derived from its events ordered by `occurred_at`. A timeline that cannot have "
            "happened is a 409 saying why (cleared before on scene unless gone on arrival, "
            "cleared without an outcome, anything after cleared). The same `id` again "
            "returns the stored event with 200."
        ),
        request=EventInputSerializer,
        responses={
            201: EventWrittenSerializer,
            200: OpenApiResponse(EventWrittenSerializer, description="Already recorded."),
            **WRITE_ERRORS,
        },
        examples=[examples.STATUS_EVENT_ON_SCENE],
        tags=["calls"],
    )
    def post(self, request, call_id):
        call = self.get_call()
        data = self.parse(EventInputSerializer)
        written = services.record_status_event(
            call=call,
            responder=request_responder(request),
            device=getattr(request.auth, "device", None),
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            event_id=data["id"],
        )
        call.refresh_from_db()
        body = {
            "event": StatusEventSerializer(written.record).data,
            "call": CallStateSerializer(call).data,
        }
        return Response(body, status=self.written_status(written))


class CallNotesView(CallWriteView):
    @extend_schema(
        operation_id="calls_notes_create",
        summary="Write an on-scene note",
        description=(
            "Append-only. To correct a note, write an addendum with `amends` set to it. "
            "The same `id` again returns the stored note with 200."
        ),
        request=NoteInputSerializer,
        responses={201: NoteSerializer, 200: NoteSerializer, **WRITE_ERRORS},
        examples=[examples.NOTE],
        tags=["calls"],
    )
    def post(self, request, call_id):
        call = self.get_call()
        data = self.parse(NoteInputSerializer)
        written = services.add_note(
            call=call,
            responder=request_responder(request),
            device=getattr(request.auth, "device", None),
            body=data["body"],
            written_at=data["written_at"],
            note_id=data["id"],
            amends=data.get("amends"),
        )
        return Response(NoteSerializer(written.record).data, status=self.written_status(written))


class CallOutcomeView(CallWriteView):
    @extend_schema(
        operation_id="calls_outcome_create",
        summary="Record (or correct) the outcome",
        description=(
            "How the call ended: a disposition (each maps to an APCO/EIDO code, returned as "
            "`eido_code`), whether police took part, people served, a summary. A call is "
            "cleared only with an outcome. To correct it, send a new outcome whose "
            "`supersedes` is the current one's id; a second outcome without it is a 409."
        ),
        request=OutcomeInputSerializer,
        responses={201: OutcomeSerializer, 200: OutcomeSerializer, **WRITE_ERRORS},
        examples=[examples.OUTCOME_REFERRED],
        tags=["calls"],
    )
    def post(self, request, call_id):
        call = self.get_call()
        data = self.parse(OutcomeInputSerializer)
        written = services.record_outcome(
            call=call,
            responder=request_responder(request),
            device=getattr(request.auth, "device", None),
            outcome_id=data["id"],
            disposition=data["disposition"],
            police_involved=data["police_involved"],
            people_served=data["people_served"],
            summary=data["summary"],
            occurred_at=data["occurred_at"],
            supersedes=data.get("supersedes"),
        )
        return Response(OutcomeSerializer(written.record).data, status=self.written_status(written))


class CallBackupRequestsView(CallWriteView):
    # A team an automatic reroute took the call from may still call for police on it.
    resource = "backup_requests"

    @extend_schema(
        operation_id="calls_backup_requests_create",
        summary="Ask for police backup",
        description=(
            "Urgent: accepted at once, and the desk and the provider's supervisors are "
            "alerted (stored notifications and email, by a background task). The same `id` "
            "again returns the stored request with 200 and alerts no one twice."
        ),
        request=BackupInputSerializer,
        responses={201: BackupRequestSerializer, 200: BackupRequestSerializer, **WRITE_ERRORS},
        examples=[examples.BACKUP_WEAPON_SEEN],
        tags=["calls"],
    )
    def post(self, request, call_id):
        call = self.get_call()
        data = self.parse(BackupInputSerializer)
        written = services.request_backup(
            call=call,
            responder=request_responder(request),
            device=getattr(request.auth, "device", None),
            request_id=data["id"],
            reason=data["reason"],
            details=data["details"],
            occurred_at=data["occurred_at"],
        )
        return Response(
            BackupRequestSerializer(written.record).data, status=self.written_status(written)
        )


class BackupRequestFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=BackupStatus.choices)
    open = strict_boolean_filter(
        method="filter_open",
        help_text="true: not resolved or cancelled; false: resolved or cancelled.",
    )

    class Meta:
        model = BackupRequest
        fields = ["status", "open"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_open(self, queryset, name, value):
        closed = [BackupStatus.RESOLVED, BackupStatus.CANCELLED]
        return queryset.exclude(status__in=closed) if value else queryset.filter(status__in=closed)


class BackupRequestListView(ResponderScopedMixin, generics.ListAPIView):
    permission_classes = [IsResponder]
    serializer_class = DeskBackupRequestSerializer
    filterset_class = BackupRequestFilter
    model = BackupRequest

    def scoped_queryset(self, responder):
        return selectors.backup_requests_for_responder(responder=responder).order_by("-occurred_at")

    def filter_queryset(self, queryset):
        # Slice after filtering: the newest 200 that match.
        return super().filter_queryset(queryset)[:200]

    def list(self, request, *args, **kwargs):
        backups = list(self.filter_queryset(self.get_queryset()))
        # Each alert's delivery state, for all the rows in one query.
        states = delivery_states(alerts.backup_subject(backup) for backup in backups)
        context = {**self.get_serializer_context(), "deliveries": states}
        return Response(DeskBackupRequestSerializer(backups, many=True, context=context).data)

    @extend_schema(
        operation_id="backup_requests_list",
        summary="Watch backup requests",
        description="The newest 200 backup requests in your scope (the desk: all).",
        responses={
            200: DeskBackupRequestSerializer(many=True),
            400: ERROR_RESPONSES[400],
            **READ_ERRORS,
        },
        tags=["backup requests"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BackupRequestStatusView(APIView):
    permission_classes = [IsResponder]

    @extend_schema(
        operation_id="backup_requests_status_create",
        summary="Move a backup request (desk)",
        description=(
            "The desk moves a request forward: acknowledged, police_en_route, "
            "police_on_scene, resolved; or cancelled. The team may only cancel. Going "
            "backwards or moving a closed request is a 409."
        ),
        request=BackupStatusInputSerializer,
        responses={200: BackupRequestSerializer, **WRITE_ERRORS},
        examples=[examples.BACKUP_POLICE_EN_ROUTE],
        tags=["backup requests"],
    )
    def post(self, request, backup_id):
        responder = request_responder(request)
        backup = get_object_or_404(
            selectors.backup_requests_for_responder(responder=responder), pk=backup_id
        )
        serializer = BackupStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        backup = services.move_backup_request(
            backup=backup, responder=responder, to_status=serializer.validated_data["status"]
        )
        return Response(BackupRequestSerializer(backup).data)


class PersonDetailView(APIView):
    permission_classes = [IsResponder]

    @extend_schema(
        operation_id="people_retrieve",
        summary="A person's page",
        description=(
            "The person served, with the calls, follow-ups and referrals you may see. "
            "Each read is written to the access log."
        ),
        responses={200: PersonDetailSerializer, 404: ERROR_RESPONSES[404], **READ_ERRORS},
        tags=["people"],
    )
    def get(self, request, person_id):
        responder = request_responder(request)
        person = get_object_or_404(Person.objects.filter(people_scope(responder)), pk=person_id)
        calls = (
            selectors.calls_for_responder(responder=responder)
            .filter(person=person)
            .order_by("-received_at")[:100]
        )
        context = {
            "calls": list(calls),
            # The person's records in the apps built on calls (calls/children.py).
            **{
                child.name: child.of_person(responder=responder, person=person)
                for child in children.registered()
            },
        }
        body = PersonDetailSerializer(person, context=context).data
        return Response(body)
