"""The deployment files (deploy/) say what the README's guide says: migrate once per deploy,
gunicorn without a control socket, qcluster, every package pinned. Docker cannot run here, so
the container files are checked as text; deploy/smoke.sh runs the guide itself (in .ci/run)."""

import re
from pathlib import Path

import yaml
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def pinned(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements or constraints file, by lower-case name."""
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]+\])?==(\S+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(3)
    return pins


def test_the_procfile_migrates_on_release_and_runs_web_and_worker():
    processes = dict(
        line.split(": ", 1)
        for line in (DEPLOY / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )

    assert processes["release"] == "python manage.py migrate --noinput"
    assert "gunicorn umcr.wsgi" in processes["web"]
    assert "--no-control-socket" in processes["web"]
    assert processes["worker"] == "python manage.py qcluster"
    assert processes["deliver"] == "python manage.py deliver --loop"


def test_the_systemd_units_migrate_first_and_stop_by_the_main_process():
    release = (DEPLOY / "systemd" / "umcr-release.service").read_text()
    web = (DEPLOY / "systemd" / "umcr-web.service").read_text()
    worker = (DEPLOY / "systemd" / "umcr-worker.service").read_text()
    deliver = (DEPLOY / "systemd" / "umcr-deliver.service").read_text()

    assert "manage.py migrate --noinput" in release
    assert "--no-control-socket" in web
    assert "manage.py qcluster" in worker
    assert "manage.py deliver --loop" in deliver
    for unit in (web, worker, deliver):
        assert "Requires=umcr-release.service" in unit
        assert "KillMode=mixed" in unit
        assert "EnvironmentFile=/etc/umcr/umcr.env" in unit


def test_compose_runs_app_worker_postgresql_and_redis_after_migrate():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]

    assert set(services) == {"db", "redis", "migrate", "web", "worker", "deliver"}
    assert services["deliver"]["command"] == ["python", "manage.py", "deliver", "--loop"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["worker"]["command"] == ["python", "manage.py", "qcluster"]
    for name in ("web", "worker", "deliver"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        environment = services[name]["environment"]
        assert environment["DEBUG"] == "false"
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["DATABASE_URL"].startswith("postgres://")


def test_the_image_installs_the_pinned_set_and_serves_with_gunicorn():
    dockerfile = (DEPLOY / "Dockerfile").read_text()

    assert "pip install -r requirements.txt -c constraints.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert '"--no-control-socket"' in dockerfile
    assert "USER umcr" in dockerfile


def test_constraints_pin_every_requirement_at_its_own_version():
    base = Path(settings.BASE_DIR)
    constraints = pinned(base / "constraints.txt")
    required = pinned(base / "requirements.txt") | pinned(base / "requirements-dev.txt")

    for name, version in required.items():
        assert constraints.get(name) == version, name
    # Transitive packages are pinned too (asgiref comes with Django, jsonschema with
    # drf-spectacular).
    assert {"asgiref", "sqlparse", "jsonschema", "pyyaml"} <= set(constraints)
