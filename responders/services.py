"""Writes of the responders app: signing a device in and out, revoking a lost phone."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from . import permissions
from .models import Device, DeviceToken, Responder


class DeviceRevokedError(Exception):
    """The phone asked to sign in again as a device a supervisor has revoked."""


@dataclass(frozen=True)
class SignIn:
    device: Device
    token: str
    expires_at: datetime | None


@transaction.atomic
def sign_in_device(
    *,
    responder: Responder,
    device_name: str,
    device_id: uuid.UUID | None = None,
    platform: str = "",
    app_version: str = "",
) -> SignIn:
    """Issue a token for one device of `responder`.

    A phone that signs in again with its own `device_id` keeps its device row (and its
    history); an unknown or foreign id starts a new device. A revoked device stays revoked.
    """
    now = timezone.now()
    device = None
    if device_id is not None:
        known = Device.objects.select_for_update().filter(pk=device_id).first()
        if known is None:
            device = Device(id=device_id, responder=responder)
        elif known.responder_id == responder.pk:
            if known.revoked_at is not None:
                raise DeviceRevokedError
            device = known
    if device is None:
        device = Device(responder=responder)
    device.name = device_name
    if platform:
        device.platform = platform
    device.app_version = app_version or device.app_version
    device.last_seen_at = now
    device.save()
    # One live token per device: signing in again ends the phone's previous session.
    device.tokens.all().delete()
    # Expired tokens of this user are swept here rather than on every request.
    DeviceToken.objects.filter(user=responder.user, expiry__lt=now).delete()
    instance, token = DeviceToken.objects.create(user=responder.user, device=device)
    return SignIn(device=device, token=token, expires_at=instance.expiry)


def sign_out_token(*, token: DeviceToken) -> None:
    """Revoke one token (the phone signs out); the device may sign in again."""
    token.delete()


@transaction.atomic
def revoke_device(*, device: Device, revoked_by: User) -> None:
    """Revoke a device (a lost phone): its tokens are deleted now, so its next request is
    refused, and it cannot sign in again under the same device id."""
    permissions.check_can_revoke(revoked_by, device)
    device.revoked_at = timezone.now()
    device.revoked_by = revoked_by
    device.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    device.tokens.all().delete()


@transaction.atomic
def suspend_responder(*, responder: Responder, suspended_by: User) -> None:
    """Suspend an account (a stolen phone with a saved password, someone who left): every
    token of every device is deleted, so each phone's next request is refused; admin
    sessions end on their next request (Django signs inactive users out); and no new
    sign-in succeeds until a supervisor reinstates the account."""
    permissions.check_can_suspend(suspended_by, responder)
    user = responder.user
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    DeviceToken.objects.filter(user=user).delete()


@transaction.atomic
def reinstate_responder(*, responder: Responder, reinstated_by: User) -> None:
    """Let a suspended account sign in again (on each phone afresh: old tokens are gone)."""
    permissions.check_can_suspend(reinstated_by, responder)
    user = responder.user
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
