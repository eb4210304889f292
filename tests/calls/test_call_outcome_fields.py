"""The call carries its current outcome's disposition and police involvement (for lists and
the figures), kept in step by the services through corrections and voids."""

import uuid

import pytest
from django.utils import timezone

from calls import services
from calls.choices import Disposition
from tests.factories import CallFactory, ClinicianFactory, UserFactory

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

    services.void_field_record(record=outcome, voided_by=UserFactory(), reason="wrong call")

    call.refresh_from_db()
    assert (call.disposition, call.police_involved) == ("", None)
