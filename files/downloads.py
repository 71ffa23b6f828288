"""File responses: safe headers, byte ranges, streaming without holding the file in memory.

Every response carries `X-Content-Type-Options: nosniff` and a sandboxing CSP, so even a file
that is secretly HTML (a polyglot) can never run as a page of this site. Only images that
browsers decode safely, and PDF, are shown inline; everything else is an attachment.
"""

import asyncio
import re
from pathlib import PurePath
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils.http import content_disposition_header

from accounts.models import User
from files import content, policy
from files.models import File, FileVersion
from files.services import storage

BLOCK = 256 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(start, end) inclusive for one satisfiable range; None to send everything (absent,
    several ranges or malformed: the server may ignore it); False when unsatisfiable."""
    match = RANGE.match(header.strip()) if header else None
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return False
    return start, end


def download_name(file: File, version: FileVersion) -> str:
    """The current version takes the file's (perhaps new) name; older ones keep their own.
    A name without an extension borrows the uploaded one, so the download opens."""
    if version.pk != file.current_version_id:
        return version.original_name
    name = file.name
    if not PurePath(name).suffix:
        name += PurePath(version.original_name).suffix
    return name


def _sync_chunks(fileobj, remaining: int):
    try:
        while remaining > 0:
            chunk = fileobj.read(min(BLOCK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        fileobj.close()


async def _async_chunks(fileobj, remaining: int):
    # Under ASGI a synchronous iterator would be read whole into memory by Django first.
    try:
        while remaining > 0:
            chunk = await asyncio.to_thread(fileobj.read, min(BLOCK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        await asyncio.to_thread(fileobj.close)


def _headers(response: HttpResponse, version: FileVersion, name: str, *, inline: bool) -> None:
    response["Content-Type"] = version.mime_type if inline else "application/octet-stream"
    response["Content-Disposition"] = content_disposition_header(not inline, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-cache"
    response["ETag"] = f'"{version.sha256}"'
    response["Accept-Ranges"] = "bytes"


# --- Downloads from a separate origin ----------------------------------------------------------
# Django's security guide advises serving user uploads from another domain. When
# FILES_DOWNLOAD_ORIGIN is set, a download on the site answers with a redirect to a signed
# link on that origin, valid FILES_DOWNLOAD_LINK_SECONDS, bound to the person and the version;
# the link checks policy again when used, so a share removed meanwhile takes effect.

LINK_SALT = "files.download-link"


def _on_download_origin(request: HttpRequest) -> bool:
    return urlsplit(settings.FILES_DOWNLOAD_ORIGIN).netloc == request.get_host()


def signed_link(user: User, version: FileVersion, *, attachment: bool) -> str:
    token = signing.dumps({"u": user.pk, "v": version.pk, "a": attachment}, salt=LINK_SALT)
    return settings.FILES_DOWNLOAD_ORIGIN + reverse("files:link", args=[token])


def open_link(token: str) -> tuple[FileVersion, bool]:
    """The version a signed link gives, if its person may still see the file; 404 otherwise."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=settings.FILES_DOWNLOAD_LINK_SECONDS)
        user = User.objects.get(pk=data["u"])
        version = FileVersion.objects.select_related("file").get(pk=data["v"])
    except (signing.BadSignature, KeyError, TypeError, User.DoesNotExist, FileVersion.DoesNotExist):
        raise Http404 from None
    if not policy.can_view_file(user, version.file):
        raise Http404
    return version, bool(data.get("a"))


def serve(
    request: HttpRequest, version: FileVersion, *, name: str, attachment: bool = False
) -> HttpResponse:
    """The bytes of `version`, to someone policy has just allowed."""
    if settings.FILES_DOWNLOAD_ORIGIN and not _on_download_origin(request):
        return HttpResponseRedirect(signed_link(request.user, version, attachment=attachment))
    inline = version.mime_type in content.INLINE_TYPES and not attachment
    size = version.size
    etag = f'"{version.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        _headers(response, version, name, inline=inline)
        return response
    wanted = _range(request.headers.get("Range", ""), size)
    if_range = request.headers.get("If-Range")
    if if_range and if_range != etag:
        wanted = None  # the file changed since the client's first part: send it whole
    if wanted is False:
        response = HttpResponse(status=416)
        _headers(response, version, name, inline=inline)
        response["Content-Range"] = f"bytes */{size}"
        return response
    start, end = wanted if wanted else (0, size - 1)
    length = end - start + 1
    if settings.FILES_ACCEL_REDIRECT_PREFIX:
        # nginx sends the bytes (and honours Range itself); the checks and headers are ours.
        response = HttpResponse()
        _headers(response, version, name, inline=inline)
        response["X-Accel-Redirect"] = (
            settings.FILES_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + version.blob
        )
        del response["Content-Length"]
        return response
    fileobj = storage().open(version.blob, "rb")
    if start:
        fileobj.seek(start)
    chunks = (
        _async_chunks(fileobj, length)
        if isinstance(request, ASGIRequest)
        else _sync_chunks(fileobj, length)
    )
    response = StreamingHttpResponse(chunks, status=206 if wanted else 200)
    _headers(response, version, name, inline=inline)
    response["Content-Length"] = str(length)
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def serve_thumbnail(version: FileVersion) -> HttpResponse:
    with storage().open(version.thumbnail, "rb") as thumb:
        body = thumb.read()
    response = HttpResponse(body, content_type="image/webp")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, max-age=3600"
    return response
