"""How follow-ups plug into calls (calls/children.py): listed in a call's detail and on a
person's page, moved with a reassigned call, and showing a pair the people it visits.
Registered from FollowupsConfig.ready(); calls never imports this app."""

from django.db.models import Exists, OuterRef, QuerySet
from rest_framework import serializers

from calls import children
from calls.models import Person
from responders.models import Responder
from umcr.audit import AuditedSerializer

from .models import FollowUp
from .selectors import followups_for_responder


class FollowUpSummarySerializer(AuditedSerializer, serializers.Serializer):
    audit_kind = "followup"
    audit_provider_path = "provider_id"
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    not_before = serializers.DateTimeField()
    due_by = serializers.DateTimeField()
    purpose = serializers.CharField()
    assigned_team = serializers.CharField(source="assigned_team.call_sign", allow_null=True)
    assigned_to = serializers.CharField(source="assigned_to.user.username", allow_null=True)


def detail_queryset() -> QuerySet[FollowUp]:
    return FollowUp.objects.select_related("assigned_team", "assigned_to__user")


def for_person(*, responder: Responder, person: Person) -> QuerySet[FollowUp]:
    scoped = followups_for_responder(responder=responder).filter(person=person)
    return scoped.order_by("-due_by")[:100]


def people_visited_by_team(team_id: int) -> Exists:
    """A pair sees the people it was given a visit to."""
    return Exists(FollowUp.objects.filter(assigned_team_id=team_id, person=OuterRef("pk")))


children.register(
    children.CallChild(
        name="followups",
        model=FollowUp,
        sync_table="follow_ups",
        serializer=FollowUpSummarySerializer,
        detail_queryset=detail_queryset,
        for_person=for_person,
        people_seen_by_team=people_visited_by_team,
    )
)
