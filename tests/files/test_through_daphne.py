"""Uploads and downloads through a real daphne process, over real sockets.

What only the whole stack shows: an oversized body is refused from its Content-Length before
it is read, a chunk cut off by a dropped connection leaves nothing, and a download streams
with byte ranges through the ASGI handler.
"""

import http.client
import json
import socket

import pytest
from django.conf import settings
from django.db import connection

from accounts.services import create_api_token
from files.models import Upload
from tests.files.conftest import pdf_bytes
from tests.servers import servers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs PostgreSQL and Redis (always present in CI, where absence is an error)",
    ),
]
CHUNK = 64 * 1024


@pytest.fixture
def server(file_storage, settings):
    with servers(
        1,
        FILES_ROOT=str(file_storage),
        FILES_STAGING_DIR=str(settings.FILES_STAGING_DIR),
        FILES_CHUNK_SIZE=str(CHUNK),
        MAX_REQUEST_BODY=str(CHUNK + 16 * 1024),
    ) as [port]:
        yield port


@pytest.fixture
def token(staff) -> str:
    return create_api_token(user=staff, name="tests")[1]


def request(port, method, path, token, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request(
        method, path, body=body, headers={"Authorization": f"Bearer {token}", **(headers or {})}
    )
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def test_a_body_announced_too_big_gets_a_french_413(server, token):
    response, data = request(
        server,
        "POST",
        "/api/v1/files",
        token,
        body=b"x" * (CHUNK + 20 * 1024),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status == 413
    assert "trop volumineuse" in json.loads(data)["detail"]


def test_a_chunk_cut_off_leaves_nothing_and_the_upload_resumes(server, token, settings):
    data = pdf_bytes() + b"\n%" + b"0" * (CHUNK * 2)
    response, body = request(
        server,
        "POST",
        "/api/v1/uploads",
        token,
        body=json.dumps({"name": "dossier.pdf", "size": len(data)}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201, body
    upload_id = json.loads(body)["id"]
    with socket.create_connection(("127.0.0.1", server), timeout=10) as raw:
        raw.sendall(
            f"PUT /api/v1/uploads/{upload_id}?offset=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
            + f"Authorization: Bearer {token}\r\n".encode()
            + b"Content-Type: application/octet-stream\r\n"
            + f"Content-Length: {CHUNK}\r\n\r\n".encode()
            + data[: CHUNK // 2]
        )
    # the laptop went to sleep: the connection is gone before the chunk is complete
    upload = Upload.objects.get(pk=upload_id)
    assert upload.received == 0
    assert upload.staging_path.stat().st_size == 0
    offset = 0
    while offset < len(data):
        piece = data[offset : offset + CHUNK]
        response, body = request(
            server,
            "PUT",
            f"/api/v1/uploads/{upload_id}?offset={offset}",
            token,
            body=piece,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert response.status == 200, body
        offset += len(piece)
    boundary = "maillage"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"\r\n\r\n{upload_id}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    response, body = request(
        server,
        "POST",
        "/api/v1/files",
        token,
        body=form,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status == 201, body
    file_id = json.loads(body)["id"]
    assert not list(settings.FILES_STAGING_DIR.iterdir())

    response, body = request(server, "GET", f"/api/v1/files/{file_id}/download", token)
    assert response.status == 200
    assert body == data
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    response, body = request(
        server,
        "GET",
        f"/api/v1/files/{file_id}/download",
        token,
        headers={"Range": "bytes=100-199"},
    )
    assert response.status == 206
    assert body == data[100:200]
    assert response.getheader("Content-Range") == f"bytes 100-199/{len(data)}"
