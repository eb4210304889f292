"""Issue 10's findings, each the regression test that failed before the one access policy:
the desk rewriting people through the push, a case manager voiding records and revoking
phones in the admin, a moved clinician taking records along, the desk reading clinical
content, a replay reading what scope no longer allows, foreign ids answered two ways, and an
account nobody could stop.

Two providers: Alcott (the prober's, mostly) and Penny Lane.
"""

import pytest
from django.db.models import ProtectedError
from django.test import Client

from calls.models import Note, Person, StatusEvent
from followups.models import FollowUp
from followups.services import complete_followup, reassign_followup
from referrals.models import Referral
from responders.models import Device, Responder
from tests.calls.helpers import (
    CALLS,
    backup_body,
    backups_url,
    event_body,
    events_url,
    minutes_ago,
    note_body,
    notes_url,
)
from tests.factories import (
    BackupRequestFactory,
    ClinicianFactory,
    DeviceFactory,
    DispatcherFactory,
    NoteFactory,
    OutcomeFactory,
    PersonFactory,
    ReferralFactory,
    StatusEventFactory,
    TeamFactory,
)
from tests.followups.helpers import (
    FOLLOWUPS,
    admin_changelist,
    api_as,
    followup_body,
    provider_staff,
    referral_url,
)
from tests.sync.helpers import changes, ids_of, pull_body, push

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
ME = "/api/v1/me/"


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


@pytest.fixture
def pennylane():
    return provider_staff("Pennylane", "DEV")


def admin_as(responder: Responder) -> Client:
    client = Client()
    client.force_login(responder.user)
    return client


def admin_action(client: Client, model, action: str, records, **form) -> None:
    client.post(
        admin_changelist(model),
        {"action": action, "_selected_action": [str(r.pk) for r in records], "index": 0, **form},
    )


def rejected(body: dict, table: str) -> dict:
    return body["rejected"].get(table, {})


# --- 1. the desk (and provider staff) rewrite people through the push ----------------------


def test_the_desk_cannot_rewrite_anyones_identity_through_the_push(pennylane):
    desk = api_as(DispatcherFactory())
    cursor = pull_body(desk, None)["timestamp"]
    edit = {
        "id": str(pennylane.person.pk),
        "given_name": "EDIT",
        "phone": "555-0000",
        "birth_date": "1990-01-01",
    }

    body = push(desk, changes(people={"updated": [edit]}), cursor).json()

    assert body["applied"] == 0
    assert str(pennylane.person.pk) in rejected(body, "people")
    person = Person.objects.get(pk=pennylane.person.pk)
    assert (person.given_name, person.phone, person.birth_date) == ("Dana", "", None)


@pytest.mark.parametrize("role", ["supervisor", "case_manager"])
def test_provider_staff_read_people_but_cannot_rewrite_them_through_the_push(alcott, role):
    staff = api_as(getattr(alcott, role))
    cursor = pull_body(staff, None)["timestamp"]

    body = push(
        staff,
        changes(people={"updated": [{"id": str(alcott.person.pk), "given_name": "X"}]}),
        cursor,
    ).json()

    assert body["applied"] == 0
    assert rejected(body, "people")[str(alcott.person.pk)]["code"] == "not_allowed"
    assert Person.objects.get(pk=alcott.person.pk).given_name == "Dana"


def test_the_pair_still_corrects_a_persons_details(alcott):
    phone = api_as(alcott.clinician)
    cursor = pull_body(phone, None)["timestamp"]

    body = push(
        phone,
        changes(people={"updated": [{"id": str(alcott.person.pk), "given_name": "Dee"}]}),
        cursor,
    ).json()

    assert body["applied"] == 1
    assert Person.objects.get(pk=alcott.person.pk).given_name == "Dee"


# --- 2. a case manager voids records and revokes phones in the admin -----------------------


@pytest.mark.parametrize("factory", [NoteFactory, StatusEventFactory])
def test_a_case_manager_cannot_void_clinical_records_in_the_admin(alcott, factory):
    record = factory(call=alcott.call)

    admin_action(admin_as(alcott.case_manager), type(record), "void", [record], reason="oops")

    record.refresh_from_db()
    assert record.voided_at is None


def test_a_supervisor_voids_a_record_of_their_provider(alcott):
    note = NoteFactory(call=alcott.call)

    admin_action(admin_as(alcott.supervisor), Note, "void", [note], reason="wrong call")

    note.refresh_from_db()
    assert (note.voided_at is not None, note.void_reason) == (True, "wrong call")


