"""The brokers a deployment runs django-q2 on. Tests run tasks in-process (Q_SYNC=1); these
check that a task really travels through each broker the README offers."""

import uuid

import pytest
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.signing import SignedPackage
from django_q.tasks import async_task

pytestmark = pytest.mark.django_db

TASK = "reports.tasks.send_daily_digests"


def carried(broker) -> str:
    """Enqueue a task on `broker` as a web process would and take it off as a worker would;
    the name of the function the worker would run."""
    async_task(TASK, broker=broker, sync=False)
    [(_, package)] = broker.dequeue()
    return SignedPackage.loads(package)["func"]


def test_redis_broker_of_a_deployment_with_redis_url_carries_a_task(monkeypatch):
    # The Redis on this machine (REDIS_URL=redis://127.0.0.1:6379/0 in a deployment).
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:6379/0")
    broker = Redis(list_key=f"umcr-test-{uuid.uuid4().hex}")
    try:
        assert broker.ping()
        assert carried(broker) == TASK
        assert broker.queue_size() == 0
    finally:
        broker.delete_queue()


def test_orm_broker_of_the_default_setup_carries_a_task():
    broker = ORM(list_key=f"umcr-test-{uuid.uuid4().hex}")

    assert carried(broker) == TASK
