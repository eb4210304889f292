"""Template tags of the admin's home: the panels apps register (umcr.admin.home_panels)."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..admin import home_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_home_panels(context: template.Context) -> SafeString:
    request = context.get("request")
    if request is None:
        return mark_safe("")
    # Each panel's HTML comes from its app's template, escaped there.
    return format_html_join("", "{}", ((mark_safe(html),) for html in home_panels(request)))
