"""factory-boy factories for every model: each builds a valid row with one call.

The provider of a row follows from the object that decides it: a clinician's from their
team, a call's from its team, a follow-up's or referral's from its call. A test that only
cares about the provider may still pass `provider=` (or `routed_provider=`): the team or
call is then built inside that provider too.
"""

from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory
from rest_framework.test import APIClient

from calls.choices import BackupReason, CallSource, CallType, Disposition, EventKind
from calls.models import BackupRequest, Call, Note, Outcome, Person, StatusEvent
from calls.services import refresh_call_outcome
from demo.data import PROGRAMS
from followups.choices import FollowUpKind, FollowUpStatus
from followups.models import FollowUp, FollowUpChange
from referrals.choices import ConsentMethod, ReferralStatus, ServiceCategory
from referrals.models import Referral, ReferralStatusChange, Service
from responders import services
from responders.choices import DevicePlatform, Role
from responders.models import (
    Coverage,
    Device,
    Division,
    Program,
    Provider,
    Responder,
    Shift,
    Team,
)

DEMO_PASSWORD = "umcr-demo"


class _ProviderFollowsParent:
    """Let `provider=` alone reach the parent that decides the provider.

    `_provider_parents` maps the provider field to (parent field, kwarg for the parent's
    provider). Only top-level create/build calls go through here, not SubFactories.
    """

    _provider_parents: dict[str, tuple[str, str]] = {}

    @classmethod
    def _generate(cls, strategy, params):
        for field, (parent, parent_provider) in cls._provider_parents.items():
            parent_given = any(k == parent or k.startswith(f"{parent}__") for k in params)
            if params.get(field) is not None and not parent_given:
                params = {**params, parent_provider: params[field]}
        return super()._generate(strategy, params)  # type: ignore[misc]


# --- responders ---------------------------------------------------------------------------


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")
    slug = factory.Sequence(lambda n: f"provider-{n}")
    alert_email = factory.LazyAttribute(lambda o: f"alerts@{o.slug}.example.org")


def _program(slug: str) -> dict:
    """A demo program's fields; another slug is UMCR's rules under that name."""
    return PROGRAMS.get(slug, {**PROGRAMS["umcr"], "name": f"Program {slug}"})


class ProgramFactory(DjangoModelFactory):
    """UMCR as the demo seeds it, once per test (got or created by slug); pass `slug=` and
    the rest for another program."""

    class Meta:
        model = Program
        django_get_or_create = ("slug",)

    slug = "umcr"
    name = factory.LazyAttribute(lambda o: _program(o.slug)["name"])
    call_types = factory.LazyAttribute(lambda o: _program(o.slug)["call_types"])
    sources = factory.LazyAttribute(lambda o: _program(o.slug)["sources"])
    intake_order = factory.LazyAttribute(lambda o: _program(o.slug)["intake_order"])
    refused_safety_flags = factory.LazyAttribute(lambda o: _program(o.slug)["refused_safety_flags"])
    team_makeup = factory.LazyAttribute(lambda o: _program(o.slug)["team_makeup"])
    transports = factory.LazyAttribute(lambda o: _program(o.slug)["transports"])


class DivisionFactory(DjangoModelFactory):
    class Meta:
        model = Division

    name = factory.Sequence(lambda n: f"Division {n}")
    code = factory.Sequence(lambda n: f"D{n}")


class CoverageFactory(DjangoModelFactory):
    class Meta:
        model = Coverage

    program = factory.SubFactory(ProgramFactory)
    provider = factory.SubFactory(ProviderFactory)
    division = factory.SubFactory(DivisionFactory)
    starts_on = date(2024, 1, 1)
    ends_on = None


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    program = factory.SubFactory(ProgramFactory)
    provider = factory.SubFactory(ProviderFactory)
    call_sign = factory.Sequence(lambda n: f"TEAM-{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(DEMO_PASSWORD)


class ResponderFactory(DjangoModelFactory):
    """A responder of a provider, with no team; the subclasses below give each role."""

    class Meta:
        model = Responder

    user = factory.SubFactory(UserFactory)
    provider = factory.SubFactory(ProviderFactory)
    role = Role.CLINICIAN
    team = None
    display_name = factory.LazyAttribute(lambda o: o.user.username.title())


class ClinicianFactory(_ProviderFollowsParent, ResponderFactory):
    """A clinician on a team of their own provider (pass `team=` to pair two clinicians)."""

    _provider_parents = {"provider": ("team", "team__provider")}

    role = Role.CLINICIAN
    team = factory.SubFactory(TeamFactory)
    provider = factory.LazyAttribute(lambda o: o.team.provider)


class SupervisorFactory(ResponderFactory):
    role = Role.SUPERVISOR
    user = factory.SubFactory(UserFactory, is_staff=True)


class CaseManagerFactory(ResponderFactory):
    role = Role.CASE_MANAGER
    user = factory.SubFactory(UserFactory, is_staff=True)


class DispatcherFactory(ResponderFactory):
    """The city's desk serves every provider, so it has none."""

    role = Role.DISPATCHER
    provider = None


class ShiftFactory(DjangoModelFactory):
    """A team's eight-hour shift that started an hour ago (so it covers now)."""

    class Meta:
        model = Shift

    team = factory.SubFactory(TeamFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=8))


class DeviceFactory(DjangoModelFactory):
    """A device row alone, without a token; use `signed_in_client` for a working phone."""

    class Meta:
        model = Device

    responder = factory.SubFactory(ClinicianFactory)
    name = factory.Sequence(lambda n: f"Pixel {n}")
    platform = DevicePlatform.ANDROID
    app_version = "1.4.0"
    last_seen_at = factory.LazyFunction(timezone.now)


