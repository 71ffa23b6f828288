"""Who may see, download, change and share which file. The only place that decides it.

A file is visible to its owner, to whoever may read a group it is shared to, to whoever may
read a (live) post it is attached to, to whoever may see the meeting of an agenda item it is
attached to, to the participants of a conversation it was sent in, and to the people it is
shared with by name. Removing a share takes access away at once: nothing is cached.
"""

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from accounts import policy as account_policy
from accounts.models import User
from files.models import File, FileShare
from groups import policy as group_policy
from groups.models import Group, Membership
from meetings import policy as meeting_policy
from meetings.models import AgendaItem
from messaging import policy as messaging_policy
from messaging.models import Conversation
from social import policy as social_policy
from social.models import Post


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_have_files(user: User) -> bool:
    """Staff, elected and external members share files; citizens have consultations."""
    return _active(user) and not user.is_citizen


def visible_files(
    user: User, *, group_ids: group_policy.ReadableGroups | None = None
) -> QuerySet[File]:
    """`group_ids`: `group_policy.readable_group_ids(user)` when the caller already read it
    (search); otherwise the readable groups are subqueries.

    Each file asks whether one of its own shares reaches `user` (correlated EXISTS), and each
    share asks about its own post, conversation or item: a question about a few files (a
    notification count, a file page) reads only their shares, where `pk IN (shares…)` had
    PostgreSQL hash every share and post the person may see first. On a whole list the
    planner may still hash them, when that is cheaper. A test holds this equal to that rule."""
    if not can_have_files(user):
        return File.objects.none()
    shares = _shares_reaching(user, group_ids=group_ids)
    return File.objects.filter(deleted_at__isnull=True).filter(
        Q(owner=user) | Exists(shares.filter(file=OuterRef("pk")))
    )


def _shares_reaching(
    user: User, *, group_ids: group_policy.ReadableGroups | None
) -> QuerySet[FileShare]:
    """The shares through which `user` sees a file, each decided on its own row: shared to
    them by name, to a group they may read, to a live post they may read, to a conversation
    they take part in, or to an agenda item of a meeting they may see."""
    if group_ids is None:
        in_readable_group = Q(group__in=group_policy.readable_groups(user).values("pk"))
    else:
        in_readable_group = group_policy.in_groups("group_id", group_ids, user=user)
    posts = social_policy.visible_posts(user, group_ids=group_ids).filter(deleted_at__isnull=True)
    conversations = messaging_policy.visible_conversations(user)
    meetings = meeting_policy.visible_meetings(user, group_ids=group_ids)
    items = AgendaItem.objects.filter(Exists(meetings.filter(pk=OuterRef("meeting_id"))))
    return FileShare.objects.filter(
        Q(user=user)
        | in_readable_group
        | Exists(posts.filter(pk=OuterRef("post_id")))
        | Exists(conversations.filter(pk=OuterRef("conversation_id")))
        | Exists(items.filter(pk=OuterRef("item_id")))
    )


def can_view_file(user: User, file: File) -> bool:
    return not file.is_deleted and visible_files(user).filter(pk=file.pk).exists()


def _posting_group_ids(user: User, file: File) -> QuerySet:
    return file.shares.filter(
        group__in=group_policy.active_memberships(user).values("group_id")
    ).values("group_id")


def can_change_file(user: User, file: File) -> bool:
    """New versions, name and description: the owner and members of a group it is shared to."""
    if file.is_deleted or not can_have_files(user):
        return False
    return file.owner_id == user.pk or user.is_superuser or _posting_group_ids(user, file).exists()


def can_delete_file(user: User, file: File) -> bool:
    """The owner, a manager of a group it is shared to, or an administrator."""
    if file.is_deleted or not can_have_files(user):
        return False
    if file.owner_id == user.pk or user.is_superuser:
        return True
    return file.shares.filter(group__in=_managed(user).values("group_id")).exists()


def _managed(user: User) -> QuerySet[Membership]:
    """The memberships through which `user` manages a group (and the files shared to it)."""
    return group_policy.active_memberships(user).filter(
        role__in=[Membership.Role.OWNER, Membership.Role.MANAGER]
    )


def with_rights(user: User, files: QuerySet[File]) -> QuerySet[File]:
    """`can_change_file` and `can_delete_file` for each file of a list, in the list's own
    query (`viewer_can_change`, `viewer_can_delete`), for files taken from `visible_files`.
    A test holds them equal to the single-file predicates above."""
    if user.is_superuser:
        return files.annotate(
            viewer_can_change=Value(True, BooleanField()),
            viewer_can_delete=Value(True, BooleanField()),
        )
    memberships = group_policy.active_memberships(user)
    managed = _managed(user)

    def shared_to(groups: QuerySet) -> Exists:
        return Exists(
            FileShare.objects.filter(file=OuterRef("pk"), group__in=groups.values("group_id"))
        )

    return files.annotate(
        viewer_can_change=ExpressionWrapper(
            Q(owner=user) | shared_to(memberships), output_field=BooleanField()
        ),
        viewer_can_delete=ExpressionWrapper(
            Q(owner=user) | shared_to(managed), output_field=BooleanField()
        ),
    )


def can_share_file(user: User, file: File) -> bool:
    """Only the owner (or an administrator) decides where a file goes."""
    return (
        not file.is_deleted
        and can_have_files(user)
        and (file.owner_id == user.pk or user.is_superuser)
    )


def can_share_to_group(user: User, group: Group) -> bool:
    return group_policy.can_post_in(user, group)


def can_attach_to_post(user: User, post: Post) -> bool:
    """Files go with a post only by its author, while the post is live."""
    return post.author_id == user.pk and social_policy.can_interact(user, post)


def can_attach_to_conversation(user: User, conversation: Conversation) -> bool:
    """Files go into a conversation with a message of one of its participants."""
    return messaging_policy.can_view_conversation(user, conversation)


def can_share_to_person(user: User, person: User) -> bool:
    """Someone the sharer may see in the directory (citizens never receive files)."""
    return (
        person.pk != user.pk
        and person.is_active
        and not person.is_citizen
        and account_policy.visible_people(user).filter(pk=person.pk).exists()
    )


def can_remove_share(user: User, share: FileShare) -> bool:
    """The owner; a group's manager for that group; a person for their own share."""
    if can_share_file(user, share.file):
        return True
    if share.user_id is not None:
        return share.user_id == user.pk
    if share.group_id is not None:
        return group_policy.can_manage_group(user, share.group)
    if share.item_id is not None:
        return meeting_policy.can_edit_item(user, share.item)
    return False


def visible_shares(user: User, file: File) -> QuerySet[FileShare]:
    """The shares shown on a file's page: only targets the viewer may see themselves."""
    return file.shares.filter(
        Q(group__in=group_policy.visible_groups(user).values("pk"))
        | Q(post__in=social_policy.visible_posts(user).filter(deleted_at__isnull=True).values("pk"))
        | Q(user__in=account_policy.visible_people(user).values("pk"))
        | Q(user=user)
        | Q(conversation__in=messaging_policy.visible_conversations(user).values("pk"))
        | Q(item__meeting__in=meeting_policy.visible_meetings(user).values("pk"))
    )


def can_comment(user: User, file: File) -> bool:
    return can_view_file(user, file)
