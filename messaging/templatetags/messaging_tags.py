"""Template helpers of messaging: whether to offer « Envoyer un message » on a profile."""

from django import template

from messaging import policy

register = template.Library()


@register.simple_tag
def can_message(viewer, person) -> bool:
    return policy.can_message(viewer, person)
