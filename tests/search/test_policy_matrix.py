"""The matrix's search column: every kind of viewer by every kind of object in every kind of
group or visibility by every path (selector, API, page). Search finds exactly what the owning
app's policy lets the viewer see, and shows nothing of the rest: no title, no snippet, no
count, no facet. Anonymous visitors have no search at all."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from accounts import policy as account_policy
from consultations import policy as consultation_policy
from files import policy as file_policy
from groups import policy as group_policy
from meetings import policy as meeting_policy
from messaging import policy as messaging_policy
from search import selectors
from social import policy as social_policy
from tests.search.conftest import WORD, secret
from tests.social.conftest import VIEWERS

VIEWERS_WITH_CITIZEN2 = (*VIEWERS, "citizen2")


def can_see(user, kind: str, obj) -> bool:
    """The owning apps' own predicates (and liveness), object by object."""
    if kind == "post":
        return obj.deleted_at is None and social_policy.can_view_post(user, obj)
    if kind == "comment":
        live = obj.deleted_at is None and (obj.post is None or obj.post.deleted_at is None)
        return live and social_policy.can_view_thread(user, obj)
    if kind == "file":
        return file_policy.can_view_file(user, obj)
    if kind == "message":
        return obj.deleted_at is None and messaging_policy.can_view_conversation(
            user, obj.conversation
        )
    if kind == "meeting":
        return meeting_policy.can_view_meeting(user, obj)
    if kind == "item":
        return meeting_policy.can_view_thread(user, obj)
    if kind == "decision":
        return meeting_policy.can_view_decision(user, obj)
    if kind == "group":
        return group_policy.can_see_group(user, obj)
    if kind == "person":
        return account_policy.can_view_profile(user, obj)
    if kind == "contribution":
        return consultation_policy.can_view_contribution(user, obj)
    raise AssertionError(kind)


def _secret_of(kind: str, key: str) -> str:
    names = {
        "group": f"group{key}",
        "post": f"post{key}",
        "file": f"file{key}",
        "meeting": f"meeting{key}",
        "item": f"item{key}",
        "decision": f"decision{key}",
        "contribution": f"contribution{key}",
        "person": f"p{key}",
    }
    if kind == "comment":
        if key.startswith("item"):
            return secret(f"itemcomment{key[4:]}")
        return secret("filecomment" if key == "on_file" else f"comment{key}")
    if kind == "message":
        return secret("messagedirect" if key == "direct" else "messageext")
    if kind == "post" and key in ("profile", "by_external", "deleted"):
        return secret(
            {"profile": "postprofile", "by_external": "postext", "deleted": "postdeleted"}[key]
        )
    if kind == "file" and key in ("nowhere", "to_elected", "deleted"):
        return secret(
            {"nowhere": "filenowhere", "to_elected": "filetoelu", "deleted": "filedeleted"}[key]
        )
    return secret(names[kind])


def expected(world, viewer: str) -> set[tuple[str, int]]:
    user = world.users[viewer]
    if not user.is_active:  # no search without an account that may sign in
        return set()
    return {
        (kind, obj.pk) for (kind, _key), obj in world.objects.items() if can_see(user, kind, obj)
    }


def found_by_selector(user) -> set[tuple[str, int]]:
    found = set()
    for kind in selectors.SECTIONS:
        outcome = selectors.search(user, WORD, selectors.Filters(kind=kind))
        for section in outcome.sections:
            found |= {(r.kind, r.id) for r in section.results}
            assert section.next_cursor is None  # every kind fits on one page here
    return found


def test_the_world_covers_every_case(search_world):
    """Sanity: each viewer sees something and misses something (or is shut out)."""
    sizes = {v: len(expected(search_world, v)) for v in VIEWERS_WITH_CITIZEN2}
    assert sizes["deactivated"] == 0
    assert 0 < sizes["citizen"] < sizes["external_member"] < sizes["staff_member"]
    assert len(search_world.objects) > sizes["staff_member"]


@pytest.mark.parametrize("viewer", VIEWERS_WITH_CITIZEN2)
def test_search_finds_exactly_what_each_app_lets_the_viewer_see(search_world, viewer):
    user = search_world.users[viewer]
    assert found_by_selector(user) == expected(search_world, viewer)


@pytest.mark.parametrize("viewer", VIEWERS_WITH_CITIZEN2)
def test_relevance_order_finds_the_same_rows(search_world, viewer):
    user = search_world.users[viewer]
    found = set()
    for kind in selectors.SECTIONS:
        outcome = selectors.search(user, WORD, selectors.Filters(kind=kind, order="relevance"))
        for section in outcome.sections:
            found |= {(r.kind, r.id) for r in section.results}
    assert found == expected(search_world, viewer)


def test_an_external_member_never_finds_internal_content(search_world):
    user = search_world.users["external_member"]
    garage = search_world.base.groups["garage"]
    found = found_by_selector(user)
    kinds = {kind for kind, _pk in found}
    assert kinds <= {
        "post",
        "comment",
        "file",
        "meeting",
        "item",
        "decision",
        "group",
        "message",
        "person",
    }
    for (kind, key), obj in search_world.objects.items():
        if (kind, obj.pk) in found and kind in ("post", "meeting", "file"):
            assert key in ("garage", "by_external"), (kind, key)
    assert ("group", garage.pk) in found
    assert not any(kind == "contribution" for kind, _pk in found)


