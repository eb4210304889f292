"""Dependencies run one way: calls, the base app, imports none of the apps built on it, not
even inside a function or under TYPE_CHECKING; they plug in by registering
(calls/children.py). Read from the source with `ast`, so no import is needed to check."""

import ast
from pathlib import Path

import pytest

CALLS = Path(__file__).resolve().parents[2] / "calls"
DEPENDENT_APPS = {"followups", "referrals", "reports"}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """Every module a source imports, with its line: import statements anywhere in the file,
    and importlib.import_module / __import__ called with a literal name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args:
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            name = node.func.id if isinstance(node.func, ast.Name) else name
            first = node.args[0]
            is_literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if name in ("import_module", "__import__") and is_literal:
                found.append((node.lineno, first.value))
    return found


def dependent_imports(source: str) -> list[tuple[int, str]]:
    return [
        (line, module)
        for line, module in imported_modules(source)
        if module.split(".")[0] in DEPENDENT_APPS
    ]


def test_no_module_of_calls_imports_an_app_built_on_it():
    modules = sorted(CALLS.rglob("*.py"))
    assert CALLS / "services.py" in modules  # the walk found the app

    offending = {
        str(path.relative_to(CALLS.parent)): found
        for path in modules
        if (found := dependent_imports(path.read_text()))
    }

    assert offending == {}


@pytest.mark.parametrize(
    "source",
    [
        "from followups.models import FollowUp",
        "import referrals.selectors",
        "def f():\n    from reports import figures",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from followups import models",
        "import importlib\nimportlib.import_module('referrals.models')",
    ],
    ids=["top level", "plain import", "inside a function", "type checking", "import_module"],
)
def test_the_check_sees_every_way_of_importing(source):
    assert len(dependent_imports(source)) == 1


def test_the_check_leaves_calls_own_and_other_base_apps_alone():
    source = "from . import children\nfrom responders.models import Team\nimport umcr.policy"
    assert dependent_imports(source) == []


def test_follow_ups_and_referrals_plug_into_calls_by_registering():
    from calls import children

    registered = {child.name: child.sync_table for child in children.registered()}

    assert registered == {
        "followups": "follow_ups",
        "referrals": "referrals",
        "transports": "transports",
        "destination_refusals": "destination_refusals",
    }
