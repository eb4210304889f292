"""Shapes of the sign-in and profile endpoints, and of the team's availability and
position pings."""

from decimal import ROUND_HALF_EVEN, Decimal

from django.utils import timezone
from rest_framework import serializers

from umcr.api import BoundedDateTimeField

from ..choices import Availability, DevicePlatform, OutOfServiceReason
from ..models import Device, Provider, Responder, Shift, Team
from ..services import PING_CLOCK_SKEW


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


class AvailabilitySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[Availability.AVAILABLE, Availability.OUT_OF_SERVICE],
        help_text="`available`, or `out_of_service` with a reason. On a call and off shift "
        "are derived by the server.",
    )
    reason = serializers.ChoiceField(
        choices=OutOfServiceReason.choices, required=False, allow_blank=True, default=""
    )
    changed_at = serializers.DateTimeField(
        required=False,
        help_text="When the team set it, by the phone's clock (a change made offline): one "
        "older than the team's current availability is ignored. Without it: now.",
    )

    def validate(self, attrs):
        out = attrs["status"] == Availability.OUT_OF_SERVICE
        if out and not attrs["reason"]:
            raise serializers.ValidationError({"reason": ["Say why the team is out of service."]})
        if not out and attrs["reason"]:
            raise serializers.ValidationError({"reason": ["Only out of service has a reason."]})
        return attrs


class TeamAvailabilitySerializer(serializers.Serializer):
    team = serializers.CharField(source="call_sign")
    out_of_service = serializers.CharField(
        help_text="The reason the team set itself out of service, or empty."
    )
    availability_changed_at = serializers.DateTimeField(allow_null=True)


class CoordinateField(serializers.DecimalField):
    """A latitude or longitude in degrees, rounded to 6 decimals (about 10 cm): a phone's
    fix comes as a float of 15 digits (34.053000000000004), which no one should have to
    round before sending it."""

    def __init__(self, *, limit: int, **kwargs):
        super().__init__(
            max_digits=9,
            decimal_places=6,
            min_value=Decimal(-limit),
            max_value=Decimal(limit),
            **kwargs,
        )

    def validate_precision(self, value):
        if value.is_finite() and abs(value) < 1000:  # larger: refused below, unrounded
            value = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
        return super().validate_precision(value)


class PingSerializer(serializers.Serializer):
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    accuracy = serializers.IntegerField(
        min_value=0, max_value=100_000, required=False, allow_null=True, help_text="Metres."
    )
    taken_at = BoundedDateTimeField()

    def validate_taken_at(self, value):
        # Checked per ping, so a bad one is named alike by REST (pings[i].taken_at) and by
        # a sync push (the record's taken_at); the service checks the batch again.
        if value > timezone.now() + PING_CLOCK_SKEW:
            raise serializers.ValidationError("Taken in the future; check the phone's clock.")
        return value


class PositionsSerializer(serializers.Serializer):
    pings = serializers.ListField(child=PingSerializer(), allow_empty=False, max_length=200)


class PositionsStoredSerializer(serializers.Serializer):
    stored = serializers.IntegerField(help_text="Pings kept (at most one per 30 s).")
    ignored = serializers.IntegerField(
        help_text="Pings not kept: within 30 s of another, already stored, or older than the "
        "retention."
    )
    last_position_at = serializers.DateTimeField(
        allow_null=True, help_text="When the team's last known position was taken."
    )