def test_a_citizen_finds_only_consultation_content_and_their_own_requests(search_world):
    w = search_world
    found = found_by_selector(w.users["citizen"])
    assert {kind for kind, _pk in found} <= {"contribution", "person"}
    titles = {w.objects[("contribution", k)].pk for k in ("open_published", "open_own_pending")}
    assert {pk for kind, pk in found if kind == "contribution"} == titles


def _api(client_for, user):
    return client_for(user)


@pytest.mark.parametrize("viewer", [v for v in VIEWERS_WITH_CITIZEN2 if v != "deactivated"])
def test_the_api_shows_nothing_of_what_the_viewer_may_not_see(search_world, client_for, viewer):
    user = search_world.users[viewer]
    client = client_for(user)
    visible = expected(search_world, viewer)
    found = set()
    for kind in selectors.SECTIONS:
        response = client.get("/api/v1/search", {"q": WORD, "kind": kind})
        assert response.status_code == 200, response.content
        body = response.json()
        text = json.dumps(body, ensure_ascii=False)
        for section in body["sections"]:
            found |= {(r["kind"], r["id"]) for r in section["results"]}
        for (k, key), obj in search_world.objects.items():
            if (k, obj.pk) not in visible:
                assert _secret_of(k, key) not in text, (viewer, k, key)
        assert "count" not in text
        assert "total" not in text
    assert found == visible
    # The overview (every kind at once) omits kinds with no visible result: no empty facet
    # tells that something exists.
    overview = client.get("/api/v1/search", {"q": WORD}).json()
    shown = {s["kind"] for s in overview["sections"]}
    assert shown == {selectors.SOURCES_BY_KIND[k].section for k, _pk in visible}


@pytest.mark.parametrize("viewer", [v for v in VIEWERS_WITH_CITIZEN2 if v != "deactivated"])
def test_the_page_shows_nothing_of_what_the_viewer_may_not_see(search_world, client_for, viewer):
    user = search_world.users[viewer]
    client = client_for(user)
    visible = expected(search_world, viewer)
    pages = [client.get(reverse("search:search"), {"q": WORD})]
    pages += [
        client.get(reverse("search:search"), {"q": WORD, "kind": kind})
        for kind in selectors.SECTIONS
    ]
    html = "".join(p.content.decode() for p in pages)
    assert all(p.status_code == 200 for p in pages)
    for (kind, key), obj in search_world.objects.items():
        hidden = _secret_of(kind, key)
        if (kind, obj.pk) in visible:
            if kind not in ("person",):  # job titles are the people's snippet too
                assert hidden in html, (viewer, kind, key)
        else:
            assert hidden not in html, (viewer, kind, key)


@pytest.mark.parametrize("viewer", ["external_member", "staff_outsider", "citizen"])
def test_filters_never_widen_what_is_visible(search_world, viewer):
    """A group, author or date filter on something invisible finds nothing, like an unknown."""
    w = search_world
    user = w.users[viewer]
    visible = expected(w, viewer)
    for group in w.base.groups.values():
        for kind in selectors.SECTIONS:
            outcome = selectors.search(user, WORD, selectors.Filters(kind=kind, group=group.pk))
            for section in outcome.sections:
                assert {(r.kind, r.id) for r in section.results} <= visible
    owner = w.users["owner"]
    for kind in selectors.SECTIONS:
        outcome = selectors.search(user, WORD, selectors.Filters(kind=kind, author=owner.pk))
        for section in outcome.sections:
            found = {(r.kind, r.id) for r in section.results}
            assert found <= visible
            assert all(r.author is None or r.author.pk == owner.pk for r in section.results)


def test_anonymous_visitors_have_no_search(search_world, client):
    assert client.get("/api/v1/search", {"q": WORD}).status_code == 401
    page = client.get(reverse("search:search"), {"q": WORD})
    assert page.status_code == 302
    assert "/compte/login/" in page["Location"]
    from django.contrib.auth.models import AnonymousUser

    assert selectors.search(AnonymousUser(), WORD).sections == []


def test_comments_are_readable_exactly_when_their_thread_is(search_world):
    """social.policy.visible_comments (correlated EXISTS, fast at a million rows) is the
    mirror of can_view_thread, for every viewer."""
    from social.models import Comment

    comments = list(Comment.objects.select_related("post", "file", "item"))
    for viewer in VIEWERS_WITH_CITIZEN2:
        user = search_world.users[viewer]
        assert set(social_policy.visible_comments(user).values_list("pk", flat=True)) == {
            c.pk for c in comments if social_policy.can_view_thread(user, c)
        }, viewer


