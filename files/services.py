"""Writes on shared files: one function per action a person can take.

Bytes reach storage in two ways, both ending in `_store`:
- a direct upload (a multipart request, at most MAX_REQUEST_BODY), for small files and API
  clients;
- an `Upload` sent in chunks (browsers, big files): each chunk is one request appended to a
  staging file, so no process ever holds more than a chunk, whatever the file's size.

A blob is written before its row and removed if the row cannot be written: no row ever
points to a missing blob, and a refused file leaves nothing behind.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File as DjangoFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from files import content, policy, texts
from files.models import DESCRIPTION_MAX_LENGTH, File, FileShare, FileVersion, Upload
from groups.models import Group
from social.models import Post

logger = logging.getLogger(__name__)


def storage():
    return storages["files"]


# --- Incoming content ------------------------------------------------------------------------


@dataclass
class Incoming:
    """Bytes waiting on local disk or in memory: a Django upload or a finished chunked one."""

    name: str
    fileobj: object  # readable, seekable
    path: Path | None = None  # on local disk: storage may move it instead of copying


def from_upload(uploaded) -> Incoming:
    """A file from a multipart request (Django's UploadedFile)."""
    path = uploaded.temporary_file_path() if hasattr(uploaded, "temporary_file_path") else None
    return Incoming(name=uploaded.name or "", fileobj=uploaded, path=Path(path) if path else None)


class _StagedFile(DjangoFile):
    """Lets FileSystemStorage move a finished staging file instead of copying it."""

    def temporary_file_path(self) -> str:
        return self.name


def _quota_check(user: User, size: int) -> None:
    if not settings.FILES_USER_QUOTA:
        return
    if used_by(user) + size > settings.FILES_USER_QUOTA:
        raise ValidationError(
            _(
                "Votre espace de stockage est plein (%(used)s sur %(quota)s Mo) : supprimez des "
                "fichiers ou demandez à un administrateur d'augmenter votre quota."
            )
            % {
                "used": content._megabytes(used_by(user)),
                "quota": content._megabytes(settings.FILES_USER_QUOTA),
            },
            code="quota",
        )


def used_by(user: User) -> int:
    """Bytes of live files' versions that `user` uploaded (their quota's use)."""
    return (
        FileVersion.objects.filter(uploaded_by=user, file__deleted_at__isnull=True).aggregate(
            total=Sum("size")
        )["total"]
        or 0
    )


def _new_key() -> str:
    now = timezone.now()
    return f"{now:%Y/%m}/{uuid.uuid4().hex}"


def _store(uploader: User, incoming: Incoming) -> tuple[str, content.Digest]:
    """Check the content and write it to storage; return its key and digest."""
    incoming.fileobj.seek(0)
    found = content.digest(content.read_blocks(incoming.fileobj))
    content.check_size(found.size)
    content.check_type(found.mime_type)
    _quota_check(uploader, found.size)
    incoming.fileobj.seek(0)
    if incoming.path is not None:
        source = _StagedFile(open(incoming.path, "rb"), name=str(incoming.path))  # noqa: SIM115
    else:
        source = DjangoFile(incoming.fileobj)
    try:
        key = storage().save(_new_key(), source)
    finally:
        source.close()
    return key, found


def _with_blob(uploader: User, incoming: Incoming, write):
    """Store the blob, then run `write(key, digest)` in a transaction; no orphan either way."""
    key, found = _store(uploader, incoming)
    try:
        with transaction.atomic():
            return write(key, found)
    except BaseException:
        storage().delete(key)
        raise


def _schedule_preview_and_text(version: FileVersion) -> None:
    """The thumbnail and the text for search, computed after commit by background jobs."""
    from files.tasks import extract_text, make_preview

    transaction.on_commit(lambda: make_preview.delay(version.pk), robust=True)
    if texts.wanted(version):
        transaction.on_commit(lambda: extract_text.delay(version.pk), robust=True)


# --- Files and versions ----------------------------------------------------------------------


def create_file(
    *,
    owner: User,
    incoming: Incoming,
    name: str | None = None,
    description: str = "",
    group: Group | None = None,
    post: Post | None = None,
) -> File:
    """A new file from `incoming`, optionally shared at once to a group or a post."""
    if not policy.can_have_files(owner):
        raise PermissionDenied
    if group is not None and not policy.can_share_to_group(owner, group):
        raise PermissionDenied
    if post is not None and not policy.can_attach_to_post(owner, post):
        raise PermissionDenied
    display_name = content.clean_name(name or incoming.name)
    description = _clean_description(description)

    def write(key: str, found: content.Digest) -> File:
        file = File.objects.create(owner=owner, name=display_name, description=description)
        version = FileVersion.objects.create(
            file=file,
            number=1,
            blob=key,
            original_name=display_name,
            size=found.size,
            sha256=found.sha256,
            mime_type=found.mime_type,
            uploaded_by=owner,
        )
        file.current_version = version
        file.save(update_fields=["current_version"])
        if group is not None:
            FileShare.objects.create(file=file, group=group, shared_by=owner)
        if post is not None:
            FileShare.objects.create(file=file, post=post, shared_by=owner)
        _schedule_preview_and_text(version)
        return file

    return _with_blob(owner, incoming, write)


def add_version(*, actor: User, file: File, incoming: Incoming) -> FileVersion:
    """A new current version; every earlier one stays downloadable."""
    if not policy.can_change_file(actor, file):
        raise PermissionDenied
    original_name = content.clean_name(incoming.name)

    def write(key: str, found: content.Digest) -> FileVersion:
        locked = File.objects.select_for_update().get(pk=file.pk)
        if locked.is_deleted:
            raise PermissionDenied
        number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = FileVersion.objects.create(
            file=locked,
            number=number,
            blob=key,
            original_name=original_name,
            size=found.size,
            sha256=found.sha256,
            mime_type=found.mime_type,
            uploaded_by=actor,
        )
        locked.current_version = version
        locked.updated_at = version.created_at
        locked.save(update_fields=["current_version", "updated_at"])
        file.current_version, file.updated_at = version, version.created_at
        texts.forget_text(locked)
        _schedule_preview_and_text(version)
        return version

    return _with_blob(actor, incoming, write)


def _clean_description(description: str) -> str:
    description = (description or "").replace("\x00", "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {
                "description": _("La description dépasse %(limit)s caractères.")
                % {"limit": f"{DESCRIPTION_MAX_LENGTH:,}".replace(",", " ")}
            }
        )
    return description


