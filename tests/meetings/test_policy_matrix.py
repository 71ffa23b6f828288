"""« Who sees what » for meetings: every kind of user, against every kind of meeting object,
through every path (policy and querysets, selectors, API, pages, calendar feed, socket events).

A meeting is visible to whoever may read its group, plus its invited elected officials; the
positions given before the meeting only to its participants and the group's managers (to every
viewer once the meeting is closed); the minutes post to the group's readers, as any post of the
group. Everyone else gets 404, exactly like an unknown id; a citizen never gets content.
"""

from dataclasses import dataclass, field

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import create_api_token
from files import policy as file_policy
from files import selectors as file_selectors
from files import services as file_services
from files.models import File
from groups.models import Membership
from meetings import calendar, policy, selectors, services
from meetings.models import AgendaItem, Decision, Meeting, Opinion
from social import policy as social_policy
from social import selectors as social_selectors
from social import services as social_services
from social.models import Comment, Post
from tests.files.conftest import png_bytes, upload
from tests.meetings.conftest import GROUPS, VIEWERS, World, when
from tests.realtime.test_socket import communicator

ALL = set(GROUPS)
NOBODY: set[str] = set()
# Groups whose posts (the minutes among them) each viewer may read.
READS_GROUP = {
    "owner": ALL,
    "manager": ALL,
    "staff_member": ALL,
    "staff_outsider": {"public"},  # staff read public groups they are not members of
    "elected_invited": {"public"},  # elected read like staff
    "elected_other": {"public"},
    "external_member": {"garage"},  # only the group they belong to
    "external_outsider": NOBODY,
    "citizen": NOBODY,
    "deactivated": NOBODY,
}
# Groups whose meetings each viewer may see: the group's readers, and the invited elected.
SEES_MEETING = {**READS_GROUP, "elected_invited": ALL}
# Positions before the meeting closes: participants and the group's managers.
SEES_POSITIONS = {
    "owner": ALL,  # organiser
    "manager": ALL,  # manages the groups, not invited
    "staff_member": ALL,  # invited
    "elected_invited": ALL,
    "external_member": {"garage"},  # invited to Le Garage's meetings
}
# What each kind of object is, and which table says who sees it.
KINDS = {
    "meeting": SEES_MEETING,  # in preparation
    "item": SEES_MEETING,
    "opinion": SEES_POSITIONS,
    "comment": SEES_MEETING,  # a question in the item's thread
    "file": SEES_MEETING,  # shared to the item only
    "decision": SEES_MEETING,
    "closed_meeting": SEES_MEETING,
    "closed_opinion": SEES_MEETING,  # the minutes are public to the meeting's viewers
    "minutes": READS_GROUP,  # the minutes post, in the group's feed
}
OBJECTS = [(kind, group) for kind in KINDS for group in GROUPS]


def sees(viewer: str, kind: str, group: str) -> bool:
    return group in KINDS[kind].get(viewer, NOBODY)


def word(kind: str, group: str) -> str:
    """A word only this object's text contains, to look for in responses."""
    return f"mot{kind.replace('_', '')}{group}"


@dataclass
class Things:
    world: World
    meetings: dict[str, Meeting] = field(default_factory=dict)  # closed_meeting too
    items: dict[str, AgendaItem] = field(default_factory=dict)
    opinions: dict[tuple[str, str], Opinion] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)
    minutes: dict[str, Post] = field(default_factory=dict)

    @property
    def users(self) -> dict[str, User]:
        return self.world.users

    def meeting_of(self, kind: str, group: str) -> Meeting:
        closed = kind in {"closed_meeting", "closed_opinion", "minutes"}
        return self.meetings[f"closed_{group}" if closed else group]


def _invited(world: World, key: str) -> list[User]:
    u = world.users
    people = [u["staff_member"], u["elected_invited"]]
    if key == "garage":
        people.append(u["external_member"])
    return people


