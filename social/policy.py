"""Who may see and do what with posts and comments. The only place that decides it."""

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from groups import policy as group_policy
from groups.models import Group, Membership
from social.models import Comment, Post


def has_social_space(user: User) -> bool:
    """Feeds, bookmarks, follows: everyone signed in except citizens (they have consultations)."""
    return user.is_authenticated and user.is_active and not user.is_citizen


def readers_of_posts_in(group: Group | None) -> Q:
    """A filter on User: who may read a post published in `group` (None: on a profile)."""
    if group is None:
        return Q(is_active=True, kind__in=[User.Kind.STAFF, User.Kind.ELECTED])
    return group_policy.readers_of(group)


def can_view_revisions(user: User, post: Post) -> bool:
    """A deleted post's last text is kept for audit (administrators), not for its readers."""
    return can_view_post(user, post) and (not post.is_deleted or user.is_superuser)


def visible_posts(
    user: User, *, group_ids: group_policy.ReadableGroups | None = None
) -> QuerySet[Post]:
    """Posts `user` may read: in groups they may read, and profile posts for staff and elected.

    `group_ids`: `group_policy.readable_group_ids(user)` when the caller already read it in
    this request (search: one query, then plain `group_id IN (…)` filters); otherwise the
    readable groups are a subquery. Another user's (or a hand-made list): ValueError."""
    if not (user.is_authenticated and user.is_active) or user.is_citizen:
        return Post.objects.none()
    if group_ids is None:
        readable = Q(group__in=group_policy.readable_groups(user).values("pk"))
    else:
        readable = group_policy.in_groups("group_id", group_ids, user=user)
    if user.is_internal:
        return Post.objects.filter(readable | Q(group__isnull=True))
    return Post.objects.filter(readable)


def sees_only_own_groups(user: User) -> bool:
    """Whether every post `user` may read is in one of their readable groups: no profile
    posts (those are for staff and elected). Search then reads such a viewer's posts group
    by group."""
    return not (user.is_authenticated and user.is_active and user.is_internal)


def can_view_post(user: User, post: Post) -> bool:
    return _can_view_post(user, post, lambda: group_policy.membership_of(user, post.group))


def can_view_post_given(user: User, post: Post, membership: Membership | None) -> bool:
    """`can_view_post` for a batch that already holds `membership_of(user, post.group)`."""
    return _can_view_post(user, post, lambda: membership)


def _can_view_post(user: User, post: Post, membership: Callable[[], Membership | None]) -> bool:
    """The single-post mirror of `visible_posts`. `membership` is asked for only when the
    post's group decides (a single check then reads it: one query, none otherwise)."""
    if not has_social_space(user):
        return False
    if post.group_id is None:
        return user.is_internal
    return group_policy.can_read_group_given(user, post.group, membership())


def can_post_in_group(user: User, group: Group) -> bool:
    return group_policy.can_post_in(user, group)