def test_live_comments_are_the_policy_s_comments_minus_the_deleted(search_world):
    from django.db.models import Q

    for viewer in VIEWERS_WITH_CITIZEN2:
        user = search_world.users[viewer]
        policy_live = (
            social_policy.visible_comments(user)
            .filter(deleted_at__isnull=True)
            .filter(Q(post__isnull=True) | Q(post__deleted_at__isnull=True))
        )
        assert set(social_policy.live_comments(user).values_list("pk", flat=True)) == set(
            policy_live.values_list("pk", flat=True)
        ), viewer


def test_readable_group_ids_are_the_readable_groups(search_world):
    """Search reads the viewer's readable groups once (groups.policy.readable_group_ids) and
    hands the list to the other apps' policies: the list is exactly `readable_groups`, and each
    policy given it keeps exactly the rows it keeps without it, for every kind of viewer."""
    from files import policy as file_policy

    for viewer in VIEWERS_WITH_CITIZEN2:
        user = search_world.users[viewer]
        ids = group_policy.readable_group_ids(user)
        assert ids.user_id == user.pk
        assert list(ids.ids) == sorted(
            group_policy.readable_groups(user).values_list("pk", flat=True)
        )
        pairs = [
            (social_policy.visible_posts(user), social_policy.visible_posts(user, group_ids=ids)),
            (social_policy.live_comments(user), social_policy.live_comments(user, group_ids=ids)),
            (file_policy.visible_files(user), file_policy.visible_files(user, group_ids=ids)),
            (
                meeting_policy.visible_meetings(user),
                meeting_policy.visible_meetings(user, group_ids=ids),
            ),
        ]
        for without, given in pairs:
            assert set(given.values_list("pk", flat=True)) == set(
                without.values_list("pk", flat=True)
            ), viewer


def _policies_given(user, ids):
    return [
        lambda: social_policy.visible_posts(user, group_ids=ids),
        lambda: social_policy.live_comments(user, group_ids=ids),
        lambda: file_policy.visible_files(user, group_ids=ids),
        lambda: meeting_policy.visible_meetings(user, group_ids=ids),
    ]


def test_a_policy_refuses_group_ids_that_are_not_the_viewer_s(search_world):
    """The readable groups handed to a policy must be the viewer's own: another person's (a
    staff member's public groups handed to an external member's query), a hand-made list of
    ids or a group outside them is a programming error, refused before any row is read."""
    users = search_world.users
    everything = tuple(sorted(g.pk for g in search_world.base.groups.values()))
    for viewer in ("staff_member", "elected", "external_member"):
        user = users[viewer]
        for other in ("staff_member", "elected", "external_member", "staff_outsider"):
            if other == viewer:
                continue
            theirs = group_policy.readable_group_ids(users[other])
            for policy in _policies_given(user, theirs):
                with pytest.raises(ValueError, match="readable_group_ids"):
                    policy()
        forged = [
            list(everything),  # a plain list names any group
            group_policy.ReadableGroups(user_id=users["owner"].pk, ids=everything),
        ]
        for ids in forged:
            for policy in _policies_given(user, ids):
                with pytest.raises(ValueError, match="readable_group_ids"):
                    policy()
        own = group_policy.readable_group_ids(user)
        outside = next((pk for pk in everything if pk not in own.ids), max(everything) + 1)
        with pytest.raises(ValueError, match="not readable"):
            own.only(outside)
        for policy in _policies_given(user, own):
            policy()  # the viewer's own list is taken
    theirs = group_policy.readable_group_ids(users["staff_member"])
    for nobody in (users["citizen"], users["deactivated"], AnonymousUser()):
        assert not social_policy.visible_posts(nobody, group_ids=theirs).exists()
        assert group_policy.readable_group_ids(nobody).ids == ()


def walked_by_selector(user, order: str) -> list[tuple[str, int]]:
    """Every page of every kind, cursor after cursor."""
    found = []
    for kind in selectors.SECTIONS:
        cursor = None
        for _page in range(50):
            filters = selectors.Filters(kind=kind, order=order, cursor=cursor)
            (section,) = selectors.search(user, WORD, filters).sections
            found += [(r.kind, r.id) for r in section.results]
            cursor = section.next_cursor
            if cursor is None:
                break
        assert cursor is None, (kind, order)
    return found


def test_an_external_member_s_groups_read_one_by_one_find_the_same_rows(search_world, monkeypatch):
    """For a viewer of few groups, newest-first reads go group by group (search._by_group); with
    every way of reading a page forced, each viewer still finds exactly what they may see, on
    one page and walking small pages with their cursors, newest first and by relevance."""
    for strategy in ("recent", "scan", "index"):
        monkeypatch.setattr(selectors, "_strategy", lambda probe, limit, s=strategy: s)
        for viewer in ("external_member", "staff_member", "elected", "external_outsider"):
            user = search_world.users[viewer]
            want = expected(search_world, viewer)
            monkeypatch.setattr(selectors, "PAGE_SIZE", 20)
            assert found_by_selector(user) == want, (strategy, viewer)
            monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
            for order in selectors.ORDERS:
                walked = walked_by_selector(user, order)
                assert len(walked) == len(set(walked)), (strategy, viewer, order)
                assert set(walked) == want, (strategy, viewer, order)