def build(world: World) -> Things:
    """On the conftest's world (one meeting in preparation per group, organised by the owner):
    an item with a position, a question and a file; a decision; and a closed meeting with a
    position, a decision and its minutes in the group's feed."""
    t = Things(world)
    u = world.users
    owner, member = u["owner"], u["staff_member"]
    for key in GROUPS:
        meeting = services.update_meeting(
            actor=owner, meeting=world.meetings[key], title=f"Réunion {word('meeting', key)}"
        )
        t.meetings[key] = meeting
        item = services.add_item(
            actor=owner, meeting=meeting, title=f"Point {word('item', key)}", description="…"
        )
        t.items[key] = item
        t.opinions[("opinion", key)] = services.set_opinion(
            actor=member, item=item, position="contre", argument=f"Argument {word('opinion', key)}"
        )
        t.comments[key] = social_services.add_comment(
            author=member, item=item, body=f"Question {word('comment', key)} ?", is_question=True
        )
        file = file_services.create_file(
            owner=owner, incoming=upload(f"{word('file', key)}.png", png_bytes())
        )
        services.attach_file_to_item(actor=owner, item=item, file=file)
        t.files[key] = file
        t.decisions[key] = services.add_decision(
            actor=owner, meeting=meeting, text=f"Décision {word('decision', key)}", owner=member
        )
        start, end = when(days=3)
        closed = services.create_meeting(
            actor=owner,
            group=world.groups[key],
            title=f"Réunion close {word('closed_meeting', key)}",
            starts_at=start,
            ends_at=end,
            place="Salle du conseil",
            participants=_invited(world, key),
        )
        closed_item = services.add_item(actor=owner, meeting=closed, title="Bilan")
        t.opinions[("closed_opinion", key)] = services.set_opinion(
            actor=member,
            item=closed_item,
            position="pour",
            argument=f"Argument {word('closed_opinion', key)}",
        )
        services.close_meeting(actor=owner, meeting=closed)
        closed.refresh_from_db()
        t.meetings[f"closed_{key}"] = closed
        t.minutes[key] = closed.minutes_post
    return t


@pytest.fixture
def things(world) -> Things:
    return build(world)


# --- Policy functions and the querysets that mirror them ---------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_policy_functions_and_querysets_agree_for_every_object(things, viewer):
    user = things.users[viewer]
    meetings = set(policy.visible_meetings(user).values_list("pk", flat=True))
    decisions = set(policy.visible_decisions(user).values_list("pk", flat=True))
    comments = set(social_policy.visible_comments(user).values_list("pk", flat=True))
    files = set(file_policy.visible_files(user).values_list("pk", flat=True))
    posts = set(social_policy.visible_posts(user).values_list("pk", flat=True))
    for kind, key in OBJECTS:
        expected = sees(viewer, kind, key)
        case = (viewer, kind, key)
        meeting = things.meeting_of(kind, key)
        if kind in {"meeting", "closed_meeting"}:
            assert policy.can_view_meeting(user, meeting) is expected, case
            assert (meeting.pk in meetings) is expected, case
            assert (user.pk in policy.viewer_ids(meeting)) is expected, case
        elif kind == "item":
            assert policy.can_view_thread(user, things.items[key]) is expected, case
        elif kind in {"opinion", "closed_opinion"}:
            assert policy.can_view_opinions(user, meeting) is expected, case
            assert (user.pk in policy.opinion_viewer_ids(meeting)) is expected, case
        elif kind == "comment":
            comment = things.comments[key]
            assert social_policy.can_view_thread(user, comment) is expected, case
            assert (comment.pk in comments) is expected, case
        elif kind == "file":
            file = things.files[key]
            owns = viewer == "owner"
            assert file_policy.can_view_file(user, file) is (expected or owns), case
            assert (file.pk in files) is (expected or owns), case
        elif kind == "decision":
            decision = things.decisions[key]
            assert policy.can_view_decision(user, decision) is expected, case
            assert (decision.pk in decisions) is expected, case
        elif kind == "minutes":
            post = things.minutes[key]
            assert social_policy.can_view_post(user, post) is expected, case
            assert (post.pk in posts) is expected, case


# --- Selectors: 404 alike for missing and forbidden --------------------------------------------


def _raises_404(call) -> bool:
    try:
        call()
    except Http404:
        return True
    return False


