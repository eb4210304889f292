"""The call carries its current outcome's disposition and police involvement (for lists and
the figures), kept in step by the services through corrections and voids."""

import uuid

import pytest
from django.utils import timezone

from calls import services
from calls.choices import Disposition
from tests.factories import CallFactory, ClinicianFactory, SupervisorFactory
from umcr.errors import Conflict

pytestmark = pytest.mark.django_db


def record(call, clinician, disposition, police=False, supersedes=None):
    return services.record_outcome(
        call=call,
        responder=clinician,
        device=None,
        outcome_id=uuid.uuid4(),
        disposition=disposition,
        police_involved=police,
        people_served=1,
        summary="",
        occurred_at=timezone.now(),
        supersedes=supersedes,
    ).record


def test_recording_an_outcome_copies_it_onto_the_call():
    clinician = ClinicianFactory()
    call = CallFactory(team=clinician.team)

    record(call, clinician, Disposition.HANDED_TO_POLICE, police=True)

    call.refresh_from_db()
    assert (call.disposition, call.police_involved) == (Disposition.HANDED_TO_POLICE, True)


def test_a_correction_replaces_the_calls_disposition():
    clinician = ClinicianFactory()
    call = CallFactory(team=clinician.team)
    first = record(call, clinician, Disposition.RESOLVED_ON_SCENE)

    record(call, clinician, Disposition.REFERRED_TO_SERVICES, supersedes=first.pk)

    call.refresh_from_db()
    assert (call.disposition, call.police_involved) == (Disposition.REFERRED_TO_SERVICES, False)


def test_voiding_the_only_outcome_clears_the_calls_disposition():
    clinician = ClinicianFactory()
    call = CallFactory(team=clinician.team)
    outcome = record(call, clinician, Disposition.REFUSED_SERVICES)

    services.void_field_record(
        record=outcome,
        voided_by=SupervisorFactory(provider=outcome.call.routed_provider).user,
        reason="wrong call",
    )

    call.refresh_from_db()
    assert (call.disposition, call.police_involved) == ("", None)


def void(outcome) -> None:
    services.void_field_record(
        record=outcome,
        voided_by=SupervisorFactory(provider=outcome.call.routed_provider).user,
        reason="entered in error",
    )


def test_voiding_a_correction_brings_back_the_outcome_it_corrected():
    clinician = ClinicianFactory()
    call = CallFactory(team=clinician.team)
    first = record(call, clinician, Disposition.RESOLVED_ON_SCENE)
    correction = record(call, clinician, Disposition.HANDED_TO_POLICE, True, supersedes=first.pk)

    void(correction)

    call.refresh_from_db()
    assert (call.disposition, call.police_involved) == (Disposition.RESOLVED_ON_SCENE, False)
    assert services.current_outcome(call) == first


def test_the_outcome_a_voided_correction_corrected_can_be_corrected_again():
    clinician = ClinicianFactory()
    call = CallFactory(team=clinician.team)
    first = record(call, clinician, Disposition.RESOLVED_ON_SCENE)
    void(record(call, clinician, Disposition.HANDED_TO_POLICE, True, supersedes=first.pk))

    second = record(call, clinician, Disposition.REFERRED_TO_SERVICES, supersedes=first.pk)

    call.refresh_from_db()
    assert second.supersedes == first
    assert call.disposition == Disposition.REFERRED_TO_SERVICES
    assert services.current_outcome(call) == second


def test_after_voiding_the_only_outcome_the_team_records_it_afresh():
    clinician = ClinicianFactory()
    call = CallFactory(team=clinician.team)
    void(record(call, clinician, Disposition.REFUSED_SERVICES))

    fresh = record(call, clinician, Disposition.TRANSPORTED_VOLUNTARILY)

    call.refresh_from_db()
    assert fresh.supersedes is None
    assert (call.disposition, services.current_outcome(call)) == (
        Disposition.TRANSPORTED_VOLUNTARILY,
        fresh,
    )


def test_a_correction_naming_a_voided_outcome_is_409():
    clinician = ClinicianFactory()
    call = CallFactory(team=clinician.team)
    first = record(call, clinician, Disposition.RESOLVED_ON_SCENE)
    correction = record(call, clinician, Disposition.HANDED_TO_POLICE, True, supersedes=first.pk)
    void(correction)

    with pytest.raises(Conflict) as excinfo:
        record(call, clinician, Disposition.TRANSPORTED_VOLUNTARILY, supersedes=correction.pk)

    assert excinfo.value.code == "stale_outcome"
