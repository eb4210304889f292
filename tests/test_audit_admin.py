"""The audit trail of admin pages: a change page (the record and the rows of its inlines), a
list (the rows on the page) and an autocomplete answer write who read which records, with
channel "admin"; the access log's own page is read-only for everyone, superusers included,
scoped for supervisors and searchable by record id; a person's page shows who read it."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    ClinicianFactory,
    DeviceFactory,
    FollowUpFactory,
    NoteFactory,
    OutcomeFactory,
    PersonFactory,
    ProviderFactory,
    ReferralFactory,
    SupervisorFactory,
    UserFactory,
)
from umcr.audit import reads_of
from umcr.models import AccessLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def alcott():
    return ProviderFactory(name="Alcott", slug="alcott")


@pytest.fixture
def supervisor(alcott):
    return SupervisorFactory(provider=alcott)


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor.user)
    return client


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def changelist_url(model: str) -> str:
    return reverse("admin:{}_{}_changelist".format(*model.split(".")))


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def logged(**filters) -> dict[str, list[str]]:
    rows = AccessLog.objects.filter(**filters)
    kinds: dict[str, list[str]] = {}
    for row in rows:
        kinds.setdefault(row.record_type, []).extend(row.record_ids)
    return {kind: sorted(ids) for kind, ids in kinds.items()}


def strs(*records) -> list[str]:
    return sorted(str(r.pk) for r in records)


# --- pages that show personal data ------------------------------------------------------------


def test_a_calls_change_page_logs_the_call_and_the_rows_of_its_inlines(
    supervisor_client, supervisor, alcott
):
    call = CallFactory(routed_provider=alcott)
    notes = NoteFactory.create_batch(2, call=call)
    outcome = OutcomeFactory(call=call)
    backup = BackupRequestFactory(call=call)
    NoteFactory(call=CallFactory(routed_provider=alcott))  # another call's: not on the page

    response = supervisor_client.get(change_url(call))

    assert response.status_code == 200
    assert logged() == {
        "backuprequest": strs(backup),
        "call": strs(call),
        "note": strs(*notes),
        "outcome": strs(outcome),
    }
    rows = AccessLog.objects.all()
    assert {(r.user_id, r.device_id, r.channel, r.provider_id) for r in rows} == {
        (supervisor.user_id, None, "admin", alcott.pk)
    }
    assert {r.path for r in rows} == {change_url(call)}


@pytest.mark.parametrize(
    "factory",
    [
        lambda p: PersonFactory(provider=p),
        lambda p: NoteFactory(call=CallFactory(routed_provider=p)),
        lambda p: OutcomeFactory(call=CallFactory(routed_provider=p)),
        lambda p: BackupRequestFactory(call=CallFactory(routed_provider=p)),
        lambda p: FollowUpFactory(provider=p),
        lambda p: ReferralFactory(provider=p),
    ],
    ids=["person", "note", "outcome", "backuprequest", "followup", "referral"],
)
def test_a_change_page_logs_its_record(supervisor_client, alcott, factory):
    record = factory(alcott)

    assert supervisor_client.get(change_url(record)).status_code == 200

    read = reads_of(record._meta.model_name, record.pk).get()
    assert (read.channel, read.provider_id) == ("admin", alcott.pk)


def test_a_quarantined_records_page_is_logged(superuser_client):
    from umcr.models import QuarantinedRecord

    record = QuarantinedRecord.objects.create(
        user=UserFactory(),
        table="notes",
        record_id=str(uuid.uuid4()),
        operation="created",
        payload={"body": "Said his name is Dana."},
        reason={"detail": "Call not found."},
    )

    assert superuser_client.get(change_url(record)).status_code == 200

    assert reads_of("quarantinedrecord", record.pk).get().channel == "admin"


def test_a_list_logs_the_rows_on_its_page(supervisor_client, supervisor, alcott):
    notes = [NoteFactory(call=CallFactory(routed_provider=alcott)) for _ in range(3)]
    NoteFactory(call=CallFactory(routed_provider=ProviderFactory()))  # not theirs, not shown

    response = supervisor_client.get(changelist_url("calls.note"))

    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert (log.record_type, sorted(log.record_ids)) == ("note", strs(*notes))
    assert (log.user_id, log.channel, log.provider_id) == (supervisor.user_id, "admin", alcott.pk)


def test_a_list_logs_in_one_insert_without_reading_its_rows_again(
    supervisor_client, alcott, monkeypatch
):
    from calls.admin import CallAdmin

    for _ in range(3):
        CallFactory(routed_provider=alcott)
    url = changelist_url("calls.call")
    supervisor_client.get(url)  # the session's first page warms caches

    with CaptureQueriesContext(connection) as audited:
        supervisor_client.get(url)
    monkeypatch.setattr(CallAdmin, "audit_kind", None)
    with CaptureQueriesContext(connection) as plain:
        supervisor_client.get(url)

    inserts = [q["sql"] for q in audited.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "umcr_accesslog" in inserts[0]
    assert len(audited) == len(plain) + 1


def test_an_autocomplete_answer_logs_the_people_it_offered(supervisor_client, supervisor, alcott):
    # Family names fixed: a random one ("Jordan", "Sheridan") would match "Dan" too.
    dana = PersonFactory(provider=alcott, given_name="Dana", family_name="Okafor")
    PersonFactory(provider=alcott, given_name="Sam", family_name="Okafor")

    response = supervisor_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "followups", "model_name": "followup", "field_name": "person", "term": "Dan"},
    )

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(dana.pk)]
    log = AccessLog.objects.get()
    assert (log.record_type, log.record_ids, log.channel) == ("person", [str(dana.pk)], "admin")
    assert log.user_id == supervisor.user_id


def test_a_page_refused_writes_nothing(supervisor_client):
    other = PersonFactory(provider=ProviderFactory())

    response = supervisor_client.get(change_url(other))

    assert response.status_code in (302, 404)
    assert not AccessLog.objects.exists()


# --- the access log's own page ----------------------------------------------------------------------


def a_log(provider=None, **fields) -> AccessLog:
    fields.setdefault("record_ids", [str(uuid.uuid4())])
    return AccessLog.objects.create(
        user=UserFactory(), channel="rest", record_type="person", provider=provider, **fields
    )


def test_nobody_adds_changes_or_deletes_access_log_rows_in_the_admin(superuser_client):
    log = a_log()
    delete_url = reverse("admin:umcr_accesslog_delete", args=[log.pk])

    assert superuser_client.get(reverse("admin:umcr_accesslog_add")).status_code == 403
    posted = superuser_client.post(change_url(log), {"record_ids": "[]", "channel": "sync"})
    assert superuser_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = superuser_client.post(
        changelist_url("umcr.accesslog"),
        {"action": "delete_selected", "_selected_action": [log.pk], "post": "yes"},
    )

    assert posted.status_code == 403
    assert bulk.status_code in (200, 302)
    log.refresh_from_db()
    assert (log.channel, len(log.record_ids)) == ("rest", 1)
    page = superuser_client.get(change_url(log))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_a_supervisor_sees_their_providers_rows_with_the_count_of_ids(supervisor_client, alcott):
    ours = a_log(alcott, record_ids=["a", "b", "c"])
    theirs = a_log(ProviderFactory())

    response = supervisor_client.get(changelist_url("umcr.accesslog"))

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [ours] and theirs not in shown
    assert response.context["cl"].model_admin.record_count(ours) == 3


def test_the_access_log_is_searched_by_record_id(supervisor_client, alcott):
    wanted = str(uuid.uuid4())
    hit = a_log(alcott, record_ids=[str(uuid.uuid4()), wanted])
    a_log(alcott)

    response = supervisor_client.get(changelist_url("umcr.accesslog"), {"q": wanted})

    assert list(response.context["cl"].result_list) == [hit]


# --- who read this person ----------------------------------------------------------------------------


def test_a_persons_page_shows_who_read_the_record(supervisor_client, alcott):
    person = PersonFactory(provider=alcott)
    reader = ClinicianFactory(provider=alcott, user__username="alcott-reader")
    device = DeviceFactory(responder=reader, name="Reader's Pixel")
    AccessLog.objects.create(
        user=reader.user,
        device=device,
        channel="sync",
        record_type="person",
        record_ids=[str(uuid.uuid4()), str(person.pk)],
        provider=alcott,
    )
    a_log(alcott)  # another person's read

    html = supervisor_client.get(change_url(person)).content.decode()

    assert "Who read this record" in html
    assert "alcott-reader" in html and "Sync pull" in html and "Reader&#x27;s Pixel" in html
