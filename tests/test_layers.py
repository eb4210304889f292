"""umcr/ is the kernel every app builds on, and knows no app: no module under it imports one,
not at the top, not inside a function, not under TYPE_CHECKING. String references (settings'
INSTALLED_APPS, `include("calls.api.urls")`, lazy "app.Model" foreign keys) are not imports.

A quick guard beside the import-linter contract in pyproject.toml: it reads each file's
syntax tree, so it needs no installed app and names the file and line that broke the rule.
"""

import ast
from pathlib import Path

import pytest

from responders.choices import Role
from umcr import policy

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "umcr"
APPS = {"responders", "calls", "followups", "referrals", "reports", "demo"}
IMPORTERS = {"import_module", "__import__", "import_string"}


def kernel_modules() -> list[Path]:
    return sorted(
        path for path in KERNEL.rglob("*.py") if "migrations" not in path.relative_to(KERNEL).parts
    )


def app_imports(path: Path) -> list[str]:
    """Each import of an app in the file, as "line: module"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in IMPORTERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            # importlib.import_module("calls.models") is an import all the same.
            modules = [node.args[0].value]
        else:
            continue
        found += [(node.lineno, module) for module in modules if module.split(".")[0] in APPS]
    return [f"{line}: {module}" for line, module in sorted(found)]


def test_the_guard_reads_the_kernel_sync_engine_included():
    paths = {path.relative_to(KERNEL).as_posix() for path in kernel_modules()}

    assert {"admin.py", "api.py", "urls.py", "sync/views.py", "sync/push.py"} <= paths
    assert not any(path.startswith("migrations/") for path in paths)


def test_the_guard_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import audit\n"
        "if TYPE_CHECKING:\n"
        "    import calls.models\n"
        "def f():\n"
        "    from responders.models import Device\n"
        "    return importlib.import_module('followups.models')\n"
        'APPS = ["demo", "reports.api.urls"]\n'
    )

    assert app_imports(module) == [
        "4: calls.models",
        "6: responders.models",
        "7: followups.models",
    ]


@pytest.mark.parametrize(
    "path", kernel_modules(), ids=lambda path: path.relative_to(KERNEL).as_posix()
)
def test_the_kernel_imports_no_app(path):
    assert app_imports(path) == []


def test_the_kernel_names_the_roles_the_responders_app_defines():
    assert set(policy.ROLE_COLUMNS) == set(Role.values)
    assert set(policy.STAFF_ROLES) == {Role.SUPERVISOR, Role.CASE_MANAGER}
