"""Joins the two lines of issue 16's migrations: check-ins (0014, 0015) and desk notes and
reroutes (0016). Nothing to do."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0015_checkin_schedule"),
        ("calls", "0016_desk_notes_and_reroutes"),
    ]

    operations = []
