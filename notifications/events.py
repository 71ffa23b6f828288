"""The unread count of notifications, pushed to the recipient's sockets after commit.

`{"type": "notification.count", "data": {"count": n}}`: static/js/realtime.js shows it on the
bell. The count is read after commit, so it is the one the list shows. Like presence, a count
has no `seq` (realtime.sequence): each one replaces the last, so a missed one must not make
the tab resync, and a reconnecting tab asks the API for it (static/js/notifications.js).
"""

from django.db import transaction

from realtime.events import PUSH, _send

COUNT = "notification.count"


def count_changed(user_ids) -> None:
    """After commit, each of these people's sockets gets their new unread count."""
    ids = sorted(set(user_ids))
    if ids:
        transaction.on_commit(lambda: _publish_counts(ids), robust=True)


def _publish_counts(user_ids: list[int]) -> None:
    from accounts.models import User
    from notifications.selectors import unread_count

    _send(
        {
            user.pk: {"type": PUSH, "event": {"type": COUNT, "data": {"count": unread_count(user)}}}
            for user in User.objects.filter(pk__in=user_ids)
        }
    )
