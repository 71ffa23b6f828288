"""`{% processing_notice %}`: the sign-up processing notice, wherever it is quoted."""

from django import template
from django.utils.safestring import SafeString

from accounts.notice import render_notice

register = template.Library()


@register.simple_tag
def processing_notice() -> SafeString:
    return render_notice()
