"""The scheduled work of follow-ups: reminders before a window opens, escalations of overdue
follow-ups to supervisors, and the case managers' daily digest (reports/tasks.py, since it
reads referrals too). Each is run twice, as a schedule that fires twice or a retried task
would, and must notify each recipient once.

Two ways: calling the task functions, and through django-q2 itself (the Schedule rows that
migrations followups/0003 and reports/0001 create, fired by django-q2's scheduler; Q_SYNC=1
runs each task in-process and records its result).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Schedule, Success
from django_q.scheduler import scheduler

from followups import services, tasks
from followups.choices import FollowUpStatus
from referrals.choices import ReferralStatus
from reports.tasks import send_daily_digests
from tests.factories import CaseManagerFactory, FollowUpFactory, SupervisorFactory
from tests.followups.helpers import days_ago, hours_from_now, provider_staff, referral_in
from umcr.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


@pytest.fixture
def exodus():
    return provider_staff("Exodus", "SE")


def recipients(kind: str) -> list[str]:
    """Usernames of the notifications of `kind`, one entry per stored notification."""
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def opening_in(staff, hours: float, **fields):
    opens = hours_from_now(hours)
    fields.setdefault("due_by", opens + timedelta(days=1))
    return FollowUpFactory(call=staff.call, person=staff.person, not_before=opens, **fields)


def overdue(staff, **fields):
    return FollowUpFactory(
        call=staff.call,
        person=staff.person,
        not_before=days_ago(3),
        due_by=days_ago(1),
        **fields,
    )


# --- reminders ----------------------------------------------------------------------------------


def test_reminder_run_twice_reaches_both_clinicians_of_the_pair_once(alcott):
    opening_in(alcott, 2)

    first, second = tasks.send_followup_reminders(), tasks.send_followup_reminders()

    assert (first, second) == (2, 0)
    assert recipients(NotificationKind.FOLLOWUP_REMINDER) == ["alcott-clinician", "alcott-partner"]


def test_reminder_names_the_person_and_the_address(alcott):
    opening_in(alcott, 2)

    tasks.send_followup_reminders()

    title = Notification.objects.filter(kind=NotificationKind.FOLLOWUP_REMINDER).first().title
    assert "Visit with Dana Alcottson" in title
    assert alcott.call.address in title


def test_reminder_of_a_follow_up_assigned_to_a_case_manager_reaches_only_them(alcott):
    opening_in(alcott, 20, assigned_team=None, assigned_to=alcott.case_manager)

    tasks.send_followup_reminders()
    tasks.send_followup_reminders()

    assert recipients(NotificationKind.FOLLOWUP_REMINDER) == ["alcott-case-manager"]


def test_reminder_of_an_unassigned_follow_up_reaches_its_providers_case_managers(alcott, exodus):
    CaseManagerFactory(provider=alcott.provider, user__username="alcott-second-cm")
    opening_in(alcott, 2, assigned_team=None)

    tasks.send_followup_reminders()
    tasks.send_followup_reminders()

    assert recipients(NotificationKind.FOLLOWUP_REMINDER) == [
        "alcott-case-manager",
        "alcott-second-cm",
    ]


@pytest.mark.parametrize(
    ("opens_in_hours", "status"),
    [
        pytest.param(25, FollowUpStatus.SCHEDULED, id="opens-after-24h"),
        pytest.param(-1, FollowUpStatus.SCHEDULED, id="already-open"),
        pytest.param(2, FollowUpStatus.CANCELLED, id="cancelled"),
    ],
)
def test_no_reminder_for_a_follow_up_not_opening_within_a_day(alcott, opens_in_hours, status):
    closed_at = None if status == FollowUpStatus.SCHEDULED else timezone.now()
    opening_in(alcott, opens_in_hours, status=status, closed_at=closed_at)

    assert tasks.send_followup_reminders() == 0
    assert not Notification.objects.exists()


def test_rescheduled_follow_up_is_reminded_again_for_its_new_window(alcott):
    followup = opening_in(alcott, 2)
    tasks.send_followup_reminders()
    services.change_followup(
        followup=followup, responder=alcott.clinician, not_before=hours_from_now(5)
    )

    assert tasks.send_followup_reminders() == 2
    assert len(recipients(NotificationKind.FOLLOWUP_REMINDER)) == 4


def test_reminder_is_emailed_once_however_often_it_runs(alcott, mailoutbox):
    opening_in(alcott, 2, assigned_team=None, assigned_to=alcott.case_manager)

    tasks.send_followup_reminders()
    tasks.send_followup_reminders()

    assert [m.to for m in mailoutbox] == [[alcott.case_manager.user.email]]


# --- escalations --------------------------------------------------------------------------------


def test_overdue_escalation_run_twice_alerts_each_supervisor_of_the_provider_once(alcott, exodus):
    SupervisorFactory(provider=alcott.provider, user__username="alcott-second-supervisor")
    overdue(alcott)

    first, second = tasks.escalate_overdue_followups(), tasks.escalate_overdue_followups()

    assert (first, second) == (2, 0)
    assert recipients(NotificationKind.FOLLOWUP_OVERDUE) == [
        "alcott-second-supervisor",
        "alcott-supervisor",
    ]


def test_overdue_escalation_says_who_had_it(alcott):
    overdue(alcott)

    tasks.escalate_overdue_followups()

    notification = Notification.objects.get(kind=NotificationKind.FOLLOWUP_OVERDUE)
    assert notification.title.endswith(f"(assigned to {alcott.team.call_sign})")
    assert notification.call_id == alcott.call.pk


@pytest.mark.parametrize(
    "status", [FollowUpStatus.COMPLETED, FollowUpStatus.MISSED, FollowUpStatus.CANCELLED]
)
def test_a_closed_follow_up_past_its_window_is_not_escalated(alcott, status):
    overdue(alcott, status=status, closed_at=timezone.now())

    assert tasks.escalate_overdue_followups() == 0
    assert not Notification.objects.exists()


def test_a_follow_up_still_inside_its_window_is_not_escalated(alcott):
    FollowUpFactory(call=alcott.call, not_before=days_ago(1), due_by=hours_from_now(1))

    assert tasks.escalate_overdue_followups() == 0


def test_a_follow_up_overdue_for_longer_than_the_escalation_window_is_left_to_the_queue(alcott):
    FollowUpFactory(call=alcott.call, not_before=days_ago(12), due_by=days_ago(8))

    assert tasks.escalate_overdue_followups() == 0


def test_escalation_queries_do_not_grow_with_the_supervisors(alcott, django_assert_max_num_queries):
    for n in range(5):
        SupervisorFactory(provider=alcott.provider, user__username=f"alcott-sup-{n}")
    overdue(alcott)
    tasks.escalate_overdue_followups()  # every notification exists now

    # overdue follow-ups, supervisors, then one dedupe lookup per notification
    with django_assert_max_num_queries(2 + 6):
        assert tasks.escalate_overdue_followups() == 0


def test_rescheduling_an_overdue_follow_up_and_missing_it_again_escalates_again(alcott):
    followup = overdue(alcott)
    tasks.escalate_overdue_followups()
    services.change_followup(
        followup=followup, responder=alcott.case_manager, due_by=hours_from_now(-0.5)
    )

    assert tasks.escalate_overdue_followups() == 1
    assert recipients(NotificationKind.FOLLOWUP_OVERDUE) == ["alcott-supervisor"] * 2


# --- the daily digest ---------------------------------------------------------------------------


def test_digest_run_twice_reaches_each_case_manager_once(alcott, exodus):
    first, second = send_daily_digests(), send_daily_digests()

    assert (first, second) == (2, 0)
    assert recipients(NotificationKind.DAILY_DIGEST) == [
        "alcott-case-manager",
        "exodus-case-manager",
    ]


def test_digest_counts_the_case_managers_own_providers_queues(alcott, exodus):
    overdue(alcott)
    overdue(alcott, assigned_team=None)
    FollowUpFactory(call=alcott.call, not_before=hours_from_now(-1), due_by=hours_from_now(5))
    overdue(exodus)
    referral_in(alcott, status=ReferralStatus.SENT, status_changed_at=days_ago(15))
    referral_in(alcott, status=ReferralStatus.COMPLETED, status_changed_at=days_ago(30))
    referral_in(exodus, status=ReferralStatus.SENT, status_changed_at=days_ago(20))

    send_daily_digests()

    digest = Notification.objects.get(recipient=alcott.case_manager.user)
    assert digest.body == (
        "Follow-ups overdue: 2; due today: 1; unassigned: 1. "
        "Referrals with no change for 14 days: 1."
    )


def test_inactive_case_manager_gets_no_digest(alcott):
    alcott.case_manager.user.is_active = False
    alcott.case_manager.user.save()

    assert send_daily_digests() == 0
    assert not Notification.objects.exists()


# --- through django-q2 ---------------------------------------------------------------------------

SCHEDULES = {
    "followup reminders": ("followups.tasks.send_followup_reminders", "I", 15, None),
    "overdue follow-up escalations": (
        "followups.tasks.escalate_overdue_followups",
        "I",
        15,
        None,
    ),
    "case managers' daily digest": ("reports.tasks.send_daily_digests", "C", None, "0 7 * * *"),
}


def fire_schedule(name: str) -> None:
    """Make `name` due (and every other schedule not) and let django-q2's scheduler run
    it: it creates the task from the Schedule and, with sync on, runs it at once."""
    now = timezone.now()
    Schedule.objects.exclude(name=name).update(next_run=now + timedelta(days=1))
    Schedule.objects.filter(name=name).update(next_run=now - timedelta(minutes=1))
    scheduler(broker=get_broker())


def test_migration_creates_the_three_schedules_repeating_forever():
    stored = {
        s.name: (s.func, s.schedule_type, s.minutes, s.cron)
        for s in Schedule.objects.filter(name__in=SCHEDULES)
    }

    assert stored == SCHEDULES
    assert set(Schedule.objects.filter(name__in=SCHEDULES).values_list("repeats", flat=True)) == {
        -1
    }


@pytest.fixture
def due_work(alcott, exodus):
    """One follow-up opening soon, one overdue, and two case managers: what each schedule
    should notify, by schedule name."""
    opening_in(alcott, 3)
    overdue(exodus)
    return {
        "followup reminders": (
            NotificationKind.FOLLOWUP_REMINDER,
            ["alcott-clinician", "alcott-partner"],
        ),
        "overdue follow-up escalations": (
            NotificationKind.FOLLOWUP_OVERDUE,
            ["exodus-supervisor"],
        ),
        "case managers' daily digest": (
            NotificationKind.DAILY_DIGEST,
            ["alcott-case-manager", "exodus-case-manager"],
        ),
    }


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_fired_twice_through_django_q_notifies_each_recipient_once(due_work, name):
    kind, expected = due_work[name]

    fire_schedule(name)
    fire_schedule(name)

    assert recipients(kind) == expected
    assert Notification.objects.exclude(kind=kind).count() == 0


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_fired_twice_records_two_successful_tasks(due_work, name):
    _, expected = due_work[name]

    fire_schedule(name)
    fire_schedule(name)

    runs = Success.objects.filter(group=name).order_by("started")
    assert [(t.func, t.result) for t in runs] == [
        (SCHEDULES[name][0], len(expected)),
        (SCHEDULES[name][0], 0),
    ]


@pytest.mark.parametrize("name", SCHEDULES)
def test_fired_schedule_points_at_its_task_and_waits_for_its_next_run(due_work, name):
    fire_schedule(name)

    schedule = Schedule.objects.get(name=name)
    assert schedule.next_run > timezone.now()
    assert Success.objects.get(group=name).id == schedule.task


def test_the_daily_digest_first_runs_at_seven_local_time():
    schedule = Schedule.objects.get(name="case managers' daily digest")

    first = timezone.localtime(schedule.next_run)

    assert (first.hour, first.minute) == (7, 0)
