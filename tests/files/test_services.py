"""Files' rules at the service level: what is accepted, what is refused, and that a refusal
leaves nothing behind — no blob on disk, no row in the database."""

import io
import re

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import AsyncRequestFactory, RequestFactory

from files import downloads, policy, services
from files.models import File, FileShare, FileVersion, Upload
from tests.factories import GroupFactory, MembershipFactory
from tests.files.conftest import pdf_bytes, png_bytes, stored_blobs, upload

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def nothing_stored(root) -> bool:
    return not stored_blobs(root) and not File.objects.exists() and not FileVersion.objects.exists()


@pytest.fixture
def group(staff):
    return GroupFactory(created_by=staff)


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("vide.pdf", b"", "Le fichier est vide."),
        ("page.html", HTML, "Ce type de fichier (HTML) n'est pas accepté"),
        ("dessin.svg", SVG, "Ce type de fichier (SVG) n'est pas accepté"),
        ("deguise.pdf", HTML, "Ce type de fichier (HTML) n'est pas accepté"),
        ("outil.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, "n'est pas accepté"),
    ],
)
def test_refused_content_leaves_no_trace(staff, file_storage, name, data, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.create_file(owner=staff, incoming=upload(name, data))
    assert nothing_stored(file_storage)


def test_a_file_over_the_limit_is_refused(staff, file_storage, settings):
    settings.FILES_MAX_SIZE = 1024 * 1024
    with pytest.raises(ValidationError, match="dépasse la taille maximale de 1 Mo"):
        services.create_file(
            owner=staff, incoming=upload("gros.pdf", pdf_bytes() + b"0" * 1024 * 1024)
        )
    assert nothing_stored(file_storage)


def test_the_type_is_judged_on_the_content_not_the_name(staff):
    file = services.create_file(owner=staff, incoming=upload("rapport.html", pdf_bytes()))
    assert file.current_version.mime_type == "application/pdf"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("plan\x00\x07\u202e\r\nfinal.png", "planfinal.png"),
        ("   .cache   ", "cache"),
        ("...", "fichier"),
    ],
)
def test_names_are_sanitised_and_never_reach_the_disk(staff, file_storage, given, shown):
    file = services.create_file(owner=staff, incoming=upload("x", png_bytes()), name=given)
    assert file.name == shown
    [blob] = [p for p in stored_blobs(file_storage) if "thumbnails" not in p.parts]
    assert blob.relative_to(file_storage).as_posix() == file.current_version.blob
    assert shown not in blob.name
    assert ".." not in file.current_version.blob


def test_a_very_long_name_is_cut_keeping_its_extension(staff):
    file = services.create_file(owner=staff, incoming=upload("a" * 1000 + ".png", png_bytes()))
    assert len(file.name) == 255
    assert file.name.endswith(".png")


def test_a_polyglot_is_kept_as_the_image_it_starts_with(staff):
    file = services.create_file(owner=staff, incoming=upload("x.html", png_bytes() + HTML))
    assert file.current_version.mime_type == "image/png"


def test_the_personal_quota_is_enforced_with_a_clear_message(staff, file_storage, settings):
    first = png_bytes()
    settings.FILES_USER_QUOTA = len(first) + 100
    services.create_file(owner=staff, incoming=upload("a.png", first))
    before = stored_blobs(file_storage)
    with pytest.raises(ValidationError, match="Votre espace de stockage est plein"):
        services.create_file(owner=staff, incoming=upload("b.png", png_bytes(color="red")))
    assert stored_blobs(file_storage) == before
    assert File.objects.count() == 1


def test_citizens_have_no_files(citizen, file_storage):
    with pytest.raises(PermissionDenied):
        services.create_file(owner=citizen, incoming=upload("a.png", png_bytes()))
    with pytest.raises(PermissionDenied):
        services.start_upload(user=citizen, name="a.png", size=10)
    assert nothing_stored(file_storage)


