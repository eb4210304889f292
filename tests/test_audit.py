"""The audit trail of reads over REST, and the trail's own rules: every answer carrying
personal data writes who (user, device), how (rest), what (record kind and ids) and when;
a refused request writes nothing; rows are append-only (ORM and, on PostgreSQL, the
database); the retention job deletes only rows past six years; "who read record X"."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.api import serializers as call_serializers
from followups.api.serializers import FollowUpSerializer
from referrals.api.serializers import ReferralSerializer
from tests.calls.helpers import (
    BACKUP_REQUESTS,
    call_url,
    minutes_ago,
    note_body,
    notes_url,
    phone_of,
    post,
    team_pair,
)
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    DispatcherFactory,
    FollowUpFactory,
    NoteFactory,
    OutcomeFactory,
    PersonFactory,
    ProviderFactory,
    ReferralFactory,
    UserFactory,
)
from tests.followups.helpers import (
    FOLLOWUPS,
    REFERRALS,
    api_as,
    followup_url,
    person_url,
    provider_staff,
    referral_url,
)
from umcr.audit import AuditedSerializer, reads_of
from umcr.models import AccessLog, AppendOnlyViolation, access_log_retention_cutoff
from umcr.sync.registry import registry
from umcr.tasks import purge_access_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    return team_pair()


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


def logged(**filters) -> dict[str, list[str]]:
    """The ids logged per record kind (one row per kind and provider here)."""
    rows = AccessLog.objects.filter(**filters).order_by("record_type")
    return {row.record_type: sorted(row.record_ids) for row in rows}


def strs(*records) -> list[str]:
    return sorted(str(r.pk) for r in records)


# --- REST: what each read writes ---------------------------------------------------------


def test_the_calls_list_logs_the_listed_calls_with_who_and_how(pair):
    other = CallFactory(team=pair.team)

    response = pair.first.client.get("/api/v1/calls/", REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert (log.user, log.device, log.channel, log.action) == (
        pair.first.responder.user,
        pair.first.device,
        "rest",
        "read",
    )
    assert (log.record_type, sorted(log.record_ids)) == ("call", strs(pair.call, other))
    assert log.provider == pair.team.provider
    assert (log.ip_address, log.path) == ("198.51.100.7", "/api/v1/calls/")
    assert log.accessed_at is not None


def test_a_calls_detail_logs_the_call_its_person_and_each_record_it_shows(pair):
    person = PersonFactory(provider=pair.team.provider)
    call = CallFactory(team=pair.team, person=person, address="10 Bonnie Brae St")
    earlier = CallFactory(
        team=pair.team,
        address="10 Bonnie Brae St",
        received_at=call.received_at - timedelta(days=3),
    )
    note = NoteFactory(call=call)
    addendum = NoteFactory(call=call, amends=note)
    outcome = OutcomeFactory(call=call)
    backup = BackupRequestFactory(call=call)
    followup = FollowUpFactory(call=call, person=person)
    referral = ReferralFactory(call=call, person=person)

    response = pair.second.client.get(call_url(call))

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["prior_contacts"]] == [str(earlier.pk)]
    assert logged() == {
        "backuprequest": strs(backup),
        # The call read and the prior contact shown on its page.
        "call": strs(call, earlier),
        "followup": strs(followup),
        "note": strs(note, addendum),
        "outcome": strs(outcome),
        "person": strs(person),
        "referral": strs(referral),
    }
    rows = AccessLog.objects.all()
    assert {(r.user_id, r.device_id, r.channel) for r in rows} == {
        (pair.second.responder.user_id, pair.second.device.pk, "rest")
    }
    assert {r.provider_id for r in rows} == {pair.team.provider_id}


def test_every_read_of_a_detail_is_logged_again(pair):
    pair.first.client.get(call_url(pair.call))
    pair.first.client.get(call_url(pair.call))

    assert reads_of("call", pair.call.pk).count() == 2


def test_a_replayed_note_that_returns_the_stored_note_logs_the_read(pair):
    body = note_body("Calm now.", minutes_ago(5))
    assert post(pair.first.client, notes_url(pair.call), body).status_code == 201
    before = reads_of("note", body["id"]).count()

    replay = post(pair.second.client, notes_url(pair.call), body)

    assert replay.status_code == 200
    reads = reads_of("note", body["id"])
    assert reads.count() == before + 1
    latest = reads.first()
    assert (latest.user, latest.device, latest.channel, latest.provider) == (
        pair.second.responder.user,
        pair.second.device,
        "rest",
        pair.team.provider,
    )


def test_the_desks_backup_list_logs_each_request_under_its_calls_provider(pair):
    elsewhere = team_pair()
    ours = BackupRequestFactory(call=pair.call)
    theirs = BackupRequestFactory(call=elsewhere.call)
    desk = phone_of(DispatcherFactory(), "Desk console")

    response = desk.client.get(BACKUP_REQUESTS)

    assert response.status_code == 200
    rows = {r.provider_id: r for r in AccessLog.objects.filter(record_type="backuprequest")}
    assert rows[pair.team.provider_id].record_ids == [str(ours.pk)]
    assert rows[elsewhere.team.provider_id].record_ids == [str(theirs.pk)]
    assert {(r.user_id, r.device_id) for r in rows.values()} == {
        (desk.responder.user_id, desk.device.pk)
    }


def test_the_follow_up_list_and_detail_log_the_follow_ups(alcott):
    followup = FollowUpFactory(call=alcott.call, person=alcott.person)
    client = api_as(alcott.case_manager)

    assert client.get(FOLLOWUPS).status_code == 200
    assert logged() == {"followup": strs(followup)}

    assert client.get(followup_url(followup)).status_code == 200
    reads = reads_of("followup", followup.pk)
    assert reads.count() == 2
    assert {(r.channel, r.provider_id, r.user_id) for r in reads} == {
        ("rest", alcott.provider.pk, alcott.case_manager.user_id)
    }


def test_the_referral_list_and_detail_log_the_referrals(alcott):
    referral = ReferralFactory(call=alcott.call, person=alcott.person)
    client = api_as(alcott.case_manager)

    assert client.get(REFERRALS).status_code == 200
    assert logged() == {"referral": strs(referral)}

    assert client.get(referral_url(referral)).status_code == 200
    assert reads_of("referral", referral.pk).count() == 2


def test_a_persons_page_logs_the_person_and_the_records_it_lists(alcott):
    followup = FollowUpFactory(call=alcott.call, person=alcott.person)
    referral = ReferralFactory(call=alcott.call, person=alcott.person)

    response = api_as(alcott.case_manager).get(person_url(alcott.person))

    assert response.status_code == 200
    assert logged() == {
        "call": strs(alcott.call),
        "followup": strs(followup),
        "person": strs(alcott.person),
        "referral": strs(referral),
    }
    assert set(AccessLog.objects.values_list("provider", flat=True)) == {alcott.provider.pk}


def test_a_request_writes_all_its_reads_in_one_insert(pair):
    NoteFactory.create_batch(3, call=pair.call)
    OutcomeFactory(call=pair.call)
    pair.first.client.get(call_url(pair.call))  # the first request touches last_seen_at

    with CaptureQueriesContext(connection) as captured:
        pair.first.client.get(call_url(pair.call))

    writes = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith('INSERT INTO "umcr_accesslog"')
    assert (
        AccessLog.objects.filter(path=call_url(pair.call)).count() == 2 * 3
    )  # call, note, outcome


# --- REST: what writes nothing -------------------------------------------------------------


def test_a_404_writes_nothing(pair):
    outsider = team_pair()

    response = outsider.first.client.get(call_url(pair.call))

    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_a_refused_write_writes_nothing(pair):
    response = post(pair.first.client, notes_url(pair.call), {"id": str(uuid.uuid4())})

    assert response.status_code == 400
    assert not AccessLog.objects.exists()


def test_an_account_without_a_profile_is_refused_and_nothing_is_written(pair):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(UserFactory())

    assert client.get(call_url(pair.call)).status_code == 403
    assert not AccessLog.objects.exists()


# --- one name per kind of record -------------------------------------------------------------


def test_rest_kinds_are_the_model_names_the_sync_pull_logs():
    audited = [
        call_serializers.CallListItemSerializer,
        call_serializers.CallDetailSerializer,
        call_serializers.PersonSerializer,
        call_serializers.PersonDetailSerializer,
        call_serializers.PriorContactSerializer,
        call_serializers.PersonCallSerializer,
        call_serializers.NoteSerializer,
        call_serializers.OutcomeSerializer,
        call_serializers.BackupRequestSerializer,
        call_serializers.DeskBackupRequestSerializer,
        FollowUpSerializer,
        ReferralSerializer,
    ]
    synced = {table.model._meta.model_name for table in registry.values()}
    for serializer in audited:
        assert issubclass(serializer, AuditedSerializer), serializer
        assert serializer.audit_kind == serializer.Meta.model._meta.model_name, serializer
        assert serializer.audit_kind in synced


# --- append-only ------------------------------------------------------------------------------


def a_log(**fields) -> AccessLog:
    fields.setdefault("channel", "rest")
    fields.setdefault("record_type", "person")
    fields.setdefault("record_ids", [str(uuid.uuid4())])
    return AccessLog.objects.create(user=UserFactory(), **fields)


def test_an_access_log_row_cannot_be_changed_or_deleted_through_the_orm():
    log = a_log()

    log.record_ids = []
    with pytest.raises(AppendOnlyViolation):
        log.save()
    with pytest.raises(AppendOnlyViolation):
        log.delete()
    with pytest.raises(AppendOnlyViolation):
        AccessLog.objects.filter(pk=log.pk).update(record_ids=[])
    with pytest.raises(AppendOnlyViolation):
        AccessLog.objects.filter(pk=log.pk).delete()
    with pytest.raises(AppendOnlyViolation):
        AccessLog.objects.all().delete_past_retention(before=timezone.now())

    log.refresh_from_db()
    assert len(log.record_ids) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE umcr_accesslog SET record_ids = '[]' WHERE id = %s",
        "UPDATE umcr_accesslog SET accessed_at = now() - interval '10 years' WHERE id = %s",
        "DELETE FROM umcr_accesslog WHERE id = %s",
    ],
    ids=["update", "backdate", "delete"],
)
def test_the_database_refuses_raw_changes_and_deletes_of_young_rows(statement):
    log = a_log()

    with (
        pytest.raises(IntegrityError, match="append-only|kept six years"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [log.pk])

    assert AccessLog.objects.filter(pk=log.pk, record_ids=log.record_ids).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_lets_a_row_past_retention_be_deleted():
    old = a_log(accessed_at=timezone.now() - timedelta(days=6 * 366))

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM umcr_accesslog WHERE id = %s", [old.pk])

    assert not AccessLog.objects.filter(pk=old.pk).exists()


# --- retention --------------------------------------------------------------------------------


def test_the_retention_task_deletes_only_rows_older_than_six_years():
    now = timezone.now()
    expired = [a_log(accessed_at=now - timedelta(days=6 * 366 + n)) for n in range(3)]
    kept = [
        a_log(accessed_at=access_log_retention_cutoff(now) + timedelta(days=2)),
        a_log(accessed_at=now - timedelta(days=5 * 365)),
        a_log(),
    ]

    assert purge_access_log(batch_size=2) == 3

    assert not AccessLog.objects.filter(pk__in=[log.pk for log in expired]).exists()
    assert AccessLog.objects.filter(pk__in=[log.pk for log in kept]).count() == 3


def test_the_retention_task_is_scheduled_daily():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="umcr.tasks.purge_access_log")
    assert (schedule.schedule_type, schedule.cron, schedule.repeats) == ("C", "30 3 * * *", -1)


# --- who read record X ---------------------------------------------------------------------------


def test_reads_of_finds_the_rows_that_name_the_record_among_others():
    wanted = str(uuid.uuid4())
    provider = ProviderFactory()
    alone = a_log(record_ids=[wanted])
    among = a_log(record_ids=[str(uuid.uuid4()), wanted, str(uuid.uuid4())], provider=provider)
    a_log(record_ids=[str(uuid.uuid4())])
    a_log(record_type="call", record_ids=[wanted])  # another kind with the same id

    assert set(reads_of("person", wanted)) == {alone, among}
    assert list(reads_of("person", wanted)) == [among, alone]  # newest first