@pytest.mark.parametrize("viewer", VIEWERS)
def test_selectors_give_404_to_those_who_may_not_see(things, viewer):
    user = things.users[viewer]
    for kind, key in OBJECTS:
        expected = sees(viewer, kind, key)
        case = (viewer, kind, key)
        meeting = things.meeting_of(kind, key)
        if kind in {"meeting", "closed_meeting"}:
            found = not _raises_404(lambda m=meeting: selectors.get_meeting_for(user, m.pk))
            assert found is expected, case
            listed = selectors.meetings_of_group(user, meeting.group)
            assert (meeting.pk in {m.pk for m in listed}) is expected, case
        elif kind == "item":
            item = things.items[key]
            found = not _raises_404(lambda i=item: selectors.get_item_for(user, i.pk))
            assert found is expected, case
            thread = [c.pk for c in selectors.thread_of(user, item)]
            assert thread == ([things.comments[key].pk] if expected else []), case
        elif kind in {"opinion", "closed_opinion"}:
            opinion = things.opinions[(kind, key)]
            item = AgendaItem.objects.select_related("meeting").get(pk=opinion.item_id)
            shown = [(o.user_id, o.argument) for o in selectors.opinions_on(user, item)]
            assert shown == ([(opinion.user_id, opinion.argument)] if expected else []), case
        elif kind == "comment":
            comment = things.comments[key]
            found = not _raises_404(lambda c=comment: social_selectors.get_comment_for(user, c.pk))
            assert found is expected, case
        elif kind == "file":
            file = things.files[key]
            found = not _raises_404(lambda f=file: file_selectors.get_file_for(user, f.pk))
            assert found is (expected or viewer == "owner"), case
        elif kind == "decision":
            decision = things.decisions[key]
            found = not _raises_404(lambda d=decision: selectors.get_decision_for(user, d.pk))
            assert found is expected, case
            assert (decision.pk in {d.pk for d in selectors.decisions_register(user)}) is expected
        elif kind == "minutes":
            post = things.minutes[key]
            found = not _raises_404(lambda p=post: social_selectors.get_post_for(user, p.pk))
            assert found is expected, case


@pytest.mark.parametrize("bad_id", [987_654_321, 2**63, -1, "abc", "1 OR 1=1"])
def test_unknown_ids_are_404_like_forbidden_ones(things, bad_id):
    user = things.users["owner"]
    for get in (selectors.get_meeting_for, selectors.get_item_for, selectors.get_decision_for):
        with pytest.raises(Http404):
            get(user, bad_id)


# --- The private calendar feed ----------------------------------------------------------------


def _uids(ics: bytes) -> set[str]:
    return {
        line.split(":", 1)[1].strip()
        for line in ics.decode().splitlines()
        if line.startswith("UID:")
    }


def _invited_to(things: Things, viewer: str) -> set[int]:
    user = things.users[viewer]
    return {m.pk for m in things.meetings.values() if m.invitations.filter(user=user).exists()}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_calendar_feed_lists_only_meetings_one_is_invited_to_and_may_see(things, viewer):
    user = things.users[viewer]
    visible = {m.pk for m in things.meetings.values() if policy.can_view_meeting(user, m)}
    expected = visible & _invited_to(things, viewer)
    feed = calendar.calendar_feed(user)
    uids = {calendar.meeting_uid(m): m.pk for m in things.meetings.values()}
    assert {uids[uid] for uid in _uids(feed) if uid in uids} == expected
    assert _uids(feed) <= set(uids)
    if viewer in {"citizen", "deactivated", "elected_other", "staff_outsider", "manager"}:
        assert expected == set()


def test_a_calendar_feed_drops_meetings_one_may_no_longer_see(things):
    u = things.users
    private = things.meetings["private"]
    # The invited elected official is uninvited; the staff member leaves the private group
    # (the invitation stays, the group may no longer be read).
    services.uninvite(actor=u["owner"], meeting=private, person=u["elected_invited"])
    Membership.objects.filter(group=private.group, user=u["staff_member"]).delete()
    for viewer in ("elected_invited", "staff_member"):
        feed = calendar.calendar_feed(u[viewer])
        assert calendar.meeting_uid(private) not in _uids(feed), viewer
        assert calendar.meeting_uid(things.meetings["public"]) in _uids(feed), viewer
    _token, raw = services.create_calendar_token(user=u["staff_member"])
    assert selectors.user_for_calendar_token(raw) == u["staff_member"]
    User.objects.filter(pk=u["staff_member"].pk).update(is_active=False)
    assert selectors.user_for_calendar_token(raw) is None