@transaction.atomic
def update_file(
    *, actor: User, file: File, name: str | None = None, description: str | None = None
) -> File:
    if not policy.can_change_file(actor, file):
        raise PermissionDenied
    fields = []
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": _("Donnez un nom au fichier.")})
        file.name = content.clean_name(name)
        fields.append("name")
    if description is not None:
        file.description = _clean_description(description)
        fields.append("description")
    if fields:
        file.updated_at = timezone.now()
        file.save(update_fields=[*fields, "updated_at"])
    return file


@transaction.atomic
def delete_file(*, actor: User, file: File) -> File:
    """Gone from every share at once; the bytes stay FILES_RETENTION_DAYS, then are purged."""
    if not policy.can_delete_file(actor, file):
        raise PermissionDenied
    file.deleted_at, file.deleted_by = timezone.now(), actor
    file.save(update_fields=["deleted_at", "deleted_by"])
    file.shares.all().delete()
    return file


def purge_deleted(*, now=None) -> int:
    """Remove from storage, then from the database, files deleted before the retention."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.FILES_RETENTION_DAYS)
    purged = 0
    for file in File.objects.filter(deleted_at__lt=cutoff).prefetch_related("versions"):
        for version in file.versions.all():
            for key in (version.blob, version.thumbnail):
                if key:
                    storage().delete(key)
        file.delete()  # comments and versions go with it
        purged += 1
    return purged


# --- Shares ----------------------------------------------------------------------------------


def _share(actor: User, file: File, allowed: bool, **target) -> FileShare:
    if not policy.can_share_file(actor, file) or not allowed:
        raise PermissionDenied
    share, _created = FileShare.objects.get_or_create(
        file=file, **target, defaults={"shared_by": actor}
    )
    return share


@transaction.atomic
def share_to_group(*, actor: User, file: File, group: Group) -> FileShare:
    return _share(actor, file, policy.can_share_to_group(actor, group), group=group)


@transaction.atomic
def share_to_post(*, actor: User, file: File, post: Post) -> FileShare:
    return _share(actor, file, policy.can_attach_to_post(actor, post), post=post)


@transaction.atomic
def share_to_conversation(*, actor: User, file: File, conversation) -> FileShare:
    return _share(
        actor,
        file,
        policy.can_attach_to_conversation(actor, conversation),
        conversation=conversation,
    )


@transaction.atomic
def share_to_person(*, actor: User, file: File, person: User) -> FileShare:
    return _share(actor, file, policy.can_share_to_person(actor, person), user=person)


@transaction.atomic
def remove_share(*, actor: User, share: FileShare) -> None:
    if not policy.can_remove_share(actor, share):
        raise PermissionDenied
    share.delete()


# --- Chunked uploads -------------------------------------------------------------------------


def start_upload(*, user: User, name: str, size: int) -> Upload:
    """Announce a file before sending it: refused at once if too big or over quota."""
    if not policy.can_have_files(user):
        raise PermissionDenied
    content.check_size(size)
    _quota_check(user, size)
    settings.FILES_STAGING_DIR.mkdir(parents=True, exist_ok=True)
    upload = Upload.objects.create(user=user, name=content.clean_name(name), size=size)
    upload.staging_path.touch()
    return upload


def receive_chunk(*, user: User, upload: Upload, offset: int, stream, length: int) -> Upload:
    """Append one chunk at `offset`; the first chunk's bytes already decide the type."""
    if upload.user_id != user.pk:
        raise PermissionDenied
    if length <= 0:
        raise ValidationError(_("Le morceau envoyé est vide."), code="empty")
    if length > settings.FILES_CHUNK_SIZE:
        raise ValidationError(
            _("Un morceau dépasse %(max)s Mo.")
            % {"max": content._megabytes(settings.FILES_CHUNK_SIZE)},
            code="chunk_too_large",
        )
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if offset != locked.received:
            raise ValidationError(
                _("Reprise au mauvais endroit : le serveur a reçu %(received)s octets.")
                % {"received": locked.received},
                code="offset",
            )
        if offset + length > locked.size:
            raise ValidationError(
                _("Le fichier envoyé est plus long que la taille annoncée."), code="too_long"
            )
        path = locked.staging_path
        written = 0
        with open(path, "r+b") as staged:
            # A chunk cut off earlier left bytes past `received`: they are overwritten.
            staged.truncate(offset)
            staged.seek(offset)
            head = b""
            for block in content.read_blocks(stream, 64 * 1024):
                written += len(block)
                if written > length:
                    break
                if offset == 0 and len(head) < content.SNIFF_BYTES:
                    head += block[: content.SNIFF_BYTES - len(head)]
                staged.write(block)
        if written != length:
            with open(path, "r+b") as staged:
                staged.truncate(offset)
            raise ValidationError(
                _("Le morceau reçu ne fait pas la longueur annoncée."), code="length"
            )
        if offset == 0:
            locked.mime_type = content.sniff(head)
        locked.received = offset + length
        locked.touched_at = timezone.now()
        locked.save(update_fields=["received", "mime_type", "touched_at"])
    try:
        # Refused on the first chunk rather than after the whole file has travelled.
        content.check_type(locked.mime_type)
    except ValidationError:
        _discard(locked)
        raise
    return locked


