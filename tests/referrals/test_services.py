"""The referrals services and selectors: no consent no referral, the closed loop (every
move checked against ALLOWED_MOVES, every change kept with who, when and why), the stale
rule, and the directory's opening hours at a given local time."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals import selectors, services
from referrals.api.serializers import ReferralChangeInputSerializer, ReferralMoveSerializer
from referrals.choices import ConsentMethod, ReferralStatus
from referrals.models import CLOSED_REFERRAL_STATUSES, Referral, ReferralStatusChange, Service
from tests.factories import CallFactory, DispatcherFactory, ServiceFactory, SupervisorFactory
from tests.followups.helpers import days_ago, provider_staff, referral_in
from umcr.errors import Conflict, Invalid, NotAllowed

pytestmark = pytest.mark.django_db

S = ReferralStatus


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


@pytest.fixture
def shelter():
    return ServiceFactory(name="Harbor Interim Housing")


def refer(staff, service, responder=None, **fields) -> Referral:
    arguments = {
        "responder": responder or staff.clinician,
        "referral_id": uuid.uuid4(),
        "service_id": service.pk,
        "consent_given": True,
        "consent_method": ConsentMethod.VERBAL,
        "call_id": staff.call.pk,
        **fields,
    }
    return services.create_referral(**arguments).record


# --- referring -------------------------------------------------------------------------------------


def test_referral_from_a_call_takes_the_calls_person_and_records_consent(alcott, shelter):
    referral = refer(alcott, shelter)

    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.person, stored.status, stored.consent_given) == (
        alcott.person,
        S.PROPOSED,
        True,
    )
    assert stored.consent_recorded_at == stored.status_changed_at


def test_referral_starts_its_history_with_who_proposed_it(alcott, shelter):
    referral = refer(alcott, shelter, responder=alcott.partner)

    change = ReferralStatusChange.objects.get(referral=referral)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "",
        S.PROPOSED,
        alcott.partner,
    )
    assert change.changed_at == referral.status_changed_at


def test_without_consent_there_is_no_referral(alcott, shelter):
    with pytest.raises(Invalid) as refused:
        refer(alcott, shelter, consent_given=False)

    assert list(refused.value.detail) == ["consent_given"]
    assert not Referral.objects.exists()


def test_every_bad_field_is_named_at_once(alcott):
    with pytest.raises(Invalid) as refused:
        services.create_referral(
            responder=alcott.clinician,
            referral_id=uuid.uuid4(),
            service_id=987654,
            consent_given=False,
            consent_method="telepathy",
        )

    # Named as the API names them; the consent method, a choice, is the serializer's to
    # refuse (one layer checks a choice).
    assert set(refused.value.detail) == {"consent_given", "service", "person"}


def test_the_dispatch_desk_may_not_refer(alcott, shelter):
    with pytest.raises(NotAllowed):
        refer(alcott, shelter, responder=DispatcherFactory())


def test_clinician_may_not_refer_from_another_pairs_call(alcott, shelter):
    other_call = CallFactory(routed_provider=alcott.provider)

    with pytest.raises(Invalid) as refused:
        refer(alcott, shelter, call_id=other_call.pk)

    assert list(refused.value.detail) == ["call"]  # the API's name of the field


def test_a_referral_is_followed_up_by_a_case_manager_not_a_supervisor(alcott, shelter):
    supervisor = SupervisorFactory(provider=alcott.provider)

    with pytest.raises(Invalid) as refused:
        refer(alcott, shelter, assigned_to_id=supervisor.pk)

    assert list(refused.value.detail) == ["assigned_to"]


def test_the_same_id_again_returns_the_stored_referral(alcott, shelter):
    first = refer(alcott, shelter)

    again = services.create_referral(
        responder=alcott.clinician,
        referral_id=first.pk,
        service_id=ServiceFactory().pk,
        consent_given=True,
        consent_method=ConsentMethod.WRITTEN,
        call_id=alcott.call.pk,
    )

    assert (again.created, again.record.service_id) == (False, shelter.pk)
    assert Referral.objects.count() == 1


# --- the closed loop -------------------------------------------------------------------------------


def test_a_move_keeps_who_when_and_the_note(alcott, shelter):
    referral = refer(alcott, shelter)

    moved = services.move_referral(
        referral=referral, responder=alcott.case_manager, to_status=S.SENT, note="Faxed."
    )

    change = ReferralStatusChange.objects.filter(referral=referral).last()
    assert (change.from_status, change.to_status, change.note, change.changed_by) == (
        S.PROPOSED,
        S.SENT,
        "Faxed.",
        alcott.case_manager,
    )
    assert change.changed_at == moved.status_changed_at
    assert moved.status_changed_at > referral.status_changed_at


def test_unknown_status_is_refused_by_the_serializer_naming_status():
    # A choice is checked in one layer: the serializer both ways in read a move with.
    for serializer in (
        ReferralMoveSerializer(data={"status": "lost"}),
        ReferralChangeInputSerializer(data={"status": "lost"}),
    ):
        assert not serializer.is_valid()
        assert list(serializer.errors) == ["status"]


def test_an_illegal_move_is_a_conflict_coded_illegal_move(alcott, shelter):
    referral = refer(alcott, shelter)

    with pytest.raises(Conflict) as refused:
        services.move_referral(referral=referral, responder=alcott.clinician, to_status=S.ENROLLED)

    assert refused.value.code == "illegal_move"
    assert Referral.objects.get(pk=referral.pk).status == S.PROPOSED


def test_notes_change_only_when_they_differ(alcott, shelter):
    referral = refer(alcott, shelter)
    seq = Referral.objects.get(pk=referral.pk).sync_seq

    services.update_referral_notes(
        referral=referral, responder=alcott.clinician, notes=referral.notes
    )
    unchanged_seq = Referral.objects.get(pk=referral.pk).sync_seq
    services.update_referral_notes(
        referral=referral, responder=alcott.clinician, notes="Has a dog named Biscuit."
    )

    stored = Referral.objects.get(pk=referral.pk)
    assert unchanged_seq == seq
    assert (stored.notes, stored.sync_seq > seq) == ("Has a dog named Biscuit.", True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(targets=st.lists(st.sampled_from(list(S)), min_size=1, max_size=8))
def test_any_sequence_of_moves_follows_the_loop_and_keeps_every_change(alcott, shelter, targets):
    referral = refer(alcott, shelter)
    status, steps = S.PROPOSED, [("", S.PROPOSED)]
    for target in targets:
        legal = target == status or (
            status not in CLOSED_REFERRAL_STATUSES and target in services.ALLOWED_MOVES[status]
        )
        if not legal:
            with pytest.raises(Conflict):
                services.move_referral(
                    referral=referral, responder=alcott.clinician, to_status=target
                )
            continue
        services.move_referral(referral=referral, responder=alcott.clinician, to_status=target)
        if target != status:
            steps.append((status, target))
            status = target

    assert Referral.objects.get(pk=referral.pk).status == status
    assert [
        (c.from_status, c.to_status) for c in ReferralStatusChange.objects.filter(referral=referral)
    ] == steps


# --- the stale rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "status", "is_stale"),
    [
        (timedelta(days=14, minutes=1), S.SENT, True),
        (timedelta(days=13, hours=23), S.SENT, False),
        (timedelta(days=40), S.PROPOSED, True),
        (timedelta(days=40), S.ENROLLED, True),
        (timedelta(days=40), S.COMPLETED, False),
        (timedelta(days=40), S.WITHDRAWN, False),
    ],
)
def test_a_referral_is_stale_when_open_and_unchanged_for_14_days(alcott, age, status, is_stale):
    now = timezone.now()
    referral = referral_in(alcott, status=status, status_changed_at=now - age)

    stale = Referral.objects.filter(selectors.stale_filter(now=now))

    assert stale.filter(pk=referral.pk).exists() is is_stale


def test_a_stale_referral_is_listed_by_its_provider_only(alcott):
    referral_in(alcott, status=S.SENT, status_changed_at=days_ago(20))
    other = provider_staff("Exodus", "SE")

    visible = selectors.referrals_for_responder(responder=other.case_manager)

    assert not visible.filter(selectors.stale_filter()).exists()


# --- opening hours ---------------------------------------------------------------------------------


def local(day: str, clock: str) -> datetime:
    """A moment in the program's time zone in the week of 2025-06-02 (a Monday)."""
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    hour, minute = map(int, clock.split(":"))
    naive = datetime(2025, 6, 2 + days.index(day), hour, minute)
    return timezone.make_aware(naive)


