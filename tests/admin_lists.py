"""The admin lists that open on a queue (umcr.admin.LandingFilter: follow-ups on the open
ones, referrals on the stale ones): the parameters that show every row instead."""

from django.apps import apps
from django.contrib import admin

from umcr.admin import LandingFilter


def every_row(model: str | type) -> dict[str, str]:
    """`model` (a label such as "referrals.referral", or the class) listed whole."""
    if isinstance(model, str):
        model = apps.get_model(model)
    model_admin = admin.site._registry[model]
    return {
        f.parameter_name: LandingFilter.ALL
        for f in model_admin.list_filter
        if isinstance(f, type) and issubclass(f, LandingFilter)
    }
