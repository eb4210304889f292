"""Scope follows the record: each person gets the team that recorded them, taken from the
team their recorder is in now (the best that is known of it), so later moves of that
clinician no longer carry the person across."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def recording_team(apps, schema_editor):
    Person = apps.get_model("calls", "Person")
    Responder = apps.get_model("responders", "Responder")
    team_of_recorder = Responder.objects.filter(pk=OuterRef("created_by_id")).values("team_id")[:1]
    Person.objects.filter(team__isnull=True, created_by__isnull=False).update(
        team_id=Subquery(team_of_recorder)
    )


class Migration(migrations.Migration):
    dependencies = [("calls", "0007_person_team")]

    operations = [migrations.RunPython(recording_team, reverse_code=migrations.RunPython.noop)]
