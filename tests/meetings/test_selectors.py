"""Reads for the pages and the API: 404 alike for missing and forbidden, register filters."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from meetings import selectors, services
from social import services as social_services


def test_items_and_decisions_are_404_for_whoever_may_not_see_the_meeting(world):
    owner, meeting = world.users["owner"], world.meetings["garage"]
    item = services.add_item(actor=owner, meeting=meeting, title="Pitch")
    decision = services.add_decision(actor=owner, meeting=meeting, text="Go", owner=owner)
    outsider, member = world.users["staff_outsider"], world.users["external_member"]
    for get, pk in ((selectors.get_item_for, item.pk), (selectors.get_decision_for, decision.pk)):
        assert get(member, pk).pk == pk
        with pytest.raises(Http404):
            get(outsider, pk)
        with pytest.raises(Http404):
            get(member, 10**12)


def test_the_decisions_register_filters_by_group_owner_status_and_overdue(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    public, private = world.meetings["public"], world.meetings["private"]
    yesterday = timezone.localdate() - timedelta(days=1)
    late = services.add_decision(
        actor=owner, meeting=public, text="En retard", owner=member, due_on=yesterday
    )
    done = services.add_decision(
        actor=owner, meeting=public, text="Faite", owner=member, due_on=yesterday
    )
    services.update_decision_status(actor=member, decision=done, status="fait")
    mine = services.add_decision(actor=owner, meeting=private, text="À moi", owner=owner)

    def ids(**filters):
        return {d.pk for d in selectors.decisions_register(member, **filters)}

    assert ids() == {late.pk, done.pk, mine.pk}
    assert ids(overdue=True) == {late.pk}
    assert ids(overdue=False) == {done.pk, mine.pk}
    assert ids(owner=owner) == {mine.pk}
    assert ids(status="fait") == {done.pk}
    assert ids(group=public.group) == {late.pk, done.pk}
    # Staff outside the private group see the public group's decisions only.
    outsider = world.users["staff_outsider"]
    assert {d.pk for d in selectors.decisions_register(outsider)} == {late.pk, done.pk}


def test_decisions_are_followed_up_after_the_meeting_is_closed(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    meeting = world.meetings["public"]
    decision = services.add_decision(actor=owner, meeting=meeting, text="Suivre", owner=member)
    services.close_meeting(actor=owner, meeting=meeting)
    services.update_decision_status(
        actor=member, decision=decision, status="en_cours", comment="Lancé"
    )
    decision.refresh_from_db()
    assert decision.status == "en_cours"


def test_thread_opinions_and_participants_for_a_page(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    meeting = world.meetings["public"]
    item = services.add_item(actor=owner, meeting=meeting, title="Budget")
    services.set_opinion(actor=member, item=item, position="pour")
    social_services.add_comment(author=member, item=item, body="Bonjour")
    outsider = world.users["staff_outsider"]  # reads the public group: sees the thread
    assert [c.body for c in selectors.thread_of(outsider, item)] == ["Bonjour"]
    assert not selectors.opinions_on(outsider, item).exists()
    assert [o.user_id for o in selectors.opinions_on(owner, item)] == [member.pk]
    assert selectors.my_opinions(member, meeting)[item.pk].position == "pour"
    participants = {i.user_id for i in selectors.invitations_of(meeting)}
    assert participants == {owner.pk, member.pk, world.users["elected_invited"].pk}
    assert list(selectors.upcoming_meetings_for(member).values_list("pk", flat=True)) == [
        m.pk for m in sorted(world.meetings.values(), key=lambda m: (m.starts_at, m.pk))
    ]
    assert not selectors.thread_of(world.users["external_outsider"], item).exists()


def test_editing_the_synthesis_is_limited_to_managers(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    item = services.add_item(actor=owner, meeting=world.meetings["public"], title="Budget")
    with pytest.raises(ValidationError, match="10 000"):
        services.edit_synthesis(actor=owner, item=item, text="x" * 10_001)
    with pytest.raises(PermissionDenied):
        services.edit_synthesis(actor=member, item=item, text="Non")
    item.refresh_from_db()
    assert item.synthesis_text == ""
