"""The rules the responders models keep: database constraints and model validation."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from responders.choices import Role
from responders.models import Coverage, Responder, Shift
from tests.factories import (
    ClinicianFactory,
    CoverageFactory,
    DispatcherFactory,
    DivisionFactory,
    ProgramFactory,
    ProviderFactory,
    ResponderFactory,
    ShiftFactory,
    SupervisorFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# --- database constraints -----------------------------------------------------------------


def test_clinician_without_provider_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ResponderFactory(role=Role.CLINICIAN, provider=None)


def test_dispatcher_without_provider_is_accepted():
    dispatcher = DispatcherFactory()

    assert Responder.objects.get(pk=dispatcher.pk).provider_id is None


def test_team_on_a_supervisor_is_refused():
    team = TeamFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisorFactory(provider=team.provider, team=team)


def test_shift_ending_when_it_starts_is_refused():
    shift = ShiftFactory.build(team=TeamFactory())
    shift.ends_at = shift.starts_at

    with pytest.raises(IntegrityError), transaction.atomic():
        shift.save()


def test_coverage_ending_before_it_starts_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        CoverageFactory(starts_on=date(2024, 6, 1), ends_on=date(2024, 5, 31))


def test_one_day_coverage_is_accepted():
    coverage = CoverageFactory(starts_on=date(2024, 6, 1), ends_on=date(2024, 6, 1))

    assert Coverage.objects.filter(pk=coverage.pk).exists()


# --- model validation (clean) -------------------------------------------------------------


def test_coverage_overlapping_another_providers_is_invalid():
    existing = CoverageFactory(starts_on=date(2024, 1, 1), ends_on=None)
    overlapping = Coverage(
        program=existing.program,
        provider=ProviderFactory(),
        division=existing.division,
        starts_on=date(2024, 6, 1),
    )

    with pytest.raises(ValidationError) as raised:
        overlapping.clean()

    assert "starts_on" in raised.value.message_dict


def test_another_program_may_cover_the_same_division_at_the_same_time():
    existing = CoverageFactory(starts_on=date(2024, 1, 1), ends_on=None)
    other_program = Coverage(
        program=ProgramFactory(slug="circle"),
        provider=ProviderFactory(),
        division=existing.division,
        starts_on=date(2024, 6, 1),
    )

    assert other_program.clean() is None  # no ValidationError: programs cover apart


def test_coverage_starting_the_day_after_another_ends_is_valid():
    existing = CoverageFactory(starts_on=date(2024, 1, 1), ends_on=date(2024, 5, 31))
    following = Coverage(
        provider=ProviderFactory(), division=existing.division, starts_on=date(2024, 6, 1)
    )

    following.clean()  # does not raise


def test_coverage_of_another_division_in_the_same_period_is_valid():
    CoverageFactory(starts_on=date(2024, 1, 1))
    other = Coverage(
        provider=ProviderFactory(), division=DivisionFactory(), starts_on=date(2024, 1, 1)
    )

    other.clean()  # does not raise


def test_third_member_of_a_team_is_invalid():
    team = TeamFactory()
    ClinicianFactory.create_batch(2, team=team)
    third = Responder(user=UserFactory(), provider=team.provider, role=Role.CLINICIAN, team=team)

    with pytest.raises(ValidationError) as raised:
        third.clean()

    assert "team" in raised.value.message_dict


def test_second_member_of_a_team_is_valid():
    team = TeamFactory()
    ClinicianFactory(team=team)
    second = Responder(user=UserFactory(), provider=team.provider, role=Role.CLINICIAN, team=team)

    second.clean()  # does not raise


def test_existing_member_of_a_full_team_stays_valid():
    team = TeamFactory()
    first, _ = ClinicianFactory.create_batch(2, team=team)

    first.clean()  # does not raise


def test_team_of_another_provider_is_invalid():
    team = TeamFactory()
    clinician = Responder(
        user=UserFactory(), provider=ProviderFactory(), role=Role.CLINICIAN, team=team
    )

    with pytest.raises(ValidationError) as raised:
        clinician.clean()

    assert "team" in raised.value.message_dict


def test_overlapping_shift_of_the_same_team_is_invalid():
    existing = ShiftFactory()
    overlapping = Shift(
        team=existing.team,
        starts_at=existing.ends_at - timedelta(hours=1),
        ends_at=existing.ends_at + timedelta(hours=7),
    )

    with pytest.raises(ValidationError) as raised:
        overlapping.clean()

    assert "starts_at" in raised.value.message_dict


def test_shift_starting_when_the_previous_ends_is_valid():
    existing = ShiftFactory()
    following = Shift(
        team=existing.team,
        starts_at=existing.ends_at,
        ends_at=existing.ends_at + timedelta(hours=8),
    )

    following.clean()  # does not raise


# --- factories ----------------------------------------------------------------------------


def test_clinician_factory_given_a_provider_builds_the_team_in_it():
    provider = ProviderFactory()

    clinician = ClinicianFactory(provider=provider)

    assert clinician.team.provider == provider


def test_clinician_factory_given_a_team_takes_its_provider():
    team = TeamFactory()

    clinician = ClinicianFactory(team=team)

    assert clinician.provider == team.provider
