"""Who sees, reads and joins which group: each kind of user, visibility and membership."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from groups import policy, selectors, services
from groups.models import Group, JoinRequest, Membership
from tests.factories import MembershipFactory

KINDS = [User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL, User.Kind.CITIZEN]
VISIBILITIES = [Group.Visibility.PUBLIC, Group.Visibility.PRIVATE, Group.Visibility.UNLISTED]

# (kind, visibility) -> (listed and header visible, content readable) for a non-member.
NON_MEMBER = {
    (User.Kind.STAFF, "public"): (True, True),
    (User.Kind.STAFF, "private"): (True, False),
    (User.Kind.STAFF, "unlisted"): (False, False),
    (User.Kind.ELECTED, "public"): (True, True),
    (User.Kind.ELECTED, "private"): (True, False),
    (User.Kind.ELECTED, "unlisted"): (False, False),
    (User.Kind.EXTERNAL, "public"): (False, False),
    (User.Kind.EXTERNAL, "private"): (False, False),
    (User.Kind.EXTERNAL, "unlisted"): (False, False),
    (User.Kind.CITIZEN, "public"): (False, False),
    (User.Kind.CITIZEN, "private"): (False, False),
    (User.Kind.CITIZEN, "unlisted"): (False, False),
}


def _sees(user: User, group: Group) -> tuple[bool, bool]:
    visible = policy.can_see_group(user, group)
    assert visible is policy.visible_groups(user).filter(pk=group.pk).exists()
    assert visible is selectors.groups_for_listing(user).filter(pk=group.pk).exists()
    readable = policy.can_read_group(user, group)
    assert readable is policy.readable_groups(user).filter(pk=group.pk).exists()
    return visible, readable


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("open_to_external", [False, True])
def test_non_members_see_and_read_groups_by_kind_and_visibility(
    people, make_group, kind, visibility, open_to_external
):
    group = make_group(visibility, open_to_external=open_to_external)

    assert _sees(people[kind], group) == NON_MEMBER[(kind, visibility)]


@pytest.mark.parametrize("kind", [User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL])
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_members_see_and_read_their_groups_whatever_the_visibility(
    people, make_group, kind, visibility
):
    group = make_group(visibility, open_to_external=True, members=(people[kind],))

    assert _sees(people[kind], group) == (True, True)
    assert policy.can_post_in(people[kind], group)


def test_external_members_never_see_a_public_internal_group(external, make_group):
    make_group(Group.Visibility.PUBLIC)
    assert not selectors.groups_for_listing(external).exists()
    assert policy.can_list_groups(external)  # they have a list: their own groups


def test_citizens_have_no_group_list_at_all(citizen):
    assert not policy.can_list_groups(citizen)


def test_an_external_membership_of_a_group_closed_to_externals_gives_nothing(external, make_group):
    # Written behind the services' back: the policy still refuses it.
    group = make_group(Group.Visibility.PUBLIC, open_to_external=False)
    MembershipFactory(group=group, user=external)

    assert _sees(external, group) == (False, False)


def test_an_expired_external_membership_loses_access_at_once(external, make_group):
    group = make_group(Group.Visibility.PRIVATE, open_to_external=True, members=(external,))
    membership = group.memberships.get(user=external)
    assert _sees(external, group) == (True, True)

    membership.expires_at = timezone.now() - timedelta(seconds=1)
    membership.save()

    assert _sees(external, group) == (False, False)
    assert policy.membership_of(external, group) is None
    with pytest.raises(Http404):
        selectors.get_group_for(external, group.slug)
    assert external.pk not in selectors.members_of(group.created_by, group).values_list(
        "user_id", flat=True
    )


def test_a_future_end_date_keeps_access_until_then(external, make_group):
    group = make_group(Group.Visibility.PRIVATE, open_to_external=True, members=(external,))
    group.memberships.filter(user=external).update(expires_at=timezone.now() + timedelta(days=1))
    assert _sees(external, group) == (True, True)


def test_deactivated_members_lose_access(make_user, make_group):
    person = make_user(User.Kind.STAFF)
    group = make_group(Group.Visibility.UNLISTED, members=(person,))
    person.is_active = False
    person.save()
    assert _sees(person, group) == (False, False)


# --- Joining per visibility ---------------------------------------------------------------


@pytest.mark.parametrize("kind", [User.Kind.STAFF, User.Kind.ELECTED])
def test_staff_and_elected_join_public_groups_in_one_click(people, make_group, kind):
    group = make_group(Group.Visibility.PUBLIC)

    result = services.join_group(actor=people[kind], group=group)

    assert isinstance(result, Membership)
    assert result.role == Membership.Role.MEMBER
    assert policy.membership_of(people[kind], group) == result


@pytest.mark.parametrize("kind", [User.Kind.STAFF, User.Kind.ELECTED])
def test_private_groups_take_a_request_that_a_manager_decides(people, make_group, kind):
    group = make_group(Group.Visibility.PRIVATE)

    result = services.join_group(actor=people[kind], group=group, message="Je suis intéressée")

    assert isinstance(result, JoinRequest)
    assert result.status == JoinRequest.Status.PENDING
    assert policy.membership_of(people[kind], group) is None
    # Asking twice keeps one pending request.
    assert services.join_group(actor=people[kind], group=group) == result
    assert group.join_requests.count() == 1


@pytest.mark.parametrize("kind", [User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL])
def test_unlisted_groups_are_joined_by_invitation_only(people, make_group, kind):
    group = make_group(Group.Visibility.UNLISTED, open_to_external=True)

    with pytest.raises(PermissionDenied):
        services.join_group(actor=people[kind], group=group)
    assert not group.memberships.filter(user=people[kind]).exists()
    assert not group.join_requests.exists()


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_external_accounts_never_join_by_themselves(external, make_group, visibility):
    group = make_group(visibility, open_to_external=True)
    with pytest.raises(PermissionDenied):
        services.join_group(actor=external, group=group)
    assert not group.memberships.filter(user=external).exists()


def test_citizens_cannot_join_any_group(citizen, make_group):
    group = make_group(Group.Visibility.PUBLIC)
    with pytest.raises(PermissionDenied):
        services.join_group(actor=citizen, group=group)


def test_joining_twice_is_refused_in_french(staff, make_group):
    group = make_group(Group.Visibility.PUBLIC, members=(staff,))
    with pytest.raises(ValidationError, match="déjà membre"):
        services.join_group(actor=staff, group=group)


def test_an_overlong_request_message_is_refused(staff, make_group):
    group = make_group(Group.Visibility.PRIVATE)
    with pytest.raises(ValidationError, match="500 caractères"):
        services.join_group(actor=staff, group=group, message="x" * 501)
    assert not group.join_requests.exists()


# --- Managing -----------------------------------------------------------------------------


def test_only_owners_and_managers_manage_a_group(make_user, make_group, owner):
    manager, member, outsider = (make_user(User.Kind.STAFF) for _ in range(3))
    group = make_group(Group.Visibility.PUBLIC, owner=owner, members=(member,))
    MembershipFactory(group=group, user=manager, role=Membership.Role.MANAGER)
    administrator = make_user(User.Kind.STAFF, is_superuser=True)

    assert policy.can_manage_group(owner, group)
    assert policy.can_manage_group(manager, group)
    assert policy.can_manage_group(administrator, group)
    assert not policy.can_manage_group(member, group)
    assert not policy.can_manage_group(outsider, group)


def test_only_staff_create_groups(people):
    assert policy.can_create_group(people[User.Kind.STAFF])
    for kind in (User.Kind.ELECTED, User.Kind.EXTERNAL, User.Kind.CITIZEN):
        assert not policy.can_create_group(people[kind])
        with pytest.raises(PermissionDenied):
            services.create_group(actor=people[kind], data={"name": "Interdit"})
    assert not Group.objects.exists()
