"""Signing phones in and out, the caller's profile, lockout and device revocation, through
the real HTTP layer: /api/v1/auth/login/, /api/v1/auth/logout/, /api/v1/me/."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from responders import services
from responders.models import Device, DeviceToken
from tests.factories import (
    DEMO_PASSWORD,
    ClinicianFactory,
    DispatcherFactory,
    ShiftFactory,
    SupervisorFactory,
    UserFactory,
    signed_in_client,
)

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/me/"
PHONE_ADDRESS = "198.51.100.20"
OTHER_ADDRESS = "203.0.113.9"
FAILURE_LIMIT = 5  # AXES_FAILURE_LIMIT


def sign_in(client, username, password=DEMO_PASSWORD, address=PHONE_ADDRESS, meta=None, **fields):
    body = {"username": username, "password": password, "device_name": "Pixel 8", **fields}
    return client.post(LOGIN, body, format="json", REMOTE_ADDR=address, **(meta or {}))


def fail_sign_in(client, username, times=FAILURE_LIMIT, address=PHONE_ADDRESS):
    for _ in range(times):
        response = sign_in(client, username, password="wrong-password", address=address)
        assert response.status_code in (401, 429)


@pytest.fixture
def clinician():
    return ClinicianFactory()


# --- signing in ---------------------------------------------------------------------------


def test_login_returns_a_token_its_expiry_and_the_device(api_client, clinician):
    response = sign_in(api_client, clinician.user.username, platform="android")

    assert response.status_code == 200
    body = response.json()
    assert body["token"]
    assert body["expires_at"]
    assert body["device"]["name"] == "Pixel 8"
    assert body["device"]["platform"] == "android"
    assert Device.objects.get(pk=body["device"]["id"]).responder == clinician


def test_token_from_login_authenticates_the_caller(api_client, clinician):
    token = sign_in(api_client, clinician.user.username).json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get(ME)

    assert response.status_code == 200
    assert response.json()["username"] == clinician.user.username


def test_me_shows_role_provider_and_team_with_both_members(clinician):
    partner = ClinicianFactory(team=clinician.team)
    phone, _, _ = signed_in_client(clinician)

    body = phone.get(ME).json()

    assert body["role"] == "clinician"
    assert body["provider"] == {
        "id": clinician.provider.pk,
        "name": clinician.provider.name,
        "slug": clinician.provider.slug,
    }
    assert body["team"]["call_sign"] == clinician.team.call_sign
    assert {m["username"] for m in body["team"]["members"]} == {
        clinician.user.username,
        partner.user.username,
    }


def test_me_shows_the_teams_shift_covering_now(clinician):
    now = timezone.now()
    ShiftFactory(
        team=clinician.team, starts_at=now - timedelta(hours=20), ends_at=now - timedelta(hours=12)
    )
    on_duty = ShiftFactory(team=clinician.team, starts_at=now - timedelta(hours=2))
    ShiftFactory(team=clinician.team, starts_at=now + timedelta(hours=12))
    phone, _, _ = signed_in_client(clinician)

    body = phone.get(ME).json()

    assert body["current_shift"]["id"] == on_duty.pk


def test_me_shows_no_shift_when_the_team_is_off_duty(clinician):
    ShiftFactory(team=clinician.team, starts_at=timezone.now() + timedelta(hours=1))
    phone, _, _ = signed_in_client(clinician)

    assert phone.get(ME).json()["current_shift"] is None


def test_me_shows_the_device_the_token_belongs_to(clinician):
    signed_in_client(clinician, device_name="Old phone")
    phone, _, device = signed_in_client(clinician, device_name="Work phone")

    body = phone.get(ME).json()["device"]

    assert body["id"] == str(device.pk)
    assert body["name"] == "Work phone"


def test_me_of_the_dispatch_desk_has_no_provider_team_or_shift():
    phone, _, _ = signed_in_client(DispatcherFactory())

    body = phone.get(ME).json()

    assert (body["role"], body["provider"], body["team"], body["current_shift"]) == (
        "dispatcher",
        None,
        None,
        None,
    )


def test_me_of_a_session_user_without_responder_profile_is_403(api_client):
    api_client.force_login(UserFactory(is_staff=True))

    response = api_client.get(ME)

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_responder"


def test_me_without_a_token_is_401_with_detail(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_me_reads_the_profile_in_a_few_queries(clinician, django_assert_max_num_queries):
    ClinicianFactory(team=clinician.team)
    ShiftFactory(team=clinician.team)
    phone, _, _ = signed_in_client(clinician)

    # token+user+device, responder, team members, their users, shift
    with django_assert_max_num_queries(5):
        response = phone.get(ME)

    assert response.status_code == 200


def test_me_of_a_lone_supervisor_reads_in_fewer_queries(django_assert_max_num_queries):
    phone, _, _ = signed_in_client(SupervisorFactory())

    with django_assert_max_num_queries(2):
        response = phone.get(ME)

    assert response.json()["team"] is None


# --- bad sign-in input --------------------------------------------------------------------


def test_login_without_fields_names_each_missing_field(api_client):
    response = api_client.post(LOGIN, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password", "device_name"}


def test_login_without_device_name_names_it(api_client, clinician):
    response = api_client.post(
        LOGIN, {"username": clinician.user.username, "password": DEMO_PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["device_name"]


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "[1, 2, 3]",
        "null",
        '"a string"',
        '{"username": {"$gt": ""}, "password": [], "device_name": 7}',
        '{"username": "a\\u0000b", "password": "x", "device_name": "phone"}',
        '{"username": "x", "password": "x", "device_name": "phone", "device_id": "not-a-uuid"}',
        '{"username": "x", "password": "x", "device_name": "phone", "platform": "symbian"}',
    ],
)
def test_login_with_malformed_body_is_400_json(api_client, raw):
    response = api_client.post(LOGIN, raw, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()


def test_login_with_wrong_password_is_401_with_detail(api_client, clinician):
    response = sign_in(api_client, clinician.user.username, password="not-the-password")

    assert response.status_code == 401
    assert response.json()["detail"] == "Wrong username or password."
    assert not DeviceToken.objects.exists()


def test_login_of_unknown_username_is_401_like_a_wrong_password(api_client):
    response = sign_in(api_client, "nobody-here")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_of_inactive_user_is_401(api_client):
    clinician = ClinicianFactory(user__is_active=False)

    response = sign_in(api_client, clinician.user.username)

    assert response.status_code == 401


def test_login_of_user_without_responder_profile_is_403(api_client):
    user = UserFactory()

    response = sign_in(api_client, user.username)

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_responder"
    assert not Device.objects.exists()


# --- lockout and throttling ---------------------------------------------------------------


def test_right_password_after_five_failures_is_locked_out(api_client, clinician):
    fail_sign_in(api_client, clinician.user.username)

    response = sign_in(api_client, clinician.user.username)

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert not DeviceToken.objects.exists()


def test_four_failures_do_not_lock_out(api_client, clinician):
    fail_sign_in(api_client, clinician.user.username, times=FAILURE_LIMIT - 1)

    assert sign_in(api_client, clinician.user.username).status_code == 200


def test_lockout_leaves_other_usernames_from_the_same_address_free(api_client, clinician):
    partner = ClinicianFactory(team=clinician.team)
    fail_sign_in(api_client, clinician.user.username)

    response = sign_in(api_client, partner.user.username)

    assert response.status_code == 200


def test_lockout_leaves_the_same_username_from_another_address_free(api_client, clinician):
    fail_sign_in(api_client, clinician.user.username, address=PHONE_ADDRESS)

    response = sign_in(api_client, clinician.user.username, address=OTHER_ADDRESS)

    assert response.status_code == 200


def test_successful_sign_in_clears_earlier_failures(api_client, clinician):
    fail_sign_in(api_client, clinician.user.username, times=FAILURE_LIMIT - 1)
    assert sign_in(api_client, clinician.user.username).status_code == 200
    fail_sign_in(api_client, clinician.user.username, times=1)

    response = sign_in(api_client, clinician.user.username)

    assert response.status_code == 200


def login_rate_limit() -> int:
    """The number of sign-ins one address may make per period (LOGIN_THROTTLE_RATE)."""
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])


def test_login_is_throttled_after_the_rate_from_one_address(api_client):
    for n in range(login_rate_limit()):
        assert sign_in(api_client, f"guess{n}", password="x").status_code == 401

    response = sign_in(api_client, "guess-final", password="x")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


def test_login_throttle_cannot_be_dodged_with_forged_forwarded_for(api_client):
    for n in range(login_rate_limit()):
        forged = {"HTTP_X_FORWARDED_FOR": f"10.0.{n // 250}.{n % 250}"}
        assert sign_in(api_client, f"guess{n}", password="x", meta=forged).status_code == 401

    forged = {"HTTP_X_FORWARDED_FOR": "10.9.9.9"}
    response = sign_in(api_client, "guess-final", password="x", meta=forged)

    assert response.status_code == 429


# --- signing out --------------------------------------------------------------------------


def test_logout_returns_204(clinician):
    phone, _, _ = signed_in_client(clinician)

    response = phone.post(LOGOUT)

    assert response.status_code == 204


def test_token_is_refused_after_logout(clinician):
    phone, _, _ = signed_in_client(clinician)
    phone.post(LOGOUT)

    response = phone.get(ME)

    assert response.status_code == 401


def test_logout_leaves_the_users_other_device_signed_in(clinician):
    phone, _, _ = signed_in_client(clinician, device_name="Phone")
    tablet, _, _ = signed_in_client(clinician, device_name="Tablet")

    phone.post(LOGOUT)

    assert tablet.get(ME).status_code == 200


def test_logout_without_a_token_is_401(api_client):
    assert api_client.post(LOGOUT).status_code == 401


# --- devices ------------------------------------------------------------------------------


def test_revoked_devices_token_is_refused_on_its_next_request(clinician):
    phone, _, device = signed_in_client(clinician)
    supervisor = SupervisorFactory(provider=clinician.provider)

    services.revoke_device(device=device, revoked_by=supervisor.user)
    response = phone.get(ME)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_revoked_device_cannot_sign_in_again_with_its_id(api_client, clinician):
    _, _, device = signed_in_client(clinician)
    supervisor = SupervisorFactory(provider=clinician.provider)
    services.revoke_device(device=device, revoked_by=supervisor.user)

    response = sign_in(api_client, clinician.user.username, device_id=str(device.pk))

    assert response.status_code == 403
    assert response.json()["code"] == "device_revoked"
    assert not device.tokens.exists()


def test_revoking_a_device_records_who_and_when(clinician):
    _, _, device = signed_in_client(clinician)
    supervisor = SupervisorFactory(provider=clinician.provider)

    services.revoke_device(device=device, revoked_by=supervisor.user)

    device.refresh_from_db()
    assert device.revoked_at is not None
    assert device.revoked_by == supervisor.user


def test_device_revoked_from_the_admin_loses_access(client, clinician):
    phone, _, device = signed_in_client(clinician)
    supervisor = SupervisorFactory(provider=clinician.provider)
    client.force_login(supervisor.user)

    response = client.post(
        "/admin/responders/device/",
        {"action": "revoke_devices", "_selected_action": [str(device.pk)]},
    )

    assert response.status_code == 302
    assert phone.get(ME).status_code == 401


def test_token_of_a_device_marked_revoked_is_refused_even_if_left_behind(clinician):
    phone, _, device = signed_in_client(clinician)
    Device.objects.filter(pk=device.pk).update(revoked_at=timezone.now())

    response = phone.get(ME)

    assert response.status_code == 401
    assert response.json()["detail"] == "This device has been revoked."


def test_signing_in_again_with_the_same_device_id_keeps_one_device(api_client, clinician):
    first = sign_in(api_client, clinician.user.username).json()

    second = sign_in(api_client, clinician.user.username, device_id=first["device"]["id"])

    assert second.status_code == 200
    assert second.json()["device"]["id"] == first["device"]["id"]
    assert Device.objects.filter(responder=clinician).count() == 1


def test_signing_in_again_on_a_device_ends_its_previous_token(api_client, clinician):
    phone, _, device = signed_in_client(clinician)

    sign_in(api_client, clinician.user.username, device_id=str(device.pk))

    assert phone.get(ME).status_code == 401


def test_device_id_of_another_responders_device_starts_a_new_device(api_client, clinician):
    _, _, partners_device = signed_in_client(ClinicianFactory(team=clinician.team))

    response = sign_in(api_client, clinician.user.username, device_id=str(partners_device.pk))

    assert response.status_code == 200
    assert response.json()["device"]["id"] != str(partners_device.pk)
    assert Device.objects.get(pk=partners_device.pk).responder != clinician


def test_unknown_device_id_names_the_new_device(api_client, clinician):
    device_id = uuid.uuid4()

    response = sign_in(api_client, clinician.user.username, device_id=str(device_id))

    assert response.json()["device"]["id"] == str(device_id)
    assert Device.objects.get(pk=device_id).responder == clinician


def test_expired_token_is_refused_and_deleted(clinician):
    phone, _, device = signed_in_client(clinician)
    device.tokens.update(expiry=timezone.now() - timedelta(seconds=1))

    response = phone.get(ME)

    assert response.status_code == 401
    assert not device.tokens.exists()


def test_token_of_a_deactivated_user_is_refused(clinician):
    phone, _, _ = signed_in_client(clinician)
    type(clinician.user).objects.filter(pk=clinician.user.pk).update(is_active=False)

    assert phone.get(ME).status_code == 401


def test_request_after_a_quiet_spell_updates_last_seen(clinician):
    phone, _, device = signed_in_client(clinician)
    long_ago = timezone.now() - timedelta(hours=1)
    Device.objects.filter(pk=device.pk).update(last_seen_at=long_ago)

    phone.get(ME)

    device.refresh_from_db()
    assert device.last_seen_at > long_ago + timedelta(minutes=59)
