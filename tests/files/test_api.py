"""The files JSON API: files, versions, downloads, thumbnails, shares and comments.

Every route for the people allowed to use it, the refusals (anonymous, citizen, outsider,
missing CSRF token), bad input that leaves nothing on disk or in the database, the headers
that keep a hostile file from ever running as a page, and the list at a constant query count.
Chunked uploads are in test_uploads_api.py.
"""

import json
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.services import create_api_token
from files import policy, previews, services
from files.models import File, FileShare, FileVersion
from social import services as social_services
from social.models import Comment
from tests.factories import GroupFactory, MembershipFactory
from tests.files.conftest import pdf_bytes, png_bytes, stored_blobs

pytestmark = pytest.mark.django_db

API = "/api/v1"
JSON = "application/json"
TYPE_REFUSED = re.compile(r"Ce type de fichier \((HTML|SVG)\) n'est pas accepté")


class Api:
    """A script using the API with a personal token (no session, no CSRF token needed)."""

    def __init__(self, user: User) -> None:
        _token, raw = create_api_token(user=user, name="tests")
        self.user = user
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)

    def get(self, path: str, **params):
        return self.client.get(API + path, params)

    def send(self, method: str, path: str, payload=None):
        body = "" if payload is None else json.dumps(payload)
        return getattr(self.client, method)(API + path, body, content_type=JSON)

    def post(self, path: str, payload=None):
        return self.send("post", path, payload)

    def patch(self, path: str, payload=None):
        return self.send("patch", path, payload)

    def delete(self, path: str):
        return self.client.delete(API + path)

    def form(self, path: str, **fields):
        """A multipart POST, as a browser form or `curl -F` sends it."""
        return self.client.post(API + path, fields)

    def send_file(self, filename: str, data: bytes, path: str = "/files", **fields):
        return self.form(path, file=SimpleUploadedFile(filename, data), **fields)


def ok(response, status: int = 200):
    assert response.status_code == status, response.content[:500]
    return response.json() if response.content else None


