"""Shapes of the field API. Input serializers only parse; the rules live in services.py.

Field names are stable: phones store them. Times are ISO 8601 with an offset; `written_at`
and `occurred_at` are the phone's clock, `recorded_at` the server's.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from umcr.api import BirthDateField, BoundedDateTimeField
from umcr.audit import AuditedSerializer

from .. import children
from ..choices import (
    EIDO_CODES,
    BackupReason,
    BackupStatus,
    Disposition,
    EventKind,
)
from ..models import BackupRequest, Call, Note, Outcome, Person, ProgramMove, StatusEvent


def author_field() -> serializers.CharField:
    """Who wrote a field record: their username (None if the account is gone)."""
    return serializers.CharField(source="responder.user.username", read_only=True, allow_null=True)


# --- output ------------------------------------------------------------------------------------


class CallListItemSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "call"
    audit_provider_path = "routed_provider_id"
    program = serializers.CharField(
        source="program.slug", read_only=True, help_text="The program's slug (GET /programs/)."
    )
    division = serializers.CharField(source="division.code", read_only=True)
    division_name = serializers.CharField(source="division.name", read_only=True)
    team = serializers.CharField(source="team.call_sign", read_only=True, allow_null=True)
    note_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Call
        fields = [
            "id",
            "program",
            "cad_incident_number",
            "call_type",
            "priority",
            "status",
            "address",
            "latitude",
            "longitude",
            "division",
            "division_name",
            "team",
            "safety_flags",
            "received_at",
            "dispatched_at",
            "note_count",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["note_count"] = data["note_count"] or 0
        return data


class PersonSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "person"
    audit_provider_path = "provider_id"

    class Meta:
        model = Person
        fields = [
            "id",
            "given_name",
            "family_name",
            "preferred_name",
            "birth_date",
            "approximate_age",
            "phone",
            "language",
        ]


class StatusEventSerializer(serializers.ModelSerializer):
    author = author_field()
    recorded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = StatusEvent
        fields = ["id", "kind", "occurred_at", "recorded_at", "author"]


class AddendumSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "note"
    audit_provider_path = "call.routed_provider_id"
    author = author_field()
    written_at = serializers.DateTimeField(source="occurred_at", read_only=True)
    recorded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Note
        fields = ["id", "body", "written_at", "recorded_at", "author", "amends"]


class NoteSerializer(AddendumSerializer):
    addenda = serializers.SerializerMethodField()

    class Meta(AddendumSerializer.Meta):
        fields = [*AddendumSerializer.Meta.fields, "addenda"]

    @extend_schema_field(AddendumSerializer(many=True))
    def get_addenda(self, note) -> list:
        return AddendumSerializer(getattr(note, "thread", []), many=True).data


class OutcomeSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "outcome"
    audit_provider_path = "call.routed_provider_id"
    author = author_field()
    eido_code = serializers.SerializerMethodField()
    recorded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Outcome
        fields = [
            "id",
            "disposition",
            "eido_code",
            "police_involved",
            "people_served",
            "summary",
            "occurred_at",
            "recorded_at",
            "author",
            "supersedes",
        ]

    def get_eido_code(self, outcome) -> str:
        return EIDO_CODES[Disposition(outcome.disposition)]


class BackupRequestSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "backuprequest"
    audit_provider_path = "call.routed_provider_id"
    author = author_field()
    recorded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = BackupRequest
        fields = [
            "id",
            "call",
            "reason",
            "details",
            "status",
            "occurred_at",
            "recorded_at",
            "status_changed_at",
            "author",
        ]


class AlertDeliverySerializer(serializers.Serializer):
    """Where the alerts of one backup request stand (one row per recipient and channel)."""

    sent = serializers.IntegerField()
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()
    late = serializers.BooleanField(
        help_text="Some alert is still not delivered a minute after the request: call the "
        "supervisors yourself."
    )


NO_DELIVERIES = {"sent": 0, "pending": 0, "failed": 0, "late": False}


class DeskBackupRequestSerializer(BackupRequestSerializer):
    """A backup request as the desk watches it: with where and who."""

    cad_incident_number = serializers.CharField(source="call.cad_incident_number")
    address = serializers.CharField(source="call.address")
    division = serializers.CharField(source="call.division.code")
    team = serializers.CharField(source="call.team.call_sign", allow_null=True)
    alert_delivery = serializers.SerializerMethodField()

    class Meta(BackupRequestSerializer.Meta):
        fields = [
            *BackupRequestSerializer.Meta.fields,
            "cad_incident_number",
            "address",
            "division",
            "team",
            "alert_delivery",
        ]

    @extend_schema_field(AlertDeliverySerializer)
    def get_alert_delivery(self, backup) -> dict:
        states = self.context.get("deliveries", {})
        return states.get(f"backup_request:{backup.pk}", NO_DELIVERIES)


class PriorContactSerializer(AuditedSerializer, serializers.ModelSerializer):
    """An earlier call at the same address or with the same person."""

    audit_kind = "call"
    audit_provider_path = "routed_provider_id"

    matched_on = serializers.SerializerMethodField()
    disposition = serializers.SerializerMethodField()
    police_involved = serializers.SerializerMethodField()
    backup_reasons = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "id",
            "received_at",
            "call_type",
            "address",
            "safety_flags",
            "matched_on",
            "disposition",
            "police_involved",
            "backup_reasons",
        ]

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(["address", "person"]))
    )
    def get_matched_on(self, call) -> list[str]:
        current = self.context["call"]
        matched = []
        if call.address_key == current.address_key:
            matched.append("address")
        if current.person_id is not None and call.person_id == current.person_id:
            matched.append("person")
        return matched

    @extend_schema_field(serializers.ChoiceField(Disposition.choices, allow_null=True))
    def get_disposition(self, call):
        return call.disposition or None

    def get_police_involved(self, call) -> bool:
        return bool(call.police_involved) or any(
            b.status != BackupStatus.CANCELLED for b in call.backup_requests.all()
        )

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(BackupReason.choices)))
    def get_backup_reasons(self, call) -> list[str]:
        return [b.reason for b in call.backup_requests.all()]


class ProgramMoveSerializer(serializers.ModelSerializer):
    """One move of the call to another program by the desk (its program history)."""

    from_program = serializers.CharField(source="from_program.slug", read_only=True)
    to_program = serializers.CharField(source="to_program.slug", read_only=True)
    moved_by = serializers.CharField(
        source="moved_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ProgramMove
        fields = ["from_program", "to_program", "reason", "moved_by", "moved_at"]


class TeamBriefSerializer(serializers.Serializer):
    call_sign = serializers.CharField()
    members = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_members(self, team) -> list[str]:
        return [m.user.username for m in team.members.all()]


class CallDetailSerializer(CallListItemSerializer):
    # The detail briefs the team (call sign and members) that the list only names.
    team = TeamBriefSerializer(read_only=True, allow_null=True)  # type: ignore[assignment]
    person = PersonSerializer(read_only=True, allow_null=True)
    prior_contacts = serializers.SerializerMethodField()
    events = StatusEventSerializer(many=True, read_only=True)
    notes = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()
    outcome_history = OutcomeSerializer(source="outcomes", many=True, read_only=True)
    backup_requests = BackupRequestSerializer(many=True, read_only=True)
    program_moves = ProgramMoveSerializer(
        many=True,
        read_only=True,
        help_text="The call's program history: each move by the desk, oldest first.",
    )
    # Then the lists of the apps built on calls (calls/children.py): see get_fields.
    withheld = serializers.SerializerMethodField(
        help_text="What of this call your role may not read, left out of this answer "
        "(the desk: person, notes, outcome_details (summaries), followups, referrals, "
        "transports, destination_refusals)."
    )

    class Meta(CallListItemSerializer.Meta):
        fields = [f for f in CallListItemSerializer.Meta.fields if f != "note_count"] + [
            "source",
            "narrative",
            "caller_account",
            "caller_phone",
            "acknowledged_at",
            "en_route_at",
            "on_scene_at",
            "transporting_at",
            "cleared_at",
            "cancelled_at",
            "person",
            "prior_contacts",
            "events",
            "notes",
            "outcome",
            "outcome_history",
            "backup_requests",
            "program_moves",
            "withheld",
        ]

    def get_fields(self):
        # The call's children from the apps built on calls (registered: calls/children.py),
        # each a list read through the call's reverse accessor (prefetched by call_detail),
        # before `withheld`.
        fields = super().get_fields()
        withheld = fields.pop("withheld")
        for child in children.registered():
            fields[child.name] = child.serializer(many=True, read_only=True)
        fields["withheld"] = withheld
        return fields

    def to_representation(self, instance):
        data = serializers.ModelSerializer.to_representation(self, instance)
        # Minimum necessary: what the reader's role may not read is left out, and said so.
        hidden = self.context.get("withheld", ())
        if "person" in hidden:
            data["person"] = None
        for part in ("notes", *children.names()):
            if part in hidden:
                data[part] = []
        if "outcome_details" in hidden:
            for outcome in [data["outcome"], *data["outcome_history"]]:
                if outcome is not None:
                    outcome["summary"] = ""
        return data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_withheld(self, call) -> list[str]:
        return sorted(self.context.get("withheld", ()))

    @extend_schema_field(PriorContactSerializer(many=True))
    def get_prior_contacts(self, call) -> list:
        return PriorContactSerializer(
            self.context.get("prior_contacts", []), many=True, context={"call": call}
        ).data

    @extend_schema_field(NoteSerializer(many=True))
    def get_notes(self, call) -> list:
        """Notes in the order written, each with its addenda (however deep) beneath it."""
        notes = list(call.notes.all())
        by_id = {n.pk: n for n in notes}
        roots = []
        for note in notes:
            note.thread = []
        for note in notes:
            root = note
            while root.amends_id is not None and root.amends_id in by_id:
                root = by_id[root.amends_id]
            if root is note:
                roots.append(note)
            else:
                root.thread.append(note)
        return NoteSerializer(roots, many=True).data

    @extend_schema_field(OutcomeSerializer(allow_null=True))
    def get_outcome(self, call):
        current = Outcome.current_of(call.outcomes.all())
        return OutcomeSerializer(current).data if current else None


# --- input ---------------------------------------------------------------------------------------


class EventInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Generated on the phone; a retry sends the same id.")
    kind = serializers.ChoiceField(choices=EventKind.choices)
    occurred_at = BoundedDateTimeField(help_text="When it happened, by the phone's clock.")


class NoteInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Generated on the phone; a retry sends the same id.")
    body = serializers.CharField(max_length=20000)
    written_at = BoundedDateTimeField()
    amends = serializers.UUIDField(
        required=False, allow_null=True, help_text="The note this addendum corrects."
    )


class OutcomeInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Generated on the phone; a retry sends the same id.")
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    police_involved = serializers.BooleanField()
    people_served = serializers.IntegerField(min_value=0, max_value=100, default=1)
    summary = serializers.CharField(max_length=20000, allow_blank=True, default="")
    occurred_at = BoundedDateTimeField()
    supersedes = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="To correct the outcome: the id of the current outcome this replaces.",
    )


class BackupInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Generated on the phone; a retry sends the same id.")
    reason = serializers.ChoiceField(choices=BackupReason.choices)
    details = serializers.CharField(max_length=5000, allow_blank=True, default="")
    occurred_at = BoundedDateTimeField()


class OptionalTextField(serializers.CharField):
    """Text that may be left out or empty; null reads as empty (a phone stores unset text as
    null)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        return super().validate_empty_values("" if data is None else data)


