"""The admin keeps each provider's staff inside their own provider: they see only its
records, cannot open another provider's by URL, and cannot widen their own scope.

Two providers, Alcott and Exodus; the signed-in supervisor works for Alcott.
"""

import uuid
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls.choices import BackupReason, EventKind
from responders.choices import Role
from responders.models import Division, Responder
from tests.admin_lists import every_row
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    CaseManagerFactory,
    ClinicianFactory,
    CoverageFactory,
    DeviceFactory,
    FollowUpFactory,
    NoteFactory,
    OutcomeFactory,
    PersonFactory,
    ProgramFactory,
    ProviderFactory,
    ReferralFactory,
    ReferralStatusChangeFactory,
    ShiftFactory,
    StatusEventFactory,
    SupervisorFactory,
    TeamFactory,
    UserFactory,
)
from umcr.admin import provider_scope_q
from umcr.models import AccessLog

pytestmark = pytest.mark.django_db

# One record of a provider for each scoped admin page.
SCOPED_RECORDS: dict[str, Callable[[models.Model], models.Model]] = {
    "calls.call": lambda p: CallFactory(routed_provider=p),
    "calls.person": lambda p: PersonFactory(provider=p),
    "calls.backuprequest": lambda p: BackupRequestFactory(call=CallFactory(routed_provider=p)),
    "responders.team": lambda p: TeamFactory(provider=p),
    "responders.shift": lambda p: ShiftFactory(team__provider=p),
    "responders.device": lambda p: DeviceFactory(responder=ClinicianFactory(provider=p)),
    "responders.responder": lambda p: ClinicianFactory(provider=p),
    "responders.coverage": lambda p: CoverageFactory(provider=p),
    "responders.provider": lambda p: p,
    "followups.followup": lambda p: FollowUpFactory(provider=p),
    "referrals.referral": lambda p: ReferralFactory(provider=p),
}


def changelist_url(model: str) -> str:
    return reverse("admin:{}_{}_changelist".format(*model.split(".")))


def change_url(obj: models.Model) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def change_form_data(response) -> dict:
    """What the browser posts back from a change page, unchanged: the form's editable
    fields and each inline's management form and rows."""
    data = {"_save": "Save"}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += [formset.management_form, *formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


@pytest.fixture
def alcott():
    return ProviderFactory(name="Alcott", slug="alcott")


@pytest.fixture
def exodus():
    return ProviderFactory(name="Exodus", slug="exodus")


@pytest.fixture
def supervisor(alcott):
    return SupervisorFactory(provider=alcott)


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor.user)
    return client


# --- what a supervisor sees ---------------------------------------------------------------


def test_supervisors_call_list_shows_own_providers_calls_only(supervisor_client, alcott, exodus):
    alcott_call = CallFactory(routed_provider=alcott, cad_incident_number="ALC-240001")
    exodus_call = CallFactory(routed_provider=exodus, cad_incident_number="EXO-240002")

    html = supervisor_client.get(changelist_url("calls.call")).content.decode()

    assert alcott_call.cad_incident_number in html
    assert exodus_call.cad_incident_number not in html


@pytest.mark.parametrize("model", SCOPED_RECORDS)
def test_supervisors_list_shows_own_providers_record(supervisor_client, alcott, model):
    own = SCOPED_RECORDS[model](alcott)

    response = supervisor_client.get(changelist_url(model), every_row(model))

    assert response.status_code == 200
    assert change_url(own) in response.content.decode()


@pytest.mark.parametrize("model", SCOPED_RECORDS)
def test_supervisors_list_hides_other_providers_record(supervisor_client, alcott, exodus, model):
    SCOPED_RECORDS[model](alcott)
    other = SCOPED_RECORDS[model](exodus)

    response = supervisor_client.get(changelist_url(model), every_row(model))

    assert response.status_code == 200
    assert change_url(other) not in response.content.decode()


@pytest.mark.parametrize("model", SCOPED_RECORDS)
def test_supervisor_opening_other_providers_record_by_url_is_sent_away(
    supervisor_client, exodus, model
):
    other = SCOPED_RECORDS[model](exodus)

    response = supervisor_client.get(change_url(other))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_other_providers_call_number_never_reaches_the_supervisor(supervisor_client, exodus):
    call = CallFactory(routed_provider=exodus, cad_incident_number="EXO-240003")

    response = supervisor_client.get(change_url(call), follow=True)

    assert call.cad_incident_number not in response.content.decode()


def test_call_list_filters_do_not_name_other_providers_teams(supervisor_client, alcott, exodus):
    CallFactory(team=TeamFactory(provider=alcott, call_sign="ALCOTT-1"))
    CallFactory(team=TeamFactory(provider=exodus, call_sign="EXODUS-1"))

    html = supervisor_client.get(changelist_url("calls.call")).content.decode()

    assert "EXODUS-1" not in html


