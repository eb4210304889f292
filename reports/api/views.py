"""GET /api/v1/metrics/: the program's figures (reports.figures), as JSON or CSV
(`Accept: text/csv` or `?format=csv`), each with its definition. Its examples are in
examples.py, its shapes in serializers.py."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from calls import permissions
from responders.models import Division, Program, Provider
from umcr.api import IsResponder, request_responder
from umcr.api_docs import ERROR_RESPONSES
from umcr.policy import READ

from .. import figures
from .examples import FIGURES_AS_CSV, FIGURES_BY_DIVISION
from .renderers import FiguresCSVRenderer
from .serializers import FiguresAnswerSerializer, MetricsQuerySerializer


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
            "share closed, and the estimated cost of team hours against police hours. "
            + figures.ACROSS_PROGRAMS
            + " Each figure's definition is in `definitions`. Supervisors and case managers see their "
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
            OpenApiParameter(
                "program",
                OpenApiTypes.STR,
                description="Program slug; `by=program` gives one row per program.",
            ),
            OpenApiParameter("by", OpenApiTypes.STR, enum=list(figures.GROUPINGS)),
            OpenApiParameter(
                "team_rate", OpenApiTypes.NUMBER, description="Dollars per team hour."
            ),
            OpenApiParameter(
                "police_rate", OpenApiTypes.NUMBER, description="Dollars per police hour."
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                FiguresAnswerSerializer,
                description="The period and filters asked for, the rates the costs used, "
                "each figure's definition, the period's total and, with `by`, one row per "
                "group. As CSV: one line per group and a last line `total`, the counts by "
                "key flattened to `figure:key` columns and times to `figure:mean` and so on.",
                examples=[FIGURES_BY_DIVISION],
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, examples=[FIGURES_AS_CSV]),
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
        if params.get("program") and not Program.objects.filter(slug=params["program"]).exists():
            raise serializers.ValidationError({"program": ["No such program."]})
        period = figures.Period.from_dates(params["from"], params["to"])
        # Resolved here too: the answer names the rates its costs used.
        rates = {
            "team_rate": params.get("team_rate", settings.UMCR_TEAM_HOURLY_COST),
            "police_rate": params.get("police_rate", settings.UMCR_POLICE_HOURLY_COST),
        }
        common = {
            "period": period,
            "provider_id": provider_id,
            "division_code": params.get("division"),
            "program_slug": params.get("program"),
            **rates,
        }
        total, rows = figures.figures_with_total(by=params.get("by"), **common)
        body = {
            "period": {"from": params["from"], "to": params["to"]},
            "filters": {
                "provider": params.get("provider")
                or (None if provider_id is None else responder.provider.slug),
                "division": params.get("division"),
                "program": params.get("program"),
                "by": params.get("by"),
            },
            "rates": rates,
            "definitions": figures.DEFINITIONS,
            "total": total,
            "rows": rows,
        }
        return Response(body)
