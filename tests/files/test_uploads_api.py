"""Uploads in chunks through the API: start, send, resume, cancel, finish — and the refusals.

A browser announces a file (POST /uploads), sends it chunk by chunk (PUT /uploads/{id}),
then turns it into a file or a new version (POST /files or /files/{id}/versions with
`upload`). Every refusal leaves nothing behind: no blob, no row, no staging file.
"""

import hashlib
import io
import json
import os

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.conf import settings as django_settings
from django.test import Client
from PIL import Image

from config.asgi import application
from files.models import File, FileVersion, Upload
from tests.files.conftest import png_bytes, stored_blobs
from tests.files.test_api import Api, error, ok

pytestmark = pytest.mark.django_db

CHUNK = 64 * 1024
OCTETS = "application/octet-stream"


def noise_png(side: int = 256) -> bytes:
    """A real PNG that does not compress: several chunks of 64 KiB."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def staged(settings) -> list:
    return sorted(settings.FILES_STAGING_DIR.iterdir())


def nothing_left(settings, root) -> bool:
    return (
        stored_blobs(root) == []
        and staged(settings) == []
        and not Upload.objects.exists()
        and not File.objects.exists()
        and not FileVersion.objects.exists()
    )


class Uploader(Api):
    def start(self, name: str, size: int):
        return self.post("/uploads", {"name": name, "size": size})

    def chunk(self, upload_id: str, offset: int, data: bytes, **extra):
        return self.client.put(
            f"/api/v1/uploads/{upload_id}?offset={offset}", data, content_type=OCTETS, **extra
        )

    def send_all(self, upload_id: str, data: bytes, start: int = 0) -> dict:
        received = None
        for offset in range(start, len(data), CHUNK):
            received = ok(self.chunk(upload_id, offset, data[offset : offset + CHUNK]))
        return received


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.FILES_CHUNK_SIZE = CHUNK


@pytest.fixture
def lea(make_user):
    return make_user(display_name="Léa Envoyeuse")


def test_a_file_sent_in_chunks_resumes_after_a_wrong_offset_and_becomes_a_file(
    lea, settings, file_storage
):
    data = noise_png()
    assert len(data) > 3 * CHUNK
    api = Uploader(lea)
    started = ok(api.start("grand plan.png", len(data)), 201)
    assert started == {
        "id": started["id"],
        "name": "grand plan.png",
        "size": len(data),
        "received": 0,
        "chunk_size": CHUNK,
    }
    upload_id = started["id"]
    assert ok(api.chunk(upload_id, 0, data[:CHUNK]))["received"] == CHUNK

    # The connection dropped and the client retries the same chunk: the server says where
    # to resume, and keeps what it has.
    conflict = api.chunk(upload_id, 0, data[:CHUNK])
    assert conflict.status_code == 409
    assert conflict.json() == {
        "detail": f"Reprise au mauvais endroit : le serveur a reçu {CHUNK} octets.",
        "received": CHUNK,
    }
    assert api.chunk(upload_id, 3 * CHUNK, data[3 * CHUNK : 4 * CHUNK]).json()["received"] == CHUNK
    resumed_at = ok(api.get(f"/uploads/{upload_id}"))["received"]
    assert resumed_at == CHUNK
    finished = api.send_all(upload_id, data, start=resumed_at)
    assert finished["received"] == len(data)

    created = ok(api.form("/files", upload=upload_id, group=""), 201)
    assert created["name"] == "grand plan.png"
    assert created["size"] == len(data)
    assert created["mime_type"] == "image/png"
    assert created["sha256"] == hashlib.sha256(data).hexdigest()
    version = FileVersion.objects.get()
    assert (file_storage / version.blob).read_bytes() == data
    # The upload is forgotten once stored: no row, no staging file.
    assert not Upload.objects.exists()
    assert staged(settings) == []
    assert error(api.get(f"/uploads/{upload_id}"), 404)
    assert error(api.form("/files", upload=upload_id), 404)


def test_a_chunk_cut_off_on_the_way_is_not_counted_and_can_be_sent_again(lea, settings):
    data = noise_png()
    api = Uploader(lea)
    upload_id = ok(api.start("photo.png", len(data)), 201)["id"]
    ok(api.chunk(upload_id, 0, data[:CHUNK]))
    # The body stops before the length the client announced (the connection dropped).
    short = io.BytesIO(data[CHUNK : CHUNK + 1000])
    cut = api.chunk(upload_id, CHUNK, b"", CONTENT_LENGTH=str(CHUNK), **{"wsgi.input": short})
    assert error(cut, 400) == "Le morceau reçu ne fait pas la longueur annoncée."
    assert ok(api.get(f"/uploads/{upload_id}"))["received"] == CHUNK
    assert api.send_all(upload_id, data, start=CHUNK)["received"] == len(data)
    ok(api.form("/files", upload=upload_id), 201)
    assert File.objects.get().current_version.sha256 == hashlib.sha256(data).hexdigest()


def test_cancelling_an_upload_removes_what_was_received(lea, settings, file_storage):
    data = noise_png(200)
    api = Uploader(lea)
    upload_id = ok(api.start("photo.png", len(data)), 201)["id"]
    ok(api.chunk(upload_id, 0, data[:CHUNK]))
    [part] = staged(settings)
    assert part.stat().st_size == CHUNK
    assert api.delete(f"/uploads/{upload_id}").status_code == 204
    assert nothing_left(settings, file_storage)
    assert error(api.get(f"/uploads/{upload_id}"), 404)
    assert error(api.chunk(upload_id, CHUNK, data[CHUNK : 2 * CHUNK]), 404)
    assert api.delete(f"/uploads/{upload_id}").status_code == 404


def test_a_finished_upload_becomes_a_new_version(lea, make_file, settings):
    file = make_file(lea, "plan.png")
    data = noise_png(200)
    api = Uploader(lea)
    upload_id = ok(api.start("plan-v2.png", len(data)), 201)["id"]
    api.send_all(upload_id, data)
    version = ok(api.form(f"/files/{file.pk}/versions", upload=upload_id), 201)
    assert (version["number"], version["original_name"], version["size"]) == (
        2,
        "plan-v2.png",
        len(data),
    )
    assert not Upload.objects.exists()
    assert staged(settings) == []


def test_an_unfinished_upload_cannot_become_a_file_and_stays_resumable(lea, settings, file_storage):
    data = noise_png(200)
    api = Uploader(lea)
    upload_id = ok(api.start("photo.png", len(data)), 201)["id"]
    ok(api.chunk(upload_id, 0, data[:CHUNK]))
    detail = error(api.form("/files", upload=upload_id), 400)
    assert detail == f"L'envoi n'est pas terminé : {CHUNK} octets reçus sur {len(data)}."
    assert not File.objects.exists()
    assert stored_blobs(file_storage) == []
    assert ok(api.get(f"/uploads/{upload_id}"))["received"] == CHUNK


# --- Refused early: before the bytes travel -------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_from_its_announced_size(lea, settings, file_storage):
    settings.FILES_MAX_SIZE = 10 * CHUNK
    detail = error(Uploader(lea).start("film.mp4", 10 * CHUNK + 1), 400)
    assert detail == "Le fichier dépasse la taille maximale de 1 Mo."
    assert nothing_left(settings, file_storage)


def test_an_empty_file_is_refused_when_announced(lea, settings, file_storage):
    assert error(Uploader(lea).start("vide.txt", 0), 400) == "Le fichier est vide."
    assert Uploader(lea).start("négatif.txt", -1).status_code == 422
    assert Uploader(lea).start("", 10).status_code == 422
    assert Uploader(lea).start("x.txt", 2**63).status_code == 422
    assert nothing_left(settings, file_storage)


def test_the_quota_refuses_an_upload_when_announced_and_when_it_becomes_a_file(
    lea, make_file, settings, file_storage
):
    make_file(lea, "premier.png")
    used = FileVersion.objects.get().size
    data = noise_png(200)
    api = Uploader(lea)
    settings.FILES_USER_QUOTA = used + len(data) - 1
    detail = error(api.start("photo.png", len(data)), 400)
    assert detail.startswith("Votre espace de stockage est plein")
    assert not Upload.objects.exists()
    # Another upload filled the space while this one travelled: refused at the end, and the
    # upload goes with it.
    settings.FILES_USER_QUOTA = used + len(data)
    upload_id = ok(api.start("photo.png", len(data)), 201)["id"]
    api.send_all(upload_id, data)
    make_file(lea, "entre-temps.png", png_bytes(color="red"))
    assert error(api.form("/files", upload=upload_id), 400).startswith("Votre espace")
    assert File.objects.count() == 2
    assert len(stored_blobs(file_storage)) == 2
    assert not Upload.objects.exists()
    assert staged(settings) == []


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><head><title>x</title></head><body><script>alert(1)</script>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ],
)
def test_a_forbidden_type_is_refused_on_the_first_chunk(lea, settings, file_storage, data):
    api = Uploader(lea)
    upload_id = ok(api.start("image.png", len(data) + CHUNK), 201)["id"]
    detail = error(api.chunk(upload_id, 0, data), 400)
    assert detail.startswith("Ce type de fichier (")
    assert "n'est pas accepté. Types acceptés : " in detail
    assert nothing_left(settings, file_storage)


def test_bad_chunks_are_refused_and_change_nothing(lea, settings):
    data = noise_png(200)
    api = Uploader(lea)
    upload_id = ok(api.start("photo.png", len(data)), 201)["id"]
    too_big = api.chunk(upload_id, 0, data[: CHUNK + 1])
    assert too_big.status_code == 413
    assert too_big.json()["detail"].startswith("Un morceau dépasse")
    empty = api.chunk(upload_id, 0, b"", CONTENT_LENGTH="0")
    assert error(empty, 400) == "Le morceau envoyé est vide."
    assert "Content-Length" in error(api.chunk(upload_id, 0, data[:10], CONTENT_LENGTH=""), 411)
    assert api.chunk(upload_id, -1, data[:10]).status_code == 422
    assert ok(api.get(f"/uploads/{upload_id}"))["received"] == 0
    last = len(data) - 5
    api.send_all(upload_id, data[:last])
    longer = api.chunk(upload_id, last, data[last:] + b"extra")
    assert error(longer, 400) == "Le fichier envoyé est plus long que la taille annoncée."
    assert ok(api.get(f"/uploads/{upload_id}"))["received"] == last


def test_someone_else_s_upload_is_unknown(lea, make_user, settings):
    data = noise_png(200)
    upload_id = ok(Uploader(lea).start("photo.png", len(data)), 201)["id"]
    other = Uploader(make_user())
    assert error(other.get(f"/uploads/{upload_id}"), 404) == "Introuvable."
    assert error(other.chunk(upload_id, 0, data[:CHUNK]), 404)
    assert error(other.delete(f"/uploads/{upload_id}"), 404)
    assert error(other.form("/files", upload=upload_id), 404)
    assert Upload.objects.get().received == 0
    assert other.get("/uploads/pas-un-uuid").status_code == 422


def test_citizens_cannot_upload_and_anonymous_clients_get_a_401(citizen, lea, settings):
    assert error(Uploader(citizen).start("avis.txt", 10), 404)
    upload_id = ok(Uploader(lea).start("photo.png", 100), 201)["id"]
    response = Client().put(
        f"/api/v1/uploads/{upload_id}?offset=0", b"x" * 100, content_type=OCTETS
    )
    assert response.status_code == 401
    assert Upload.objects.get().received == 0
    assert not Upload.objects.filter(user=citizen).exists()


def test_the_browser_sends_chunks_with_its_session_and_csrf_token(lea, client_for):
    data = noise_png(128)
    browser = client_for(lea)
    browser.get("/fichiers/")
    token = {"X-CSRFToken": browser.cookies["csrftoken"].value}
    started = browser.post(
        "/api/v1/uploads",
        json.dumps({"name": "photo.png", "size": len(data)}),
        content_type="application/json",
        headers=token,
    )
    upload_id = ok(started, 201)["id"]
    url = f"/api/v1/uploads/{upload_id}?offset=0"
    assert error(browser.put(url, data, content_type=OCTETS), 403)
    sent = browser.put(url, data, content_type=OCTETS, headers=token)
    assert ok(sent)["received"] == len(data)


# --- Limits ---------------------------------------------------------------------------------


def test_chunks_have_their_own_rate_limit_apart_from_the_api_s(lea, settings):
    settings.API_RATE_LIMIT = "2/m"
    data = noise_png()
    api = Uploader(lea)
    upload_id = ok(api.start("photo.png", len(data)), 201)["id"]
    ok(api.get(f"/uploads/{upload_id}"))
    assert error(api.get(f"/uploads/{upload_id}"), 429).startswith("Trop de requêtes")
    # The general budget is spent; the chunks of the file still go (ten times the limit).
    assert api.send_all(upload_id, data)["received"] == len(data)
    chunks = -(-len(data) // CHUNK)
    for _ in range(20 - chunks):
        assert api.chunk(upload_id, 0, data[:CHUNK]).status_code == 409
    throttled = api.chunk(upload_id, 0, data[:CHUNK])
    assert throttled.status_code == 429
    assert throttled["Retry-After"]


def test_a_request_body_over_the_limit_is_refused_by_the_asgi_app_before_it_is_read(
    lea, settings, file_storage
):
    declared = django_settings.MAX_REQUEST_BODY + 1
    response = async_to_sync(
        HttpCommunicator(
            application,
            "POST",
            "/api/v1/files",
            body=b"--x\r\n",
            headers=[
                (b"host", b"testserver"),
                (b"content-type", b"multipart/form-data; boundary=x"),
                (b"content-length", str(declared).encode()),
            ],
        ).get_response
    )()
    assert response["status"] == 413
    assert dict(response["headers"])[b"content-type"] == b"application/json"
    assert json.loads(response["body"])["detail"].startswith("La requête est trop volumineuse")
    assert nothing_left(settings, file_storage)
