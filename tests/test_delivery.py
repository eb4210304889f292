"""Safety-critical delivery (issue 13): a police-backup alert is written with the request and
always gets out, whatever fails on the way - the broker down while posting, the queue insert
failing, a worker killed between the notification and the email, a mail server refusing -
and each alert reaches each recipient once per channel.

Real PostgreSQL, the real HTTP layer, django-q2's real brokers pointed at what is down.
"""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_q.conf import Conf

from calls.models import BackupRequest
from tests.calls.helpers import BACKUP_REQUESTS, backup_body, backups_url, minutes_ago, team_pair
from tests.factories import DispatcherFactory, SupervisorFactory
from tests.followups.helpers import api_as
from umcr.models import Delivery, DeliveryChannel, DeliveryState, Notification, NotificationKind
from umcr.outbox import deliver_due, deliver_one, escalate_undelivered

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def field(settings, django_capture_on_commit_callbacks):
    """A pair on a call, the desk and the provider's supervisor (both with email), and the
    provider's alert address; mail goes to Django's in-memory outbox. `committed` runs a
    request's on-commit work (the loop's nudge) when it is done, as after a real commit
    (the test itself runs in one transaction)."""
    settings.EMAIL_BACKEND = LOCMEM
    pair = team_pair()
    provider = pair.call.routed_provider
    provider.alert_email = "alerts@alcott.example"
    provider.save()
    desk = DispatcherFactory(user__email="desk@city.example")
    supervisor = SupervisorFactory(provider=provider, user__email="sup@alcott.example")
    return {
        "pair": pair,
        "desk": desk,
        "supervisor": supervisor,
        "committed": django_capture_on_commit_callbacks,
    }


@pytest.fixture
def broker_down(monkeypatch):
    """django-q2 sends tasks to a Redis nobody listens on: every async_task raises."""
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")


@pytest.fixture
def queue_insert_failing(monkeypatch):
    """django-q2's ORM broker writes into a database alias that does not exist."""
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", "no-such-database")


def ask_for_backup(field, body=None) -> object:
    pair = field["pair"]
    with field["committed"](execute=True):
        return pair.first.client.post(
            backups_url(pair.call), body or backup_body(minutes_ago(1)), format="json"
        )


def alerts_of(backup_id) -> list[Delivery]:
    return list(Delivery.objects.filter(subject=f"backup_request:{backup_id}"))


def assert_each_alerted_once(field, backup_id) -> None:
    """Every recipient holds one notification of this request, and each address got one
    email."""
    key = f"backup_requested:{backup_id}"
    notified = Notification.objects.filter(dedupe_key__startswith=f"{key}:")
    assert sorted(n.recipient_id for n in notified) == sorted(
        [field["desk"].user_id, field["supervisor"].user_id]
    )
    to = sorted(address for message in mail.outbox for address in message.to)
    assert to == ["alerts@alcott.example", "desk@city.example", "sup@alcott.example"]


@pytest.mark.parametrize("outage", ["broker_down", "queue_insert_failing"])
def test_a_backup_request_during_a_broker_outage_is_accepted_and_alerted_later(
    field, outage, request
):
    request.getfixturevalue(outage)

    response = ask_for_backup(field)

    assert response.status_code == 201
    backup_id = response.json()["id"]
    deliveries = alerts_of(backup_id)
    # Two people in the app and by email, and the provider's alert address.
    assert len(deliveries) == 5
    assert {d.state for d in deliveries} == {DeliveryState.PENDING}
    assert deliver_due() == 5
    assert_each_alerted_once(field, backup_id)


def test_a_retried_request_after_an_outage_alerts_no_one_twice(field, broker_down):
    body = backup_body(minutes_ago(1))
    first = ask_for_backup(field, body)
    deliver_due()

    again = ask_for_backup(field, body)
    deliver_due()

    assert (first.status_code, again.status_code) == (201, 200)
    assert_each_alerted_once(field, first.json()["id"])


def test_with_the_broker_up_the_alert_goes_out_at_once(field):
    # Tests run django-q2 in-process (Q_SYNC): the nudge after commit runs the loop.
    response = ask_for_backup(field)

    backup_id = response.json()["id"]
    assert {d.state for d in alerts_of(backup_id)} == {DeliveryState.SENT}
    assert_each_alerted_once(field, backup_id)


