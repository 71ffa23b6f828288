"""The « Mettre en sourdine » buttons of a post, a group, a conversation and a meeting: they show
their state, work without JavaScript (a form POST) and with htmx (the button redrawn), silence
what they name until unmuted, and answer 404 about what one may not see."""

import re
from uuid import uuid4

import pytest

from groups.models import Group
from meetings import services as meeting_services
from messaging import services as messaging_services
from notifications.models import Mute, Notification
from social import services as social_services
from tests.factories import GroupFactory, MembershipFactory
from tests.notifications.conftest import innovation_committee, notes

pytestmark = pytest.mark.django_db
Kind = Notification.Kind
MUTE_URL = "/notifications/sourdine/"


def mute_buttons(html: str) -> list[str]:
    """The labels of the page's mute buttons, visible text and hidden target."""
    found = re.findall(r'<button[^>]*class="[^"]*mute-button[^"]*"[^>]*>(.*?)</button>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", label).split()) for label in found]


def post_as(client, data: dict, **extra):
    client.get("/notifications/")  # a page: the CSRF cookie
    token = client.cookies["csrftoken"].value
    return client.post(MUTE_URL, {"csrfmiddlewaretoken": token, **data}, **extra)


@pytest.fixture
def unlisted(agency) -> Group:
    found = GroupFactory(
        name="Cellule", slug="cellule", visibility=Group.Visibility.UNLISTED, created_by=agency.anne
    )
    MembershipFactory(group=found, user=agency.bruno)
    return found


@pytest.fixture
def meeting(agency):
    return innovation_committee(agency, [agency.bruno, agency.chloe])


# --- A post ----------------------------------------------------------------------------------


def test_the_post_page_mutes_and_unmutes_replies_without_javascript(agency, client_for, committed):
    found = social_services.create_post(author=agency.anne, group=agency.innovation, body="Idée")
    client = client_for(agency.anne)
    page = f"/publications/{found.pk}/"
    assert mute_buttons(client.get(page).content.decode()) == [
        "Mettre en sourdine — cette publication"
    ]

    response = post_as(client, {"kind": "post", "target": found.pk, "next": page})
    assert response.status_code == 302
    assert response["Location"] == page
    html = client.get(page).content.decode()
    assert mute_buttons(html) == ["Retirer la sourdine — cette publication"]
    assert "En sourdine : plus de notification" in html  # the message after the redirect
    with committed():
        social_services.add_comment(author=agency.bruno, post=found, body="Bien vu")
    assert notes(agency.anne) == []
    assert client.get(page).status_code == 200  # still readable

    response = post_as(
        client, {"kind": "post", "target": found.pk, "action": "unmute", "next": page}
    )
    assert response.status_code == 302
    assert mute_buttons(client.get(page).content.decode()) == [
        "Mettre en sourdine — cette publication"
    ]
    with committed():
        social_services.add_comment(author=agency.chloe, post=found, body="Moi aussi")
    assert [n.kind for n in notes(agency.anne)] == [Kind.REPLY]


def test_with_htmx_the_button_is_redrawn_in_its_new_state(agency, client_for):
    found = social_services.create_post(author=agency.anne, group=agency.innovation, body="Idée")
    client = client_for(agency.bruno)
    data = {"kind": "post", "target": found.pk, "scope": "feed", "compact": "1"}

    response = post_as(client, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert mute_buttons(html) == ["Retirer la sourdine — cette publication"]
    # The same ids as the card's button: htmx puts the focus back on it.
    assert f'id="feed-mute-post-{found.pk}-button"' in html
    assert 'name="action" value="unmute"' in html
    assert 'name="compact" value="1"' in html
    # What changed is said through the page's live region (base.html), not inside the swap.
    assert 'role="status"' not in html
    assert (
        '<p id="live-announce" hx-swap-oob="innerHTML">En sourdine : plus de notification' in html
    )
    assert Mute.objects.filter(user=agency.bruno, post=found).exists()

    response = post_as(client, {**data, "action": "unmute"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert mute_buttons(html) == ["Mettre en sourdine — cette publication"]
    assert "Sourdine retirée : vous serez de nouveau notifié." in html
    assert not Mute.objects.exists()


@pytest.mark.parametrize("compact", [False, True])
def test_unmuting_a_post_of_a_muted_group_keeps_the_button_and_says_the_group_stays_muted(
    agency, client_for, meeting, compact
):
    """The focused button must stay (same id) and the announcement must not promise
    notifications the group's mute still holds back."""
    found = social_services.create_post(author=agency.anne, group=agency.innovation, body="Idée")
    client = client_for(agency.bruno)
    Mute.objects.create(user=agency.bruno, group=agency.innovation)
    for kind, target, what in (("post", found, "publication"), ("meeting", meeting, "réunion")):
        Mute.objects.create(user=agency.bruno, **{kind: target})
        data = {"kind": kind, "target": target.pk, "scope": "feed", "action": "unmute"}
        if compact:
            data["compact"] = "1"
        html = post_as(client, data, HTTP_HX_REQUEST="true").content.decode()
        assert f'id="feed-mute-{kind}-{target.pk}-button"' in html
        assert len(mute_buttons(html)) == 1
        assert mute_buttons(html)[0].startswith("Mettre en sourdine")
        assert (
            f"Sourdine de la {what} retirée, mais son groupe reste en sourdine : toujours aucune"
            in html
        )
        assert "vous serez de nouveau notifié" not in html
        assert (f"Le groupe de cette {what} est en sourdine" in html) is not compact
        assert not Mute.objects.filter(user=agency.bruno, **{kind: target}).exists()
    # Without JavaScript, the message after the redirect says the same.
    Mute.objects.create(user=agency.bruno, post=found)
    response = post_as(client, {"kind": "post", "target": found.pk, "action": "unmute"})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Sourdine de la publication retirée, mais son groupe reste en sourdine" in html


def test_feed_cards_show_each_posts_state_and_a_muted_group_hides_them(agency, client_for):
    first = social_services.create_post(author=agency.anne, group=agency.innovation, body="Un")
    second = social_services.create_post(author=agency.anne, group=agency.innovation, body="Deux")
    client = client_for(agency.bruno)
    Mute.objects.create(user=agency.bruno, post=first)
    html = client.get(f"/groupes/{agency.innovation.slug}/").content.decode()
    assert f'id="feed-mute-post-{first.pk}-button"' in html
    assert mute_buttons(html) == [
        "Mettre en sourdine — cette publication",  # the newest first
        "Retirer la sourdine — cette publication",
        "Mettre en sourdine — ce groupe",
    ]
    assert second.pk > first.pk
    # The whole group muted: its cards have no button of their own, the post page says why.
    Mute.objects.create(user=agency.bruno, group=agency.innovation)
    html = client.get(f"/groupes/{agency.innovation.slug}/").content.decode()
    assert mute_buttons(html) == [
        "Retirer la sourdine — cette publication",
        "Retirer la sourdine — ce groupe",
    ]
    html = client.get(f"/publications/{second.pk}/").content.decode()
    assert mute_buttons(html) == []
    assert "Le groupe de cette publication est en sourdine" in html


# --- A group, a conversation, a meeting ------------------------------------------------------


def test_the_group_page_mutes_mentions_in_the_group_until_unmuted(agency, client_for, committed):
    client = client_for(agency.chloe)
    page = f"/groupes/{agency.innovation.slug}/"
    assert "Mettre en sourdine — ce groupe" in mute_buttons(client.get(page).content.decode())
    assert post_as(client, {"kind": "group", "target": agency.innovation.pk}).status_code == 302
    assert "Retirer la sourdine — ce groupe" in mute_buttons(client.get(page).content.decode())
    with committed():
        social_services.create_post(author=agency.anne, group=agency.innovation, body="@chloe ?")
    assert notes(agency.chloe) == []

    data = {"kind": "group", "target": agency.innovation.pk, "action": "unmute"}
    assert post_as(client, data).status_code == 302
    assert "Mettre en sourdine — ce groupe" in mute_buttons(client.get(page).content.decode())
    with committed():
        social_services.create_post(author=agency.anne, group=agency.innovation, body="@chloe !")
    assert [n.kind for n in notes(agency.chloe)] == [Kind.MENTION]


def test_the_conversation_page_mutes_its_messages(agency, client_for, committed):
    conversation = messaging_services.start_direct(actor=agency.anne, person=agency.bruno)
    client = client_for(agency.bruno)
    page = f"/messages/{conversation.pk}/"
    assert mute_buttons(client.get(page).content.decode()) == [
        "Mettre en sourdine — cette conversation"
    ]
    response = post_as(client, {"kind": "conversation", "target": conversation.pk, "next": page})
    assert response["Location"] == page
    assert mute_buttons(client.get(page).content.decode()) == [
        "Retirer la sourdine — cette conversation"
    ]
    with committed():
        messaging_services.send_message(
            author=agency.anne, conversation=conversation, body="Tu es là ?", client_key=uuid4()
        )
    assert notes(agency.bruno) == []

    data = {"kind": "conversation", "target": conversation.pk, "action": "unmute"}
    post_as(client, data)
    with committed():
        messaging_services.send_message(
            author=agency.anne, conversation=conversation, body="Et là ?", client_key=uuid4()
        )
    assert [n.kind for n in notes(agency.bruno)] == [Kind.MESSAGE]


def test_the_meeting_page_mutes_its_item_threads(agency, client_for, committed, meeting):
    item = meeting_services.add_item(actor=agency.anne, meeting=meeting, title="Budget")
    client = client_for(agency.chloe)
    page = f"/meetings/{meeting.pk}/"
    assert client.get(page).status_code == 200
    assert mute_buttons(client.get(page).content.decode()) == ["Mettre en sourdine — cette réunion"]
    post_as(client, {"kind": "meeting", "target": meeting.pk})
    assert mute_buttons(client.get(page).content.decode()) == [
        "Retirer la sourdine — cette réunion"
    ]
    with committed():
        social_services.add_comment(author=agency.bruno, item=item, body="Avis de @chloe ?")
    assert notes(agency.chloe, Kind.MENTION) == []

    post_as(client, {"kind": "meeting", "target": meeting.pk, "action": "unmute"})
    with committed():
        social_services.add_comment(author=agency.bruno, item=item, body="@chloe, ton avis ?")
    assert [n.kind for n in notes(agency.chloe, Kind.MENTION)] == [Kind.MENTION]
    # Its group muted: a note instead of the button.
    Mute.objects.create(user=agency.chloe, group=agency.innovation)
    html = client.get(page).content.decode()
    assert mute_buttons(html) == []
    assert "Le groupe de cette réunion est en sourdine" in html


# --- What one may not see ---------------------------------------------------------------------


def test_muting_what_one_may_not_see_answers_404_and_mutes_nothing(
    agency, client_for, unlisted, meeting
):
    secret = social_services.create_post(author=agency.anne, group=agency.garage, body="Levée")
    public = social_services.create_post(author=agency.anne, group=agency.innovation, body="Idée")
    conversation = messaging_services.start_direct(actor=agency.anne, person=agency.bruno)
    forbidden = {
        "staff, not a member": (agency.paul, [("post", secret.pk), ("group", unlisted.pk)]),
        "elected": (agency.elise, [("post", secret.pk), ("group", unlisted.pk)]),
        "external member of the garage": (
            agency.ernest,
            [("post", public.pk), ("group", agency.innovation.pk), ("meeting", meeting.pk)],
        ),
        "citizen": (
            agency.citizen,
            [
                ("post", public.pk),
                ("group", agency.innovation.pk),
                ("meeting", meeting.pk),
                ("conversation", conversation.pk),
            ],
        ),
        "staff, not in the conversation": (agency.chloe, [("conversation", conversation.pk)]),
    }
    unknown = 10**12
    for who, (user, targets) in forbidden.items():
        client = client_for(user)
        for kind, target in [*targets, *((kind, unknown) for kind, _target in targets)]:
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                response = post_as(client, {"kind": kind, "target": target}, **headers)
                assert response.status_code == 404, (who, kind, target)
            # Unmuting with htmx redraws the button: 404 for what exists and what does not.
            unmute = {"kind": kind, "target": target, "action": "unmute"}
            response = post_as(client, unmute, HTTP_HX_REQUEST="true")
            assert response.status_code == 404, (who, kind, target, "unmute")
            # Without JavaScript (« Préférences » lists mutes of what one may no longer see),
            # the same answer for both.
            response = post_as(client, unmute)
            assert response.status_code == 302, (who, kind, target, "unmute")
            assert "Sourdine retirée : vous serez de nouveau notifié." in (
                client.get(response["Location"]).content.decode()
            )
    # Unknown ids and kinds alike.
    client = client_for(agency.anne)
    assert post_as(client, {"kind": "post", "target": unknown}).status_code == 404
    assert post_as(client, {"kind": "comment", "target": public.pk}).status_code == 404
    assert Mute.objects.count() == 0
    # Signed out: to the sign-in page, nothing muted.
    anonymous = client_for()
    response = anonymous.post(MUTE_URL, {"kind": "post", "target": public.pk})
    assert response.status_code in (302, 403)
    assert Mute.objects.count() == 0
    # Those who may see it mute it.
    for user, kind, target in (
        (agency.ernest, "post", secret.pk),
        (agency.elise, "post", public.pk),
        (agency.bruno, "group", unlisted.pk),
        (agency.paul, "group", agency.garage.pk),
    ):
        assert post_as(client_for(user), {"kind": kind, "target": target}).status_code == 302
    assert Mute.objects.count() == 4


def test_the_buttons_add_no_query_per_post(agency, client_for, django_assert_max_num_queries):
    """The cards' state comes with the feed's query; the pages' state is one query."""
    client = client_for(agency.bruno)
    url = f"/groupes/{agency.innovation.slug}/"
    counts = []
    for n in (3, 15):
        while agency.innovation.posts.count() < n:
            social_services.create_post(author=agency.anne, group=agency.innovation, body="Point")
        Mute.objects.get_or_create(user=agency.bruno, post=agency.innovation.posts.first())
        client.get(url)
        with django_assert_max_num_queries(24) as queries:
            response = client.get(url)
        counts.append(len(queries))
        assert len(mute_buttons(response.content.decode())) == n + 1
    assert counts[0] == counts[1]