# --- Socket events ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_socket_events_reach_only_those_who_may_see(world):
    things = build(world)
    sockets = {viewer: communicator(things.users[viewer]) for viewer in VIEWERS}
    by_meeting = {m.pk: key for key, m in things.meetings.items() if not key.startswith("closed")}
    member = things.users["staff_member"]

    async def scenario():
        listening = set()
        for viewer, socket in sockets.items():
            connected, _ = await socket.connect()
            if viewer == "deactivated":
                # Turned away at the handshake: the session no longer authenticates.
                assert (await socket.receive_output(timeout=2))["code"] == 4401
            elif connected:
                listening.add(viewer)
            else:
                assert viewer == "citizen", viewer  # a citizen's socket may be refused
        assert listening >= set(VIEWERS) - {"deactivated", "citizen"}

        def write():
            with transaction.atomic():
                for key in GROUPS:
                    item = things.items[key]
                    services.set_opinion(actor=member, item=item, position="pour", argument="")
                    social_services.add_comment(author=member, item=item, body="Nouveau")

        await sync_to_async(write)()
        for viewer in sorted(listening):
            socket = sockets[viewer]
            received = []
            while not await socket.receive_nothing(timeout=0.5):
                event = await socket.receive_json_from(timeout=1)
                if event["type"] != "presence":
                    received.append(event)
            opinions = sorted(
                by_meeting[e["data"]["meeting"]] for e in received if e["type"] == "meeting.opinion"
            )
            comments = sorted(
                by_meeting[e["data"]["meeting"]] for e in received if e["type"] == "meeting.comment"
            )
            assert opinions == sorted(SEES_POSITIONS.get(viewer, NOBODY)), (viewer, received)
            assert comments == sorted(SEES_MEETING[viewer]), (viewer, received)
            # Nothing else about a meeting the viewer may not see (notifications included).
            for event in received:
                meeting_id = event.get("data", {}).get("meeting")
                if meeting_id is not None:
                    assert by_meeting[meeting_id] in SEES_MEETING[viewer], (viewer, event)
        for viewer in listening:
            await sockets[viewer].disconnect()

    async_to_sync(scenario)()


# --- HTTP: the API and the pages ------------------------------------------------------------

NOT_FOUND = {"detail": "Introuvable."}


