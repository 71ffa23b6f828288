"""Editing one's profile and avatar: limits, image checks, and who may see the photo."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User


def csrf_post(client, url, data):
    client.get(url)
    data = {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    return client.post(url, data)


def image_upload(fmt="JPEG", size=(800, 600), name="photo.jpg", exif=True) -> SimpleUploadedFile:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x0112] = 6  # orientation: rotate 90°
        data[0x010F] = "Appareil secret"  # camera make, must not survive
        kwargs["exif"] = data
    image.save(out, format=fmt, **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def png_declaring(width: int, height: int) -> SimpleUploadedFile:
    """A tiny PNG whose header claims a huge image: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    return SimpleUploadedFile("bomb.png", b"\x89PNG\r\n\x1a\n" + body, content_type="image/png")


PROFILE = {
    "display_name": "Agnès Agent",
    "job_title": "Chargée d'affaires",
    "department": "Implantation",
    "phone": "+33 5 00 00 00 00",
    "bio": "",
    "expertise": "foncier, export",
}


def test_saving_the_profile_updates_the_directory_card(staff, client_for):
    client = client_for(staff)
    response = csrf_post(client, "/compte/profil/", PROFILE)
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.job_title == "Chargée d'affaires"
    assert staff.expertise_list == ["foncier", "export"]
    assert "Votre profil a été enregistré." in client.get("/compte/profil/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "", "obligatoire"),
        ("display_name", "x" * 121, "au plus 120"),
        ("bio", "x" * 1001, "au plus 1000"),
        ("phone", "1" * 31, "au plus 30"),
    ],
)
def test_bad_profile_input_is_refused_in_french_and_changes_nothing(
    staff, client_for, field, value, message
):
    client = client_for(staff)
    response = csrf_post(client, "/compte/profil/", {**PROFILE, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    fresh = User.objects.get(pk=staff.pk)
    assert fresh.display_name == "Agnès Agent"
    assert fresh.job_title == staff.job_title


def test_avatar_is_squared_reoriented_and_stripped_of_metadata(staff, client_for):
    client = client_for(staff)
    csrf_post(client, "/compte/profil/", {**PROFILE, "avatar": image_upload()})
    staff.refresh_from_db()
    assert staff.avatar.name.endswith(".webp")
    response = client.get(f"/annuaire/{staff.pk}/photo/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    stored = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert stored.size == (256, 256)
    assert not stored.getexif()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("photo.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            "pas une image",
        ),
        (SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100), "pas une image"),
        (png_declaring(30000, 30000), "trop grande"),
        (png_declaring(6000, 6000), "trop grande"),
        (image_upload("BMP", size=(10, 10), name="x.bmp", exif=False), "pas une image"),
    ],
    ids=["svg", "truncated", "decompression-bomb", "over-pixel-limit", "bmp"],
)
def test_invalid_avatar_is_refused_in_french_and_changes_nothing(
    staff, client_for, upload, message
):
    client = client_for(staff)
    response = csrf_post(
        client, "/compte/profil/", {**PROFILE, "job_title": "Nouveau", "avatar": upload}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    fresh = User.objects.get(pk=staff.pk)
    assert not fresh.avatar
    assert fresh.job_title == staff.job_title


def test_avatar_over_the_size_limit_is_refused(staff, client_for, settings):
    settings.AVATAR_MAX_BYTES = 1024
    client = client_for(staff)
    response = csrf_post(client, "/compte/profil/", {**PROFILE, "avatar": image_upload()})
    assert "taille maximale" in response.content.decode()
    assert not User.objects.get(pk=staff.pk).avatar


def test_avatar_follows_profile_visibility(people, client_for):
    staff, citizen = people[User.Kind.STAFF], people[User.Kind.CITIZEN]
    for person in (staff, citizen):
        csrf_post(client_for(person), "/compte/profil/", {**PROFILE, "avatar": image_upload()})
    # Staff cannot see a citizen's photo; citizens and external members cannot see staff's.
    assert client_for(staff).get(f"/annuaire/{citizen.pk}/photo/").status_code == 404
    for viewer in (people[User.Kind.CITIZEN], people[User.Kind.EXTERNAL]):
        assert client_for(viewer).get(f"/annuaire/{staff.pk}/photo/").status_code == 404
    assert (
        client_for(people[User.Kind.ELECTED]).get(f"/annuaire/{staff.pk}/photo/").status_code == 200
    )
    assert client_for(None).get(f"/annuaire/{staff.pk}/photo/").status_code == 302