def completed_upload(*, user: User, upload: Upload) -> Incoming:
    """The bytes of a finished upload, ready for `create_file` or `add_version`."""
    if upload.user_id != user.pk:
        raise PermissionDenied
    if not upload.is_complete:
        raise ValidationError(
            _("L'envoi n'est pas terminé : %(received)s octets reçus sur %(size)s.")
            % {"received": upload.received, "size": upload.size},
            code="incomplete",
        )
    return Incoming(
        name=upload.name, fileobj=open(upload.staging_path, "rb"), path=upload.staging_path
    )


def finish_upload(upload: Upload, incoming: Incoming) -> None:
    """Forget an upload once its bytes are stored (or refused)."""
    incoming.fileobj.close()
    _discard(upload)


def cancel_upload(*, user: User, upload: Upload) -> None:
    if upload.user_id != user.pk:
        raise PermissionDenied
    _discard(upload)


def _discard(upload: Upload) -> None:
    upload.staging_path.unlink(missing_ok=True)
    Upload.objects.filter(pk=upload.pk).delete()


def purge_stale_uploads(*, now=None) -> int:
    """Uploads silent for FILES_UPLOAD_TTL_HOURS, and old staging files with no upload."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.FILES_UPLOAD_TTL_HOURS)
    stale = list(Upload.objects.filter(touched_at__lt=cutoff))
    for upload in stale:
        _discard(upload)
    staging = settings.FILES_STAGING_DIR
    if staging.is_dir():
        known = {u.hex for u in Upload.objects.values_list("pk", flat=True)}
        for path in staging.glob("*.part"):
            if path.stem not in known and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
    return len(stale)


# --- Attachments of a post -------------------------------------------------------------------


@transaction.atomic
def attach_to_post(*, actor: User, post: Post, files) -> list[FileShare]:
    """Share each of `files` to `post` (the composer's « Joindre des fichiers »): all of them
    or, when one may not go there, none."""
    files = list(files)
    if not files:
        return []
    allowed = policy.can_attach_to_post(actor, post)
    return [_share(actor, file, allowed, post=post) for file in files]
