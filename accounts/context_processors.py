"""Template context for the navigation: which entries the signed-in user may use."""

from django.http import HttpRequest

from accounts import policy
from files import policy as files_policy
from groups import policy as groups_policy
from messaging import policy as messaging_policy
from messaging import selectors as messaging_selectors


def navigation(request: HttpRequest) -> dict:
    messages = messaging_policy.has_messaging(request.user)
    return {
        "nav": {
            "messages": messages,
            # Lazy: one indexed sum, only on pages that render the navigation.
            "unread": (lambda: messaging_selectors.unread_total(request.user)) if messages else 0,
            "directory": policy.can_browse_directory(request.user),
            "groups": groups_policy.can_list_groups(request.user),
            "files": files_policy.can_have_files(request.user),
        }
    }