def error(response, status: int) -> str:
    """The `detail` of a JSON error; never a redirect, never an HTML page."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(JSON)
    detail = response.json()["detail"]
    assert detail
    return detail


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def nothing_stored(root) -> bool:
    return (
        stored_blobs(root) == []
        and not File.objects.exists()
        and not FileVersion.objects.exists()
        and not FileShare.objects.exists()
    )


@pytest.fixture
def cast(make_user, citizen):
    """Léa owns files; Le Garage is her private group (Marc is a member, Nadia manages it); an
    external member of the Garage; Omar, staff outside the group; and a citizen."""
    lea = make_user(display_name="Léa Propriétaire")
    garage = GroupFactory(
        name="Le Garage",
        slug="le-garage",
        created_by=lea,
        visibility="private",
        open_to_external=True,
    )
    marc = make_user(display_name="Marc Membre")
    nadia = make_user(display_name="Nadia Gérante")
    ext = make_user(User.Kind.EXTERNAL, display_name="Ernest Externe")
    MembershipFactory(group=garage, user=marc)
    MembershipFactory(group=garage, user=nadia, role="manager")
    MembershipFactory(group=garage, user=ext)
    omar = make_user(display_name="Omar Dehors")
    people = {"lea": lea, "marc": marc, "nadia": nadia, "ext": ext, "omar": omar}
    return type("Cast", (), {**people, "garage": garage, "citizen": citizen})


# --- Creating files ---------------------------------------------------------------------------


def test_a_file_sent_in_one_request_is_stored_with_its_facts_and_shared_to_a_group(
    cast, file_storage
):
    data = png_bytes()
    created = ok(
        Api(cast.marc).send_file("plan.png", data, description="Plan du salon", group="le-garage"),
        201,
    )
    file = File.objects.get()
    version = file.current_version
    assert created["id"] == file.pk
    assert created["name"] == "plan.png"
    assert created["description"] == "Plan du salon"
    assert created["owner"] == {"id": cast.marc.pk, "display_name": "Marc Membre"}
    assert (created["size"], created["mime_type"], created["type_label"]) == (
        len(data),
        "image/png",
        "PNG",
    )
    assert created["version"] == 1
    assert created["sha256"] == version.sha256
    assert created["download_url"] == f"/api/v1/files/{file.pk}/download"
    assert created["detail_url"] == f"/fichiers/{file.pk}/"
    assert created["thumbnail_url"] is None  # computed after commit, by a task
    assert (created["can_change"], created["can_delete"], created["can_share"]) == (
        True,
        True,
        True,
    )
    assert list(file.shares.values_list("group__slug", flat=True)) == ["le-garage"]
    assert stored_blobs(file_storage) == [file_storage / version.blob]
    # Members of the group see it at once.
    assert ok(Api(cast.lea).get(f"/files/{file.pk}"))["name"] == "plan.png"


def test_a_file_can_be_attached_to_one_s_own_post_only(cast, file_storage):
    post = social_services.create_post(author=cast.marc, group=cast.garage, body="Le plan")
    created = ok(Api(cast.marc).send_file("plan.pdf", pdf_bytes(), post=str(post.pk)), 201)
    assert FileShare.objects.get(file_id=created["id"]).post == post
    assert created["type_label"] == "PDF"

    error(Api(cast.lea).send_file("autre.png", png_bytes(), post=str(post.pk)), 403)
    assert File.objects.count() == 1
    assert len(stored_blobs(file_storage)) == 1


def test_a_group_or_post_one_cannot_see_is_unknown_and_one_cannot_post_in_is_forbidden(
    cast, file_storage
):
    unlisted = GroupFactory(slug="cache", visibility="unlisted")
    hidden_post = social_services.create_post(
        author=unlisted.created_by, group=unlisted, body="Secret"
    )
    api = Api(cast.omar)
    for fields in ({"group": "cache"}, {"group": "inconnu"}, {"post": str(hidden_post.pk)}):
        assert error(api.send_file("plan.png", png_bytes(), **fields), 404) == "Introuvable."
    # Omar sees that the private Garage exists but is not a member: he may not share to it.
    error(api.send_file("plan.png", png_bytes(), group="le-garage"), 403)
    assert nothing_stored(file_storage)


def test_the_bytes_come_from_exactly_one_source(cast, file_storage):
    api = Api(cast.lea)
    pending = services.start_upload(user=cast.lea, name="a.png", size=10)
    both = api.form("/files", file=SimpleUploadedFile("a.png", png_bytes()), upload=str(pending.pk))
    assert "l'un ou l'autre, pas les deux" in error(both, 400)
    assert "l'un ou l'autre" in error(api.form("/files", description="rien"), 400)
    assert nothing_stored(file_storage)


def test_citizens_and_anonymous_visitors_have_no_files(cast, file_storage):
    error(Api(cast.citizen).send_file("plan.png", png_bytes()), 404)
    error(Api(cast.citizen).get("/files"), 404)
    anonymous = Client().post(f"{API}/files", {"file": SimpleUploadedFile("a.png", png_bytes())})
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"].startswith("Authentification requise")
    assert nothing_stored(file_storage)


def test_the_browser_s_session_needs_the_csrf_token(cast, client_for, file_storage):
    browser = client_for(cast.lea)
    refused = browser.post(f"{API}/files", {"file": SimpleUploadedFile("a.png", png_bytes())})
    assert "CSRF" in error(refused, 403)
    assert nothing_stored(file_storage)
    browser.get("/fichiers/")
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        f"{API}/files",
        {"file": SimpleUploadedFile("a.png", png_bytes())},
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201


# --- Bad input ----------------------------------------------------------------------------


def test_an_empty_file_is_refused(cast, file_storage):
    assert error(Api(cast.lea).send_file("vide.txt", b""), 400) == "Le fichier est vide."
    assert nothing_stored(file_storage)


def test_a_file_over_the_size_limit_is_refused(cast, file_storage, settings):
    settings.FILES_MAX_SIZE = 1000
    detail = error(Api(cast.lea).send_file("gros.txt", b"a" * 1001), 400)
    assert detail.startswith("Le fichier dépasse la taille maximale")
    assert nothing_stored(file_storage)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("page.html", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
        (
            "logo.svg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>alert(document.cookie)</script></svg>",
        ),
        # The name and the browser's claim are ignored: the bytes decide.
        ("innocent.png", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_html_and_svg_with_script_are_refused_with_the_french_type_message(
    cast, file_storage, name, data
):
    detail = error(Api(cast.lea).send_file(name, data), 400)
    assert TYPE_REFUSED.match(detail), detail
    assert "Types acceptés : " in detail
    assert nothing_stored(file_storage)


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("rapport\x00\x07\x1b[31m\u202e.txt", "rapport[31m.txt"),
        ("a" * 1000 + ".txt", "a" * 251 + ".txt"),
    ],
)
def test_hostile_names_are_stored_under_a_generated_key_and_shown_sanitised(
    cast, file_storage, sent, shown
):
    # `name` carries the sender's name verbatim (a multipart file name is already trimmed).
    created = ok(Api(cast.lea).send_file("x.txt", b"du texte\n", name=sent), 201)
    assert created["name"] == shown
    [blob] = stored_blobs(file_storage)
    assert re.fullmatch(r"\d{4}/\d{2}/[0-9a-f]{32}", blob.relative_to(file_storage).as_posix())
    assert not (file_storage.parent / "etc").exists()


def test_a_long_file_name_in_the_multipart_request_is_shortened_keeping_its_extension(
    cast, file_storage
):
    created = ok(Api(cast.lea).send_file("b" * 1000 + ".png", png_bytes()), 201)
    assert len(created["name"]) <= 255
    assert created["name"].endswith("b.png")


def test_a_png_html_polyglot_is_an_image_that_never_runs_as_a_page(cast, file_storage):
    polyglot = png_bytes() + b"<html><body><script>alert(document.domain)</script></body></html>"
    created = ok(Api(cast.lea).send_file("joli.html", polyglot), 201)
    assert created["mime_type"] == "image/png"
    response = Api(cast.lea).get(f"/files/{created['id']}/download")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert body_of(response) == polyglot


def test_the_personal_quota_refuses_a_file_with_a_clear_message(cast, file_storage, settings):
    api = Api(cast.lea)
    ok(api.send_file("premier.png", png_bytes()), 201)
    settings.FILES_USER_QUOTA = File.objects.get().current_version.size + 10
    detail = error(api.send_file("second.png", png_bytes(color="red")), 400)
    assert detail.startswith("Votre espace de stockage est plein")
    assert File.objects.count() == 1
    assert len(stored_blobs(file_storage)) == 1


def test_unknown_fields_and_values_out_of_bounds_are_refused(cast, file_storage):
    api = Api(cast.lea)
    created = ok(api.send_file("plan.png", png_bytes()), 201)
    for payload in ({"owner": 3}, {"name": "x" * 1025}, {"description": "d" * 2001}):
        assert api.patch(f"/files/{created['id']}", payload).status_code == 422
    assert error(api.patch(f"/files/{created['id']}", {"name": " \t"}), 422)
    file = File.objects.get()
    assert (file.name, file.description) == ("plan.png", "")


# --- Reading, changing and deleting -----------------------------------------------------------


def test_the_list_shows_what_the_viewer_may_see_filtered_searched_and_ordered(
    cast, make_file, file_storage
):
    mine = make_file(cast.marc, "zèbre.png", description="Croquis")
    shared = make_file(cast.lea, "atelier.pdf", pdf_bytes(), group=cast.garage)
    by_name = make_file(cast.lea, "budget.txt", b"1 2 3\n")
    services.share_to_person(actor=cast.lea, file=by_name, person=cast.marc)
    hidden = make_file(cast.lea, "secret.txt", b"chut\n")
    api = Api(cast.marc)

    def names(**params):
        return [item["name"] for item in ok(api.get("/files", **params))["items"]]

    assert set(names()) == {"zèbre.png", "atelier.pdf", "budget.txt"}
    assert names(scope="mine") == ["zèbre.png"]
    assert names(scope="shared") == ["budget.txt"]
    assert names(group="le-garage") == ["atelier.pdf"]
    assert names(q="croquis") == ["zèbre.png"]
    assert names(order="name") == ["atelier.pdf", "budget.txt", "zèbre.png"]
    assert error(api.get("/files", group="inconnu"), 404)
    assert api.get("/files", scope="tout").status_code == 422
    assert hidden.pk not in {item["id"] for item in ok(api.get("/files"))["items"]}
    assert {mine.pk, shared.pk} <= {item["id"] for item in ok(api.get("/files"))["items"]}


def test_the_rights_in_a_list_are_those_the_policy_gives(cast, make_file, make_user):
    admin = make_user(is_superuser=True)
    make_file(cast.lea, "garage.png", group=cast.garage)
    make_file(cast.lea, "nominatif.png")
    services.share_to_person(
        actor=cast.lea, file=File.objects.get(name="nominatif.png"), person=cast.marc
    )
    make_file(cast.nadia, "de-nadia.png", group=cast.garage)
    for viewer in (cast.lea, cast.marc, cast.nadia, cast.ext, admin):
        api = Api(viewer)
        for item in ok(api.get("/files"))["items"]:
            file = File.objects.get(pk=item["id"])
            expected = (
                policy.can_change_file(viewer, file),
                policy.can_delete_file(viewer, file),
                policy.can_share_file(viewer, file),
            )
            listed = (item["can_change"], item["can_delete"], item["can_share"])
            single = ok(api.get(f"/files/{file.pk}"))
            alone = (single["can_change"], single["can_delete"], single["can_share"])
            assert listed == alone == expected, (viewer.display_name, file.name)


def test_the_list_costs_the_same_number_of_queries_for_2_or_12_files(
    cast, make_file, django_assert_max_num_queries
):
    api = Api(cast.marc)
    api.get("/files")  # the token's first use of the minute is recorded once

    def queries_for(count: int) -> int:
        # Files of each kind: the viewer's own, shared to their group, shared to them by name.
        while (n := File.objects.count()) < count:
            if n % 3 == 0:
                make_file(cast.marc, f"moi-{n}.png")
            elif n % 3 == 1:
                make_file(cast.lea, f"groupe-{n}.png", group=cast.garage)
            else:
                file = make_file(cast.lea, f"nom-{n}.png")
                services.share_to_person(actor=cast.lea, file=file, person=cast.marc)
        # The token, the count, the page (owners, versions and rights in the same query).
        with django_assert_max_num_queries(3), CaptureQueriesContext(connection) as queries:
            assert len(ok(api.get("/files"))["items"]) == count
        return len(queries)

    assert queries_for(2) == queries_for(12)


def test_the_owner_renames_and_describes_a_file_and_outsiders_cannot(cast, make_file):
    file = make_file(cast.lea, "plan.png", group=cast.garage)
    changed = ok(
        Api(cast.marc).patch(f"/files/{file.pk}", {"name": "Plan v2.png", "description": "Hall B"})
    )
    assert (changed["name"], changed["description"]) == ("Plan v2.png", "Hall B")
    assert ok(Api(cast.lea).patch(f"/files/{file.pk}", {"name": "../x/Plan.png"}))["name"] == (
        "Plan.png"
    )
    # Omar may not see it at all; a member by name may see but not change it.
    error(Api(cast.omar).patch(f"/files/{file.pk}", {"name": "Pirate"}), 404)
    services.share_to_person(actor=cast.lea, file=file, person=cast.omar)
    error(Api(cast.omar).patch(f"/files/{file.pk}", {"name": "Pirate"}), 403)
    assert File.objects.get().name == "Plan.png"


def test_a_deleted_file_is_404_everywhere_at_once(cast, make_file, file_storage):
    file = make_file(cast.lea, "plan.png", group=cast.garage)
    services.share_to_person(actor=cast.lea, file=file, person=cast.omar)
    error(Api(cast.marc).delete(f"/files/{file.pk}"), 403)  # a member, not a manager
    assert Api(cast.nadia).delete(f"/files/{file.pk}").status_code == 204  # the manager
    for viewer in (cast.lea, cast.marc, cast.nadia, cast.omar):
        api = Api(viewer)
        for path in (
            "",
            "/download",
            "/download?version=1",
            "/thumbnail",
            "/versions",
            "/shares",
            "/comments",
        ):
            assert error(api.get(f"/files/{file.pk}{path}"), 404) == "Introuvable.", path
        assert api.patch(f"/files/{file.pk}", {"name": "x"}).status_code == 404
        assert api.delete(f"/files/{file.pk}").status_code == 404
        new_version = api.send_file("v2.png", png_bytes(), path=f"/files/{file.pk}/versions")
        assert new_version.status_code == 404
        assert ok(api.get("/files"))["count"] == 0
    # The bytes stay for the retention period, then the purge removes them.
    assert len(stored_blobs(file_storage)) == 1


def test_unknown_and_forbidden_ids_answer_the_same_404(cast, make_file):
    file = make_file(cast.lea, "plan.png")
    api = Api(cast.omar)
    for file_id in (file.pk, file.pk + 1000, 2**63 - 1):
        for path in ("", "/download", "/thumbnail", "/versions", "/shares", "/comments"):
            response = api.get(f"/files/{file_id}{path}")
            assert response.status_code == 404
            assert response.json() == {"detail": "Introuvable."}
    assert api.get("/files/0").status_code == 422
    assert api.get(f"/files/{2**63}").status_code == 422


# --- Versions and downloads ----------------------------------------------------------------


def test_new_versions_keep_every_earlier_one_downloadable(cast, make_file):
    first = png_bytes(color="teal")
    file = make_file(cast.lea, "plan.png", first, group=cast.garage)
    second = png_bytes(color="red")
    version = ok(
        Api(cast.marc).send_file("plan-v2.png", second, path=f"/files/{file.pk}/versions"), 201
    )
    assert version["number"] == 2
    assert version["original_name"] == "plan-v2.png"
    assert version["uploaded_by"]["display_name"] == "Marc Membre"
    assert version["is_current"] is True
    assert version["download_url"] == f"/api/v1/files/{file.pk}/download?version=2"

    api = Api(cast.lea)
    listed = ok(api.get(f"/files/{file.pk}/versions"))
    assert [(v["number"], v["is_current"]) for v in listed["items"]] == [(2, True), (1, False)]
    assert ok(api.get(f"/files/{file.pk}"))["version"] == 2
    assert body_of(api.get(f"/files/{file.pk}/download")) == second
    old = api.get(f"/files/{file.pk}/download", version=1)
    assert body_of(old) == first
    assert old["ETag"] == f'"{FileVersion.objects.get(number=1).sha256}"'
    assert error(api.get(f"/files/{file.pk}/download", version=3), 404)
    assert api.get(f"/files/{file.pk}/download", version=0).status_code == 422

    # Someone who may only read it cannot add a version; a bad one changes nothing.
    services.share_to_person(actor=cast.lea, file=file, person=cast.omar)
    error(Api(cast.omar).send_file("v3.png", png_bytes(), path=f"/files/{file.pk}/versions"), 403)
    html = b"<html><script></script></html>"
    error(api.send_file("v3.html", html, path=f"/files/{file.pk}/versions"), 400)
    assert FileVersion.objects.count() == 2


def test_images_and_pdf_open_inline_and_everything_else_downloads(cast, make_file):
    api = Api(cast.lea)
    image = make_file(cast.lea, "Plan d'accès été.png")
    inline = api.get(f"/files/{image.pk}/download")
    assert inline["Content-Type"] == "image/png"
    encoded = quote("Plan d'accès été.png")
    assert inline["Content-Disposition"] == f"inline; filename*=utf-8''{encoded}"
    forced = api.get(f"/files/{image.pk}/download", attachment="true")
    assert forced["Content-Type"] == "application/octet-stream"
    assert forced["Content-Disposition"].startswith("attachment; filename*=utf-8''Plan")

    text = make_file(cast.lea, "notes.txt", b"Bonjour\n")
    response = api.get(f"/files/{text.pk}/download")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    for header in ("X-Content-Type-Options", "Content-Security-Policy"):
        assert response[header]
    assert body_of(response) == b"Bonjour\n"


def test_range_requests_get_part_of_the_file_or_416(cast, make_file):
    data = b"0123456789" * 10
    file = make_file(cast.lea, "chiffres.txt", data)
    api = Api(cast.lea)
    part = api.client.get(f"{API}/files/{file.pk}/download", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 10-19/100"
    assert part["Content-Length"] == "10"
    assert body_of(part) == data[10:20]
    tail = api.client.get(f"{API}/files/{file.pk}/download", headers={"Range": "bytes=-5"})
    assert (tail.status_code, body_of(tail)) == (206, data[-5:])
    beyond = api.client.get(f"{API}/files/{file.pk}/download", headers={"Range": "bytes=100-"})
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == "bytes */100"


def test_the_thumbnail_is_served_once_computed_and_404_otherwise(cast, make_file, file_storage):
    file = make_file(cast.lea, "photo.png", png_bytes(size=(800, 600)))
    api = Api(cast.lea)
    assert error(api.get(f"/files/{file.pk}/thumbnail"), 404)
    previews.make_preview(file.current_version)
    described = ok(api.get(f"/files/{file.pk}"))
    assert described["thumbnail_url"] == f"/api/v1/files/{file.pk}/thumbnail"
    response = api.get(f"/files/{file.pk}/thumbnail")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body_of(response)[:4] == b"RIFF"
    versions = ok(api.get(f"/files/{file.pk}/versions"))["items"]
    assert versions[0]["thumbnail_url"] == f"/api/v1/files/{file.pk}/thumbnail?version=1"
    assert error(api.get(f"/files/{file.pk}/thumbnail", version=2), 404)

    text = make_file(cast.lea, "notes.txt", b"texte\n")
    previews.make_preview(text.current_version)
    assert ok(api.get(f"/files/{text.pk}"))["thumbnail_url"] is None
    assert error(api.get(f"/files/{text.pk}/thumbnail"), 404)


# --- Shares -------------------------------------------------------------------------------


def test_the_owner_shares_to_a_group_a_post_and_a_person(cast, make_file):
    file = make_file(cast.lea, "plan.png")
    post = social_services.create_post(author=cast.lea, group=cast.garage, body="Voir le plan")
    api = Api(cast.lea)
    group_share = ok(api.post(f"/files/{file.pk}/shares", {"group": "le-garage"}), 201)
    assert group_share["target"] == "group"
    assert group_share["group"] == {"slug": "le-garage", "name": "Le Garage"}
    assert group_share["shared_by"]["id"] == cast.lea.pk
    assert (
        ok(api.post(f"/files/{file.pk}/shares", {"group": "le-garage"}), 200)["id"]
        == (group_share["id"])
    )
    post_share = ok(api.post(f"/files/{file.pk}/shares", {"post": post.pk}), 201)
    assert (post_share["target"], post_share["post_id"]) == ("post", post.pk)
    person = ok(api.post(f"/files/{file.pk}/shares", {"user": cast.omar.pk}), 201)
    assert person["user"] == {"id": cast.omar.pk, "display_name": "Omar Dehors"}
    listed = ok(api.get(f"/files/{file.pk}/shares"))["items"]
    assert [share["target"] for share in listed] == ["group", "post", "user"]
    assert ok(Api(cast.omar).get(f"/files/{file.pk}"))["id"] == file.pk


def test_sharing_is_refused_for_targets_one_cannot_see_or_use(cast, make_file):
    file = make_file(cast.lea, "plan.png")
    outsider_group = GroupFactory(slug="ailleurs")
    others_post = social_services.create_post(author=cast.marc, group=cast.garage, body="À moi")
    unlisted = GroupFactory(slug="cache", visibility="unlisted")
    api = Api(cast.lea)
    shares = f"/files/{file.pk}/shares"
    error(api.post(shares, {"group": "cache"}), 404)  # cannot see it
    assert unlisted.pk
    error(api.post(shares, {"group": "ailleurs"}), 403)  # sees it, not a member
    assert outsider_group.pk
    error(api.post(shares, {"post": others_post.pk}), 403)  # someone else's post
    error(api.post(shares, {"post": 2**62}), 404)
    error(api.post(shares, {"user": cast.citizen.pk}), 404)  # not in the directory
    error(api.post(shares, {"user": cast.lea.pk}), 403)  # oneself
    error(api.post(shares, {"user": 2**62}), 404)
    # An external member sees only the people of their groups.
    external_file = make_file(cast.ext, "pitch.pdf", pdf_bytes())
    error(Api(cast.ext).post(f"/files/{external_file.pk}/shares", {"user": cast.omar.pk}), 404)
    ok(Api(cast.ext).post(f"/files/{external_file.pk}/shares", {"user": cast.lea.pk}), 201)
    # Only the owner decides where a file goes.
    services.share_to_person(actor=cast.lea, file=file, person=cast.marc)
    error(Api(cast.marc).post(shares, {"group": "le-garage"}), 403)
    for payload in ({}, {"group": "le-garage", "user": cast.omar.pk}, {"user": "moi"}):
        assert api.post(shares, payload).status_code == 422
    assert FileShare.objects.count() == 2


def test_removing_a_share_takes_access_away_at_once(cast, make_file):
    file = make_file(cast.lea, "plan.png", group=cast.garage)
    services.share_to_person(actor=cast.lea, file=file, person=cast.omar)
    omar = Api(cast.omar)
    assert omar.get(f"/files/{file.pk}/download").status_code == 200
    assert Api(cast.lea).delete(f"/files/{file.pk}/shares?user={cast.omar.pk}").status_code == 204
    assert error(omar.get(f"/files/{file.pk}/download"), 404) == "Introuvable."
    assert error(omar.get(f"/files/{file.pk}"), 404)

    marc = Api(cast.marc)
    assert marc.get(f"/files/{file.pk}").status_code == 200
    # A member may not remove the group's share; its manager may.
    error(marc.delete(f"/files/{file.pk}/shares?group=le-garage"), 403)
    assert Api(cast.nadia).delete(f"/files/{file.pk}/shares?group=le-garage").status_code == 204
    assert error(marc.get(f"/files/{file.pk}/download"), 404)
    assert not FileShare.objects.exists()


def test_a_person_may_remove_their_own_share_and_must_name_exactly_one(cast, make_file):
    file = make_file(cast.lea, "plan.png")
    services.share_to_person(actor=cast.lea, file=file, person=cast.omar)
    omar = Api(cast.omar)
    for query in ("", f"?group=le-garage&user={cast.omar.pk}"):
        detail = error(omar.delete(f"/files/{file.pk}/shares{query}"), 404)
        assert "un seul de « group », « post » ou « user »" in detail
    error(omar.delete(f"/files/{file.pk}/shares?group=le-garage"), 404)
    assert omar.delete(f"/files/{file.pk}/shares?user={cast.omar.pk}").status_code == 204
    assert error(omar.get(f"/files/{file.pk}"), 404)


# --- Comments -------------------------------------------------------------------------------


def test_people_who_see_a_file_comment_on_it(cast, make_file):
    file = make_file(cast.lea, "plan.png", group=cast.garage)
    marc = Api(cast.marc)
    created = ok(marc.post(f"/files/{file.pk}/comments", {"body": "Merci **Léa** !"}), 201)
    assert created["file_id"] == file.pk
    assert created["post_id"] is None
    assert created["author"]["display_name"] == "Marc Membre"
    assert "<strong>Léa</strong>" in created["body_html"]
    assert (created["like_count"], created["liked"], created["is_best_answer"]) == (0, False, False)
    social_services.react(actor=cast.lea, comment=Comment.objects.get())
    [listed] = ok(marc.get(f"/files/{file.pk}/comments"))["items"]
    assert (listed["id"], listed["like_count"]) == (created["id"], 1)
    # The comment can then be edited through the social API like any other.
    assert ok(Api(cast.lea).get(f"/files/{file.pk}/comments"))["count"] == 1

    error(Api(cast.omar).post(f"/files/{file.pk}/comments", {"body": "Intrus"}), 404)
    assert marc.post(f"/files/{file.pk}/comments", {"body": "   "}).status_code == 422
    assert marc.post(f"/files/{file.pk}/comments", {"body": "x", "post": 1}).status_code == 422
    assert Comment.objects.count() == 1


def test_a_form_field_given_twice_is_refused(cast, file_storage):
    api = Api(cast.lea)
    response = api.send_file("a.png", png_bytes(), name=["un.png", "deux.png"])
    assert "n'est attendu qu'une fois : name" in error(response, 422)
    assert nothing_stored(file_storage)
