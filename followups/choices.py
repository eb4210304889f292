"""Code lists of the follow-ups app; every value says what it means."""

from django.db import models


class FollowUpKind(models.TextChoices):
    """How the team or case manager gets back in touch."""

    #: In person, where the person stays.
    VISIT = "visit", "Visit"
    PHONE_CALL = "phone_call", "Phone call"


class FollowUpStatus(models.TextChoices):
    """A follow-up's lifecycle: scheduled, then exactly one of the closing states."""

    #: Planned within its window (a reschedule keeps it here with a new window).
    SCHEDULED = "scheduled", "Scheduled"
    #: Done; `outcome` says what happened.
    COMPLETED = "completed", "Completed"
    #: The window passed without contact.
    MISSED = "missed", "Missed"
    #: No longer needed.
    CANCELLED = "cancelled", "Cancelled"
