"""Files attached to posts.

The composer shares the author's files to the new post (uploaded already through the API, or
sent with the form without JavaScript); feeds and the post page show them to whoever reads the
post, and to nobody else. A refused attachment publishes nothing and stores nothing.
"""

import re
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.services import create_api_token
from files import policy as file_policy
from files import services as file_services
from files.models import File, FileShare
from files.previews import make_preview
from groups.models import Group
from social import services
from social.models import Post
from tests.files.conftest import pdf_bytes, png_bytes, stored_blobs, upload

pytestmark = pytest.mark.django_db

HTML_WITH_SCRIPT = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
GARAGE_PUBLISH = "/groupes/garage/publier/"


def token(client) -> str:
    if "csrftoken" not in client.cookies:
        client.get("/confidentialite/")
    return client.cookies["csrftoken"].value


def send(client, url: str, data: dict | None = None, **extra):
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token(client)}, **extra)


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html(response))))


def size_shown(size: int) -> str:
    with translation.override("fr"):
        return filesizeformat(size)


@pytest.fixture
def as_user(world, client_for):
    clients = {}

    def get(name: str):
        if name not in clients:
            clients[name] = client_for(world.users[name])
        return clients[name]

    return get


def make_file(owner, name: str = "plan.png", data: bytes | None = None, **where) -> File:
    return file_services.create_file(
        owner=owner, incoming=upload(name, data if data is not None else png_bytes()), **where
    )


def ready(file: File) -> File:
    """The file with its thumbnail computed, as the preview task leaves it."""
    make_preview(file.current_version)
    file.current_version.refresh_from_db()
    return file


def post_with_files(world, author: str, group: str | None, body: str, files) -> Post:
    post = services.create_post(
        author=world.users[author], group=world.groups[group] if group else None, body=body
    )
    file_services.attach_to_post(actor=world.users[author], post=post, files=files)
    return post


def attachments_of(post: Post) -> list[str]:
    return list(
        FileShare.objects.filter(post=post).order_by("id").values_list("file__name", flat=True)
    )


# --- The composer ----------------------------------------------------------------------------


def test_the_composer_offers_to_join_files_through_the_upload_zone(world, as_user):
    for url in ("/groupes/garage/", "/"):
        page = html(as_user("staff_member").get(url))
        assert "Joindre des fichiers" in page
        assert re.search(r'<div [^>]*data-uploader [^>]*data-attach-name="attachments"', page)
        assert 'enctype="multipart/form-data"' in page
        assert re.search(r'<script src="[^"]*js/uploads\.js" defer>', page)
        assert 'type="file" name="attachment_uploads" multiple' in page


def test_files_uploaded_from_the_composer_are_shared_to_the_new_post(world, as_user):
    ernest = world.users["external_member"]
    plan = make_file(ernest, "plan du stand.png")
    budget = make_file(ernest, "budget.pdf", pdf_bytes())

    response = send(
        as_user("external_member"),
        GARAGE_PUBLISH,
        {"body": "Voici les plans", "kind": "plain", "attachments": [plan.pk, budget.pk]},
    )

    assert response.status_code == 302
    post = Post.objects.get(body="Voici les plans")
    assert attachments_of(post) == ["plan du stand.png", "budget.pdf"]
    assert set(FileShare.objects.filter(post=post).values_list("shared_by", flat=True)) == {
        ernest.pk
    }
    # The files stay the author's own, in « Mes fichiers ».
    assert set(
        File.objects.filter(pk__in=[plan.pk, budget.pk]).values_list("owner", flat=True)
    ) == {ernest.pk}


def test_a_profile_post_takes_attachments_too(world, as_user):
    marie = world.users["staff_member"]
    note = make_file(marie, "compte-rendu.pdf", pdf_bytes())

    response = send(
        as_user("staff_member"),
        "/publier/",
        {"body": "Compte rendu de mission", "kind": "plain", "attachments": [note.pk]},
    )

    assert response.status_code == 302
    assert attachments_of(Post.objects.get(body="Compte rendu de mission")) == ["compte-rendu.pdf"]