def can_post_on_profile(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_internal


def can_edit_post(user: User, post: Post) -> bool:
    return not post.is_deleted and post.author_id == user.pk and can_view_post(user, post)


def can_delete_post(user: User, post: Post) -> bool:
    if post.is_deleted or not can_view_post(user, post):
        return False
    if post.author_id == user.pk:
        return True
    return post.group_id is not None and group_policy.can_manage_group(user, post.group)


def can_interact(user: User, post: Post) -> bool:
    """Comment, react, bookmark, vote: whoever may read a live post."""
    return not post.is_deleted and can_view_post(user, post)


def can_choose_best_answer(user: User, post: Post) -> bool:
    if post.kind != Post.Kind.QUESTION or not can_interact(user, post):
        return False
    if post.author_id == user.pk:
        return True
    return post.group_id is not None and group_policy.can_manage_group(user, post.group)


def managed_group_ids(user: User) -> set[int]:
    """Groups whose posts `user` moderates: one query for a whole page of posts."""
    if user.is_superuser:
        return set(Group.objects.values_list("pk", flat=True))
    return set(
        group_policy.active_memberships(user)
        .filter(role__in=[Membership.Role.OWNER, Membership.Role.MANAGER])
        .values_list("group_id", flat=True)
    )


def moderates(user: User, post: Post, managed: set[int]) -> bool:
    """Author or manager of the post's group (batch form of the checks below)."""
    return post.author_id == user.pk or (post.group_id is not None and post.group_id in managed)


def can_see_poll_results(user: User, post: Post, *, has_voted: bool, managed: set[int]) -> bool:
    """Voters see results, so do the author and the group's managers, and everyone once closed."""
    return has_voted or post.poll_closed_at is not None or moderates(user, post, managed)


def can_share(user: User, post: Post, target: Group) -> bool:
    """Only posts of public groups travel, into a group where the sharer may post."""
    # Never into a group open to external members: they may not read public internal groups.
    return (
        not post.is_deleted
        and post.group_id is not None
        and post.group.visibility == Group.Visibility.PUBLIC
        and not target.open_to_external
        and can_view_post(user, post)
        and group_policy.can_post_in(user, target)
    )


# A comment belongs to the thread of a post, of a shared file or of a meeting's agenda item.
# The files and meetings apps depend on this one (files attached to posts, minutes published
# as posts), so their policies are imported where such a thread is read.


def _readable_thread(
    user: User,
    *,
    live_posts: bool = False,
    group_ids: group_policy.ReadableGroups | None = None,
) -> Q:
    """A comment's thread is readable when its subject is (a post, a file or a meeting's
    item). Correlated EXISTS, so that a page of comments is checked row by row instead of
    hashing every post the user may read first (at a million posts, that hash alone took
    longer than a whole search); each on the comment's own columns, so that the query
    joins no other table and can read the comments newest first on their date index."""
    from files.policy import visible_files
    from meetings.models import AgendaItem
    from meetings.policy import visible_meetings

    posts = visible_posts(user, group_ids=group_ids)
    if live_posts:
        posts = posts.filter(deleted_at__isnull=True)
    meetings = visible_meetings(user, group_ids=group_ids)
    items = AgendaItem.objects.filter(meeting__in=meetings.values("pk"))
    return (
        Exists(posts.filter(pk=OuterRef("post_id")))
        | Exists(visible_files(user, group_ids=group_ids).filter(pk=OuterRef("file_id")))
        | Exists(items.filter(pk=OuterRef("item_id")))
    )


def visible_comments(user: User) -> QuerySet[Comment]:
    """Comments in threads `user` may read (mirror of `can_view_thread`), deleted included."""
    return Comment.objects.filter(_readable_thread(user))


def live_comments(
    user: User, *, group_ids: group_policy.ReadableGroups | None = None
) -> QuerySet[Comment]:
    """`visible_comments` that are not deleted, in threads whose post is not deleted.
    `group_ids`: as for `visible_posts`."""
    return Comment.objects.filter(deleted_at__isnull=True).filter(
        _readable_thread(user, live_posts=True, group_ids=group_ids)
    )


def can_view_thread(user: User, comment: Comment) -> bool:
    if comment.item_id is not None:
        from meetings import policy as meeting_policy

        return meeting_policy.can_view_thread(user, comment.item)
    if comment.file_id is not None:
        from files.policy import can_view_file

        return can_view_file(user, comment.file)
    return can_view_post(user, comment.post)


def can_take_part(user: User, comment: Comment) -> bool:
    """Comment, react: whoever may still read the live subject of the thread."""
    if comment.item_id is not None:
        from meetings import policy as meeting_policy

        return meeting_policy.can_take_part(user, comment.item)
    if comment.file_id is not None:
        from files.policy import can_comment

        return can_comment(user, comment.file)
    return can_interact(user, comment.post)


def _moderates_thread(user: User, comment: Comment) -> bool:
    if comment.item_id is not None:
        from meetings import policy as meeting_policy

        return meeting_policy.can_moderate_thread(user, comment.item)
    if comment.file_id is not None:
        from files.policy import can_delete_file

        return can_delete_file(user, comment.file)
    post = comment.post
    return post.group_id is not None and group_policy.can_manage_group(user, post.group)


def can_edit_comment(user: User, comment: Comment) -> bool:
    # Only while the author still reads the live subject (an external's access may have ended).
    return not comment.is_deleted and comment.author_id == user.pk and can_take_part(user, comment)


def can_delete_comment(user: User, comment: Comment) -> bool:
    if comment.is_deleted or not can_view_thread(user, comment):
        return False
    return comment.author_id == user.pk or _moderates_thread(user, comment)


def can_be_mentioned(person: User, subject) -> bool:
    """A mention must reach someone who can read the post (shared file, agenda item), or it
    is refused."""
    if isinstance(subject, Post):
        return can_view_post(person, subject)
    from meetings.models import AgendaItem

    if isinstance(subject, AgendaItem):
        from meetings import policy as meeting_policy

        return meeting_policy.can_view_thread(person, subject)
    from files.policy import can_view_file

    return can_view_file(person, subject)
