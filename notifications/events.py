"""The unread count of notifications, pushed to the recipient's sockets after commit.

`{"type": "notification.count", "data": {"count": n}}`: static/js/realtime.js shows it on the
bell. The count is read after commit, so it is the one the list shows.
"""

from django.db import transaction

# Bound once, when the app loads (NotificationsConfig.ready): the count is its own stream,
# published beside the events of the app that caused it.
from realtime.events import publish as _publish

COUNT = "notification.count"


def count_changed(user_ids) -> None:
    """After commit, each of these people's sockets gets their new unread count."""
    ids = sorted(set(user_ids))
    if ids:
        transaction.on_commit(lambda: _publish_counts(ids), robust=True)


def _publish_counts(user_ids: list[int]) -> None:
    from accounts.models import User
    from notifications.selectors import unread_count

    for user in User.objects.filter(pk__in=user_ids):
        _publish([user.pk], COUNT, {"count": unread_count(user)})