def test_a_worker_killed_between_notification_and_email_loses_neither(field, broker_down):
    backup_id = ask_for_backup(field).json()["id"]
    in_app = [d for d in alerts_of(backup_id) if d.channel == DeliveryChannel.IN_APP]
    for delivery in in_app:
        assert deliver_one(delivery.pk)
    # The worker dies here: the emails were never tried. The next pass sends them.

    assert deliver_due() == 3
    assert deliver_due() == 0
    assert_each_alerted_once(field, backup_id)
    notification = Notification.objects.get(
        dedupe_key=f"backup_requested:{backup_id}:{field['desk'].user_id}"
    )
    assert notification.emailed_at is not None


def test_a_refusing_mail_server_is_retried_with_backoff_and_nothing_is_lost(
    field, broker_down, settings
):
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    backup_id = ask_for_backup(field).json()["id"]

    assert deliver_due() == 2  # the app's notifications; every email refused
    emails = [d for d in alerts_of(backup_id) if d.channel == DeliveryChannel.EMAIL]
    assert {(d.state, d.attempts) for d in emails} == {(DeliveryState.PENDING, 1)}
    assert all(d.last_error and d.next_attempt_at > timezone.now() for d in emails)
    assert deliver_due() == 0  # not due again yet

    settings.EMAIL_BACKEND = LOCMEM
    assert deliver_due(now=timezone.now() + timedelta(seconds=30)) == 3
    assert_each_alerted_once(field, backup_id)


def test_two_loops_at_once_send_each_delivery_once(field, broker_down):
    backup_id = ask_for_backup(field).json()["id"]

    sent = deliver_due() + deliver_due()

    assert sent == 5
    assert_each_alerted_once(field, backup_id)


def test_an_alert_undelivered_after_a_minute_is_escalated_once(field, broker_down):
    backup_id = ask_for_backup(field).json()["id"]
    Delivery.objects.filter(subject=f"backup_request:{backup_id}").update(
        created_at=timezone.now() - timedelta(minutes=2)
    )

    assert escalate_undelivered() == 1
    assert escalate_undelivered() == 0
    late = Delivery.objects.filter(kind=NotificationKind.BACKUP_UNDELIVERED)
    assert {d.recipient_id for d in late if d.channel == DeliveryChannel.IN_APP} == {
        field["desk"].user_id,
        field["supervisor"].user_id,
    }


def test_the_desks_list_shows_each_alerts_delivery_state(field, broker_down):
    backup_id = ask_for_backup(field).json()["id"]
    desk = api_as(field["desk"])

    pending = desk.get(BACKUP_REQUESTS).json()[0]["alert_delivery"]
    Delivery.objects.filter(subject=f"backup_request:{backup_id}").update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    late = desk.get(BACKUP_REQUESTS).json()[0]["alert_delivery"]
    deliver_due()
    delivered = desk.get(BACKUP_REQUESTS).json()[0]["alert_delivery"]

    assert pending == {"sent": 0, "pending": 5, "failed": 0, "late": False}
    assert late["late"] is True
    assert delivered == {"sent": 5, "pending": 0, "failed": 0, "late": False}
    assert BackupRequest.objects.filter(pk=backup_id).exists()


def test_moving_a_backup_request_alerts_the_team_through_the_outbox(field, broker_down):
    backup_id = ask_for_backup(field).json()["id"]
    desk = api_as(field["desk"])

    moved = desk.post(
        f"{BACKUP_REQUESTS}{backup_id}/status/", {"status": "acknowledged"}, format="json"
    )

    assert moved.status_code == 200
    status_rows = Delivery.objects.filter(kind=NotificationKind.BACKUP_STATUS)
    assert status_rows.filter(state=DeliveryState.PENDING).exists()
    deliver_due()
    team = {field["pair"].first.responder.user_id, field["pair"].second.responder.user_id}
    told = set(
        Notification.objects.filter(kind=NotificationKind.BACKUP_STATUS).values_list(
            "recipient_id", flat=True
        )
    )
    assert team <= told


def test_with_redis_up_the_nudge_is_queued_and_a_worker_delivers_once(field, monkeypatch):
    """The deployment's Redis broker: the request queues the loop's task there; whichever
    worker takes it (here: this process, as a worker would) sends each alert once."""
    from django_q.brokers.redis_broker import Redis
    from django_q.signing import SignedPackage

    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:6379/0")
    monkeypatch.setattr(Conf, "PREFIX", f"umcr-test-{uuid.uuid4().hex}")
    broker = Redis()
    try:
        backup_id = ask_for_backup(field).json()["id"]
        [(_, package)] = broker.dequeue()

        assert SignedPackage.loads(package)["func"] == "umcr.outbox.deliver_due"
        assert {d.state for d in alerts_of(backup_id)} == {DeliveryState.PENDING}
        assert deliver_due() == 5
        assert deliver_due() == 0
        assert_each_alerted_once(field, backup_id)
    finally:
        broker.delete_queue()
