"""Live feed events: a group's subscribed pages learn that something changed, not what.

Published after commit to the group's feed channel (realtime.groups.feed_group), with ids
only: the page fetches the post through the page or the API, where the policy applies to
the person asking. Posts on a profile (no group) have no live feed.
"""

from realtime import events as realtime
from social.models import Comment, Post


def _to_feed(post: Post, type: str, extra: dict | None = None) -> None:
    if post.group_id is None:
        return
    realtime.publish_to_group(
        post.group_id, type, {"group": post.group_id, "post": post.pk, **(extra or {})}
    )


def post_created(post: Post) -> None:
    _to_feed(post, "post.created")


def post_updated(post: Post) -> None:
    _to_feed(post, "post.updated")


def post_deleted(post: Post) -> None:
    _to_feed(post, "post.deleted")


def comment_created(comment: Comment) -> None:
    if comment.item_id is not None:
        from meetings import events as meeting_events

        meeting_events.comment_created(comment)
        return
    if comment.post_id is None:
        return  # a comment in a file's thread: no feed
    _to_feed(comment.post, "comment.created", {"comment": comment.pk})
