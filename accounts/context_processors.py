"""Template context for the navigation: which entries the signed-in user may use."""

from django.http import HttpRequest

from accounts import policy
from files import policy as files_policy
from groups import policy as groups_policy


def navigation(request: HttpRequest) -> dict:
    return {
        "nav": {
            "directory": policy.can_browse_directory(request.user),
            "groups": groups_policy.can_list_groups(request.user),
            "files": files_policy.can_have_files(request.user),
        }
    }
