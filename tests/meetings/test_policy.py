"""Who sees which meeting, whose positions, and who may act: every kind of user by every kind of
group, with the queryset filters held equal to the single-object predicates."""

import pytest

from meetings import policy, selectors, services
from meetings.models import Decision
from tests.meetings.conftest import GROUPS, VIEWERS

ALL = set(GROUPS)
# Which groups' meetings each viewer may see.
CAN_VIEW = {
    "owner": ALL,  # organiser
    "manager": ALL,
    "staff_member": ALL,
    "staff_outsider": {"public"},  # staff read public groups only
    "elected_invited": ALL,  # invited: sees those meetings even without the groups
    "elected_other": {"public"},
    "external_member": {"garage"},  # only the group they belong to
    "external_outsider": set(),
    "citizen": set(),
    "deactivated": set(),
}
# Whose positions (before closing): participants and the group's managers.
CAN_VIEW_OPINIONS = {
    "owner": ALL,
    "manager": ALL,
    "staff_member": ALL,
    "staff_outsider": set(),
    "elected_invited": ALL,
    "elected_other": set(),
    "external_member": {"garage"},
    "external_outsider": set(),
    "citizen": set(),
    "deactivated": set(),
}
CAN_MANAGE = {"owner": ALL, "manager": ALL}
CAN_CREATE = {"owner": ALL, "manager": ALL, "staff_member": ALL}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_meeting_is_visible_to_group_readers_and_invited_elected_only(world, viewer):
    user = world.users[viewer]
    visible = set(policy.visible_meetings(user).values_list("pk", flat=True))
    for key in GROUPS:
        meeting = world.meetings[key]
        expected = key in CAN_VIEW[viewer]
        assert policy.can_view_meeting(user, meeting) is expected, (viewer, key)
        assert (meeting.pk in visible) is expected, (viewer, key)
        assert (user.pk in policy.viewer_ids(meeting)) is expected, (viewer, key)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_positions_are_visible_to_participants_and_managers_only(world, viewer):
    user = world.users[viewer]
    for key in GROUPS:
        meeting = world.meetings[key]
        expected = key in CAN_VIEW_OPINIONS[viewer]
        assert policy.can_view_opinions(user, meeting) is expected, (viewer, key)
        assert (user.pk in policy.opinion_viewer_ids(meeting)) is expected, (viewer, key)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_managing_and_creating_meetings(world, viewer):
    user = world.users[viewer]
    for key in GROUPS:
        meeting = world.meetings[key]
        assert policy.can_manage_meeting(user, meeting) is (key in CAN_MANAGE.get(viewer, ()))
        assert policy.can_create_meeting(user, world.groups[key]) is (
            key in CAN_CREATE.get(viewer, ())
        ), (viewer, key)


def test_an_invited_elected_official_sees_the_meeting_not_the_group(world):
    from groups import policy as group_policy

    elected = world.users["elected_invited"]
    private = world.meetings["private"]
    assert policy.can_view_meeting(elected, private)
    assert not group_policy.can_read_group(elected, private.group)


def test_an_uninvited_elected_official_loses_the_meeting(world):
    elected, meeting = world.users["elected_invited"], world.meetings["private"]
    services.uninvite(actor=world.users["owner"], meeting=meeting, person=elected)
    assert not policy.can_view_meeting(elected, meeting)
    assert not policy.visible_meetings(elected).filter(pk=meeting.pk).exists()


def test_a_member_who_leaves_a_private_group_is_no_longer_a_participant(world):
    member, meeting = world.users["staff_member"], world.meetings["private"]
    assert policy.is_participant(member, meeting)
    meeting.group.memberships.filter(user=member).delete()
    assert not policy.is_participant(member, meeting)
    assert not policy.can_view_meeting(member, meeting)
    assert member.pk not in policy.participant_ids(meeting)


def test_get_meeting_for_raises_404_alike_for_missing_and_forbidden(world):
    from django.http import Http404

    outsider = world.users["external_outsider"]
    with pytest.raises(Http404):
        selectors.get_meeting_for(outsider, world.meetings["garage"].pk)
    with pytest.raises(Http404):
        selectors.get_meeting_for(outsider, 10**9)
    with pytest.raises(Http404):
        selectors.get_meeting_for(outsider, "abc")
    member = world.users["external_member"]
    assert selectors.get_meeting_for(member, world.meetings["garage"].pk).pk == (
        world.meetings["garage"].pk
    )


@pytest.mark.parametrize("viewer", VIEWERS)
def test_visible_decisions_follow_the_meetings(world, viewer):
    owner = world.users["owner"]
    decisions = {
        key: services.add_decision(
            actor=owner, meeting=world.meetings[key], text=f"Décision {key}", owner=owner
        )
        for key in GROUPS
    }
    user = world.users[viewer]
    visible = set(policy.visible_decisions(user).values_list("pk", flat=True))
    for key, decision in decisions.items():
        expected = key in CAN_VIEW[viewer]
        assert (decision.pk in visible) is expected, (viewer, key)
        assert policy.can_view_decision(user, decision) is expected
    assert Decision.objects.count() == len(GROUPS)


def test_participants_add_items_only_when_the_organiser_allows_it(world):
    member, meeting = world.users["staff_member"], world.meetings["public"]
    outsider = world.users["staff_outsider"]
    assert not policy.can_add_item(member, meeting)
    services.update_meeting(actor=world.users["owner"], meeting=meeting, members_may_add_items=True)
    meeting.refresh_from_db()
    assert policy.can_add_item(member, meeting)
    assert not policy.can_add_item(outsider, meeting)  # reads the group, not invited
    services.hold_meeting(actor=world.users["owner"], meeting=meeting)
    meeting.refresh_from_db()
    assert not policy.can_add_item(member, meeting)


def test_anonymous_visitors_see_and_do_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    meeting = world.meetings["public"]
    assert not policy.visible_meetings(anonymous).exists()
    assert not policy.visible_decisions(anonymous).exists()
    assert not policy.can_view_meeting(anonymous, meeting)
    assert not policy.can_view_opinions(anonymous, meeting)
    assert not policy.can_create_meeting(anonymous, meeting.group)
    assert not policy.can_give_opinion(anonymous, meeting)
