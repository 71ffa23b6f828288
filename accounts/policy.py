"""Who may see whom: the directory and profile rules. The only place that decides them."""

from django.db.models import Q, QuerySet

from accounts.models import User
from groups.policy import co_member_ids

# Kinds that appear in the agency's directory. Citizens never do: their accounts exist only
# for consultations, and listing them would publish residents' names to the agency at large.
DIRECTORY_KINDS = (User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL)


def can_browse_directory(user: User) -> bool:
    """Staff, elected officials and external members have a directory; citizens have none."""
    return user.is_authenticated and user.is_active and user.kind in DIRECTORY_KINDS


def can_view_profile(viewer: User, person: User) -> bool:
    """Mirror of `visible_people`, for one person already loaded."""
    if not (viewer.is_authenticated and viewer.is_active):
        return False
    if viewer.pk == person.pk:
        return True
    if not person.is_active or person.kind not in DIRECTORY_KINDS:
        return False
    if viewer.is_internal:
        return True
    # External members see the people who share a group with them; citizens, nobody else.
    return viewer.is_external and co_member_ids(viewer).filter(user_id=person.pk).exists()


def visible_people(viewer: User) -> QuerySet[User]:
    """The people `viewer` may find in the directory and whose profile they may open."""
    if not (viewer.is_authenticated and viewer.is_active):
        return User.objects.none()
    if viewer.is_internal:
        return User.objects.filter(is_active=True, kind__in=DIRECTORY_KINDS)
    if viewer.is_external:
        return User.objects.filter(
            Q(pk=viewer.pk)
            | Q(pk__in=co_member_ids(viewer), is_active=True, kind__in=DIRECTORY_KINDS)
        )
    return User.objects.filter(pk=viewer.pk)


def has_workspace(user: User) -> bool:
    """The agency's workspace (groups, posts, files, messages, meetings): every active
    account but citizens', which exist only for consultations."""
    return bool(user.is_authenticated and user.is_active and not user.is_citizen)


def can_delete_own_account(user: User) -> bool:
    """Citizens close their account themselves (right to erasure); other accounts carry the
    agency's work (posts, files, meetings) and are closed by an administrator."""
    return bool(user.is_authenticated and user.is_active and user.is_citizen)
