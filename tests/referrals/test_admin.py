"""The referral admin a case manager works from: the stale queue, the close_* actions that
move referrals through the service (history kept; an illegal move refused with a message,
never a 500), and the history on a referral's page."""

import pytest
from django.urls import reverse

from referrals.choices import ReferralStatus
from referrals.models import Referral, ReferralStatusChange, Service
from tests.factories import ReferralStatusChangeFactory, ServiceFactory, UserFactory
from tests.followups.helpers import (
    admin_change,
    admin_changelist,
    days_ago,
    provider_staff,
    referral_in,
    run_admin_action,
)

pytestmark = pytest.mark.django_db

S = ReferralStatus


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


@pytest.fixture
def exodus():
    return provider_staff("Exodus", "SE")


@pytest.fixture
def case_manager_admin(client, alcott):
    client.force_login(alcott.case_manager.user)
    return client


def listed_in_admin(client, params, records) -> set[str]:
    response = client.get(admin_changelist(Referral), params, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    return {name for name, record in records.items() if admin_change(record) in html}


@pytest.fixture
def referrals(alcott, exodus):
    return {
        "stale": referral_in(alcott, status=S.SENT, status_changed_at=days_ago(15)),
        "fresh": referral_in(alcott, status=S.SENT, status_changed_at=days_ago(2)),
        "old_closed": referral_in(alcott, status=S.DECLINED, status_changed_at=days_ago(30)),
        "other_providers_stale": referral_in(exodus, status=S.SENT, status_changed_at=days_ago(30)),
    }


def test_stale_queue_lists_only_own_open_referrals_unchanged_for_14_days(
    case_manager_admin, referrals
):
    assert listed_in_admin(case_manager_admin, {"queue": "stale"}, referrals) == {"stale"}


def test_the_list_opens_on_the_stale_referrals(case_manager_admin, referrals):
    assert listed_in_admin(case_manager_admin, {}, referrals) == {"stale"}


def test_all_lists_every_referral_of_the_provider(case_manager_admin, referrals):
    assert listed_in_admin(case_manager_admin, {"queue": "all"}, referrals) == {
        "stale",
        "fresh",
        "old_closed",
    }


@pytest.mark.parametrize(
    ("action", "current", "target"),
    [
        ("close_completed", S.ENROLLED, S.COMPLETED),
        ("close_withdrawn", S.PROPOSED, S.WITHDRAWN),
        ("close_withdrawn", S.ENROLLED, S.WITHDRAWN),
        ("close_unreachable", S.SENT, S.UNREACHABLE),
        ("close_unreachable", S.ACCEPTED, S.UNREACHABLE),
    ],
)
def test_close_action_moves_the_referral_and_keeps_the_change(
    case_manager_admin, alcott, action, current, target
):
    referral = referral_in(alcott, status=current, status_changed_at=days_ago(20))

    response, messages = run_admin_action(case_manager_admin, Referral, action, [referral])

    assert response.status_code == 302
    assert messages == [f"1 referral(s) moved to {target}."]
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == target
    change = ReferralStatusChange.objects.get(referral=referral)
    assert (change.from_status, change.to_status, change.changed_by, change.note) == (
        current,
        target,
        alcott.case_manager,
        "Closed in the admin.",
    )


@pytest.mark.parametrize(
    ("action", "current", "why"),
    [
        (
            "close_completed",
            S.PROPOSED,
            "A referral cannot go from proposed to completed; "
            "from proposed it can go to sent, withdrawn.",
        ),
        (
            "close_unreachable",
            S.ENROLLED,
            "A referral cannot go from enrolled to unreachable; "
            "from enrolled it can go to completed, withdrawn.",
        ),
        (
            "close_withdrawn",
            S.DECLINED,
            "The referral is closed (declined); it cannot move to withdrawn.",
        ),
    ],
)
def test_close_action_refuses_an_illegal_move_with_a_message(
    case_manager_admin, alcott, action, current, why
):
    referral = referral_in(alcott, status=current)

    response, messages = run_admin_action(case_manager_admin, Referral, action, [referral])

    assert response.status_code == 302
    assert messages[0] == f"{referral}: {why}"
    assert messages[1].startswith("0 referral(s) moved to")
    assert Referral.objects.get(pk=referral.pk).status == current
    assert not ReferralStatusChange.objects.filter(referral=referral).exists()


def test_close_action_moves_what_it_may_and_refuses_the_rest(case_manager_admin, alcott):
    enrolled = referral_in(alcott, status=S.ENROLLED)
    proposed = referral_in(alcott, status=S.PROPOSED)

    _, messages = run_admin_action(
        case_manager_admin, Referral, "close_completed", [enrolled, proposed]
    )

    assert messages[-1] == "1 referral(s) moved to completed."
    assert Referral.objects.get(pk=enrolled.pk).status == S.COMPLETED
    assert Referral.objects.get(pk=proposed.pk).status == S.PROPOSED


def test_close_action_leaves_another_providers_referral_alone(case_manager_admin, exodus):
    theirs = referral_in(exodus, status=S.ENROLLED)

    response, messages = run_admin_action(case_manager_admin, Referral, "close_completed", [theirs])

    assert response.status_code == 302
    assert Referral.objects.get(pk=theirs.pk).status == S.ENROLLED
    assert "1 referral(s) moved to completed." not in messages


def test_referral_page_shows_its_history_with_the_notes(case_manager_admin, alcott):
    referral = referral_in(alcott, status=S.SENT)
    ReferralStatusChangeFactory(
        referral=referral,
        from_status="proposed",
        to_status="sent",
        changed_by=alcott.clinician,
        note="Intake faxed; call back Thursday.",
    )

    response = case_manager_admin.get(admin_change(referral))

    assert response.status_code == 200
    assert "Intake faxed; call back Thursday." in response.content.decode()


def test_referral_page_of_another_provider_sends_the_case_manager_away(case_manager_admin, exodus):
    theirs = referral_in(exodus, notes="Exodus-only note")

    response = case_manager_admin.get(admin_change(theirs))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_not_even_a_superuser_deletes_a_service_it_is_deactivated_instead(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    service = ServiceFactory()

    response = client.get(reverse("admin:referrals_service_delete", args=[service.pk]))

    assert response.status_code == 403
    assert Service.objects.filter(pk=service.pk).exists()
