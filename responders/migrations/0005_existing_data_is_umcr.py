"""Existing coverages, teams (and, in calls/0011, calls) belong to the UMCR program, created
here with what the code fixed before programs were data. A database with none of them (a new
deployment) gets no program: it adds its own in the admin, or `seed_demo` seeds three."""

from django.db import migrations

UMCR = {
    "name": "Unarmed Model of Crisis Response",
    "description": "Clinician pairs sent by community providers to non-violent 911 calls "
    "diverted by LAPD dispatch.",
    "intake_order": 10,
    # The program's call types, sources and safety rules as the code had them.
    "call_types": [
        "welfare_check",
        "mental_health_crisis",
        "public_intoxication",
        "indecent_exposure",
        "conflict_mediation",
        "homelessness",
        "trespass",
        "disturbance",
    ],
    "sources": ["cad_911", "umcr_desk", "field"],
    "refuses_weapon": True,
    "refuses_violence": True,
    "refused_safety_flags": [],
    "team_makeup": "clinician_pair",
    "transports": False,
}


def existing_data_is_umcr(apps, schema_editor):
    Program = apps.get_model("responders", "Program")
    Coverage = apps.get_model("responders", "Coverage")
    Team = apps.get_model("responders", "Team")
    Call = apps.get_model("calls", "Call")
    if not (Coverage.objects.exists() or Team.objects.exists() or Call.objects.exists()):
        return
    umcr, _ = Program.objects.get_or_create(slug="umcr", defaults=UMCR)
    Coverage.objects.filter(program__isnull=True).update(program=umcr)
    Team.objects.filter(program__isnull=True).update(program=umcr)


class Migration(migrations.Migration):
    dependencies = [("responders", "0004_programs"), ("calls", "0009_event_call_kind_arrival_idx")]

    operations = [migrations.RunPython(existing_data_is_umcr, migrations.RunPython.noop)]
