"""The range of every value the API stores, decided once: what PostgreSQL keeps and every
reader (REST, sync pull, admin) can serialize back, whichever way it came in.

The REST serializer fields (`umcr.api`), the query filters (`umcr.api`) and the sync
push's parsing (`umcr.sync.parsing`) all ask the functions here. Domain rules narrower than
these (a phone's clock running ahead, a window that closes before it opens) stay in the
services.
"""

from datetime import UTC, date, datetime, timedelta

# Times of events, notes, outcomes and follow-up windows. Before 2000 a phone's clock was
# reset; a year-1 or year-9999 time breaks every reader, and times before about 1901 come
# back in America/Los_Angeles with a local-mean-time offset (-07:52:58) that RFC 3339
# cannot write.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2100, 1, 1, tzinfo=UTC)
TIME_RANGE_MESSAGE = "Must be from 2000-01-01 to 2100-01-01 (UTC)."

# PostgreSQL refuses a time-zone displacement of 16 hours or more ("+16:00"); RFC 3339
# offsets are whole minutes.
MAX_UTC_OFFSET = timedelta(hours=16)

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# Integer ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1

# PostgreSQL's text (and jsonb) holds no NUL character, in a row or in a query.
NUL = "\x00"

# Free text the API takes: notes and summaries; shorter fields declare their own.
MAX_TEXT_LENGTH = 20_000


def offset_problem(value: datetime) -> str | None:
    """Why the moment's UTC offset cannot be sent to PostgreSQL, or None."""
    offset = value.utcoffset()
    if offset is None:
        return "Needs a time zone offset (Z or ±HH:MM)."
    if abs(offset) >= MAX_UTC_OFFSET:
        return "The UTC offset must be less than 16 hours (at most ±15:59)."
    if offset % timedelta(minutes=1):
        return "The UTC offset must be whole minutes (±HH:MM)."
    return None


def time_problem(value: datetime) -> str | None:
    """Why a time (with its offset) is out of bounds, or None."""
    problem = offset_problem(value)
    if problem is not None:
        return problem
    if not EARLIEST_TIME <= value <= LATEST_TIME:
        return TIME_RANGE_MESSAGE
    return None


def latest_birth_date() -> date:
    from django.utils import timezone

    return timezone.localdate()


def birth_date_problem(value: date) -> str | None:
    """Why a date of birth is out of bounds (1900-01-01 to today), or None."""
    today = latest_birth_date()
    if not EARLIEST_BIRTH_DATE <= value <= today:
        return f"Must be from {EARLIEST_BIRTH_DATE.isoformat()} to today ({today.isoformat()})."
    return None


def id_problem(value: int) -> str | None:
    if not 1 <= value <= MAX_ID:
        return f"Must be an id from 1 to {MAX_ID}."
    return None


def text_problem(value: str, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """Why a text cannot be stored (PostgreSQL refuses NUL characters), or None."""
    if len(value) > max_length:
        return f"At most {max_length} characters."
    if NUL in value:
        return "Contains a NUL character."
    return None
