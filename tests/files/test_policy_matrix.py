"""« Who sees what » for shared files: every kind of user by every way a file is shared by every
path (policy, listings, page, API metadata, download, thumbnail, version history, comments).

A file is visible to its owner, to whoever may read a group it is shared to, to whoever may
read a live post it is attached to, and to the people it is shared with by name. Everyone
else gets 404, exactly like an unknown id.
"""

import pytest
from django.core.files.storage import storages
from django.http import Http404
from django.test import override_settings
from django.urls import reverse

from files import policy, previews, selectors, services
from files.models import File
from social import selectors as social_selectors
from social import services as social_services
from tests.files.conftest import pdf_bytes, png_bytes, upload
from tests.social.conftest import VIEWERS, readable_groups, readable_posts

# file key -> (owner key, shares as (kind, target key)); posts are the world's posts.
FILES = {
    "nowhere": ("owner", []),
    "in_public": ("owner", [("group", "public")]),
    "in_private": ("owner", [("group", "private")]),
    "in_unlisted": ("owner", [("group", "unlisted")]),
    "in_garage": ("owner", [("group", "garage")]),
    "on_public_post": ("owner", [("post", "public")]),
    "on_garage_post": ("owner", [("post", "garage")]),
    "on_profile_post": ("owner", [("post", "profile")]),
    "to_elected": ("owner", [("user", "elected")]),
    "to_external_outsider": ("owner", [("user", "external_outsider")]),
    "by_external": ("external_member", [("group", "garage")]),
}
# Shared before the share was removed, the post deleted, or the file deleted: nobody but the
# owner (for the first two) sees them any more.
GONE = {
    "unshared": ("owner", [("group", "public")]),
    "on_deleted_post": ("owner", [("post", "public_poll")]),
    "deleted": ("owner", [("group", "public")]),
}
ALL_FILES = {**FILES, **GONE}


def expected_visible(viewer: str) -> set[str]:
    if viewer in {"citizen", "deactivated"}:
        return set()
    groups, posts = readable_groups(viewer), readable_posts(viewer)
    seen = set()
    for key, (owner, shares) in FILES.items():
        if owner == viewer or any(
            (kind == "group" and target in groups)
            or (kind == "post" and target in posts)
            or (kind == "user" and target == viewer)
            for kind, target in shares
        ):
            seen.add(key)
    return seen


@pytest.fixture(scope="module")
def module_storage(tmp_path_factory):
    root = tmp_path_factory.mktemp("matrix-files")
    files_storage = {
        "BACKEND": "files.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": root},
    }
    from django.conf import settings

    with override_settings(FILES_ROOT=root, STORAGES={**settings.STORAGES, "files": files_storage}):
        storages._storages.pop("files", None)
        yield root
    storages._storages.pop("files", None)


@pytest.fixture(autouse=True)
def file_storage(module_storage):
    """The module's world keeps its blobs for every test (replaces the per-test folders)."""
    return module_storage


@pytest.fixture(scope="module")
def files_once(world_once, module_storage, django_db_blocker) -> dict[str, int]:
    """The files of the matrix, written in the world's open (rolled-back) transaction."""
    w = world_once
    with django_db_blocker.unblock():
        ids = {}
        for key, (owner_key, shares) in ALL_FILES.items():
            owner = w.users[owner_key]
            data = pdf_bytes() if key.startswith("in_") else png_bytes()
            file = services.create_file(owner=owner, incoming=upload(f"{key}.png", data))
            for kind, target in shares:
                if kind == "group":
                    services.share_to_group(actor=owner, file=file, group=w.groups[target])
                elif kind == "post":
                    file.shares.create(post=w.posts[target], shared_by=owner)
                else:
                    services.share_to_person(actor=owner, file=file, person=w.users[target])
            services.add_version(actor=owner, file=file, incoming=upload("v2.png", png_bytes()))
            for version in file.versions.all():
                previews.make_preview(version)
            social_services.add_comment(author=owner, file=file, body=f"Avis sur {key}")
            ids[key] = file.pk
        owner = w.users["owner"]
        file = File.objects.get(pk=ids["unshared"])
        services.remove_share(actor=owner, share=file.shares.get())
        social_services.delete_post(actor=owner, post=w.posts["public_poll"])
        services.delete_file(actor=owner, file=File.objects.get(pk=ids["deleted"]))
    return ids