def test_a_blob_is_removed_when_its_row_cannot_be_written(staff, file_storage):
    file = services.create_file(owner=staff, incoming=upload("a.png", png_bytes()))
    stale = File.objects.get(pk=file.pk)
    services.delete_file(actor=staff, file=file)  # meanwhile, in another tab
    before = stored_blobs(file_storage)
    with pytest.raises(PermissionDenied):
        services.add_version(actor=staff, file=stale, incoming=upload("b.png", png_bytes()))
    assert stored_blobs(file_storage) == before
    assert FileVersion.objects.count() == 1


# --- Versions, shares, deletion --------------------------------------------------------------


def test_new_versions_keep_every_earlier_one(staff, make_user, group):
    colleague = make_user()
    MembershipFactory(group=group, user=colleague)
    file = services.create_file(owner=staff, incoming=upload("plan.pdf", pdf_bytes()), group=group)
    second = services.add_version(
        actor=colleague, file=file, incoming=upload("plan-v2.png", png_bytes())
    )
    file.refresh_from_db()
    assert file.current_version == second
    assert [(v.number, v.uploaded_by) for v in file.versions.order_by("number")] == [
        (1, staff),
        (2, colleague),
    ]
    assert file.versions.get(number=1).mime_type == "application/pdf"


def test_only_the_owner_and_members_of_a_shared_group_add_versions(staff, make_user, group):
    file = services.create_file(owner=staff, incoming=upload("plan.pdf", pdf_bytes()), group=group)
    outsider = make_user()  # staff, can read the public group, is not a member
    assert policy.can_view_file(outsider, file)
    with pytest.raises(PermissionDenied):
        services.add_version(actor=outsider, file=file, incoming=upload("x.png", png_bytes()))


def test_removing_a_share_takes_access_away_at_once(staff, make_user):
    reader = make_user()
    file = services.create_file(owner=staff, incoming=upload("a.png", png_bytes()))
    share = services.share_to_person(actor=staff, file=file, person=reader)
    assert policy.can_view_file(reader, file)
    services.remove_share(actor=staff, share=share)
    assert not policy.can_view_file(reader, file)


def test_sharing_is_limited_to_what_the_owner_may_reach(staff, citizen, make_user):
    file = services.create_file(owner=staff, incoming=upload("a.png", png_bytes()))
    foreign = GroupFactory(visibility="private")
    with pytest.raises(PermissionDenied):
        services.share_to_group(actor=staff, file=file, group=foreign)
    with pytest.raises(PermissionDenied):
        services.share_to_person(actor=staff, file=file, person=citizen)
    other = make_user()
    with pytest.raises(PermissionDenied):
        services.share_to_person(actor=other, file=file, person=other)
    assert not FileShare.objects.exists()


def test_a_group_manager_may_delete_a_file_shared_to_the_group(staff, make_user, group):
    member, manager = make_user(), make_user()
    MembershipFactory(group=group, user=member)
    MembershipFactory(group=group, user=manager, role="manager")
    file = services.create_file(owner=member, incoming=upload("a.png", png_bytes()), group=group)
    with pytest.raises(PermissionDenied):
        services.delete_file(actor=make_user(), file=file)
    services.delete_file(actor=manager, file=file)
    assert not FileShare.objects.exists()
    assert not policy.can_view_file(member, file)


# --- Chunked uploads -------------------------------------------------------------------------


def test_a_chunked_upload_becomes_a_file_and_leaves_no_staging(staff, settings, group):
    settings.FILES_CHUNK_SIZE = 1000
    data = pdf_bytes()
    started = services.start_upload(user=staff, name="dossier.pdf", size=len(data))
    for offset in range(0, len(data), 1000):
        piece = data[offset : offset + 1000]
        started = services.receive_chunk(
            user=staff, upload=started, offset=offset, stream=io.BytesIO(piece), length=len(piece)
        )
    incoming = services.completed_upload(user=staff, upload=started)
    try:
        file = services.create_file(owner=staff, incoming=incoming, group=group)
    finally:
        services.finish_upload(started, incoming)
    assert file.current_version.size == len(data)
    assert file.current_version.mime_type == "application/pdf"
    assert not Upload.objects.exists()
    assert not list(settings.FILES_STAGING_DIR.iterdir())