def test_voiding_a_cleared_event_by_a_case_manager_does_not_reopen_the_call(alcott):
    cleared = StatusEventFactory(call=alcott.call, kind="cleared")

    admin_action(admin_as(alcott.case_manager), StatusEvent, "void", [cleared], reason="oops")

    assert StatusEvent.objects.get(pk=cleared.pk).voided_at is None


def test_a_case_manager_cannot_revoke_devices(alcott):
    device = DeviceFactory(responder=alcott.clinician)

    admin_action(admin_as(alcott.case_manager), Device, "revoke_devices", [device])

    assert Device.objects.get(pk=device.pk).revoked_at is None


# --- 3. a clinician moving to another provider takes records along --------------------------


@pytest.fixture
def moved(alcott, pennylane):
    """alcott.clinician recorded a person and made referrals, then moved to a new Penny Lane
    team, where a new partner works."""
    recorded = PersonFactory(provider=alcott.provider, created_by=alcott.clinician)
    referrals = ReferralFactory.create_batch(
        3,
        call=None,
        person=alcott.person,
        provider=alcott.provider,
        referred_by=alcott.clinician,
    )
    new_team = TeamFactory(provider=pennylane.provider)
    partner = ClinicianFactory(team=new_team)
    mover = alcott.clinician
    mover.provider, mover.team = pennylane.provider, new_team
    mover.save()
    return {"person": recorded, "referrals": referrals, "partner": partner, "mover": mover}


def test_the_new_partner_pulls_none_of_the_old_providers_records(moved):
    body = pull_body(api_as(moved["partner"]), None)

    assert str(moved["person"].pk) not in ids_of(body, "people", "created")
    assert not set(ids_of(body, "referrals", "created")) & {str(r.pk) for r in moved["referrals"]}


def test_the_mover_pulls_none_of_them_either(moved):
    body = pull_body(api_as(moved["mover"]), None)

    assert str(moved["person"].pk) not in ids_of(body, "people", "created")
    assert ids_of(body, "referrals", "created") == []


def test_the_new_partner_cannot_read_or_withdraw_an_old_referral(moved):
    partner = api_as(moved["partner"])
    referral = moved["referrals"][0]

    read = partner.get(referral_url(referral))
    moved_ = partner.post(referral_url(referral, "status/"), {"status": "withdrawn"}, format="json")

    assert (read.status_code, moved_.status_code) == (404, 404)
    assert Referral.objects.get(pk=referral.pk).status == "proposed"


def test_the_old_pair_keeps_what_it_recorded(alcott, moved):
    body = pull_body(api_as(alcott.partner), None)

    assert str(moved["person"].pk) in ids_of(body, "people", "created")
    assert {str(r.pk) for r in moved["referrals"]} <= set(ids_of(body, "referrals", "created"))


def test_a_team_with_members_cannot_be_deleted(alcott):
    with pytest.raises(ProtectedError):
        alcott.team.delete()


def test_deleting_an_empty_team_carries_its_people_to_no_one(alcott):
    empty = TeamFactory(provider=alcott.provider)
    person = PersonFactory(provider=alcott.provider, team=empty)

    empty.delete()

    person.refresh_from_db()
    assert person.team_id is None
    body = pull_body(api_as(alcott.clinician), None)
    assert str(person.pk) not in ids_of(body, "people", "created")


# --- 5. the desk reads clinical content -----------------------------------------------------


def test_the_desks_call_detail_leaves_out_clinical_content_and_says_so(alcott):
    NoteFactory(call=alcott.call, body="Disclosed a diagnosis.")
    OutcomeFactory(call=alcott.call, summary="Agreed to treatment for ...")

    body = api_as(DispatcherFactory()).get(f"{CALLS}{alcott.call.pk}/").json()

    assert body["notes"] == []
    assert body["person"] is None
    assert body["outcome"]["summary"] == ""
    assert body["outcome"]["disposition"]
    assert set(body["withheld"]) >= {"notes", "person", "outcome_details"}
    assert "Disclosed" not in str(body)


def test_the_pairs_call_detail_withholds_nothing(alcott):
    NoteFactory(call=alcott.call, body="Calm now.")

    body = api_as(alcott.clinician).get(f"{CALLS}{alcott.call.pk}/").json()

    assert (len(body["notes"]), body["withheld"]) == (1, [])
    assert body["person"]["given_name"] == "Dana"