def _api(user: User) -> Client:
    _token, raw = create_api_token(user=user, name="matrix")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def _session(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _text(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _hidden_words(viewer: str) -> list[str]:
    """Words of the objects `viewer` may not see: no response may contain them."""
    return [word(kind, key) for kind, key in OBJECTS if not sees(viewer, kind, key)]


def _check_nothing_leaks(viewer: str, case, response) -> None:
    text = _text(response)
    for hidden in _hidden_words(viewer):
        # The minutes quote the closed meeting's title and positions: they are part of what
        # a reader of the group sees there, checked with the minutes' own words below.
        assert hidden not in text, (*case, hidden)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_api_answers_404_to_those_who_may_not_see(things, viewer):
    user = things.users[viewer]
    if viewer == "deactivated":
        # No token can be made for the account any more; its session stopped working with it.
        client = _session(user)
        for key in GROUPS:
            meeting = things.meetings[key]
            for path in (f"/api/v1/meetings/{meeting.pk}", "/api/v1/decisions"):
                assert client.get(path).status_code == 401, path
        return
    client = _api(user)
    forbidden = {401, 403, 404} if viewer == "citizen" else {404}
    for key in GROUPS:
        for closed in (False, True):
            meeting = things.meetings[f"closed_{key}" if closed else key]
            kind = "closed_meeting" if closed else "meeting"
            positions = "closed_opinion" if closed else "opinion"
            sees_meeting = sees(viewer, kind, key)
            sees_positions = sees(viewer, positions, key)
            base = f"/api/v1/meetings/{meeting.pk}"
            responses = {
                "meeting": client.get(base),
                "items": client.get(f"{base}/items"),
                "ics": client.get(f"{base}/ics"),
                "decisions": client.get(f"{base}/decisions"),
                "synthesis": client.get(f"{base}/synthesis"),
            }
            if not closed:
                item, decision = things.items[key], things.decisions[key]
                responses["item"] = client.get(f"/api/v1/items/{item.pk}")
                responses["comments"] = client.get(f"/api/v1/items/{item.pk}/comments")
                responses["decision"] = client.get(f"/api/v1/decisions/{decision.pk}")
            for path, response in responses.items():
                case = (viewer, key, closed, path)
                if not sees_meeting:
                    assert response.status_code in forbidden, (*case, response.status_code)
                    if response.status_code == 404:
                        assert response.json() == NOT_FOUND, case
                elif path == "synthesis" and not sees_positions:
                    # Sees the meeting, not the positions: refused, nothing shown.
                    assert response.status_code == 403, (*case, response.status_code)
                else:
                    assert response.status_code == 200, (*case, response.status_code)
                _check_nothing_leaks(viewer, case, response)
            if sees_meeting:
                assert word(kind, key) in responses["meeting"].json()["title"]
                assert "BEGIN:VCALENDAR" in _text(responses["ics"])
            if sees_meeting and not closed:
                (shown,) = responses["items"].json()["items"]
                assert word("item", key) in shown["title"]
                arguments = [o["argument"] for o in shown["opinions"] or []]
                assert arguments == (
                    [f"Argument {word('opinion', key)}"] if sees_positions else []
                ), (viewer, key)
                assert (shown["opinions"] is not None) is sees_positions, (viewer, key)
                comments = responses["comments"].json()["items"]
                assert [c["id"] for c in comments] == [things.comments[key].pk]
                assert responses["decision"].json()["id"] == things.decisions[key].pk
                assert [d["id"] for d in responses["decisions"].json()["items"]] == [
                    things.decisions[key].pk
                ]
            if sees_positions:
                synthesis = responses["synthesis"].json()
                assert word(positions, key) in _text(responses["synthesis"]), (viewer, key)
                (item_synthesis,) = synthesis["items"]
                expected = {"pour": 1} if closed else {"contre": 1}
                assert {k: v for k, v in item_synthesis["counts"].items() if v} == expected
    if viewer != "citizen":
        register = client.get("/api/v1/decisions?limit=100")
        assert register.status_code == 200
        listed = {d["id"] for d in register.json()["items"]}
        assert listed == {things.decisions[k].pk for k in GROUPS if sees(viewer, "decision", k)}, (
            viewer
        )
        for key, group in things.world.groups.items():
            response = client.get(f"/api/v1/groups/{group.slug}/meetings?limit=100")
            expected = {
                things.meeting_of(kind, key).pk
                for kind in ("meeting", "closed_meeting")
                if sees(viewer, kind, key)
            }
            if response.status_code == 200:
                assert {m["id"] for m in response.json()["items"]} == expected, (viewer, key)
            else:
                assert response.status_code == 404, (viewer, key, response.status_code)
                assert not expected or key not in READS_GROUP[viewer], (viewer, key)
    # Nothing written on the way.
    assert Opinion.objects.count() == 2 * len(GROUPS)


def _pages(things: Things, key: str) -> dict[str, tuple[str, str]]:
    """path name → (path, the kind of object whose visibility it follows)."""
    prep, closed = things.meetings[key], things.meetings[f"closed_{key}"]
    file = things.files[key]
    return {
        "meeting": (reverse("meetings:detail", args=[prep.pk]), "meeting"),
        "closed_meeting": (reverse("meetings:detail", args=[closed.pk]), "closed_meeting"),
        "ics": (reverse("meetings:ics", args=[prep.pk]), "meeting"),
        "item": (reverse("meetings:item", args=[prep.pk, things.items[key].pk]), "item"),
        "decision": (reverse("meetings:decision", args=[things.decisions[key].pk]), "decision"),
        "synthesis": (reverse("meetings:synthesis", args=[prep.pk]), "opinion"),
        "synthesis_pdf": (reverse("meetings:synthesis_pdf", args=[prep.pk]), "opinion"),
        "closed_synthesis": (reverse("meetings:synthesis", args=[closed.pk]), "closed_opinion"),
        "file": (reverse("files:detail", args=[file.pk]), "file"),
        "file_download": (reverse("files:download", args=[file.pk]), "file"),
        "minutes": (reverse("social:post", args=[things.minutes[key].pk]), "minutes"),
    }


# The synthesis pages and the meeting whose visibility tells 403 from 404 on them.
SYNTHESIS_OF = {
    "synthesis": "meeting",
    "synthesis_pdf": "meeting",
    "closed_synthesis": "closed_meeting",
}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_pages_answer_404_to_those_who_may_not_see(things, viewer):
    user = things.users[viewer]
    client = _session(user)
    for key in GROUPS:
        for name, (path, kind) in _pages(things, key).items():
            response = client.get(path)
            case = (viewer, key, name)
            if viewer == "deactivated":
                # The session no longer authenticates: the sign-in page.
                assert response.status_code == 302, (*case, response.status_code)
                assert "/compte/login/" in response["Location"], case
            elif sees(viewer, kind, key):
                assert response.status_code == 200, (*case, response.status_code)
            elif viewer == "citizen":
                assert response.status_code in {403, 404}, (*case, response.status_code)
            elif name in SYNTHESIS_OF and sees(viewer, SYNTHESIS_OF[name], key):
                # Who sees the meeting but not the positions is refused (403, as by the API).
                assert response.status_code == 403, (*case, response.status_code)
            else:
                assert response.status_code == 404, (*case, response.status_code)
            _check_nothing_leaks(viewer, case, response)
            if response.status_code == 200 and name in {"meeting", "item"}:
                text = _text(response)
                assert word("item", key) in text, case
                assert word("comment", key) in text, case
                # The page counts the positions for who may see them (the arguments are on
                # the synthesis page); a participant's own argument is shown to them alone.
                assert ("Positions (1 avis)" in text) is sees(viewer, "opinion", key), case
                assert (word("opinion", key) in text) is (viewer == "staff_member"), case
            if response.status_code == 200 and name in {"synthesis", "closed_synthesis"}:
                positions = "closed_opinion" if name == "closed_synthesis" else "opinion"
                assert word(positions, key) in _text(response), case
            if response.status_code == 200 and name == "synthesis_pdf":
                assert _text(response).startswith("%PDF"), case


@pytest.mark.parametrize("viewer", VIEWERS)
def test_listing_pages_show_only_what_one_may_see(things, viewer):
    user = things.users[viewer]
    client = _session(user)
    if viewer == "deactivated":
        assert client.get(reverse("meetings:decisions")).status_code == 302
        return
    register = client.get(reverse("meetings:decisions"))
    mine = client.get(reverse("meetings:mine"))
    if viewer == "citizen":
        assert register.status_code in {403, 404}
        assert mine.status_code in {403, 404}
    else:
        assert register.status_code == 200
        assert mine.status_code == 200
        text = _text(register)
        for key in GROUPS:
            assert (word("decision", key) in text) is sees(viewer, "decision", key), key
        upcoming = _text(mine)
        for key in GROUPS:
            invited = things.meetings[key].invitations.filter(user=user).exists()
            expected = invited and sees(viewer, "meeting", key)
            assert (word("meeting", key) in upcoming) is expected, key
    for response in (register, mine):
        _check_nothing_leaks(viewer, (viewer, "listing"), response)
    for key, group in things.world.groups.items():
        for name in ("meetings:group", "meetings:group_decisions"):
            response = client.get(reverse(name, args=[group.slug]))
            case = (viewer, key, name)
            _check_nothing_leaks(viewer, case, response)
            if viewer == "citizen":
                assert response.status_code in {403, 404}, (*case, response.status_code)
                continue
            listed = sees(viewer, "meeting", key)
            if listed and not (key == "unlisted" and viewer == "elected_invited"):
                assert response.status_code == 200, (*case, response.status_code)
                text = _text(response)
                if name == "meetings:group":
                    assert word("meeting", key) in text, case
                    assert word("closed_meeting", key) in text, case
                else:
                    assert word("decision", key) in text, case
            elif key == "unlisted" and viewer == "elected_invited":
                # An unlisted group is unknown to non-members (404), even to the elected
                # official invited to its meeting: they reach it from « Mes réunions ».
                assert response.status_code == 404, (*case, response.status_code)
            else:
                # A group one may not read: « restricted » (403) if one may know it exists,
                # 404 otherwise, as the groups' other tabs do.
                assert response.status_code in {403, 404}, (*case, response.status_code)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_calendar_feed_address_lists_only_visible_meetings(things, viewer):
    user = things.users[viewer]
    if viewer in {"citizen", "deactivated"}:
        with pytest.raises(Exception):  # noqa: B017, PT011 - PermissionDenied
            services.create_calendar_token(user=user)
        return
    _token, raw = services.create_calendar_token(user=user)
    response = Client().get(reverse("meetings:calendar_feed", args=[raw]))
    assert response.status_code == 200
    text = _text(response)
    for key, meeting in things.meetings.items():
        invited = meeting.invitations.filter(user=user).exists()
        expected = invited and policy.can_view_meeting(user, meeting)
        assert (calendar.meeting_uid(meeting) in text) is expected, (viewer, key)
    _check_nothing_leaks(viewer, (viewer, "feed"), response)
    services.revoke_calendar_token(user=user, token_id=_token.pk)
    assert Client().get(reverse("meetings:calendar_feed", args=[raw])).status_code == 404