def test_an_upload_announced_too_big_is_refused_before_any_byte(staff, settings):
    settings.FILES_MAX_SIZE = 1000
    with pytest.raises(ValidationError, match="dépasse la taille maximale"):
        services.start_upload(user=staff, name="gros.pdf", size=1001)
    assert not Upload.objects.exists()
    assert not list(settings.FILES_STAGING_DIR.iterdir())


def test_an_interrupted_chunk_is_not_kept(staff, settings):
    data = pdf_bytes()
    started = services.start_upload(user=staff, name="dossier.pdf", size=len(data))
    with pytest.raises(ValidationError, match="ne fait pas la longueur annoncée"):
        services.receive_chunk(
            user=staff, upload=started, offset=0, stream=io.BytesIO(data[:100]), length=500
        )
    started.refresh_from_db()
    assert started.received == 0
    assert started.staging_path.stat().st_size == 0
    with pytest.raises(ValidationError, match="pas terminé"):
        services.completed_upload(user=staff, upload=started)
    assert not File.objects.exists()


def test_a_resumed_upload_must_continue_where_the_server_stopped(staff):
    data = pdf_bytes()
    started = services.start_upload(user=staff, name="dossier.pdf", size=len(data))
    services.receive_chunk(
        user=staff, upload=started, offset=0, stream=io.BytesIO(data[:100]), length=100
    )
    with pytest.raises(ValidationError, match="le serveur a reçu 100 octets"):
        services.receive_chunk(
            user=staff, upload=started, offset=50, stream=io.BytesIO(data[50:]), length=50
        )
    with pytest.raises(ValidationError, match="plus long que la taille annoncée"):
        services.receive_chunk(
            user=staff, upload=started, offset=100, stream=io.BytesIO(data), length=len(data)
        )


def test_a_forbidden_type_is_refused_on_the_first_chunk(staff, settings):
    started = services.start_upload(user=staff, name="page.pdf", size=len(HTML) * 10)
    with pytest.raises(ValidationError, match="HTML"):
        services.receive_chunk(
            user=staff, upload=started, offset=0, stream=io.BytesIO(HTML), length=len(HTML)
        )
    assert not Upload.objects.exists()
    assert not list(settings.FILES_STAGING_DIR.iterdir())


def test_nobody_else_can_feed_or_finish_my_upload(staff, make_user):
    started = services.start_upload(user=staff, name="a.pdf", size=10)
    other = make_user()
    with pytest.raises(PermissionDenied):
        services.receive_chunk(
            user=other, upload=started, offset=0, stream=io.BytesIO(b"x" * 10), length=10
        )
    with pytest.raises(PermissionDenied):
        services.completed_upload(user=other, upload=started)
    with pytest.raises(PermissionDenied):
        services.cancel_upload(user=other, upload=started)