def test_without_javascript_the_files_travel_with_the_post(world, as_user, settings):
    response = send(
        as_user("external_member"),
        GARAGE_PUBLISH,
        {
            "body": "Les photos du prototype",
            "kind": "plain",
            "attachment_uploads": [
                SimpleUploadedFile("prototype.png", png_bytes()),
                SimpleUploadedFile("notice.pdf", pdf_bytes()),
            ],
        },
    )

    assert response.status_code == 302
    post = Post.objects.get(body="Les photos du prototype")
    assert attachments_of(post) == ["prototype.png", "notice.pdf"]
    assert File.objects.filter(owner=world.users["external_member"]).count() == 2
    assert len(stored_blobs(settings.FILES_ROOT)) == 2


def test_a_file_refused_without_javascript_publishes_nothing_and_stores_nothing(
    world, as_user, settings
):
    response = send(
        as_user("external_member"),
        GARAGE_PUBLISH,
        {
            "body": "Deux pièces jointes",
            "kind": "plain",
            "attachment_uploads": [
                SimpleUploadedFile("bon.png", png_bytes()),
                SimpleUploadedFile("page.png", HTML_WITH_SCRIPT),
            ],
        },
    )

    assert response.status_code == 200
    assert "« page.png » n’a pas été joint : Ce type de fichier (HTML) n'est pas accepté" in (
        text(response)
    )
    assert not Post.objects.filter(body="Deux pièces jointes").exists()
    assert not File.objects.exists()
    assert stored_blobs(settings.FILES_ROOT) == []  # the accepted file's blob went too


# --- Refusals --------------------------------------------------------------------------------

NOT_YOURS = "Un fichier joint n’existe pas ou ne vous appartient pas"
MALFORMED = "Un fichier joint n’est pas valide"


@pytest.mark.parametrize(
    ("attachment", "message"),
    [
        ("someone else's", NOT_YOURS),
        ("someone else's, shared with the author", NOT_YOURS),
        ("unknown", NOT_YOURS),
        ("deleted", NOT_YOURS),
        ("abc", MALFORMED),
        ("-1", MALFORMED),
        ("1\x00", MALFORMED),
        ("9" * 40, MALFORMED),
    ],
)
def test_an_attachment_that_is_not_the_authors_own_file_is_refused_and_nothing_is_published(
    world, as_user, attachment, message
):
    ernest, owner = world.users["external_member"], world.users["owner"]
    mine = make_file(ernest, "mien.png")
    if attachment == "someone else's":
        value = make_file(owner, "a-olivier.png").pk
    elif attachment == "someone else's, shared with the author":
        value = make_file(owner, "partage.png", group=world.groups["garage"]).pk
        assert file_policy.can_view_file(ernest, File.objects.get(pk=value))
    elif attachment == "unknown":
        value = 987654321
    elif attachment == "deleted":
        gone = make_file(ernest, "efface.png")
        file_services.delete_file(actor=ernest, file=gone)
        value = gone.pk
    else:
        value = attachment
    shares = FileShare.objects.count()

    response = send(
        as_user("external_member"),
        GARAGE_PUBLISH,
        {"body": "Avec pièce jointe", "kind": "plain", "attachments": [mine.pk, value]},
    )

    assert response.status_code == 200
    assert message in text(response)
    assert not Post.objects.filter(body="Avec pièce jointe").exists()
    assert FileShare.objects.count() == shares


def test_more_than_ten_attachments_are_refused(world, as_user):
    ernest = world.users["external_member"]
    files = [make_file(ernest, f"piece-{n}.png") for n in range(11)]

    response = send(
        as_user("external_member"),
        GARAGE_PUBLISH,
        {"body": "Tout le dossier", "kind": "plain", "attachments": [f.pk for f in files]},
    )

    assert response.status_code == 200
    assert "Joignez 10 fichiers au plus à une publication." in text(response)
    assert not Post.objects.filter(body="Tout le dossier").exists()
    assert not FileShare.objects.filter(file__in=files).exists()


def test_a_refused_post_keeps_its_attached_files_checked_for_the_next_try(world, as_user):
    plan = make_file(world.users["external_member"], "plan.png")

    response = send(
        as_user("external_member"),
        GARAGE_PUBLISH,
        {"body": "   ", "kind": "plain", "attachments": [plan.pk]},
    )

    assert response.status_code == 200
    assert "Le message est vide." in text(response)
    assert re.search(
        rf'<input type="checkbox" name="attachments" value="{plan.pk}" [^>]*checked>',
        html(response),
    )
    assert not FileShare.objects.filter(file=plan).exists()


