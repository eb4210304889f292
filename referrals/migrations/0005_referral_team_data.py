"""Scope follows the record: each referral gets the team that made it, taken from the team
its referrer is in now, or else its call's team, so later moves of that clinician no longer
carry the referral across."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def referring_team(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    Responder = apps.get_model("responders", "Responder")
    Call = apps.get_model("calls", "Call")
    team_of_referrer = Responder.objects.filter(pk=OuterRef("referred_by_id")).values("team_id")[:1]
    Referral.objects.filter(team__isnull=True, referred_by__isnull=False).update(
        team_id=Subquery(team_of_referrer)
    )
    team_of_call = Call.objects.filter(pk=OuterRef("call_id")).values("team_id")[:1]
    Referral.objects.filter(team__isnull=True, call__isnull=False).update(
        team_id=Subquery(team_of_call)
    )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_referral_team"), ("calls", "0007_person_team")]

    operations = [migrations.RunPython(referring_team, reverse_code=migrations.RunPython.noop)]