def test_supervisors_own_call_page_shows_its_field_records(supervisor_client, alcott):
    call = CallFactory(routed_provider=alcott)
    StatusEventFactory(call=call, kind=EventKind.ON_SCENE)
    NoteFactory(call=call, body="Calm now; accepted water and a blanket.")
    OutcomeFactory(call=call, summary="Walked him to the winter shelter on 5th.")
    BackupRequestFactory(call=call, reason=BackupReason.OTHER, details="Dog loose, aggressive.")

    response = supervisor_client.get(change_url(call))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Calm now; accepted water and a blanket." in html
    assert "Walked him to the winter shelter on 5th." in html
    assert "Dog loose, aggressive." in html
    assert "On scene" in html


def test_call_page_does_not_let_the_supervisor_edit_field_records(supervisor_client, alcott):
    call = CallFactory(routed_provider=alcott)
    note = NoteFactory(call=call)

    response = supervisor_client.get(change_url(call))

    html = response.content.decode()
    assert note.body in html
    assert 'name="notes-0-body"' not in html


# --- a supervisor cannot widen their own scope --------------------------------------------


def test_supervisors_own_responder_page_is_view_only(supervisor_client, supervisor):
    response = supervisor_client.get(change_url(supervisor))

    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_supervisor_posting_to_own_responder_is_forbidden(supervisor_client, supervisor, exodus):
    response = supervisor_client.post(
        change_url(supervisor),
        {"provider": exodus.pk, "role": Role.DISPATCHER, "display_name": "Boss", "_save": "Save"},
    )

    assert response.status_code == 403


def test_supervisor_posting_to_own_responder_changes_nothing(supervisor_client, supervisor, exodus):
    supervisor_client.post(
        change_url(supervisor),
        {"provider": exodus.pk, "role": Role.DISPATCHER, "display_name": "Boss", "_save": "Save"},
    )

    stored = Responder.objects.get(pk=supervisor.pk)
    assert (stored.provider_id, stored.role, stored.display_name) == (
        supervisor.provider_id,
        Role.SUPERVISOR,
        supervisor.display_name,
    )


def test_supervisor_cannot_change_a_clinicians_provider_or_role(supervisor_client, alcott, exodus):
    clinician = ClinicianFactory(provider=alcott)
    data = change_form_data(supervisor_client.get(change_url(clinician)))
    data.update(provider=exodus.pk, role=Role.SUPERVISOR, display_name="Renamed")

    response = supervisor_client.post(change_url(clinician), data)

    stored = Responder.objects.get(pk=clinician.pk)
    assert response.status_code == 302
    assert stored.display_name == "Renamed"  # the edit went through...
    assert (stored.provider_id, stored.role) == (alcott.pk, Role.CLINICIAN)  # ...not the scope


