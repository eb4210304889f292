"""Transports become synced (transports/0002-0004): rides recorded before keep their
refusals, now with the phone-style UUID, their call and the next destination, and every row
gets a sync sequence number past any phone's cursor."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from calls.choices import CallStatus
from referrals.choices import ServiceCategory
from tests.factories import CallFactory, ServiceFactory
from tests.sync.helpers import SYNC_DB
from tests.sync.helpers import migration_data as migration_data  # noqa: F401  (a fixture)
from tests.sync.helpers import sync_counter as sync_counter  # noqa: F401  (a fixture)
from transports.models import DestinationRefusal, Transport
from umcr.sync import sequence

pytestmark = SYNC_DB

BEFORE = [("transports", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_sync(sync_counter):  # noqa: F811
    old = migrate(BEFORE)
    yield old
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def old_ride(old, call, destination, departed_at):
    """A ride to `destination`, recorded with the models from before sync."""
    return old.get_model("transports", "Transport").objects.create(
        call_id=call.pk,
        provider_id=call.routed_provider_id,
        team_id=call.team_id,
        destination_id=destination.pk,
        consent_given=True,
        consent_method="verbal",
        departed_at=departed_at,
    )


def test_rides_and_refusals_recorded_before_sync_are_kept_and_stamped(before_sync):
    old = before_sync
    call = CallFactory(status=CallStatus.ON_SCENE)
    csu, urgent, sobering = (
        ServiceFactory(category=category)
        for category in (
            ServiceCategory.CRISIS_STABILIZATION,
            ServiceCategory.URGENT_CARE,
            ServiceCategory.SOBERING_CENTER,
        )
    )
    now = timezone.now()
    ride = old_ride(old, call, sobering, now)
    refusals = old.get_model("transports", "DestinationRefusal").objects
    refusals.create(transport=ride, service_id=csu.pk, reason="Full.", refused_at=now)
    refusals.create(transport=ride, service_id=urgent.pk, reason="No psych.", refused_at=now)
    cursor = sequence.current()

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    kept = list(DestinationRefusal.objects.order_by("created_seq"))
    assert [(r.service_id, r.next_destination_id, r.reason) for r in kept] == [
        (csu.pk, urgent.pk, "Full."),
        (urgent.pk, sobering.pk, "No psych."),
    ]
    assert {r.call_id for r in kept} == {call.pk}
    stamped = [Transport.objects.get(pk=ride.pk).sync_seq, *(r.sync_seq for r in kept)]
    assert min(stamped) > cursor
    assert len(set(stamped)) == 3
    # Recorded (phones' `recorded_at`) when refused, not when migrated.
    assert [r.created_at for r in kept] == [now, now]


def test_a_rollback_keeps_the_refusals(before_sync):
    old = before_sync
    call = CallFactory(status=CallStatus.ON_SCENE)
    csu, sobering = (
        ServiceFactory(category=category)
        for category in (ServiceCategory.CRISIS_STABILIZATION, ServiceCategory.SOBERING_CENTER)
    )
    now = timezone.now()
    ride = old_ride(old, call, sobering, now)
    old.get_model("transports", "DestinationRefusal").objects.create(
        transport=ride, service_id=csu.pk, reason="Full.", refused_at=now
    )
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    rolled_back = migrate(BEFORE)

    kept = rolled_back.get_model("transports", "DestinationRefusal").objects.all()
    assert [(r.transport_id, r.service_id, r.reason, r.refused_at) for r in kept] == [
        (ride.pk, csu.pk, "Full.", now)
    ]