# --- Download responses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("", 100, None),
        ("bytes=0-9", 100, (0, 9)),
        ("bytes=90-", 100, (90, 99)),
        ("bytes=-10", 100, (90, 99)),
        ("bytes=-1000", 100, (0, 99)),
        ("bytes=50-1000", 100, (50, 99)),
        ("bytes=100-", 100, False),
        ("bytes=20-10", 100, False),
        ("bytes=-0", 100, False),
        ("bytes=0-1,5-9", 100, None),
        ("items=0-9", 100, None),
        ("bytes=-", 100, None),
    ],
)
def test_byte_ranges(header, size, expected):
    assert downloads._range(header, size) == expected


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_safe_images_show_inline_and_everything_else_downloads(staff, settings):
    settings.FILES_ALLOWED_TYPES = [*settings.FILES_ALLOWED_TYPES, "image/svg+xml", "text/html"]
    request = RequestFactory().get("/")
    for name, data, inline, kind in (
        ("plan.png", png_bytes(), True, "image/png"),
        ("dossier.pdf", pdf_bytes(), True, "application/pdf"),
        ("piege.png", png_bytes() + HTML, True, "image/png"),
        ("dessin.svg", SVG, False, "application/octet-stream"),
        ("page.html", HTML, False, "application/octet-stream"),
    ):
        file = services.create_file(owner=staff, incoming=upload(name, data))
        response = downloads.serve(request, file.current_version, name=file.name)
        assert response["Content-Type"] == kind
        assert response["Content-Disposition"].startswith("inline" if inline else "attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert _body(response) == data


def test_the_download_name_is_encoded_per_rfc_6266(staff):
    file = services.create_file(
        owner=staff, incoming=upload("x", pdf_bytes()), name="Plan d'accès « Royeux ».pdf"
    )
    response = downloads.serve(RequestFactory().get("/"), file.current_version, name=file.name)
    assert (
        "filename*=utf-8''Plan%20d%27acc%C3%A8s%20%C2%AB%20Royeux%20%C2%BB.pdf"
        in (response["Content-Disposition"])
    )


def test_ranges_and_conditional_requests(staff):
    data = pdf_bytes()
    file = services.create_file(owner=staff, incoming=upload("a.pdf", data))
    version = file.current_version
    partial = downloads.serve(
        RequestFactory().get("/", HTTP_RANGE="bytes=10-19"), version, name="a"
    )
    assert partial.status_code == 206
    assert partial["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert _body(partial) == data[10:20]
    refused = downloads.serve(
        RequestFactory().get("/", HTTP_RANGE="bytes=999999-"), version, name="a"
    )
    assert refused.status_code == 416
    assert refused["Content-Range"] == f"bytes */{len(data)}"
    stale = downloads.serve(
        RequestFactory().get("/", HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE='"old"'),
        version,
        name="a",
    )
    assert stale.status_code == 200
    assert _body(stale) == data
    cached = downloads.serve(
        RequestFactory().get("/", HTTP_IF_NONE_MATCH=f'"{version.sha256}"'), version, name="a"
    )
    assert cached.status_code == 304


def test_under_asgi_the_file_is_streamed_not_read_whole(staff_async):
    response = downloads.serve(
        AsyncRequestFactory().get("/"), staff_async.current_version, name="a.pdf"
    )

    async def read():
        return [chunk async for chunk in response.streaming_content]

    chunks = async_to_sync(read)()
    assert b"".join(chunks) == b"%PDF" + b"x" * (downloads.BLOCK * 3)
    assert len(chunks) == 4  # read block by block, off the event loop


@pytest.fixture
def staff_async(staff, settings):
    settings.FILES_ALLOWED_TYPES = [*settings.FILES_ALLOWED_TYPES, "application/octet-stream"]
    data = b"%PDF" + b"x" * (downloads.BLOCK * 3)
    return services.create_file(owner=staff, incoming=upload("a.pdf", data))


def test_production_hands_the_bytes_to_nginx(staff, settings):
    settings.FILES_ACCEL_REDIRECT_PREFIX = "/protected-files/"
    file = services.create_file(owner=staff, incoming=upload("a.pdf", pdf_bytes()))
    response = downloads.serve(RequestFactory().get("/"), file.current_version, name="a.pdf")
    assert response["X-Accel-Redirect"] == "/protected-files/" + file.current_version.blob
    assert response.content == b""
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_file_in_a_conversation_is_seen_by_its_participants_only(staff, make_user):
    from messaging import services as messaging_services

    colleague, outsider = make_user(), make_user()
    conversation = messaging_services.start_direct(actor=staff, person=colleague)
    file = services.create_file(owner=staff, incoming=upload("a.png", png_bytes()))
    with pytest.raises(PermissionDenied):
        services.share_to_conversation(actor=outsider, file=file, conversation=conversation)
    services.share_to_conversation(actor=staff, file=file, conversation=conversation)
    assert policy.can_view_file(colleague, file)
    assert not policy.can_view_file(outsider, file)
    conversation.participants.filter(user=colleague).update(left_at="2026-01-01T00:00Z")
    assert not policy.can_view_file(colleague, file)