def test_supervisor_putting_a_case_manager_on_a_team_gets_a_form_error(supervisor_client, alcott):
    case_manager = CaseManagerFactory(provider=alcott)
    team = TeamFactory(provider=alcott)
    data = change_form_data(supervisor_client.get(change_url(case_manager)))
    data["team"] = team.pk

    response = supervisor_client.post(change_url(case_manager), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors


def test_supervisor_cannot_attach_another_providers_person_to_a_call(
    supervisor_client, alcott, exodus
):
    call = CallFactory(routed_provider=alcott)
    stranger = PersonFactory(provider=exodus)
    data = change_form_data(supervisor_client.get(change_url(call)))
    data["person"] = str(stranger.pk)

    supervisor_client.post(change_url(call), data)

    call.refresh_from_db()
    assert call.person_id != stranger.pk


def test_a_form_offers_only_own_providers_rows_by_the_pages_provider_path(
    supervisor_client, alcott, exodus
):
    own = TeamFactory(provider=alcott)
    other = TeamFactory(provider=exodus)

    response = supervisor_client.get(reverse("admin:responders_shift_add"))

    teams = set(response.context["adminform"].form.fields["team"].queryset)
    assert own in teams
    assert other not in teams


def test_a_referrals_person_field_offers_the_people_the_provider_sees(
    supervisor_client, alcott, exodus
):
    referral = ReferralFactory(provider=alcott, call=CallFactory(routed_provider=alcott))
    recorded_here = PersonFactory(provider=alcott)
    served_on_our_call = CallFactory(routed_provider=alcott, person=PersonFactory(provider=exodus))
    stranger = PersonFactory(provider=exodus)

    response = supervisor_client.get(change_url(referral))

    people = set(response.context["adminform"].form.fields["person"].queryset)
    assert {recorded_here, served_on_our_call.person} <= people
    assert stranger not in people


def test_a_referral_cannot_be_moved_to_a_person_the_provider_never_met(
    supervisor_client, alcott, exodus
):
    referral = ReferralFactory(provider=alcott, call=CallFactory(routed_provider=alcott))
    stranger = PersonFactory(provider=exodus)
    data = change_form_data(supervisor_client.get(change_url(referral)))
    data["person"] = str(stranger.pk)

    response = supervisor_client.post(change_url(referral), data)

    assert response.status_code == 200
    assert "person" in response.context["adminform"].form.errors
    referral.refresh_from_db()
    assert referral.person_id != stranger.pk


@pytest.mark.parametrize("model", [Division, get_user_model()])
def test_a_model_without_a_provider_scoped_page_is_not_narrowed(model, alcott):
    assert provider_scope_q(model, alcott.pk) is None


def test_call_change_form_cannot_move_the_team_only_the_reassign_action_can(
    supervisor_client, alcott
):
    team = TeamFactory(provider=alcott, call_sign="ALCOTT-1")
    call = CallFactory(team=team)
    other = TeamFactory(provider=alcott, call_sign="ALCOTT-2")
    data = change_form_data(supervisor_client.get(change_url(call)))
    data["team"] = other.pk

    supervisor_client.post(change_url(call), data)

    call.refresh_from_db()
    assert call.team_id == team.pk


def test_supervisor_cannot_see_django_users(supervisor_client):
    response = supervisor_client.get("/admin/auth/user/")

    assert response.status_code == 403


def test_supervisor_can_add_a_team_to_own_provider_only(supervisor_client, alcott, exodus):
    response = supervisor_client.post(
        reverse("admin:responders_team_add"),
        {
            "call_sign": "ALCOTT-9",
            "program": ProgramFactory().pk,
            "provider": exodus.pk,
            "is_active": "on",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert alcott.teams.filter(call_sign="ALCOTT-9").exists()


def test_staff_user_without_responder_profile_sees_no_calls(client, alcott):
    call = CallFactory(routed_provider=alcott)
    client.force_login(UserFactory(is_staff=True))

    response = client.get(changelist_url("calls.call"))

    assert call.cad_incident_number not in response.content.decode()


# --- case managers ------------------------------------------------------------------------


@pytest.fixture
def case_manager_client(client, alcott):
    client.force_login(CaseManagerFactory(provider=alcott).user)
    return client


def test_case_manager_lists_own_providers_follow_ups(case_manager_client, alcott, exodus):
    own = FollowUpFactory(provider=alcott)
    other = FollowUpFactory(provider=exodus)

    html = case_manager_client.get(
        changelist_url("followups.followup"), follow=True
    ).content.decode()

    assert change_url(own) in html
    assert change_url(other) not in html


def test_case_manager_cannot_add_a_team(case_manager_client):
    response = case_manager_client.get(reverse("admin:responders_team_add"))

    assert response.status_code == 403


# --- superusers ---------------------------------------------------------------------------


def test_superuser_sees_every_providers_calls(client, alcott, exodus):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    calls = [CallFactory(routed_provider=alcott), CallFactory(routed_provider=exodus)]

    html = client.get(changelist_url("calls.call")).content.decode()

    assert all(call.cad_incident_number in html for call in calls)


def test_superuser_opens_any_providers_team(client, exodus):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    team = TeamFactory(provider=exodus)

    response = client.get(change_url(team))

    assert response.status_code == 200
    assert 'name="_save"' in response.content.decode()


# --- pages whose query count does not grow with their rows ----------------------------------


def queries_to_open(client, url) -> int:
    client.get(url)  # the first request of a session warms caches (content types, ...)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_access_log_list_queries_do_not_grow_with_its_rows(supervisor_client, alcott):
    def log(n):
        for _ in range(n):
            device = DeviceFactory(responder=ClinicianFactory(team=TeamFactory(provider=alcott)))
            AccessLog.objects.create(
                user=device.responder.user,
                device=device,
                provider=alcott,
                channel="rest",
                record_type="call",
                record_ids=[str(uuid.uuid4())],
            )

    log(2)
    few = queries_to_open(supervisor_client, changelist_url("umcr.accesslog"))
    log(8)

    assert queries_to_open(supervisor_client, changelist_url("umcr.accesslog")) == few


def test_referral_page_queries_do_not_grow_with_its_history(supervisor_client, alcott):
    referral = ReferralFactory(provider=alcott, call=CallFactory(routed_provider=alcott))

    def history(n):
        for _ in range(n):
            ReferralStatusChangeFactory(
                referral=referral, changed_by=CaseManagerFactory(provider=alcott)
            )

    history(2)
    few = queries_to_open(supervisor_client, change_url(referral))
    history(8)

    assert queries_to_open(supervisor_client, change_url(referral)) == few
