"""The exits' retention task is scheduled by a migration (umcr/migrations/0011_sync_marks.py),
like the other scheduled work: no hand-made schedule to forget on a new deployment."""

import pytest
from django_q.models import Schedule


@pytest.mark.django_db
def test_cleanup_is_scheduled_daily_by_a_migration():
    schedule = Schedule.objects.get(name="sync exit retention")

    assert schedule.func == "umcr.sync.exits.purge_expired_exits"
    assert schedule.schedule_type == Schedule.CRON and schedule.repeats == -1
