"""Live group feeds: subscribed pages learn that a post or comment appeared, changed or went.

Events carry ids only (the page fetches the post, through the policy); they reach only
sockets that subscribed after a policy check, and stop at once for someone who leaves or is
removed from the group.
"""

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError

from accounts.models import User
from groups import services as groups
from groups.models import Group
from social import services as social
from tests.factories import GroupFactory, MembershipFactory
from tests.realtime.test_socket import communicator, run

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribe(socket, group: Group) -> None:
    await socket.send_json_to({"type": "subscribe", "group": group.pk})
    assert await socket.receive_json_from(timeout=2) == {"type": "subscribed", "group": group.pk}


async def feed_event(socket) -> dict:
    event = await socket.receive_json_from(timeout=3)
    assert event["id"]
    return {"type": event["type"], "data": event["data"]}


@pytest.fixture
def garage(staff, external) -> Group:
    """A private group open to start-ups: Agnès owns it, Ernest is a member."""
    group = GroupFactory(
        name="Le Garage",
        visibility=Group.Visibility.PRIVATE,
        open_to_external=True,
        created_by=staff,
    )
    MembershipFactory(group=group, user=external)
    return group


def test_a_subscribed_page_follows_posts_and_comments_by_id_only(staff, external, garage):
    page = communicator(external)

    async def scenario():
        assert (await page.connect())[0]
        await subscribe(page, garage)

        post = await sync_to_async(social.create_post)(
            author=staff, group=garage, body="Secret du Garage"
        )
        ids = {"group": garage.pk, "post": post.pk}
        assert await feed_event(page) == {"type": "post.created", "data": ids}

        await sync_to_async(social.edit_post)(actor=staff, post=post, body="Secret révisé")
        assert await feed_event(page) == {"type": "post.updated", "data": ids}

        comment = await sync_to_async(social.add_comment)(
            author=external, post=post, body="Bien reçu"
        )
        assert await feed_event(page) == {
            "type": "comment.created",
            "data": {**ids, "comment": comment.pk},
        }

        await sync_to_async(social.delete_post)(actor=staff, post=post)
        assert await feed_event(page) == {"type": "post.deleted", "data": ids}
        assert await page.receive_nothing(timeout=0.3)
        await page.disconnect()

    run(scenario)


def test_only_subscribed_sockets_receive_a_group_feed(staff, external, garage, make_user):
    other_group = GroupFactory(created_by=staff)
    unsubscribed = communicator(external)
    elsewhere = communicator(staff)

    async def scenario():
        assert (await unsubscribed.connect())[0]
        assert (await elsewhere.connect())[0]
        await subscribe(elsewhere, other_group)
        await sync_to_async(social.create_post)(author=staff, group=garage, body="Pour le Garage")
        await sync_to_async(social.create_post)(author=staff, group=None, body="Sur mon profil")
        assert await unsubscribed.receive_nothing(timeout=0.5)
        assert await elsewhere.receive_nothing(timeout=0.1)
        await unsubscribed.disconnect()
        await elsewhere.disconnect()

    run(scenario)


def test_an_unsubscribed_page_stops_receiving(staff, garage):
    page = communicator(staff)

    async def scenario():
        assert (await page.connect())[0]
        await subscribe(page, garage)
        await page.send_json_to({"type": "unsubscribe", "group": garage.pk})
        assert (await page.receive_json_from(timeout=2))["type"] == "unsubscribed"
        await sync_to_async(social.create_post)(author=staff, group=garage, body="Plus suivi")
        assert await page.receive_nothing(timeout=0.5)
        await page.disconnect()

    run(scenario)


def test_a_refused_post_publishes_nothing(staff, external, garage):
    page = communicator(external)

    async def scenario():
        assert (await page.connect())[0]
        await subscribe(page, garage)
        with pytest.raises(ValidationError):
            await sync_to_async(social.create_post)(author=staff, group=garage, body="x" * 100_000)
        with pytest.raises(ValidationError):
            await sync_to_async(social.create_post)(author=staff, group=garage, body="   ")
        assert await page.receive_nothing(timeout=0.5)
        await page.disconnect()

    run(scenario)


def test_a_removed_member_stops_receiving_the_feed_on_every_tab_at_once(staff, external, garage):
    tabs = [communicator(external), communicator(external)]
    colleague = communicator(staff)

    async def scenario():
        for tab in [*tabs, colleague]:
            assert (await tab.connect())[0]
            await subscribe(tab, garage)
        await sync_to_async(groups.remove_member)(actor=staff, group=garage, user=external)
        for tab in tabs:
            assert await tab.receive_json_from(timeout=3) == {
                "type": "unsubscribed",
                "group": garage.pk,
            }
        post = await sync_to_async(social.create_post)(
            author=staff, group=garage, body="Après le départ"
        )
        for tab in tabs:
            assert await tab.receive_nothing(timeout=0.3)
            await tab.disconnect()
        assert await feed_event(colleague) == {
            "type": "post.created",
            "data": {"group": garage.pk, "post": post.pk},
        }
        await colleague.disconnect()

    run(scenario)


def test_a_member_who_leaves_a_private_group_stops_receiving(staff, elected, garage):
    MembershipFactory(group=garage, user=elected)
    page = communicator(elected)

    async def scenario():
        assert (await page.connect())[0]
        await subscribe(page, garage)
        await sync_to_async(groups.leave_group)(actor=elected, group=garage)
        assert await page.receive_json_from(timeout=3) == {
            "type": "unsubscribed",
            "group": garage.pk,
        }
        await sync_to_async(social.create_post)(author=staff, group=garage, body="Entre nous")
        assert await page.receive_nothing(timeout=0.3)
        await page.disconnect()

    run(scenario)


def test_leaving_a_public_group_one_may_still_read_keeps_the_feed(staff, make_user):
    owner = make_user(User.Kind.STAFF)
    public = GroupFactory(visibility=Group.Visibility.PUBLIC, created_by=owner)
    MembershipFactory(group=public, user=staff)
    page = communicator(staff)

    async def scenario():
        assert (await page.connect())[0]
        await subscribe(page, public)
        await sync_to_async(groups.leave_group)(actor=staff, group=public)
        post = await sync_to_async(social.create_post)(author=owner, group=public, body="Ouvert")
        assert await feed_event(page) == {
            "type": "post.created",
            "data": {"group": public.pk, "post": post.pk},
        }
        await page.disconnect()

    run(scenario)


def test_after_removal_subscribing_again_is_refused(staff, external, garage):
    page = communicator(external)

    async def scenario():
        await sync_to_async(groups.remove_member)(actor=staff, group=garage, user=external)
        assert (await page.connect())[0]
        await page.send_json_to({"type": "subscribe", "group": garage.pk})
        assert await page.receive_json_from(timeout=2) == {
            "type": "error",
            "data": {"detail": "Groupe introuvable."},
        }
        await page.disconnect()

    run(scenario)
