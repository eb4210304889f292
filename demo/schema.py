"""The OpenAPI schema's view of the demo: outside demo mode (DEBUG off) the demo password in
the examples becomes a placeholder, so a deployment's schema does not advertise it. Named in
SPECTACULAR_SETTINGS' POSTPROCESSING_HOOKS."""

from django.conf import settings

from .data import PASSWORD


def hide_demo_password(result, generator, request, public):
    """drf-spectacular post-processing hook: the demo password becomes `<password>` unless
    DEBUG is on."""
    if settings.DEBUG:
        return result

    def scrub(value):
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, str):
            return value.replace(PASSWORD, "<password>")
        return value

    return scrub(result)
