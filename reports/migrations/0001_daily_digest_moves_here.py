"""The daily digest reads follow-ups and referrals, so it lives in reports (above both): point
its django-q2 Schedule at the new path. Its name, timing and next run stay as they were."""

from django.db import migrations

DIGEST = "case managers' daily digest"
OLD, NEW = "followups.tasks.send_daily_digests", "reports.tasks.send_daily_digests"


def point_at(func):
    def forwards(apps, schema_editor):
        Schedule = apps.get_model("django_q", "Schedule")
        Schedule.objects.filter(name=DIGEST).update(func=func)

    return forwards


class Migration(migrations.Migration):
    dependencies = [("followups", "0004_digest_first_run_at_seven")]

    operations = [migrations.RunPython(point_at(NEW), point_at(OLD))]
