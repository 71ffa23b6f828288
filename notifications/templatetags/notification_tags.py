"""`{% unread_notifications as count %}`: the bell's count for the signed-in user, without a
query (the count last computed; the page's script refreshes it when its socket connects)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    from notifications.selectors import remembered_unread_count

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return remembered_unread_count(user) or 0
