"""Loaded by pytest before Django starts (`-p tests.environment`): the suite runs on
PostgreSQL unless DATABASE_URL says otherwise, and needs no other configuration."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/umcr")
os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret")
os.environ.setdefault("Q_SYNC", "1")
# The test client speaks plain HTTP to "testserver": no redirect to HTTPS (a deployment's default).
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
