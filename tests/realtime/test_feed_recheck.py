"""Live group feeds stop when access ends without anyone leaving.

A group made private (or closed to external members) asks every page on its feed to check
its user again (realtime.events.recheck_feed); a membership that expires by date is caught by the
socket's heartbeat, which re-checks every followed feed (realtime.consumers.HEARTBEAT_SECONDS).
People still allowed keep receiving.
"""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts.models import User
from groups import services as groups
from groups.models import Group, Membership
from realtime import consumers
from social import services as social
from tests.factories import GroupFactory, MembershipFactory
from tests.realtime.test_group_events import feed_event, subscribe
from tests.realtime.test_socket import communicator, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_group_made_private_stops_the_feed_of_a_non_member_but_not_of_a_member(staff, make_user):
    owner = make_user(User.Kind.STAFF)
    public = GroupFactory(visibility=Group.Visibility.PUBLIC, created_by=owner)
    member = make_user(User.Kind.STAFF)
    MembershipFactory(group=public, user=member)
    watcher, insider = communicator(staff), communicator(member)

    async def scenario():
        for page in (watcher, insider):
            assert (await page.connect())[0]
            await subscribe(page, public)
        await sync_to_async(groups.update_group)(
            actor=owner, group=public, data={"visibility": Group.Visibility.PRIVATE}
        )
        assert await watcher.receive_json_from(timeout=3) == {
            "type": "unsubscribed",
            "group": public.pk,
        }
        post = await sync_to_async(social.create_post)(
            author=owner, group=public, body="Désormais entre membres"
        )
        assert await watcher.receive_nothing(timeout=0.5)
        assert await feed_event(insider) == {
            "type": "post.created",
            "data": {"group": public.pk, "post": post.pk},
        }
        assert await insider.receive_nothing(timeout=0.2)
        for page in (watcher, insider):
            await page.disconnect()

    run(scenario)


def test_editing_a_group_without_changing_its_access_keeps_every_feed(staff, make_user):
    owner = make_user(User.Kind.STAFF)
    public = GroupFactory(visibility=Group.Visibility.PUBLIC, created_by=owner)
    watcher = communicator(staff)

    async def scenario():
        assert (await watcher.connect())[0]
        await subscribe(watcher, public)
        await sync_to_async(groups.update_group)(
            actor=owner, group=public, data={"description": "Nouvelle description"}
        )
        post = await sync_to_async(social.create_post)(author=owner, group=public, body="Suite")
        assert await feed_event(watcher) == {
            "type": "post.created",
            "data": {"group": public.pk, "post": post.pk},
        }
        await watcher.disconnect()

    run(scenario)


def test_an_expired_membership_stops_the_feed_at_the_next_heartbeat(
    staff, external, make_user, monkeypatch
):
    monkeypatch.setattr(consumers, "HEARTBEAT_SECONDS", 0.2)
    garage = GroupFactory(
        name="Le Garage",
        visibility=Group.Visibility.PRIVATE,
        open_to_external=True,
        created_by=staff,
    )
    soon = timezone.now() + timedelta(days=30)
    expiring = MembershipFactory(group=garage, user=external, expires_at=soon)
    partner = make_user(User.Kind.EXTERNAL)
    MembershipFactory(group=garage, user=partner, expires_at=soon)
    leaving, staying, owner = communicator(external), communicator(partner), communicator(staff)

    async def scenario():
        for page in (leaving, staying, owner):
            assert (await page.connect())[0]
            await subscribe(page, garage)
        # Nothing writes when a membership reaches its end: only the date passes.
        await sync_to_async(Membership.objects.filter(pk=expiring.pk).update)(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert await leaving.receive_json_from(timeout=3) == {
            "type": "unsubscribed",
            "group": garage.pk,
        }
        post = await sync_to_async(social.create_post)(
            author=staff, group=garage, body="Après la fin de l’accès"
        )
        assert await leaving.receive_nothing(timeout=0.6)
        for page in (staying, owner):
            assert await feed_event(page) == {
                "type": "post.created",
                "data": {"group": garage.pk, "post": post.pk},
            }
            # Several heartbeats went by: still subscribed, nothing else sent.
            assert await page.receive_nothing(timeout=0.5)
        for page in (leaving, staying, owner):
            await page.disconnect()

    run(scenario)
