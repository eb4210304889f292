"""Notes from the desk to the team on a call ("caller says he walked to the park"): written by
the desk, or a supervisor on their provider's calls, by REST or from the board; append-only
(a correction is another note); sent to the team's phones by the sync pull (the read-only
`desk_notes` table, calls/sync.py) and as a notification to the team's clinicians.

Not the team's own on-scene notes (calls.services.add_note), which the desk does not read.
"""

import uuid

from django.db import transaction
from django.db.models import QuerySet

from responders.models import Responder
from umcr.errors import Invalid
from umcr.sync import sequence

from . import alerts, permissions
from .models import DESK_NOTE_MAX_LENGTH, Call, DeskNote
from .services import Written, find_replay


def check_desk_note_body(body: str) -> str:
    """The body as stored: some text, at most DESK_NOTE_MAX_LENGTH characters."""
    if not body.strip():
        raise Invalid({"body": ["A note needs some text."]})
    if len(body) > DESK_NOTE_MAX_LENGTH:
        raise Invalid({"body": [f"At most {DESK_NOTE_MAX_LENGTH} characters."]})
    return body


@transaction.atomic
def write_desk_note(
    *, call: Call, author: Responder, body: str, note_id: uuid.UUID | None = None
) -> Written:
    """Append a note from the desk to the call's team and notify its clinicians. The same
    `note_id` again (a retry) returns the stored note, notifying nobody twice."""
    permissions.check_can_write_desk_note(author, call)
    body = check_desk_note_body(body)
    # The sync counter first, then the call (the lock order every writer follows); the
    # scope asked again on the locked row: a reassignment may have committed meanwhile.
    sequence.hold()
    call = Call.objects.select_for_update().get(pk=call.pk)
    permissions.check_can_write_desk_note(author, call)
    if note_id is not None:
        replay = find_replay(
            DeskNote,
            note_id,
            scope=permissions.desk_notes_scope(author),
            call=call,
            content={"body": body},
        )
        if replay is not None:
            return replay
    note = DeskNote.objects.create(id=note_id or uuid.uuid4(), call=call, body=body, author=author)
    alerts.desk_note_written(call, note)
    return Written(note, created=True)


def desk_notes_of(*, responder: Responder, call: Call) -> QuerySet[DeskNote]:
    """The call's desk notes `responder` reads, oldest first, with their authors."""
    return (
        DeskNote.objects.filter(permissions.desk_notes_scope(responder), call=call)
        .select_related("author__user")
        .order_by("created_at")
    )