def test_only_the_author_attaches_and_only_their_own_files_all_or_nothing(world):
    ernest, owner = world.users["external_member"], world.users["owner"]
    mine = make_file(ernest, "mien.png")
    theirs = make_file(owner, "a-olivier.png", group=world.groups["garage"])
    post = services.create_post(author=ernest, group=world.groups["garage"], body="Dossier")

    with pytest.raises(PermissionDenied):
        file_services.attach_to_post(actor=ernest, post=post, files=[mine, theirs])
    with pytest.raises(PermissionDenied):
        file_services.attach_to_post(actor=owner, post=post, files=[theirs])

    assert not FileShare.objects.filter(post=post).exists()


# --- Who sees the attachments ----------------------------------------------------------------

READERS_OF_THE_GARAGE = ["owner", "staff_member", "external_member"]
NOT_READERS = ["staff_outsider", "elected", "external_outsider", "external_expired", "citizen"]


@pytest.fixture
def garage_post(world):
    """Ernest's post in Le Garage with an image (thumbnail ready) and a PDF (preview pending)."""
    ernest = world.users["external_member"]
    photo = ready(make_file(ernest, "maquette.png", png_bytes((300, 200))))
    pending = make_file(ernest, "statuts.pdf", pdf_bytes())
    post = post_with_files(
        world, "external_member", "garage", "Notre dossier #garage", [photo, pending]
    )
    return post, photo, pending


@pytest.mark.parametrize("viewer", READERS_OF_THE_GARAGE)
def test_a_reader_of_the_post_sees_its_files_in_the_feed_and_may_open_them(
    world, as_user, garage_post, viewer
):
    post, photo, pending = garage_post
    client = as_user(viewer)

    for url in ("/groupes/garage/", f"/publications/{post.pk}/"):
        page = html(client.get(url))
        assert re.search(
            rf'<img class="file-thumb" src="/fichiers/{photo.pk}/apercu/\?version=1" '
            rf'alt="" [^>]*loading="lazy">',
            page,
        ), url
        assert f'<a href="/fichiers/{photo.pk}/">maquette.png</a>' in page
        assert f'<a href="/fichiers/{pending.pk}/">statuts.pdf</a>' in page
        assert f"/fichiers/{pending.pk}/apercu/" not in page  # no thumbnail yet: its type
        assert f"PDF · {size_shown(pending.current_version.size)}" in page
        assert f"PNG · {size_shown(photo.current_version.size)}" in page

    for file in (photo, pending):
        assert file_policy.can_view_file(world.users[viewer], file)
        assert client.get(f"/fichiers/{file.pk}/").status_code == 200
    assert client.get(f"/fichiers/{photo.pk}/apercu/?version=1").status_code == 200


@pytest.mark.parametrize("viewer", NOT_READERS)
def test_someone_who_may_not_read_the_post_never_reaches_its_files(
    world, as_user, garage_post, viewer
):
    post, photo, pending = garage_post
    client = as_user(viewer)

    assert "maquette.png" not in html(client.get("/"))
    assert client.get(f"/publications/{post.pk}/").status_code in (403, 404)
    for file in (photo, pending):
        assert not file_policy.can_view_file(world.users[viewer], file)
        assert client.get(f"/fichiers/{file.pk}/").status_code in (403, 404)
        assert client.get(f"/fichiers/{file.pk}/telecharger/").status_code in (403, 404)
    assert client.get(f"/fichiers/{photo.pk}/apercu/").status_code in (403, 404)


def test_a_deleted_file_disappears_from_the_post(world, as_user, garage_post):
    post, photo, _pending = garage_post
    file_services.delete_file(actor=world.users["external_member"], file=photo)
    reader = as_user("staff_member")

    for url in ("/groupes/garage/", f"/publications/{post.pk}/"):
        page = html(reader.get(url))
        assert "maquette.png" not in page, url
        assert "statuts.pdf" in page, url
    assert not file_policy.can_view_file(world.users["staff_member"], photo)
    assert reader.get(f"/fichiers/{photo.pk}/").status_code == 404


def test_a_deleted_post_shows_no_files_and_no_longer_opens_them(world, as_user, garage_post):
    post, photo, _pending = garage_post
    services.delete_post(actor=world.users["external_member"], post=post)

    page = html(as_user("staff_member").get(f"/publications/{post.pk}/"))

    assert "Publication supprimée" in page
    assert "maquette.png" not in page
    assert not file_policy.can_view_file(world.users["staff_member"], photo)


