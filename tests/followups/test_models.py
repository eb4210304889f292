"""The rules the follow-up models keep at the database."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from followups.choices import FollowUpStatus
from followups.models import FollowUp
from tests.factories import (
    CallFactory,
    CaseManagerFactory,
    FollowUpChangeFactory,
    FollowUpFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db


def test_follow_up_without_person_or_call_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpFactory(person=None, call=None, provider=ProviderFactory())


def test_follow_up_of_a_person_without_a_call_is_accepted():
    followup = FollowUpFactory(call=None, provider=ProviderFactory(), assigned_team=None)

    assert FollowUp.objects.get(pk=followup.pk).person_id is not None


def test_follow_up_window_closing_before_it_opens_is_refused():
    opens = timezone.now() + timedelta(days=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpFactory(not_before=opens, due_by=opens - timedelta(minutes=1))


def test_follow_up_assigned_to_both_a_team_and_a_case_manager_is_refused():
    call = CallFactory()
    case_manager = CaseManagerFactory(provider=call.routed_provider)

    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpFactory(call=call, assigned_team=call.team, assigned_to=case_manager)


def test_follow_up_assigned_to_a_case_manager_alone_is_accepted():
    call = CallFactory()
    case_manager = CaseManagerFactory(provider=call.routed_provider)

    followup = FollowUpFactory(call=call, assigned_team=None, assigned_to=case_manager)

    assert FollowUp.objects.get(pk=followup.pk).assigned_to == case_manager


def test_completed_follow_up_without_closed_at_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpFactory(status=FollowUpStatus.COMPLETED, closed_at=None)


def test_scheduled_follow_up_with_closed_at_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpFactory(status=FollowUpStatus.SCHEDULED, closed_at=timezone.now())


def test_follow_up_change_is_kept_in_the_follow_ups_history():
    change = FollowUpChangeFactory(from_status=FollowUpStatus.SCHEDULED, to_status="missed")

    assert list(change.followup.changes.values_list("to_status", flat=True)) == ["missed"]
