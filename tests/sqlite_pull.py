"""Run by tests/test_sqlite_demo.py in its own process, on a fresh SQLite database (the
README's development server): migrate, seed the demo, a phone's first sync (every page), a
note, then the incremental pull. Prints the figures as JSON."""

import json
import sys
import uuid

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils.timezone import now  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from calls.models import Call  # noqa: E402
from calls.services import add_note  # noqa: E402
from demo.data import PASSWORD  # noqa: E402
from responders.models import Responder  # noqa: E402

call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0, stdout=sys.stderr)
client = APIClient()
signed_in = client.post(
    "/api/v1/auth/login/",
    {"username": "alcott.clinician1", "password": PASSWORD, "device_name": "demo"},
    format="json",
)
client.credentials(HTTP_AUTHORIZATION="Token " + signed_in.json()["token"])


def pull(cursor):
    return client.get(f"/api/v1/sync/pull/?last_pulled_at={cursor}&schema_version=4")


cursor, first, pages, more = "null", 0, 0, True
while more:
    pages += 1
    body = pull(cursor).json()
    first += sum(len(table["created"]) for table in body["changes"].values())
    cursor, more = body["timestamp"], body["has_more"]
me = Responder.objects.get(user__username="alcott.clinician1")
call = Call.objects.filter(team=me.team).order_by("-received_at").first()
note_id = uuid.uuid4()
add_note(call=call, responder=me, device=None, body="later", written_at=now(), note_id=note_id)
after = pull(cursor)
notes = after.json()["changes"]["notes"] if after.status_code == 200 else {}
print(
    json.dumps(
        {
            "first": first,
            "pages": pages,
            "status": after.status_code,
            "notes": [record["id"] for record in notes.get("created", [])],
            "note": str(note_id),
        }
    )
)
