"""Tombstones and old cursors: exit rows (deletes for phones) are kept
SYNC_EXIT_RETENTION_DAYS days by a daily task; a pull from a cursor older than what was
purged is 409 `resync_required`, saying why."""

from datetime import timedelta

import pytest
from django.utils import timezone

from calls import services as call_services
from tests.factories import SupervisorFactory, TeamFactory
from tests.sync.helpers import (
    SYNC_DB,
    ids_of,
    migration_data,  # noqa: F401  (a fixture)
    pull,
    pull_body,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.models import SyncExit, SyncMark
from umcr.sync.exits import purge_expired_exits

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


def reassign_away(pair):
    call_services.assign_call(
        call=pair.call,
        team=TeamFactory(provider=pair.team.provider),
        assigned_by=SupervisorFactory(provider=pair.team.provider),
    )


def age_exits(days: int) -> None:
    SyncExit.objects.update(created_at=timezone.now() - timedelta(days=days))


def test_cleanup_removes_only_exits_older_than_the_retention(settings):
    settings.SYNC_EXIT_RETENTION_DAYS = 90
    old_pair, young_pair = team_pair(), team_pair()
    reassign_away(old_pair)
    age_exits(91)
    reassign_away(young_pair)
    young = set(SyncExit.objects.filter(created_at__gt=timezone.now() - timedelta(days=1)))
    assert young

    removed = purge_expired_exits()

    assert removed > 0
    assert set(SyncExit.objects.all()) == young
    assert SyncMark.objects.filter(window_start__isnull=True).count() == 1
    assert purge_expired_exits() == 0  # nothing older is left


def test_pull_from_a_cursor_older_than_the_retention_is_told_to_resync():
    pair = team_pair()
    cursor = pull_body(pair.first.client, None)["timestamp"]
    reassign_away(pair)
    age_exits(100)
    purge_expired_exits()

    response = pull(pair.first.client, cursor)

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "resync_required"
    assert body["reason"] == "retention"
    assert "90 days" in body["detail"] and "last_pulled_at null" in body["detail"]


def test_pull_from_a_cursor_past_the_purged_exits_still_gets_its_deletes():
    old_pair, pair = team_pair(), team_pair()
    reassign_away(old_pair)
    age_exits(100)
    cursor = pull_body(pair.first.client, None)["timestamp"]
    reassign_away(pair)
    purge_expired_exits()

    body = pull_body(pair.first.client, cursor)

    assert ids_of(body, "calls", "deleted") == [str(pair.call.pk)]


def test_first_sync_is_never_refused_for_retention():
    pair = team_pair()
    reassign_away(pair)
    age_exits(100)
    purge_expired_exits()

    assert pull(pair.first.client, None).status_code == 200
