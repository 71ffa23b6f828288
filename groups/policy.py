"""Who may see, read, join and manage which group. The only place that decides it."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from groups.models import Group, Membership


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _unexpired() -> Q:
    """A filter on Membership: not ended by itself (external members' memberships expire)."""
    return Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())


def active_memberships(user: User) -> QuerySet[Membership]:
    """Memberships that still give access (an external member's may have ended by itself)."""
    return active_memberships_of([user])


def active_memberships_of(users: Iterable[User]) -> QuerySet[Membership]:
    """The `active_memberships` of several people in one query (batch jobs such as digests):
    citizens and revoked accounts have none, an external member only in groups open to them."""
    allowed = [u for u in users if _active(u) and not u.is_citizen]
    if not allowed:
        return Membership.objects.none()
    whose = Q(user_id__in=[u.pk for u in allowed if not u.is_external])
    if external := [u.pk for u in allowed if u.is_external]:
        # Only then a join on the group (this is the subquery of every readable-groups filter).
        whose |= Q(user_id__in=external, group__open_to_external=True)
    return Membership.objects.filter(whose).filter(_unexpired())


def membership_of(user: User, group: Group) -> Membership | None:
    return active_memberships(user).filter(group=group).first()


def visible_groups(user: User) -> QuerySet[Group]:
    """Groups whose name and description `user` may see (listings, group page header)."""
    if not _active(user) or user.is_citizen:
        return Group.objects.none()
    mine = Q(pk__in=active_memberships(user).values("group_id"))
    if user.is_internal:
        return Group.objects.filter(
            mine | Q(visibility__in=[Group.Visibility.PUBLIC, Group.Visibility.PRIVATE])
        )
    return Group.objects.filter(mine)


def readable_groups(user: User) -> QuerySet[Group]:
    """Groups whose content (posts, members, files) `user` may read."""
    if not _active(user) or user.is_citizen:
        return Group.objects.none()
    mine = Q(pk__in=active_memberships(user).values("group_id"))
    if user.is_internal:
        return Group.objects.filter(mine | Q(visibility=Group.Visibility.PUBLIC))
    return Group.objects.filter(mine)


@dataclass(frozen=True)
class ReadableGroups:
    """The ids of the groups a viewer may read, and whose they are (`readable_group_ids`).

    The other apps' policies take it in place of a subquery (`in_groups`) and refuse one that
    is not the viewer's: a caller can narrow it (`only`), never hand over a list of its own."""

    user_id: int | None
    ids: tuple[int, ...]

    def only(self, group_id: int) -> "ReadableGroups":
        """One of these groups (search reads an external member's groups one by one)."""
        if group_id not in self.ids:
            raise ValueError(f"group {group_id} is not readable by user {self.user_id}")
        return replace(self, ids=(group_id,))


def readable_group_ids(user: User) -> ReadableGroups:
    """The ids of `readable_groups(user)`, read once (one small query). A big query that
    filters on this literal list (`group_id IN (…)`, search over a million posts) is planned
    with the real share of rows it keeps, and costs nothing to build, where the nested
    subquery cost more than the rows it found. Read it per request: a membership that ends
    takes effect at the next one."""
    ids = readable_groups(user).order_by("pk").values_list("pk", flat=True)
    return ReadableGroups(user_id=user.pk, ids=tuple(ids))


class _AnyOf(Func):
    """`field = ANY(%s)` with the ids as one array parameter (PostgreSQL): a statement whose
    text stays short and the same whatever the number of groups; `IN (…)` elsewhere."""

    output_field = BooleanField()

    def __init__(self, field: str, ids: Collection[int]):
        super().__init__(F(field))
        self.ids = [int(pk) for pk in ids]

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} IN ({', '.join(['%s'] * len(self.ids))})", [*params, *self.ids]

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} = ANY(%s)", [*params, self.ids]


def in_groups(field: str, group_ids: ReadableGroups, *, user: User) -> Q:
    """A filter: `field` (a group id) is one of `group_ids`, which must be
    `readable_group_ids(user)` for this very `user` (the other apps' policies filter their
    rows with it): anything else is a programming error, refused with ValueError. One group:
    plain equality (an index on the group then reads it in order); none: nothing."""
    if not isinstance(group_ids, ReadableGroups) or group_ids.user_id != user.pk:
        raise ValueError("group_ids must be readable_group_ids() of the same user")
    ids = list(group_ids.ids)
    if len(ids) <= 1:
        return Q(**{f"{field}__in": ids})
    return Q(_AnyOf(field, ids))


def can_see_group(user: User, group: Group) -> bool:
    return visible_groups(user).filter(pk=group.pk).exists()


def can_read_group(user: User, group: Group) -> bool:
    return can_read_group_given(user, group, membership_of(user, group))


def can_read_group_given(user: User, group: Group, membership: Membership | None) -> bool:
    """The single-group mirror of `readable_groups`, given `membership_of(user, group)` (a
    page or a batch that already holds it: no query)."""
    if not _active(user) or user.is_citizen:
        return False
    if membership is not None:
        return True
    return user.is_internal and group.visibility == Group.Visibility.PUBLIC


def can_list_groups(user: User) -> bool:
    """Staff, elected and external members have a group list; citizens have no group at all."""
    return _active(user) and not user.is_citizen


def can_create_group(user: User) -> bool:
    return _active(user) and user.kind == User.Kind.STAFF


def can_join_directly(user: User, group: Group) -> bool:
    """Staff and elected join public groups with one click."""
    return _active(user) and user.is_internal and group.visibility == Group.Visibility.PUBLIC


def can_request_to_join(user: User, group: Group) -> bool:
    """Private groups take requests from staff and elected; a manager decides."""
    return _active(user) and user.is_internal and group.visibility == Group.Visibility.PRIVATE


def can_manage_group(user: User, group: Group) -> bool:
    """Owners and managers edit the group, decide requests, invite and manage members."""
    return can_manage_given(user, membership_of(user, group))


def can_manage_given(user: User, membership: Membership | None) -> bool:
    """`can_manage_group` for a page that already holds `membership_of(user, group)`."""
    if not _active(user):
        return False
    return user.is_superuser or (membership is not None and membership.is_manager)


def is_owner_given(user: User, membership: Membership | None) -> bool:
    """Only owners (and administrators) name, demote or remove owners."""
    if not _active(user):
        return False
    return user.is_superuser or (
        membership is not None and membership.role == Membership.Role.OWNER
    )


def readers_of(group: Group) -> Q:
    """A filter on User: the people who may read `group`'s content (mirror of readable_groups)."""
    members = Membership.objects.filter(group=group).filter(_unexpired())
    if not group.open_to_external:
        members = members.exclude(user__kind=User.Kind.EXTERNAL)
    readers = Q(pk__in=members.values("user_id"))
    if group.visibility == Group.Visibility.PUBLIC:
        readers |= Q(kind__in=[User.Kind.STAFF, User.Kind.ELECTED])
    return readers & Q(is_active=True) & ~Q(kind=User.Kind.CITIZEN)


def can_post_in(user: User, group: Group) -> bool:
    return membership_of(user, group) is not None


def may_belong_to(user: User, group: Group) -> bool:
    """Whether this account can be a member at all (external accounts need an open group)."""
    if not user.is_active or user.is_citizen:
        return False
    return not user.is_external or group.open_to_external


def co_member_ids(user: User) -> QuerySet:
    """Ids of the people who share a group with `user`, both with access today."""
    return (
        Membership.objects.filter(group__in=active_memberships(user).values("group_id"))
        .filter(_unexpired())
        .values("user_id")
    )
