"""Shapes of the sign-in and profile endpoints."""

from rest_framework import serializers

from ..choices import DevicePlatform
from ..models import Device, Provider, Responder, Shift, Team


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    device_name = serializers.CharField(
        max_length=120, help_text="What the phone calls itself, shown to supervisors."
    )
    device_id = serializers.UUIDField(
        required=False,
        help_text="The id this phone was given at its last sign-in, to keep one device row.",
    )
    platform = serializers.ChoiceField(choices=DevicePlatform.choices, required=False)
    app_version = serializers.CharField(max_length=32, required=False, allow_blank=True)


class ProviderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Provider
        fields = ["id", "name", "slug"]


class TeamMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Responder
        fields = ["id", "username", "display_name"]


class TeamSerializer(serializers.ModelSerializer):
    members = TeamMemberSerializer(many=True)

    class Meta:
        model = Team
        fields = ["id", "call_sign", "members"]


class ShiftSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shift
        fields = ["id", "starts_at", "ends_at"]


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "name", "platform", "app_version", "last_seen_at"]


class LoginResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Refreshed on use, up to the maximum lifetime."
    )
    device = DeviceSerializer()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    role = serializers.CharField()
    provider = ProviderSerializer(allow_null=True)
    team = TeamSerializer(allow_null=True)
    current_shift = ShiftSerializer(allow_null=True)
    device = DeviceSerializer(allow_null=True)
