"""Code lists of the referrals app; every value says what it means."""

from django.db import models


class ServiceCategory(models.TextChoices):
    """What a service in the directory offers (after Open Referral HSDS taxonomies)."""

    HOUSING = "housing", "Housing"
    MENTAL_HEALTH = "mental_health", "Mental-health treatment"
    #: Substance-use treatment and rehab, detox, sobering centres.
    SUBSTANCE_USE = "substance_use", "Substance-use treatment"
    MEDICAL = "medical", "Medical care"
    #: Emergency and overnight beds.
    SHELTER = "shelter", "Shelter"
    #: A crisis stabilization unit: a short stay instead of an emergency room or a hold.
    CRISIS_STABILIZATION = "crisis_unit", "Crisis stabilization unit"
    #: A sobering centre.
    SOBERING_CENTER = "sobering_center", "Sobering centre"
    #: Urgent care (walk-in medical care).
    URGENT_CARE = "urgent_care", "Urgent care"
    #: Help applying for income, health coverage, IDs.
    BENEFITS = "benefits", "Benefits"
    FOOD = "food", "Food"
    OTHER = "other", "Other"


class ReferralStatus(models.TextChoices):
    """A referral's lifecycle, closed-loop: every referral ends in a closing state."""

    #: Agreed with the person, not yet sent to the service.
    PROPOSED = "proposed", "Proposed"
    #: Sent to the service.
    SENT = "sent", "Sent"
    #: The service agreed to take the person.
    ACCEPTED = "accepted", "Accepted"
    #: The person started with the service.
    ENROLLED = "enrolled", "Enrolled"
    #: Closed: the person finished or is settled with the service.
    COMPLETED = "completed", "Completed"
    #: Closed: the service turned the person down.
    DECLINED = "declined", "Declined by service"
    #: Closed: the person did not show up.
    NO_SHOW = "no_show", "No show"
    #: Closed: neither service nor team could reach the person.
    UNREACHABLE = "unreachable", "Unreachable"
    #: Closed: the person withdrew consent or no longer wants it.
    WITHDRAWN = "withdrawn", "Withdrawn"


class ConsentMethod(models.TextChoices):
    """How the person agreed to be referred (no consent, no referral)."""

    VERBAL = "verbal", "Verbal, witnessed by the team"
    WRITTEN = "written", "Written / signed"