def signed_in_client(responder: Responder, **sign_in) -> tuple[APIClient, str, Device]:
    """A phone signed in as `responder` through the real service: (client, token, device)."""
    sign_in.setdefault("device_name", "Test phone")
    signed_in = services.sign_in_device(responder=responder, **sign_in)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {signed_in.token}")
    return client, signed_in.token, signed_in.device


# --- calls --------------------------------------------------------------------------------


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    provider = factory.SubFactory(ProviderFactory)
    created_by = None
    # As create_person does: the recording clinician's team stays with the person.
    team = factory.LazyAttribute(lambda o: o.created_by.team if o.created_by else None)


class CallFactory(_ProviderFollowsParent, DjangoModelFactory):
    """A 911 welfare check routed to a team's provider and assigned to that team."""

    class Meta:
        model = Call

    _provider_parents = {"routed_provider": ("team", "team__provider")}

    source = CallSource.CAD_911
    cad_incident_number = factory.Sequence(lambda n: f"CAD-{n:06d}")
    received_at = factory.LazyFunction(timezone.now)
    call_type = CallType.WELFARE_CHECK
    division = factory.SubFactory(DivisionFactory)
    address = factory.Sequence(lambda n: f"{100 + n} Main St.")
    narrative = "Caller reports a man sitting in the road, talking to himself."
    team = factory.SubFactory(TeamFactory)
    routed_provider = factory.LazyAttribute(lambda o: o.team.provider if o.team else None)
    program = factory.LazyAttribute(lambda o: o.team.program if o.team else ProgramFactory())


class StatusEventFactory(DjangoModelFactory):
    class Meta:
        model = StatusEvent

    call = factory.SubFactory(CallFactory)
    kind = EventKind.ON_SCENE
    occurred_at = factory.LazyFunction(timezone.now)


class NoteFactory(DjangoModelFactory):
    class Meta:
        model = Note

    call = factory.SubFactory(CallFactory)
    body = factory.Faker("sentence")
    occurred_at = factory.LazyFunction(timezone.now)


class OutcomeFactory(DjangoModelFactory):
    """A call's original outcome; pass `supersedes=` for a correction."""

    class Meta:
        model = Outcome
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)
    disposition = Disposition.RESOLVED_ON_SCENE
    occurred_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def derived_on_call(obj, create, extracted, **kwargs):
        # As calls.services.record_outcome does: the call carries its current outcome.
        if create:
            refresh_call_outcome(call=obj.call)


class BackupRequestFactory(DjangoModelFactory):
    class Meta:
        model = BackupRequest

    call = factory.SubFactory(CallFactory)
    reason = BackupReason.WEAPON_SEEN
    occurred_at = factory.LazyFunction(timezone.now)


# --- follow-ups ---------------------------------------------------------------------------


class FollowUpFactory(_ProviderFollowsParent, DjangoModelFactory):
    """A visit to the person of a call, by the call's team, in a window opening tomorrow."""

    class Meta:
        model = FollowUp

    _provider_parents = {"provider": ("call", "call__team__provider")}

    call = factory.SubFactory(CallFactory)
    provider = factory.LazyAttribute(lambda o: o.call.routed_provider)
    person = factory.SubFactory(PersonFactory, provider=factory.SelfAttribute("..provider"))
    kind = FollowUpKind.VISIT
    purpose = "Check the shelter bed worked out."
    not_before = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    due_by = factory.LazyAttribute(lambda o: o.not_before + timedelta(days=2))
    assigned_team = factory.LazyAttribute(lambda o: o.call.team if o.call else None)
    status = FollowUpStatus.SCHEDULED


class FollowUpChangeFactory(DjangoModelFactory):
    class Meta:
        model = FollowUpChange

    followup = factory.SubFactory(FollowUpFactory)
    from_status = ""
    to_status = FollowUpStatus.SCHEDULED


# --- referrals ----------------------------------------------------------------------------


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service

    organization = factory.Sequence(lambda n: f"Organization {n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    category = ServiceCategory.SHELTER


class ReferralFactory(_ProviderFollowsParent, DjangoModelFactory):
    """A consented (verbally) referral of a call's person to a service."""

    class Meta:
        model = Referral

    _provider_parents = {"provider": ("call", "call__team__provider")}

    call = factory.SubFactory(CallFactory)
    provider = factory.LazyAttribute(lambda o: o.call.routed_provider)
    person = factory.SubFactory(PersonFactory, provider=factory.SelfAttribute("..provider"))
    service = factory.SubFactory(ServiceFactory)
    status = ReferralStatus.PROPOSED
    status_changed_at = factory.LazyFunction(timezone.now)
    consent_given = True
    consent_method = ConsentMethod.VERBAL
    consent_recorded_at = factory.SelfAttribute("status_changed_at")
    referred_by = None
    # As create_referral does: the referring clinician's team (else the call's) stays on it.
    team = factory.LazyAttribute(
        lambda o: (
            (o.referred_by.team if o.referred_by else None) or (o.call.team if o.call else None)
        )
    )


class ReferralStatusChangeFactory(DjangoModelFactory):
    class Meta:
        model = ReferralStatusChange

    referral = factory.SubFactory(ReferralFactory)
    from_status = ""
    to_status = ReferralStatus.PROPOSED
    changed_at = factory.LazyFunction(timezone.now)
