"""Reads of groups and memberships, already filtered by groups.policy."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from groups import policy
from groups.models import Group, Invitation, JoinRequest, Membership

SEARCH_MAX_LENGTH = 100
LISTING_FILTERS = ("all", "mine", "public", "external")


def groups_for_listing(viewer: User, *, query: str = "", filter: str = "all") -> QuerySet[Group]:
    members = (
        Membership.objects.filter(group=OuterRef("pk"))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by()
        .values("group")
        .annotate(n=Count("*"))
        .values("n")
    )
    groups = policy.visible_groups(viewer).annotate(
        member_count=Coalesce(Subquery(members), 0),
        is_member=Exists(policy.active_memberships(viewer).filter(group=OuterRef("pk"))),
        my_role=Subquery(
            policy.active_memberships(viewer).filter(group=OuterRef("pk")).values("role")[:1]
        ),
        request_pending=Exists(
            JoinRequest.objects.filter(
                group=OuterRef("pk"), user=viewer.pk, status=JoinRequest.Status.PENDING
            )
        ),
    )
    if filter == "mine":
        groups = groups.filter(is_member=True)
    elif filter == "public":
        groups = groups.filter(visibility=Group.Visibility.PUBLIC)
    elif filter == "external":
        groups = groups.filter(open_to_external=True)
    for term in query.replace("\x00", "")[:SEARCH_MAX_LENGTH].split():
        groups = groups.filter(Q(name__icontains=term) | Q(description__icontains=term))
    return groups.order_by("name", "id")


def get_group_for(viewer: User, slug: str) -> Group:
    """The group if `viewer` may see it; 404 alike for missing and forbidden."""
    if "\x00" in slug:  # PostgreSQL cannot even compare it: the query would fail
        raise Http404
    group = policy.visible_groups(viewer).filter(slug=slug).first()
    if group is None:
        raise Http404
    return group


def members_of(viewer: User, group: Group) -> QuerySet[Membership]:
    if not policy.can_read_group(viewer, group):
        raise Http404
    return (
        group.memberships.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .filter(user__is_active=True)
        .select_related("user__organisation")
        .order_by("user__display_name", "user_id")
    )


def pending_requests(viewer: User, group: Group) -> QuerySet[JoinRequest]:
    if not policy.can_manage_group(viewer, group):
        raise Http404
    return group.join_requests.filter(status=JoinRequest.Status.PENDING).select_related(
        "user__organisation"
    )


def postable_groups(viewer: User) -> QuerySet[Group]:
    """Groups where `viewer` may publish (the share dialog, the composer's group choice)."""
    return Group.objects.filter(pk__in=policy.active_memberships(viewer).values("group_id"))


def pending_invitations(viewer: User, group: Group) -> QuerySet[Invitation]:
    """Invitations of `group` still waiting for an answer (its managers only)."""
    if not policy.can_manage_group(viewer, group):
        raise Http404
    return group.invitations.filter(
        accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")
