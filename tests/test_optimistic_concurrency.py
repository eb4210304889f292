"""REST changes of mutable records carry the version they were based on (issue 13): two
phones of a pair rescheduling one visit at once - the second is told (409 with the current
version), not silently overwritten. Without a version a change is applied as before."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from followups.models import FollowUp
from referrals.models import Referral
from tests.factories import FollowUpFactory, ReferralFactory
from tests.followups.helpers import api_as, followup_url, iso, provider_staff, referral_url
from tests.sync.helpers import SYNC_DB

pytestmark = pytest.mark.django_db


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


def reschedule_body(days: int, **extra) -> dict:
    opens = timezone.now() + timedelta(days=days)
    return {
        "not_before": iso(opens),
        "due_by": iso(opens + timedelta(days=1)),
        "note": f"In {days} days.",
        **extra,
    }


def test_the_version_is_in_every_follow_up_and_referral_answer(alcott):
    followup = FollowUpFactory(call=alcott.call, assigned_team=alcott.team)
    referral = ReferralFactory(call=alcott.call)
    phone = api_as(alcott.clinician)

    assert phone.get(followup_url(followup)).json()["version"] == followup.sync_seq
    assert phone.get(referral_url(referral)).json()["version"] == referral.sync_seq


def test_a_change_based_on_an_old_version_is_409_naming_the_current_one(alcott):
    followup = FollowUpFactory(call=alcott.call, assigned_team=alcott.team)
    first, second = api_as(alcott.clinician), api_as(alcott.partner)
    seen = first.get(followup_url(followup)).json()["version"]

    mine = first.post(
        followup_url(followup, "reschedule/"),
        reschedule_body(2),
        format="json",
        HTTP_IF_MATCH=f'"{seen}"',
    )
    theirs = second.post(
        followup_url(followup, "reschedule/"), reschedule_body(5, version=seen), format="json"
    )

    assert mine.status_code == 200
    assert theirs.status_code == 409
    assert theirs.json()["code"] == "stale"
    assert theirs.json()["current_version"] == mine.json()["version"] != seen
    stored = FollowUp.objects.get(pk=followup.pk)
    assert stored.not_before.date() == (timezone.now() + timedelta(days=2)).date()


def test_a_referral_move_on_an_old_version_is_409(alcott):
    referral = ReferralFactory(call=alcott.call)
    phone = api_as(alcott.clinician)
    seen = phone.get(referral_url(referral)).json()["version"]
    phone.post(referral_url(referral, "status/"), {"status": "sent"}, format="json")

    late = phone.post(
        referral_url(referral, "status/"),
        {"status": "withdrawn", "version": seen},
        format="json",
    )

    assert (late.status_code, late.json()["code"]) == (409, "stale")
    assert Referral.objects.get(pk=referral.pk).status == "sent"


@pytest.mark.parametrize("bad", ['"abc"', "W/", '"-1"'])
def test_a_malformed_if_match_is_a_400_naming_it(alcott, bad):
    followup = FollowUpFactory(call=alcott.call, assigned_team=alcott.team)

    response = api_as(alcott.clinician).post(
        followup_url(followup, "cancel/"), {"note": "x"}, format="json", HTTP_IF_MATCH=bad
    )

    assert response.status_code == 400
    assert "If-Match" in response.json()
    assert FollowUp.objects.get(pk=followup.pk).status == "scheduled"


def test_a_change_without_a_version_is_applied_as_before(alcott):
    followup = FollowUpFactory(call=alcott.call, assigned_team=alcott.team)

    response = api_as(alcott.clinician).post(
        followup_url(followup, "reschedule/"), reschedule_body(3), format="json"
    )

    assert response.status_code == 200


@SYNC_DB
def test_two_phones_rescheduling_at_once_one_wins_and_the_other_is_told():
    staff = provider_staff("Alcott", "WIL")
    followup = FollowUpFactory(call=staff.call, assigned_team=staff.team)
    phones = [api_as(staff.clinician), api_as(staff.partner)]
    seen = phones[0].get(followup_url(followup)).json()["version"]
    barrier = threading.Barrier(2)
    answers: list = []

    def reschedule(phone, days):
        try:
            barrier.wait(5)
            answers.append(
                phone.post(
                    followup_url(followup, "reschedule/"),
                    reschedule_body(days, version=seen),
                    format="json",
                ).status_code
            )
        finally:
            connection.close()

    threads = [
        threading.Thread(target=reschedule, args=(phone, days))
        for phone, days in zip(phones, (2, 4), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(answers) == [200, 409]
