"""The audit trail of sync pulls: each pull writes, per table of personal data, the ids it
delivered (created and updated; a deleted id carries no data), with who (user, device) and
how ("sync"), in one insert; an empty or refused pull writes nothing, and neither do status
events and the services directory, which hold no personal data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls import services as call_services
from tests.factories import (
    DispatcherFactory,
    NoteFactory,
    PersonFactory,
    ServiceFactory,
    StatusEventFactory,
    SupervisorFactory,
    TeamFactory,
)
from tests.sync.helpers import (
    SYNC_DB,
    Phone,
    ids_of,
    migration_data,  # noqa: F401  (a fixture)
    pull,
    pull_body,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.models import AccessLog
from umcr.sync.registry import registry

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


NOT_PERSONAL = {"status_events", "services"}


def delivered(body: dict) -> dict[str, list[str]]:
    """The ids a pull body delivers with personal data, by record kind (the model's name)."""
    kinds = {}
    for table in body["changes"]:
        ids = ids_of(body, table, "created") + ids_of(body, table, "updated")
        if ids and table not in NOT_PERSONAL:
            kinds[registry[table].model._meta.model_name] = sorted(ids)
    return kinds


def logged(phone: Phone) -> dict[str, list[str]]:
    rows = AccessLog.objects.filter(user=phone.responder.user, channel="sync")
    kinds: dict[str, list[str]] = {}
    for row in rows:
        kinds.setdefault(row.record_type, []).extend(row.record_ids)
    return {kind: sorted(ids) for kind, ids in kinds.items()}


def test_a_first_pull_logs_every_id_it_delivered_per_table():
    pair = team_pair(person=PersonFactory())
    NoteFactory.create_batch(2, call=pair.call)
    ServiceFactory()

    body = pull_body(pair.first.client, None)

    assert delivered(body)["note"] and delivered(body)["call"] == [str(pair.call.pk)]
    assert logged(pair.first) == delivered(body)
    rows = AccessLog.objects.filter(channel="sync")
    assert {(r.user_id, r.device_id, r.provider_id, r.action) for r in rows} == {
        (pair.first.responder.user_id, pair.first.device.pk, pair.team.provider_id, "read")
    }
    assert {r.path for r in rows} == {"/api/v1/sync/pull/"}


def test_an_incremental_pull_logs_only_what_changed_and_not_what_left():
    pair = team_pair()
    kept = NoteFactory(call=pair.call)
    cursor = pull_body(pair.first.client, None)["timestamp"]
    before = set(AccessLog.objects.values_list("pk", flat=True))
    new_note = NoteFactory(call=pair.call)
    moved = team_pair(team=pair.team).call  # a second call of the team...
    supervisor = SupervisorFactory(provider=pair.team.provider)
    call_services.assign_call(  # ...handed to another team: it leaves the pair's scope
        call=moved, team=TeamFactory(provider=pair.team.provider), assigned_by=supervisor
    )

    body = pull_body(pair.second.client, cursor)

    assert str(moved.pk) in ids_of(body, "calls", "deleted")
    rows = AccessLog.objects.exclude(pk__in=before)
    logged_ids = {row.record_type: sorted(row.record_ids) for row in rows}
    assert logged_ids == delivered(body)
    assert str(new_note.pk) in logged_ids["note"]
    assert str(kept.pk) not in logged_ids["note"]
    assert str(moved.pk) not in logged_ids.get("call", [])
    assert {row.user_id for row in rows} == {pair.second.responder.user_id}


def test_a_pull_writes_its_rows_in_one_insert():
    pair = team_pair()
    NoteFactory.create_batch(3, call=pair.call)
    pull_body(pair.first.client, None)  # the first request touches last_seen_at

    with CaptureQueriesContext(connection) as captured:
        pull_body(pair.first.client, None)

    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "umcr_accesslog" in inserts[0]


def test_status_events_and_services_are_delivered_but_not_logged():
    pair = team_pair()
    cursor = pull_body(pair.first.client, None)["timestamp"]
    rows = AccessLog.objects.count()
    StatusEventFactory(call=pair.call)
    ServiceFactory()

    body = pull_body(pair.first.client, cursor)

    assert ids_of(body, "status_events", "created") and ids_of(body, "services", "created")
    assert AccessLog.objects.count() == rows


def test_an_empty_pull_writes_nothing():
    pair = team_pair()
    cursor = pull_body(pair.first.client, None)["timestamp"]
    rows = AccessLog.objects.count()

    body = pull_body(pair.first.client, cursor)

    assert not delivered(body)
    assert AccessLog.objects.count() == rows


def test_a_refused_pull_writes_nothing():
    pair = team_pair()
    NoteFactory(call=pair.call)

    response = pull(pair.first.client, None, schema_version=999)

    assert response.status_code == 426
    assert not AccessLog.objects.exists()


def test_the_desks_pull_spans_providers_and_names_none():
    desk = Phone(DispatcherFactory(), "Desk console")
    one, other = team_pair(), team_pair()

    body = pull_body(desk.client, None)

    assert {str(one.call.pk), str(other.call.pk)} <= set(delivered(body)["call"])
    assert set(AccessLog.objects.values_list("provider", flat=True)) == {None}
    assert logged(desk)["call"] == delivered(body)["call"]