def test_a_share_shows_the_original_posts_files_only_to_readers_of_the_original(world, as_user):
    plan = make_file(world.users["owner"], "plan-hall-3.png")
    original = post_with_files(world, "owner", "public", "Le plan du hall", [plan])
    services.share_post(
        actor=world.users["staff_member"],
        post=original,
        group=world.groups["private"],
        body="À lire",
    )
    assert "plan-hall-3.png" in html(as_user("elected").get("/groupes/private/"))

    # The original's group closes: Élise still reads the share, no longer the original.
    Group.objects.filter(pk=world.groups["public"].pk).update(visibility=Group.Visibility.PRIVATE)

    assert "plan-hall-3.png" in html(as_user("staff_member").get("/groupes/private/"))
    page = html(as_user("elected").get("/groupes/private/"))
    assert "À lire" in page
    assert "plan-hall-3.png" not in page


# --- Constant queries ------------------------------------------------------------------------


def add_posts_with_files(world, count: int) -> None:
    ernest = world.users["external_member"]
    for n in range(count):
        photo = make_file(ernest, f"photo-{n}.png")
        if n % 2:
            ready(photo)
        sheet = make_file(ernest, f"note-{n}.pdf", pdf_bytes())
        post_with_files(world, "external_member", "garage", f"Point {n} #garage", [photo, sheet])


@pytest.mark.parametrize("url", ["/", "/groupes/garage/", "/sujets/garage/"])
def test_a_feed_with_attachments_costs_the_same_queries_at_two_sizes(world, as_user, url):
    client = as_user("staff_member")
    add_posts_with_files(world, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        first = client.get(url)
    add_posts_with_files(world, 8)
    with CaptureQueriesContext(connection) as large:
        second = client.get(url)

    assert html(first).count('class="post__attachment"') == 4
    assert html(second).count('class="post__attachment"') == 20
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)


def test_the_api_feed_with_attachments_costs_the_same_queries_at_two_sizes(world):
    client = api_client(world.users["staff_member"])
    add_posts_with_files(world, 2)
    client.get("/api/v1/feed")
    with CaptureQueriesContext(connection) as small:
        first = client.get("/api/v1/feed", {"limit": 50}).json()
    add_posts_with_files(world, 8)
    with CaptureQueriesContext(connection) as large:
        second = client.get("/api/v1/feed", {"limit": 50}).json()

    assert sum(len(p["attachments"]) for p in first["items"]) == 4
    assert sum(len(p["attachments"]) for p in second["items"]) == 20
    assert len(large) == len(small)


# --- The API ---------------------------------------------------------------------------------


def api_client(user) -> Client:
    _token, raw = create_api_token(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_attaches_the_authors_files_to_a_new_post(world):
    ernest = world.users["external_member"]
    plan = ready(make_file(ernest, "plan.png"))

    response = api_client(ernest).post(
        "/api/v1/groups/garage/posts",
        {"body": "Plan joint", "attachments": [plan.pk]},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert [a["name"] for a in data["attachments"]] == ["plan.png"]
    assert data["attachments"][0]["detail_url"] == f"/fichiers/{plan.pk}/"
    assert data["attachments"][0]["thumbnail_url"]
    assert data["attachments"][0]["size"] == plan.current_version.size
    reader = api_client(world.users["staff_member"]).get(f"/api/v1/posts/{data['id']}").json()
    assert [a["id"] for a in reader["attachments"]] == [plan.pk]


@pytest.mark.parametrize("attachment", ["someone else's", "unknown"])
def test_the_api_refuses_an_attachment_that_is_not_the_authors_and_publishes_nothing(
    world, attachment
):
    ernest = world.users["external_member"]
    value = make_file(world.users["owner"]).pk if attachment == "someone else's" else 987654321
    posts = Post.objects.count()

    response = api_client(ernest).post(
        "/api/v1/groups/garage/posts",
        {"body": "Plan joint", "attachments": [value]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert NOT_YOURS in response.json()["detail"]
    assert Post.objects.count() == posts
    assert not FileShare.objects.filter(post__isnull=False, file_id=value).exists()
