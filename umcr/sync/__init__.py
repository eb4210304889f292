"""The offline sync engine (WatermelonDB's pull/push protocol). Knows no app: each app
declares its synced tables in its own `sync.py` (see registry.py), as it does with admin."""

from .devices import get_device_model

__all__ = ["get_device_model"]
