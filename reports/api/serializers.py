"""The shapes of GET /api/v1/metrics/: its query parameters, and its answer for the OpenAPI
schema. The answer is built by reports.figures and rendered as it is (through these
serializers a rate of 35 would become 35.0); tests/reports/test_figures_schema.py checks a
real answer against the schema drawn from them, so the two cannot drift apart.
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from calls.choices import BackupReason, CallType, Disposition
from referrals.choices import ServiceCategory

from ..figures import DEFINITIONS, GROUPINGS, Period


class MetricsQuerySerializer(serializers.Serializer):
    # "from" is a Python keyword: the field is declared below under its wire name.
    to = serializers.DateField(required=False, help_text="Last day, inclusive (default today).")
    provider = serializers.SlugField(required=False, help_text="Provider slug.")
    division = serializers.CharField(required=False, max_length=8, help_text="Division code.")
    program = serializers.SlugField(
        required=False, max_length=40, help_text="Program slug (GET /programs/)."
    )
    by = serializers.ChoiceField(choices=GROUPINGS, required=False)
    team_rate = serializers.FloatField(required=False, min_value=0, max_value=10000)
    police_rate = serializers.FloatField(required=False, min_value=0, max_value=10000)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="First day (default: a year before `to`)."
        )
        return fields

    def validate(self, attrs):
        earliest, latest = Period.EARLIEST, Period.LATEST
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


# --- the answer (documentation) --------------------------------------------------------------


def _codes(choices) -> str:
    return ", ".join(f"`{value}`" for value in choices.values)


def _count(name: str) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, help_text=DEFINITIONS[name])


def _share(name: str) -> serializers.FloatField:
    return serializers.FloatField(
        allow_null=True, min_value=0, max_value=1, help_text=f"{DEFINITIONS[name]} Null over 0."
    )


def _dollars(name: str) -> serializers.FloatField:
    return serializers.FloatField(help_text=f"{DEFINITIONS[name]} Dollars, to the cent.")


def _counted(name: str, choices) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.IntegerField(min_value=1),
        help_text=f"{DEFINITIONS[name]} Keys: {_codes(choices)}; a key counted 0 is left out.",
    )


class FiguresMinutesSerializer(serializers.Serializer):
    """Minutes, to a tenth; null when no call handled has both events."""

    mean = serializers.FloatField(allow_null=True, min_value=0)
    median = serializers.FloatField(allow_null=True, min_value=0)
    p90 = serializers.FloatField(allow_null=True, min_value=0, help_text="90th percentile.")


def _minutes(name: str) -> FiguresMinutesSerializer:
    return FiguresMinutesSerializer(help_text=DEFINITIONS[name])


class FiguresSerializer(serializers.Serializer):
    """The figures of the period or of one group; each field's description is its
    definition (the answer's `definitions` repeats them)."""

    calls_handled = _count("calls_handled")
    resolved_without_police = _count("resolved_without_police")
    resolved_without_police_share = _share("resolved_without_police_share")
    calls_with_backup = _count("calls_with_backup")
    backup_requests = _count("backup_requests")
    backup_rate = _share("backup_rate")
    backup_requests_by_reason = _counted("backup_requests_by_reason", BackupReason)
    acknowledge_minutes = _minutes("acknowledge_minutes")
    response_minutes = _minutes("response_minutes")
    on_scene_minutes = _minutes("on_scene_minutes")
    committed_minutes = _minutes("committed_minutes")
    committed_hours = serializers.FloatField(min_value=0, help_text=DEFINITIONS["committed_hours"])
    calls_by_type = _counted("calls_by_type", CallType)
    calls_by_disposition = _counted("calls_by_disposition", Disposition)
    followups_due = _count("followups_due")
    followups_completed_on_time = _count("followups_completed_on_time")
    followups_on_time_share = _share("followups_on_time_share")
    referrals_made = _count("referrals_made")
    referrals_by_category = _counted("referrals_by_category", ServiceCategory)
    referrals_closed = _count("referrals_closed")
    referrals_closed_share = _share("referrals_closed_share")
    treated_on_site = _count("treated_on_site")
    transports = _count("transports")
    transports_handed_off = _count("transports_handed_off")
    handoff_minutes = _minutes("handoff_minutes")
    checkins_answered = _count("checkins_answered")
    checkins_need_help = _count("checkins_need_help")
    safety_alerts_raised = _count("safety_alerts_raised")
    safety_alert_acknowledge_minutes = _minutes("safety_alert_acknowledge_minutes")
    team_cost = _dollars("team_cost")
    police_cost = _dollars("police_cost")
    estimated_savings = _dollars("estimated_savings")


GROUP_HELP = (
    "The group: with `by=month` or `by=week` the day it starts (YYYY-MM-DD), with "
    "`by=division` the division's code, with `by=provider` the provider's slug, with "
    "`by=program` the program's slug; null for records with none (a call never routed, a "
    "referral made without a call)."
)


class FiguresRowSerializer(FiguresSerializer):
    """One group's figures (`by`), groups in order, a null group first."""

    group = serializers.CharField(allow_null=True, help_text=GROUP_HELP)


class FiguresTotalSerializer(FiguresSerializer):
    """The whole period's figures: over the rows, the counts are their sums."""

    group = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="Always null, and present only without `by` when the period has records.",
    )


class FiguresPeriodSerializer(serializers.Serializer):
    # "from" is a Python keyword: declared in get_fields, as on the query.
    to = serializers.DateField(help_text="Last day, inclusive.")

    def get_fields(self):
        fields = super().get_fields()
        return {"from": serializers.DateField(help_text="First day."), **fields}


class FiguresFiltersSerializer(serializers.Serializer):
    """The filters the figures were computed with."""

    provider = serializers.CharField(
        allow_null=True,
        help_text="The provider's slug: the one asked for, or the reader's own; null for "
        "every provider.",
    )
    division = serializers.CharField(allow_null=True, help_text="Division code, or null.")
    program = serializers.CharField(
        allow_null=True, help_text="Program slug, or null for every program."
    )
    by = serializers.ChoiceField(choices=GROUPINGS, allow_null=True, help_text="The grouping.")


class FiguresRatesSerializer(serializers.Serializer):
    """Dollars per hour the costs used: those asked for, or the program's."""

    team_rate = serializers.FloatField(min_value=0)
    police_rate = serializers.FloatField(min_value=0)


class FiguresDefinitionsSerializer(serializers.Serializer):
    """Each figure's definition, in a sentence or two, keyed by the figure's name."""

    def get_fields(self):
        return {name: serializers.CharField() for name in DEFINITIONS}


class FiguresAnswerSerializer(serializers.Serializer):
    period = FiguresPeriodSerializer()
    filters = FiguresFiltersSerializer()
    rates = FiguresRatesSerializer()
    definitions = FiguresDefinitionsSerializer()
    total = FiguresTotalSerializer()
    rows = FiguresRowSerializer(many=True, help_text="One per group with `by`; empty without.")
