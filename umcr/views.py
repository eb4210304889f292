"""Cross-cutting endpoints: the signed-in user's stored notifications."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import StrictCursorPagination, StrictFilterSet, strict_boolean_filter
from .api_docs import ERROR_RESPONSES
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "call", "created_at", "read_at"]


class NotificationFilter(StrictFilterSet):
    unread = strict_boolean_filter(
        field_name="read_at",
        lookup_expr="isnull",
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NewestFirst(StrictCursorPagination):
    ordering = ("-created_at", "-id")


class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        # The schema generator asks with no user (AnonymousUser): an empty list, not a 500.
        return Notification.objects.filter(recipient_id=self.request.user.pk)

    @extend_schema(
        operation_id="notifications_list",
        summary="My notifications",
        description="Alerts for the signed-in user (backup requests, assignments, reminders), newest first.",
        responses={
            200: NotificationSerializer(many=True),
            400: ERROR_RESPONSES[400],
            401: ERROR_RESPONSES[401],
        },
        tags=["notifications"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationReadView(APIView):
    @extend_schema(
        operation_id="notifications_read_create",
        summary="Mark a notification read",
        request=None,
        responses={
            200: NotificationSerializer,
            401: ERROR_RESPONSES[401],
            404: ERROR_RESPONSES[404],
        },
        tags=["notifications"],
    )
    def post(self, request, notification_id):
        notification = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)