@pytest.fixture
def files(files_once, world) -> dict[str, File]:
    rows = File.objects.in_bulk(list(files_once.values()))
    return {key: rows[pk] for key, pk in files_once.items()}


def test_the_owner_sees_their_files_until_deleted(world, files):
    owner = world.users["owner"]  # also a member of every group, so sees `by_external`
    seen = {k for k, f in files.items() if policy.can_view_file(owner, f)}
    owned = {k for k, (o, _s) in ALL_FILES.items() if o == "owner"} - {"deleted"}
    assert seen == owned | {"by_external"}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_policy_and_listings_agree_with_the_rules(world, files, viewer):
    user = world.users[viewer]
    expected = expected_visible(viewer)
    by_id = {f.pk: k for k, f in files.items()}
    assert {k for k, f in files.items() if policy.can_view_file(user, f)} == expected
    assert {by_id[f.pk] for f in policy.visible_files(user) if f.pk in by_id} == expected
    assert {by_id[f.pk] for f in selectors.visible(user) if f.pk in by_id} == expected
    for group_key, group in world.groups.items():
        in_group = {by_id[f.pk] for f in selectors.visible(user, group=group) if f.pk in by_id}
        assert in_group == {k for k in expected if ("group", group_key) in ALL_FILES[k][1]}
    for key, file in files.items():
        if key in expected:
            assert selectors.get_file_for(user, file.pk).pk == file.pk
        else:
            with pytest.raises(Http404):
                selectors.get_file_for(user, file.pk)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_file_comments_follow_the_file(world, files, viewer):
    user = world.users[viewer]
    expected = expected_visible(viewer)
    for key, file in files.items():
        comment = file.comments.get()
        if key in expected:
            assert social_selectors.get_comment_for(user, comment.pk).pk == comment.pk
        else:
            with pytest.raises(Http404):
                social_selectors.get_comment_for(user, comment.pk)


@pytest.mark.parametrize("bad_id", [987_654_321, 2**63, -1, "abc", "1 OR 1=1"])
def test_unknown_ids_are_404_like_forbidden_ones(world, files, bad_id):
    with pytest.raises(Http404):
        selectors.get_file_for(world.users["staff_member"], bad_id)


def _paths(file: File) -> dict[str, str]:
    return {
        "page": reverse("files:detail", args=[file.pk]),
        "download": reverse("files:download", args=[file.pk]),
        "old_version": reverse("files:download", args=[file.pk]) + "?version=1",
        "thumbnail": reverse("files:thumbnail", args=[file.pk]),
        "api": f"/api/v1/files/{file.pk}",
        "api_download": f"/api/v1/files/{file.pk}/download?version=1",
        "api_thumbnail": f"/api/v1/files/{file.pk}/thumbnail",
        "api_versions": f"/api/v1/files/{file.pk}/versions",
        "api_comments": f"/api/v1/files/{file.pk}/comments",
    }


@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_http_path_answers_404_to_those_who_may_not_see(world, files, viewer, client):
    user = world.users[viewer]
    client.force_login(user)
    expected = expected_visible(viewer)
    for key, file in files.items():
        for path_name, path in _paths(file).items():
            response = client.get(path)
            if viewer == "deactivated":
                # The session no longer authenticates: sign-in page, or 401 on the API.
                assert response.status_code in {302, 401}, (key, path_name)
            elif key in expected:
                assert response.status_code == 200, (key, path_name, response.status_code)
            else:
                assert response.status_code == 404, (key, path_name, response.status_code)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_listing_pages_and_api_show_only_visible_files(world, files, viewer, client):
    user = world.users[viewer]
    client.force_login(user)
    expected = expected_visible(viewer)
    hidden = {k for k in ALL_FILES if k not in expected}
    if viewer in {"citizen", "deactivated"}:
        return  # no files space at all: covered by the page tests
    listed = client.get("/api/v1/files?limit=100")
    assert listed.status_code == 200
    names = {item["name"] for item in listed.json()["items"]}
    assert {f"{k}.png" for k in expected} <= names
    assert not names & {f"{k}.png" for k in hidden}
    page = client.get(reverse("files:mine")).content.decode()
    for group_key in readable_groups(viewer):
        tab = client.get(reverse("groups:files", args=[world.groups[group_key].slug]))
        assert tab.status_code == 200
        page += tab.content.decode()
    for key in hidden:
        assert f"{key}.png" not in page
