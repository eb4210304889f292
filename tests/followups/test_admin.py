"""The follow-up admin a case manager works from: the queue filter, the actions that move
follow-ups through the services (history kept; an illegal move refused with a message,
never a 500), and the history on a follow-up's page. Staff sign in with force_login, as in
tests/test_admin_scoping.py.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.choices import FollowUpStatus
from followups.models import FollowUp, FollowUpChange
from tests.factories import FollowUpFactory
from tests.followups.helpers import (
    admin_change,
    admin_changelist,
    closed_followup,
    days_ago,
    hours_from_now,
    local_midnight_tonight,
    provider_staff,
    run_admin_action,
)
from tests.test_admin_scoping import change_form_data

pytestmark = pytest.mark.django_db


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


def scheduled(staff, **fields) -> FollowUp:
    return FollowUpFactory(call=staff.call, person=staff.person, **fields)


# --- the queue filter -------------------------------------------------------------------------


@pytest.fixture
def queues(alcott, exodus):
    now = timezone.now()
    midnight = local_midnight_tonight(now)
    scheduled(exodus, not_before=days_ago(3), due_by=days_ago(1))
    return {
        "overdue": scheduled(alcott, not_before=days_ago(3), due_by=days_ago(1)),
        "due_today": scheduled(alcott, not_before=days_ago(1), due_by=hours_from_now(3)),
        "upcoming": scheduled(
            alcott, not_before=midnight + timedelta(hours=2), due_by=midnight + timedelta(2)
        ),
        "unassigned": scheduled(
            alcott,
            not_before=midnight + timedelta(days=3),
            due_by=midnight + timedelta(days=4),
            assigned_team=None,
        ),
        "closed": closed_followup(
            alcott, FollowUpStatus.COMPLETED, not_before=days_ago(3), due_by=days_ago(1)
        ),
    }


def listed_in_admin(client, params, records) -> set[str]:
    response = client.get(admin_changelist(FollowUp), params, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    return {name for name, record in records.items() if admin_change(record) in html}


def test_overdue_queue_lists_only_overdue_follow_ups(case_manager_admin, queues):
    assert listed_in_admin(case_manager_admin, {"queue": "overdue"}, queues) == {"overdue"}


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("due_today", {"due_today"}),
        ("upcoming", {"upcoming", "unassigned"}),
        ("unassigned", {"unassigned"}),
    ],
)
def test_every_queue_lists_exactly_its_follow_ups(case_manager_admin, queues, queue, expected):
    assert listed_in_admin(case_manager_admin, {"queue": queue}, queues) == expected


def test_the_list_opens_on_open_follow_ups_overdue_first_then_due_today(case_manager_admin, queues):
    response = case_manager_admin.get(admin_changelist(FollowUp))
    assert response.status_code == 302 and "queue=open" in response["Location"]
    html = case_manager_admin.get(response["Location"]).content.decode()

    assert listed_in_admin(case_manager_admin, {}, queues) == set(queues) - {"closed"}
    order = [
        html.index(admin_change(queues[name])) for name in ("overdue", "due_today", "upcoming")
    ]
    assert order == sorted(order)


def test_all_shows_every_follow_up_of_the_provider(case_manager_admin, queues):
    assert listed_in_admin(case_manager_admin, {"queue": "all"}, queues) == set(queues)


def test_the_queue_filter_offers_each_queue(case_manager_admin):
    html = case_manager_admin.get(admin_changelist(FollowUp), follow=True).content.decode()

    for queue in ("overdue", "due_today", "upcoming", "unassigned"):
        assert f"?queue={queue}" in html


# --- actions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("mark_completed", FollowUpStatus.COMPLETED),
        ("mark_missed", FollowUpStatus.MISSED),
        ("cancel", FollowUpStatus.CANCELLED),
    ],
)
def test_closing_action_moves_the_follow_ups_and_writes_their_history(
    case_manager_admin, alcott, action, status
):
    first, second = scheduled(alcott), scheduled(alcott)

    response, messages = run_admin_action(case_manager_admin, FollowUp, action, [first, second])

    assert response.status_code == 302
    assert messages == ["2 follow-up(s) changed."]
    for followup in (first, second):
        stored = FollowUp.objects.get(pk=followup.pk)
        assert stored.status == status
        assert stored.closed_at is not None
        change = FollowUpChange.objects.get(followup=followup)
        assert (change.from_status, change.to_status, change.changed_by) == (
            "scheduled",
            status,
            alcott.case_manager,
        )


def test_mark_completed_records_that_the_admin_completed_it(case_manager_admin, alcott):
    followup = scheduled(alcott)

    run_admin_action(case_manager_admin, FollowUp, "mark_completed", [followup])

    assert FollowUp.objects.get(pk=followup.pk).outcome == "Completed (recorded in the admin)."


def test_assign_to_me_hands_the_follow_ups_to_the_signed_in_case_manager(
    case_manager_admin, alcott
):
    followup = scheduled(alcott)

    response, messages = run_admin_action(case_manager_admin, FollowUp, "assign_to_me", [followup])

    assert response.status_code == 302
    assert messages == ["1 follow-up(s) changed."]
    stored = FollowUp.objects.get(pk=followup.pk)
    assert (stored.assigned_team, stored.assigned_to) == (None, alcott.case_manager)


def test_supervisor_may_assign_follow_ups_to_themselves(client, alcott):
    client.force_login(alcott.supervisor.user)
    followup = scheduled(alcott)

    run_admin_action(client, FollowUp, "assign_to_me", [followup])

    assert FollowUp.objects.get(pk=followup.pk).assigned_to == alcott.supervisor


@pytest.mark.parametrize(
    ("action", "closed"),
    [
        ("mark_missed", FollowUpStatus.COMPLETED),
        ("mark_completed", FollowUpStatus.CANCELLED),
        ("cancel", FollowUpStatus.MISSED),
    ],
)
def test_closing_action_refuses_a_closed_follow_up_with_a_message(
    case_manager_admin, alcott, action, closed
):
    followup = closed_followup(alcott, closed)

    response, messages = run_admin_action(case_manager_admin, FollowUp, action, [followup])

    assert response.status_code == 302
    assert messages == [
        "0 follow-up(s) changed.",
        f"{followup}: The follow-up is already {closed}; it cannot change now.",
    ]
    assert FollowUp.objects.get(pk=followup.pk).status == closed
    assert not FollowUpChange.objects.filter(followup=followup).exists()


def test_action_moves_the_open_follow_ups_and_refuses_the_closed_ones(case_manager_admin, alcott):
    open_one = scheduled(alcott)
    done = closed_followup(alcott, FollowUpStatus.COMPLETED)

    _, messages = run_admin_action(case_manager_admin, FollowUp, "cancel", [open_one, done])

    assert messages[0] == "1 follow-up(s) changed."
    assert "already completed" in messages[1]
    assert FollowUp.objects.get(pk=open_one.pk).status == FollowUpStatus.CANCELLED
    assert FollowUp.objects.get(pk=done.pk).status == FollowUpStatus.COMPLETED


def test_assign_to_me_refuses_a_closed_follow_up_with_a_message(case_manager_admin, alcott):
    followup = closed_followup(alcott, FollowUpStatus.COMPLETED)

    _, messages = run_admin_action(case_manager_admin, FollowUp, "assign_to_me", [followup])

    assert messages[0] == "0 follow-up(s) changed."
    assert FollowUp.objects.get(pk=followup.pk).assigned_to is None


def test_action_on_another_providers_follow_up_changes_nothing(case_manager_admin, exodus):
    theirs = scheduled(exodus)

    response, messages = run_admin_action(case_manager_admin, FollowUp, "cancel", [theirs])

    assert response.status_code == 302
    assert FollowUp.objects.get(pk=theirs.pk).status == FollowUpStatus.SCHEDULED
    assert "1 follow-up(s) changed." not in messages


# --- a follow-up's page -------------------------------------------------------------------------


def test_follow_up_page_shows_its_history_with_the_notes(case_manager_admin, alcott):
    followup = scheduled(alcott)
    FollowUpChange.objects.create(
        followup=followup,
        from_status="scheduled",
        to_status="scheduled",
        old_due_by=days_ago(1),
        note="Moved: she has court on Tuesday.",
        changed_by=alcott.clinician,
    )

    response = case_manager_admin.get(admin_change(followup))

    assert response.status_code == 200
    assert "Moved: she has court on Tuesday." in response.content.decode()


def test_follow_up_page_of_another_provider_sends_the_case_manager_away(case_manager_admin, exodus):
    theirs = scheduled(exodus, purpose="Exodus-only purpose text")

    response = case_manager_admin.get(admin_change(theirs))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert "Exodus-only purpose text" not in response.content.decode()


def test_follow_up_form_cannot_move_the_window_or_the_assignee(case_manager_admin, alcott):
    followup = scheduled(alcott)
    window = (followup.not_before, followup.due_by, followup.assigned_team_id)
    data = change_form_data(case_manager_admin.get(admin_change(followup)))
    data.update(
        {
            "purpose": "Bring the bus pass.",
            "due_by_0": "2030-01-01",
            "due_by_1": "09:00:00",
            "assigned_team": "",
            "status": "completed",
        }
    )

    response = case_manager_admin.post(admin_change(followup), data)

    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.purpose == "Bring the bus pass."
    assert (followup.not_before, followup.due_by, followup.assigned_team_id) == window
    assert followup.status == FollowUpStatus.SCHEDULED


def test_follow_ups_are_not_added_in_the_admin(case_manager_admin):
    response = case_manager_admin.get(reverse("admin:followups_followup_add"))

    assert response.status_code == 403
