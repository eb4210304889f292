"""Errors the services raise, which the REST views and the sync push both turn into answers.

Services know nothing of HTTP; each error carries the status an API should answer with, a
machine-readable code and a sentence that says why.
"""


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, detail, code: str | None = None):
        super().__init__(detail)
        # A str for the whole record, or {"field": ["message", ...]} naming each bad field.
        self.detail = detail
        self.code = code or self.default_code

    def as_body(self) -> dict:
        if isinstance(self.detail, dict):
            return self.detail
        return {"detail": self.detail, "code": self.code}


class Invalid(DomainError):
    """Bad input: 400."""


class NotAllowed(DomainError):
    """The caller's role may not do this to a record it can see: 403."""

    status_code = 403
    default_code = "not_allowed"


class Conflict(DomainError):
    """A state change the record's current state does not allow: 409."""

    status_code = 409
    default_code = "conflict"


class IdTaken(Conflict):
    """A client-generated id already used by a record the caller cannot see: 409. A phone's
    retry finds its own record; someone else's must say nothing of what it holds."""

    def __init__(self):
        super().__init__(
            "This id is already used by a record you cannot see; generate a new one.",
            code="id_taken",
        )


class StaleVersion(Conflict):
    """A change based on a version of a mutable record older than the stored one: 409
    naming the current version, so the client reads it again and decides (two phones of a
    pair rescheduling one visit at once: the second is told, not silently overwritten)."""

    def __init__(self, what: str, current_version: int):
        super().__init__(
            f"The {what} changed since you read it; read it again (version "
            f"{current_version}) and send your change with that version.",
            code="stale",
        )
        self.current_version = current_version

    def as_body(self) -> dict:
        return {**super().as_body(), "current_version": self.current_version}
