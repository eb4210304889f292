"""GET /api/v1/metrics/: the program's figures, as JSON or CSV (`Accept: text/csv` or
`?format=csv`), each with its definition."""

import csv
import io
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from responders.models import Division, Provider
from umcr.api import IsResponder, request_responder
from umcr.api_docs import ERROR_RESPONSES
from umcr.policy import READ

from .. import metrics, permissions


class MetricsQuerySerializer(serializers.Serializer):
    # "from" is a Python keyword: the field is declared below under its wire name.
    to = serializers.DateField(required=False, help_text="Last day, inclusive (default today).")
    provider = serializers.SlugField(required=False, help_text="Provider slug.")
    division = serializers.CharField(required=False, max_length=8, help_text="Division code.")
    by = serializers.ChoiceField(choices=metrics.GROUPINGS, required=False)
    team_rate = serializers.FloatField(required=False, min_value=0, max_value=10000)
    police_rate = serializers.FloatField(required=False, min_value=0, max_value=10000)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="First day (default: a year before `to`)."
        )
        return fields

    def validate(self, attrs):
        earliest, latest = metrics.Period.EARLIEST, metrics.Period.LATEST
        for name in ("from", "to"):
            if name in attrs and not earliest <= attrs[name] <= latest:
                raise serializers.ValidationError({name: [f"Must be from {earliest} to {latest}."]})
        last = attrs.get("to") or timezone.localdate()
        first = attrs.get("from") or last - timedelta(days=364)
        if first > last:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        if (last - first).days > 366 * 5:
            raise serializers.ValidationError({"from": ["At most five years at once."]})
        attrs["from"], attrs["to"] = first, last
        return attrs


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


class MetricsView(APIView):
    permission_classes = [IsResponder]
    renderer_classes = [renderers.JSONRenderer, FiguresCSVRenderer]

    @extend_schema(
        operation_id="metrics_retrieve",
        summary="The program's figures",
        description=(
            "Calls handled, share resolved without police, backup requests and rate by "
            "reason, response time, time on scene, committed time, calls by type and "
            "disposition, follow-ups due and completed on time, referrals by category and the "
            "share closed, and the estimated cost of team hours against police hours. Each "
            "figure's definition is in `definitions`. Supervisors and case managers see their "
            "own provider; the desk every provider. `Accept: text/csv` or `?format=csv` "
            "returns the same table as CSV."
        ),
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day (default: a year ago)."
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive."),
            OpenApiParameter("provider", OpenApiTypes.STR, description="Provider slug."),
            OpenApiParameter("division", OpenApiTypes.STR, description="Division code."),
            OpenApiParameter("by", OpenApiTypes.STR, enum=list(metrics.GROUPINGS)),
            OpenApiParameter(
                "team_rate", OpenApiTypes.NUMBER, description="Dollars per team hour."
            ),
            OpenApiParameter(
                "police_rate", OpenApiTypes.NUMBER, description="Dollars per police hour."
            ),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="definitions, total, rows"),
            **{k: ERROR_RESPONSES[k] for k in (400, 401, 403, 404)},
        },
        tags=["metrics"],
    )
    def get(self, request):
        responder = request_responder(request)
        permissions.check(responder, READ, "figures")
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        asked = None
        if params.get("provider"):
            asked = Provider.objects.filter(slug=params["provider"]).first()
            if asked is None:
                raise NotFound("No such provider.")
        provider = permissions.figures_provider(responder, asked)
        provider_id = provider.pk if provider is not None else None
        if params.get("division") and not Division.objects.filter(code=params["division"]).exists():
            raise serializers.ValidationError({"division": ["No such division."]})
        period = metrics.Period.from_dates(params["from"], params["to"])
        # Resolved here too: the answer names the rates its costs used.
        rates = {
            "team_rate": params.get("team_rate", settings.UMCR_TEAM_HOURLY_COST),
            "police_rate": params.get("police_rate", settings.UMCR_POLICE_HOURLY_COST),
        }
        common = {
            "period": period,
            "provider_id": provider_id,
            "division_code": params.get("division"),
            **rates,
        }
        total, rows = metrics.figures_with_total(by=params.get("by"), **common)
        body = {
            "period": {"from": params["from"], "to": params["to"]},
            "filters": {
                "provider": params.get("provider")
                or (None if provider_id is None else responder.provider.slug),
                "division": params.get("division"),
                "by": params.get("by"),
            },
            "rates": rates,
            "definitions": metrics.DEFINITIONS,
            "total": total,
            "rows": rows,
        }
        return Response(body)