def test_the_desks_pull_carries_no_notes_outcomes_or_people(alcott):
    NoteFactory(call=alcott.call, body="Disclosed a diagnosis.")
    OutcomeFactory(call=alcott.call, summary="Private.")
    BackupRequestFactory(call=alcott.call)

    body = pull_body(api_as(DispatcherFactory()), None)

    assert [ids_of(body, t, "created") for t in ("notes", "outcomes", "people")] == [[], [], []]
    call_row = body["changes"]["calls"]["created"][0]
    assert call_row["disposition"] and "police_involved" in call_row
    assert len(ids_of(body, "backup_requests", "created")) == 1


# --- 6. a replay reads what scope no longer allows -----------------------------------------


def test_a_replayed_follow_up_id_out_of_scope_answers_nothing_of_it(alcott):
    phone = api_as(alcott.clinician)
    body = followup_body(person=alcott.person.pk)
    assert phone.post(FOLLOWUPS, body, format="json").status_code == 201
    followup = FollowUp.objects.get(pk=body["id"])
    reassign_followup(
        followup=followup, responder=alcott.supervisor, assigned_to_id=alcott.case_manager.pk
    )
    complete_followup(
        followup=followup, responder=alcott.case_manager, outcome="Moved to Pasadena."
    )

    read = phone.get(f"{FOLLOWUPS}{followup.pk}/")
    again = phone.post(FOLLOWUPS, body, format="json")

    assert read.status_code == 404
    assert (again.status_code, again.json()["code"]) == (409, "id_taken")
    assert "Pasadena" not in again.content.decode()


# --- 7. one answer for a foreign id; an account that can be stopped -----------------------


@pytest.mark.parametrize(
    ("theirs", "url", "make_body"),
    [
        (NoteFactory, notes_url, lambda pk: note_body("Mine.", minutes_ago(1), note_id=pk)),
        (
            StatusEventFactory,
            events_url,
            lambda pk: event_body("acknowledged", minutes_ago(1), event_id=pk),
        ),
        (
            BackupRequestFactory,
            backups_url,
            lambda pk: backup_body(minutes_ago(1), request_id=pk),
        ),
    ],
    ids=["notes", "status_events", "backup_requests"],
)
def test_a_foreign_id_is_id_taken_on_every_table(alcott, pennylane, theirs, url, make_body):
    record = theirs(call=pennylane.call)

    response = api_as(alcott.clinician).post(url(alcott.call), make_body(record.pk), format="json")

    assert (response.status_code, response.json()["code"]) == (409, "id_taken")
    assert type(record).objects.filter(pk=record.pk, call=pennylane.call).exists()


def test_a_suspended_account_loses_every_device_and_cannot_sign_in(alcott):
    phones = [api_as(alcott.clinician), api_as(alcott.clinician)]
    alcott.clinician.user.set_password("umcr-demo")
    alcott.clinician.user.save()

    admin_action(admin_as(alcott.supervisor), Responder, "suspend_accounts", [alcott.clinician])

    assert [phone.get(ME).status_code for phone in phones] == [401, 401]
    sign_in = Client().post(
        LOGIN,
        {"username": alcott.clinician.user.username, "password": "umcr-demo", "device_name": "New"},
        content_type="application/json",
    )
    assert sign_in.status_code in (400, 401, 403)
    assert "token" not in sign_in.json()


def test_reinstating_lets_the_account_sign_in_again(alcott):
    alcott.clinician.user.set_password("umcr-demo")
    alcott.clinician.user.save()
    supervisor = admin_as(alcott.supervisor)
    admin_action(supervisor, Responder, "suspend_accounts", [alcott.clinician])

    admin_action(supervisor, Responder, "reinstate_accounts", [alcott.clinician])

    sign_in = Client().post(
        LOGIN,
        {"username": alcott.clinician.user.username, "password": "umcr-demo", "device_name": "New"},
        content_type="application/json",
    )
    assert sign_in.status_code == 200
    assert sign_in.json()["token"]


def test_a_supervisor_cannot_suspend_another_providers_staff(alcott, pennylane):
    admin_action(admin_as(alcott.supervisor), Responder, "suspend_accounts", [pennylane.clinician])

    assert Responder.objects.get(pk=pennylane.clinician.pk).user.is_active


def test_a_case_manager_cannot_suspend_accounts(alcott):
    admin_action(admin_as(alcott.case_manager), Responder, "suspend_accounts", [alcott.clinician])

    assert Responder.objects.get(pk=alcott.clinician.pk).user.is_active
