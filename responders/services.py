"""Writes of the responders app: signing a device in and out, revoking a lost phone, and
a team's availability and position as its phone reports them."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from umcr.errors import Invalid
from umcr.policy import CHANGE

from . import permissions
from .models import Device, DeviceToken, PositionPing, Responder, Team


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


# --- team availability and position -----------------------------------------------------------

# At most one ping kept per team in this span: phones send every 30 s while on shift.
PING_SPACING = timedelta(seconds=30)
PING_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Ping:
    latitude: Decimal
    longitude: Decimal
    taken_at: datetime
    accuracy_m: int | None = None


@dataclass(frozen=True)
class PingsStored:
    stored: int
    ignored: int
    last_position_at: datetime | None


@transaction.atomic
def set_availability(
    *, responder: Responder, out_of_service: str, changed_at: datetime | None = None
) -> Team:
    """The phone says its team is available (`out_of_service` empty) or out of service
    (with the reason). On a call and off shift are derived, never set. `changed_at`, when the
    phone says when it was set (a change made offline and pushed later): a change older than
    the team's current one is ignored, so the partner's newer word stands; without it, the
    change counts from now."""
    team = permissions.check_own_team(responder, CHANGE)
    now = timezone.now()
    if changed_at is not None and changed_at > now + PING_CLOCK_SKEW:
        raise Invalid({"changed_at": ["Is in the future; check the phone's clock."]})
    at = now if changed_at is None else min(changed_at, now)
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.availability_changed_at is not None and at < team.availability_changed_at:
        return team  # an older word than the one standing
    if team.out_of_service != out_of_service:
        team.out_of_service = out_of_service
        team.availability_changed_at = at
        team.save(update_fields=["out_of_service", "availability_changed_at", "updated_at"])
    return team


@transaction.atomic
def record_positions(*, responder: Responder, pings: list[Ping]) -> PingsStored:
    """Store a batch of the team's position pings, in the order they were taken: one per
    PING_SPACING at most (the rest are ignored), those older than the retention ignored; the
    team's last known position moves to the latest one taken, whatever order they came in."""
    team = permissions.check_own_team(responder, CHANGE)
    now = timezone.now()
    future = [p for p in pings if p.taken_at > now + PING_CLOCK_SKEW]
    if future:
        raise Invalid({"pings": ["A ping taken in the future; check the phone's clock."]})
    oldest = now - timedelta(days=settings.POSITION_RETENTION_DAYS)
    team = Team.objects.select_for_update().get(pk=team.pk)
    # The stored pings near the batch's: a ping within PING_SPACING of one is not kept (so
    # a batch sent again after a lost answer stores nothing twice).
    first, last = min(p.taken_at for p in pings), max(p.taken_at for p in pings)
    near = list(
        PositionPing.objects.filter(
            team=team, taken_at__gte=first - PING_SPACING, taken_at__lte=last + PING_SPACING
        ).values_list("taken_at", flat=True)
    )
    kept: list[PositionPing] = []
    for ping in sorted(pings, key=lambda p: p.taken_at):
        if ping.taken_at < oldest or any(abs(ping.taken_at - t) < PING_SPACING for t in near):
            continue
        near.append(ping.taken_at)
        kept.append(
            PositionPing(
                team=team,
                responder=responder,
                latitude=ping.latitude,
                longitude=ping.longitude,
                accuracy_m=ping.accuracy_m,
                taken_at=ping.taken_at,
            )
        )
    PositionPing.objects.bulk_create(kept)
    newest = max(kept, key=lambda p: p.taken_at, default=None)
    if newest is not None and (
        team.last_position_at is None or newest.taken_at > team.last_position_at
    ):
        team.last_latitude, team.last_longitude = newest.latitude, newest.longitude
        team.last_accuracy_m, team.last_position_at = newest.accuracy_m, newest.taken_at
        team.save(
            update_fields=[
                "last_latitude",
                "last_longitude",
                "last_accuracy_m",
                "last_position_at",
                "updated_at",
            ]
        )
    return PingsStored(len(kept), len(pings) - len(kept), team.last_position_at)