WEEKDAY_OFFICE = {d: [["08:00", "12:00"], ["13:00", "17:00"]] for d in ("mon", "tue", "fri")}


@pytest.mark.parametrize(
    ("hours", "at", "is_open"),
    [
        ({"always": True}, local("sun", "03:00"), True),
        ({}, local("mon", "10:00"), False),
        (WEEKDAY_OFFICE, local("mon", "08:00"), True),
        (WEEKDAY_OFFICE, local("mon", "07:59"), False),
        (WEEKDAY_OFFICE, local("mon", "12:30"), False),
        (WEEKDAY_OFFICE, local("tue", "16:59"), True),
        (WEEKDAY_OFFICE, local("fri", "17:00"), False),
        (WEEKDAY_OFFICE, local("wed", "10:00"), False),
        ({"sat": [["00:00", "24:00"]]}, local("sat", "23:59"), True),
        # A night shelter: Friday 18:00 to Saturday 07:00.
        ({"fri": [["18:00", "07:00"]]}, local("fri", "17:59"), False),
        ({"fri": [["18:00", "07:00"]]}, local("fri", "23:30"), True),
        ({"fri": [["18:00", "07:00"]]}, local("sat", "06:59"), True),
        ({"fri": [["18:00", "07:00"]]}, local("sat", "07:00"), False),
        # Sunday night runs into Monday morning.
        ({"sun": [["22:00", "02:00"]]}, local("mon", "01:00"), True),
    ],
)
def test_opening_hours_are_read_in_local_time_by_weekday(hours, at, is_open):
    assert selectors.is_open_now(Service(hours=hours), at=at) is is_open


@pytest.mark.parametrize(
    "hours",
    [
        {"mon": "08:00-17:00"},
        {"mon": [["8am", "5pm"]]},
        {"mon": [["08:00"]]},
        {"monday": [["08:00", "17:00"]]},
        {"always": "yes"},
        ["08:00", "17:00"],
    ],
)
def test_malformed_opening_hours_are_refused_on_save_and_never_break_the_directory(hours):
    service = ServiceFactory.build(hours=hours)

    with pytest.raises(ValidationError) as excinfo:
        service.full_clean(exclude=["divisions_served"])

    assert "hours" in excinfo.value.message_dict
    assert selectors.is_open_now(service, at=local("mon", "10:00")) is False