class PersonInputSerializer(serializers.Serializer):
    """A person's identifying details, each optional (a change names only what changes):
    the one parser of a person for every way in (the sync push's `people` table)."""

    id = serializers.UUIDField(help_text="Generated on the phone; a retry sends the same id.")
    given_name = OptionalTextField(max_length=80)
    family_name = OptionalTextField(max_length=80)
    preferred_name = OptionalTextField(max_length=80)
    birth_date = BirthDateField(required=False, allow_null=True)
    approximate_age = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=120
    )
    phone = OptionalTextField(max_length=32)
    language = OptionalTextField(max_length=40)
    call = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The call on which the person was met: they become its person if it has none.",
    )


class BackupStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=BackupStatus.choices)


class CallStateSerializer(serializers.ModelSerializer):
    """The call's derived state after a write."""

    class Meta:
        model = Call
        fields = [
            "id",
            "status",
            "dispatched_at",
            "acknowledged_at",
            "en_route_at",
            "on_scene_at",
            "transporting_at",
            "cleared_at",
            "cancelled_at",
        ]


class EventWrittenSerializer(serializers.Serializer):
    event = StatusEventSerializer()
    call = CallStateSerializer()


class PersonCallSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "call"
    audit_provider_path = "routed_provider_id"
    disposition = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "id",
            "cad_incident_number",
            "received_at",
            "call_type",
            "address",
            "status",
            "disposition",
        ]

    @extend_schema_field(serializers.ChoiceField(Disposition.choices, allow_null=True))
    def get_disposition(self, call):
        return call.disposition or None


class ContextListSerializer(serializers.ListSerializer):
    """A list handed to the parent serializer in its context under the field's name (a
    view's scoped, limited query), rather than read from the instance."""

    def get_attribute(self, instance):
        assert self.field_name is not None  # bound to its parent before it reads
        return self.context[self.field_name]


class PersonDetailSerializer(PersonSerializer):
    calls = serializers.SerializerMethodField()
    # Then the lists of the apps built on calls (calls/children.py): see get_fields.

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "calls"]

    def get_fields(self):
        # A person's records in the apps built on calls (registered: calls/children.py),
        # each list given in the context under its name (PersonDetailView).
        fields = super().get_fields()
        for child in children.registered():
            fields[child.name] = ContextListSerializer(child=child.serializer(), read_only=True)
        return fields

    @extend_schema_field(PersonCallSerializer(many=True))
    def get_calls(self, person):
        return PersonCallSerializer(self.context["calls"], many=True).data
