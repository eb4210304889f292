"""Sign-in for phones (one knox token per device), sign-out, and the caller's profile."""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from umcr.api import IsResponder, request_responder
from umcr.api_docs import ERROR_RESPONSES, WRITE_ERRORS, error_response

from .. import selectors, services
from ..models import Responder
from .serializers import (
    AvailabilitySerializer,
    LoginResponseSerializer,
    LoginSerializer,
    MeSerializer,
    PositionsSerializer,
    PositionsStoredSerializer,
    TeamAvailabilitySerializer,
)


class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        operation_id="auth_login",
        summary="Sign a device in",
        description=(
            "Checks the username and password and returns a token for this device. "
            "Repeated failures for one username from one address are locked out for a "
            "cool-off period (429)."
        ),
        request=LoginSerializer,
        responses={
            200: LoginResponseSerializer,
            400: ERROR_RESPONSES[400],
            401: error_response("Wrong username or password."),
            403: error_response("The account is not a responder, or the device was revoked."),
            429: error_response("Too many failed sign-ins; try again after the cool-off."),
        },
        examples=[
            OpenApiExample(
                "Clinician's phone",
                request_only=True,
                value={
                    "username": "alcott.clinician1",
                    "password": "umcr-demo",
                    "device_name": "Pixel 8 (ALCOTT-1)",
                    "platform": "android",
                    "app_version": "1.4.0",
                },
            )
        ],
        tags=["auth"],
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if getattr(request._request, "axes_locked_out", False):
            return Response(
                {
                    "detail": "Too many failed sign-ins for this username from this "
                    "address; try again later.",
                    "code": "locked_out",
                },
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            return Response(
                {"detail": "Wrong username or password.", "code": "invalid_credentials"},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": "Token"},
            )
        responder = Responder.objects.filter(user=user).first()
        if responder is None:
            return Response(
                {"detail": "This account has no responder profile.", "code": "not_a_responder"},
                status=status.HTTP_403_FORBIDDEN,
            )
        try:
            signed_in = services.sign_in_device(
                responder=responder,
                device_name=data["device_name"],
                device_id=data.get("device_id"),
                platform=data.get("platform", ""),
                app_version=data.get("app_version", ""),
            )
        except services.DeviceRevokedError:
            return Response(
                {
                    "detail": "This device was revoked by a supervisor; sign in as a new device.",
                    "code": "device_revoked",
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        # Lets axes forget earlier failures and Django stamp last_login.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        body = LoginResponseSerializer(
            {
                "token": signed_in.token,
                "expires_at": signed_in.expires_at,
                "device": signed_in.device,
            }
        ).data
        return Response(body, status=status.HTTP_200_OK)


class LogoutView(APIView):
    @extend_schema(
        operation_id="auth_logout",
        summary="Sign this device out",
        description="Revokes the token the request was made with; other devices stay signed in.",
        request=None,
        responses={204: OpenApiResponse(description="Signed out."), 401: ERROR_RESPONSES[401]},
        tags=["auth"],
    )
    def post(self, request):
        if request.auth is not None:
            services.sign_out_token(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(
        operation_id="me",
        summary="Who am I",
        description="The signed-in responder: role, provider, team and the team's shift now.",
        responses={200: MeSerializer, 401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]},
        tags=["auth"],
    )
    def get(self, request):
        responder = (
            Responder.objects.select_related("user", "provider", "team")
            .prefetch_related("team__members__user")
            .filter(user=request.user)
            .first()
        )
        if responder is None:
            return Response(
                {"detail": "This account has no responder profile.", "code": "not_a_responder"},
                status=status.HTTP_403_FORBIDDEN,
            )
        device = getattr(request.auth, "device", None)
        body = MeSerializer(
            {
                "id": responder.pk,
                "username": responder.user.get_username(),
                "display_name": str(responder),
                "role": responder.role,
                "provider": responder.provider,
                "team": responder.team,
                "current_shift": selectors.current_shift(team=responder.team),
                "device": device,
            }
        ).data
        return Response(body)


class AvailabilityView(APIView):
    permission_classes = [IsResponder]

    @extend_schema(
        operation_id="team_availability_create",
        summary="Set my team available or out of service",
        description=(
            "From the phone: `available`, or `out_of_service` with a reason (break, "
            "transport, training, vehicle, other). The server derives the rest: a team with "
            "an open call is on a call, a team with no shift now is off shift (GET /teams/). "
            "Routing offers calls to available teams first and never to one out of service."
        ),
        request=AvailabilitySerializer,
        responses={200: TeamAvailabilitySerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "On a break",
                request_only=True,
                value={"status": "out_of_service", "reason": "break"},
            )
        ],
        tags=["teams"],
    )
    def post(self, request):
        data = AvailabilitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = services.set_availability(
            responder=request_responder(request),
            out_of_service=data.validated_data["reason"],
            changed_at=data.validated_data.get("changed_at"),
        )
        return Response(TeamAvailabilitySerializer(team).data)


class PositionsView(APIView):
    permission_classes = [IsResponder]

    @extend_schema(
        operation_id="team_positions_create",
        summary="Send my team's position pings",
        description=(
            "A batch of pings (latitude, longitude, accuracy in metres, when each was taken), "
            "sent at most every 30 s while on shift, and from the queue when the signal "
            "returns. At most one ping per 30 s is kept; pings out of order are kept too, but "
            "the team's last known position is the latest taken. Pings are kept "
            "POSITION_RETENTION_DAYS (7), then removed."
        ),
        request=PositionsSerializer,
        responses={200: PositionsStoredSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Two pings",
                request_only=True,
                value={
                    "pings": [
                        {
                            "latitude": "34.062300",
                            "longitude": "-118.356400",
                            "accuracy": 12,
                            "taken_at": "2026-03-04T10:42:00-08:00",
                        },
                        {
                            "latitude": "34.063100",
                            "longitude": "-118.355900",
                            "accuracy": 9,
                            "taken_at": "2026-03-04T10:42:30-08:00",
                        },
                    ]
                },
            )
        ],
        tags=["teams"],
    )
    def post(self, request):
        data = PositionsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pings = [
            services.Ping(
                latitude=p["latitude"],
                longitude=p["longitude"],
                accuracy_m=p.get("accuracy"),
                taken_at=p["taken_at"],
            )
            for p in data.validated_data["pings"]
        ]
        stored = services.record_positions(responder=request_responder(request), pings=pings)
        return Response(PositionsStoredSerializer(stored).data)
