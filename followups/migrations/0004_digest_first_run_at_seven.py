"""The daily digest's first run at the next 07:00 (TIME_ZONE), not whenever the cluster first
starts: a first run at another hour would use up that day's digest (digests are keyed by day)."""

from datetime import datetime

from croniter import croniter
from django.db import migrations
from django.utils import timezone

DIGEST = "case managers' daily digest"


def first_run_at_seven(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for schedule in Schedule.objects.filter(name=DIGEST, cron__isnull=False):
        schedule.next_run = croniter(schedule.cron, timezone.localtime()).get_next(datetime)
        schedule.save(update_fields=["next_run"])


class Migration(migrations.Migration):
    dependencies = [("followups", "0003_schedules")]

    operations = [migrations.RunPython(first_run_at_seven, migrations.RunPython.noop)]
