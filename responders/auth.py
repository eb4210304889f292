"""Authentication for phones: knox tokens bound to a device, and the sign-in lockout answer.

A revoked device's tokens are deleted, so its next request fails; the device check below is
a second lock on the same door. Sign-in itself lives in responders/services.py.
"""

import binascii
from hmac import compare_digest

from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from umcr.sync.base import Actor, current_actor

from .models import DeviceToken

# Touch a device's last_seen_at at most this often, to keep reads write-free.
LAST_SEEN_RESOLUTION_SECONDS = 300


class DeviceTokenAuthentication(TokenAuthentication):
    """knox token authentication that also refuses revoked devices and inactive responders."""

    def authenticate_credentials(self, token: bytes):
        # As knox's, but one query loads the token, its user, responder and device.
        invalid = _("Invalid token.")
        token_str = token.decode("utf-8")
        candidates = DeviceToken.objects.filter(
            token_key=token_str[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user", "user__responder", "device")
        for auth_token in candidates:
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token_str)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(invalid) from exc
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.device.revoked_at is not None:
                raise exceptions.AuthenticationFailed(_("This device has been revoked."))
            if knox_settings.AUTO_REFRESH and auth_token.expiry:
                self.renew_token(auth_token)
            self._touch_device(auth_token.device)
            user, auth_token = self.validate_user(auth_token)
            # Every synced row this request writes records this user and device.
            current_actor.set(Actor(user.pk, auth_token.device_id))
            return user, auth_token
        raise exceptions.AuthenticationFailed(invalid)

    @staticmethod
    def _touch_device(device) -> None:
        now = timezone.now()
        last = device.last_seen_at
        if last is None or (now - last).total_seconds() > LAST_SEEN_RESOLUTION_SECONDS:
            type(device).objects.filter(pk=device.pk).update(last_seen_at=now)
            device.last_seen_at = now

    def _cleanup_token(self, auth_token) -> bool:
        # knox's default also sweeps the user's other expired tokens, a query per request;
        # here only this token's expiry matters (expired rows are swept at sign-in).
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


def lockout_response(request, original_response=None, credentials=None):
    """axes' answer when a (username, IP) pair is locked out: JSON, not an HTML page."""
    return JsonResponse(
        {
            "detail": "Too many failed sign-ins for this username from this address; "
            "try again later.",
            "code": "locked_out",
        },
        status=429,
    )
