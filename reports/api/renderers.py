"""The figures as CSV (`Accept: text/csv` or `?format=csv` on GET /api/v1/metrics/)."""

import csv
import io

from rest_framework import renderers


class FiguresCSVRenderer(renderers.BaseRenderer):
    """The same table as the JSON: one line per group, nested counts flattened to
    `figure:key` columns."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out)
        rows = data.get("rows") if isinstance(data, dict) else None
        if rows is None:
            # An error: one line per message, as text (not Python's reprs of DRF's details).
            writer.writerow(["field", "message"])
            writer.writerows(self.error_lines(data))
            return out.getvalue()
        flat = [self.flatten(row) for row in [*rows, {**data["total"], "group": "total"}]]
        columns = ["group"]
        for row in flat:
            columns += [c for c in row if c not in columns]
        writer.writerow(columns)
        for row in flat:
            writer.writerow([row.get(c, "") for c in columns])
        return out.getvalue()

    @classmethod
    def error_lines(cls, errors, prefix: str = ""):
        """(field, message) pairs of an error body: `{"detail": ..., "code": ...}` or
        `{"field": ["message", ...]}`, nested fields as `outer.inner`."""
        if isinstance(errors, dict):
            for key, value in errors.items():
                yield from cls.error_lines(value, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(errors, list):
            for value in errors:
                yield from cls.error_lines(value, prefix)
        else:
            yield [prefix, str(errors)]

    @staticmethod
    def flatten(row: dict) -> dict:
        flat = {}
        for key, value in row.items():
            if isinstance(value, dict):
                for sub, number in value.items():
                    flat[f"{key}:{sub}"] = number
            else:
                flat[key] = value
        return flat
