"""GET and POST /api/v1/calls/{id}/desk-notes/: the notes the desk (or a supervisor) wrote
to the call's team, and writing one. Phones get them by the sync pull too (`desk_notes`)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from umcr.api import request_responder
from umcr.api_docs import READ_ERRORS, WRITE_ERRORS, error_responses

from .. import desk_notes
from ..models import DESK_NOTE_MAX_LENGTH, DeskNote
from .views import CallWriteView


class DeskNoteInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        required=False, help_text="Optional: a retry with the same id writes nothing twice."
    )
    body = serializers.CharField(max_length=DESK_NOTE_MAX_LENGTH)


class DeskNoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.user.username", read_only=True, allow_null=True, default=None
    )
    recorded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = DeskNote
        fields = ["id", "body", "author", "recorded_at"]


class CallDeskNotesView(CallWriteView):
    @extend_schema(
        operation_id="calls_desk_notes_list",
        summary="The desk's notes to the team on a call",
        description="Oldest first. Whoever sees the call reads them.",
        responses={
            200: DeskNoteSerializer(many=True),
            404: error_responses(404)[404],
            **READ_ERRORS,
        },
        tags=["dispatch"],
    )
    def get(self, request, call_id):
        call = self.get_call()
        notes = desk_notes.desk_notes_of(responder=request_responder(request), call=call)
        return Response(DeskNoteSerializer(notes, many=True).data)

    @extend_schema(
        operation_id="calls_desk_notes_create",
        summary="Write a note to the team on a call",
        description=(
            "The desk (any call) or a supervisor (their provider's calls). Append-only: a "
            "correction is another note. The team's clinicians are notified and their phones "
            f"pull it (`desk_notes`). At most {DESK_NOTE_MAX_LENGTH} characters. The same "
            "`id` again returns the stored note with 200."
        ),
        request=DeskNoteInputSerializer,
        responses={
            201: DeskNoteSerializer,
            200: OpenApiResponse(DeskNoteSerializer, description="Already recorded."),
            **WRITE_ERRORS,
        },
        examples=[
            OpenApiExample(
                "Caller update",
                request_only=True,
                value={"body": "Caller says he walked to the park on 3rd St."},
            )
        ],
        tags=["dispatch"],
    )
    def post(self, request, call_id):
        call = self.get_call()
        data = self.parse(DeskNoteInputSerializer)
        written = desk_notes.write_desk_note(
            call=call,
            author=request_responder(request),
            body=data["body"],
            note_id=data.get("id"),
        )
        return Response(
            DeskNoteSerializer(written.record).data,
            status=status.HTTP_201_CREATED if written.created else status.HTTP_200_OK,
        )
