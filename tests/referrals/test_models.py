"""The rules the referral models keep at the database: no consent, no referral."""

import pytest
from django.db import IntegrityError, transaction

from referrals.choices import ReferralStatus
from referrals.models import Referral
from tests.factories import (
    ProviderFactory,
    ReferralFactory,
    ReferralStatusChangeFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db


def test_referral_without_consent_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralFactory(consent_given=False)


def test_referral_with_consent_is_accepted():
    referral = ReferralFactory()

    assert Referral.objects.get(pk=referral.pk).consent_given is True


def test_referral_without_person_or_call_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralFactory(person=None, call=None, provider=ProviderFactory())


def test_second_service_of_the_same_name_at_one_organization_is_refused():
    service = ServiceFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceFactory(organization=service.organization, name=service.name)


def test_referral_status_change_is_kept_in_the_referrals_history():
    change = ReferralStatusChangeFactory(
        from_status=ReferralStatus.PROPOSED, to_status=ReferralStatus.SENT
    )

    assert list(change.referral.history.values_list("to_status", flat=True)) == ["sent"]
