"""The role matrix: what each role may do to each kind of record in its scope.

Apps register their rows from their own `permissions.py`, as they register sync tables and
admin classes; this module knows no app. Scope (which records of a kind a responder reaches
at all: their team's, their provider's) is each app's; the matrix says what a role may do
to a record inside it. Outside scope a record does not exist (404); inside it, an action the
matrix does not grant is refused (403). The README's table is rendered from here
(`markdown_table`, checked by a test) and tests/test_role_matrix.py proves every cell on
every way in: REST, sync pull and push, admin pages and admin actions.

`may`, `check` and `access` ask the matrix for one responder; an app's permissions module
names its resource and its scope and hands them on.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, Q
from django.http import Http404

from .errors import NotAllowed

RecordT = TypeVar("RecordT", bound=Model)

READ, CREATE, CHANGE, VOID = "read", "create", "change", "void"
# A scope that reaches nothing (a role without the action, a clinician without a team).
NOTHING = Q(pk__in=[])
ACTIONS = (READ, CREATE, CHANGE, VOID)

# The roles a responder may have: the values of responders.choices.Role, named here so that
# this kernel can speak of them without importing the app (tests/test_layers.py checks both
# lists agree).
CLINICIAN, CASE_MANAGER, SUPERVISOR, DISPATCHER = (
    "clinician",
    "case_manager",
    "supervisor",
    "dispatcher",
)
# Those roles, in the README's order.
ROLE_COLUMNS = {
    CLINICIAN: "clinician (of the team)",
    CASE_MANAGER: "case manager",
    SUPERVISOR: "supervisor",
    DISPATCHER: "desk",
}
# The roles that work in the admin, each inside their own provider.
STAFF_ROLES = (SUPERVISOR, CASE_MANAGER)


@dataclass(frozen=True)
class Row:
    """One kind of record: the actions each role is granted, and what limits a cell."""

    resource: str
    label: str
    grants: dict[str, frozenset[str]]
    limits: dict[str, str]
    # Where the row stands in the README's table: the field's records first.
    position: int = 100

    def cell(self, role: str) -> str:
        granted = [action for action in ACTIONS if action in self.grants[role]]
        text = ", ".join(granted) or "none"
        limit = self.limits.get(role)
        return f"{text} ({limit})" if limit else text


_rows: dict[str, Row] = {}


def register(
    resource: str,
    label: str,
    limits: dict[str, str] | None = None,
    position: int = 100,
    **grants: str,
) -> Row:
    """Declare what each role may do to `resource`, e.g.
    register("notes", "on-scene notes", clinician="read create", supervisor="read void")."""
    unknown = set(grants) - set(ROLE_COLUMNS)
    if unknown:
        raise ValueError(f"Unknown roles for {resource!r}: {sorted(unknown)}")
    parsed = {role: frozenset(grants.get(role, "").split()) for role in ROLE_COLUMNS}
    for role, actions in parsed.items():
        if not actions <= set(ACTIONS):
            raise ValueError(f"Unknown actions for {resource!r}/{role}: {sorted(actions)}")
    if resource in _rows:
        raise ValueError(f"Resource {resource!r} is registered twice.")
    row = Row(resource, label, parsed, dict(limits or {}), position)
    _rows[resource] = row
    return row


def allows(role: str | None, action: str, resource: str) -> bool:
    """Whether the matrix grants `role` the `action` on records of `resource` in scope."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    return role is not None and action in _rows[resource].grants.get(role, frozenset())


def may(responder: Any, action: str, resource: str) -> bool:
    """The matrix's answer for this responder's role (no responder: nothing). A responder is
    typed `Any` as umcr/actors.py says why; only its `role` is read."""
    return responder is not None and allows(responder.role, action, resource)


def check(responder: Any, action: str, resource: str) -> None:
    """Refuse (403) an action the matrix does not grant the responder's role, naming the
    records as the README's table does."""
    if not may(responder, action, resource):
        raise NotAllowed(f"Your role may not {action} {_rows[resource].label}.")


def access(
    responder: Any,
    model: type[RecordT],
    record_id: Any,
    *,
    resource: str,
    scope: Callable[[Any], Q],
    action: str,
    lock: bool = False,
) -> RecordT:
    """The record as the responder may reach it: the action checked against the matrix, the
    row found in the responder's `scope` (a filter on `model`) and locked when asked, so a
    change committed meanwhile (a hand-over, a reassigned call) is seen. Missing and out of
    scope are answered alike (404), never saying which."""
    check(responder, action, resource)
    rows = model._default_manager.filter(scope(responder))
    if lock:
        rows = rows.select_for_update(of=("self",))
    record = rows.filter(pk=record_id).first()
    if record is None:
        raise Http404
    return record


def roles_allowed(
    action: str, resource: str, among: tuple[str, ...] = tuple(ROLE_COLUMNS)
) -> tuple[str, ...]:
    """The roles granted `action` on `resource` (of `among`, e.g. the admin's staff roles)."""
    return tuple(role for role in among if allows(role, action, resource))


def rows() -> list[Row]:
    return sorted(_rows.values(), key=lambda row: row.position)


def markdown_table() -> str:
    """The matrix as the README shows it."""
    header = "| record | " + " | ".join(ROLE_COLUMNS.values()) + " |"
    lines = [header, "|---" * (len(ROLE_COLUMNS) + 1) + "|"]
    for row in rows():
        cells = " | ".join(row.cell(role) for role in ROLE_COLUMNS)
        lines.append(f"| {row.label} | {cells} |")
    return "\n".join(lines)


# The engine's own records, which belong to no app.
register(
    "quarantine",
    "quarantined sync records",
    case_manager="read",
    supervisor="read change",
    limits={"supervisor": "resolve"},
    position=900,
)
register("access_log", "access log (who read what)", supervisor="read", position=910)
