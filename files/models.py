"""Shared files, their versions, where they are shared, and uploads still in progress."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from files import types

NAME_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 2000


class File(models.Model):
    """A document owned by one person; what people see is its current (latest) version."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="files"
    )
    name = models.CharField(_("nom"), max_length=NAME_MAX_LENGTH)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    # Denormalised from the latest version, so lists need no second query.
    current_version = models.ForeignKey(
        "FileVersion", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # Deleted files are invisible at once; their blobs go after FILES_RETENTION_DAYS.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="file_by_owner"),
            models.Index(
                fields=["deleted_at"], name="file_deleted", condition=Q(deleted_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class FileVersion(models.Model):
    class Preview(models.TextChoices):
        PENDING = "pending", _("En attente")
        READY = "ready", _("Prête")
        NONE = "none", _("Aucune")

    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # Generated storage key: the uploaded name never reaches the file system.
    blob = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(max_length=NAME_MAX_LENGTH)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    mime_type = models.CharField(max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    preview = models.CharField(max_length=10, choices=Preview.choices, default=Preview.PENDING)
    thumbnail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["file", "number"], name="file_version_number"),
            models.CheckConstraint(condition=Q(size__gt=0), name="file_version_not_empty"),
        ]
        indexes = [models.Index(fields=["uploaded_by"], name="file_version_uploader")]

    def __str__(self) -> str:
        return f"{self.original_name} v{self.number}"

    # What templates show of a version: a readable type, and an icon when there is no preview.
    @property
    def type_label(self) -> str:
        return types.type_label(self.mime_type)

    @property
    def kind(self) -> str:
        return types.kind_of(self.mime_type)

    @property
    def icon_text(self) -> str:
        """The extension people know the type by (DOCX, ODS…), else the start of its label."""
        suffix = PurePath(self.original_name).suffix.lstrip(".")
        return (suffix if 0 < len(suffix) <= 4 else self.type_label[:4]).upper()

    @property
    def has_thumbnail(self) -> bool:
        return bool(self.thumbnail) and self.preview == self.Preview.READY


class FileShare(models.Model):
    """The file is shared to a group, to a post, to one person, to a conversation (attached
    to a message) or to a meeting's agenda item: exactly one target."""

    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="shares")
    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="file_shares"
    )
    post = models.ForeignKey(
        "social.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="file_shares"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="file_shares",
    )
    conversation = models.ForeignKey(
        "messaging.Conversation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="file_shares",
    )
    # Attached to a meeting's agenda item: readers of the meeting see it.
    item = models.ForeignKey(
        "meetings.AgendaItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="file_shares",
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(group__isnull=False, post=None, user=None, conversation=None, item=None)
                    | Q(group=None, post__isnull=False, user=None, conversation=None, item=None)
                    | Q(group=None, post=None, user__isnull=False, conversation=None, item=None)
                    | Q(group=None, post=None, user=None, conversation__isnull=False, item=None)
                    | Q(group=None, post=None, user=None, conversation=None, item__isnull=False)
                ),
                name="file_share_one_target",
            ),
            models.UniqueConstraint(
                fields=["file", "group"], condition=Q(group__isnull=False), name="file_share_group"
            ),
            models.UniqueConstraint(
                fields=["file", "post"], condition=Q(post__isnull=False), name="file_share_post"
            ),
            models.UniqueConstraint(
                fields=["file", "user"], condition=Q(user__isnull=False), name="file_share_user"
            ),
            models.UniqueConstraint(
                fields=["file", "conversation"],
                condition=Q(conversation__isnull=False),
                name="file_share_conversation",
            ),
            models.UniqueConstraint(
                fields=["file", "item"], condition=Q(item__isnull=False), name="file_share_item"
            ),
        ]
        indexes = [
            models.Index(fields=["group", "file"], name="file_share_by_group"),
            models.Index(fields=["post", "file"], name="file_share_by_post"),
            models.Index(fields=["user", "file"], name="file_share_by_user"),
        ]

    def __str__(self) -> str:
        return f"Share of file {self.file_id}"


class Upload(models.Model):
    """A file being sent in chunks; it becomes a File (or a version) once complete."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    size = models.BigIntegerField()
    received = models.BigIntegerField(default=0)
    mime_type = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Last chunk received: an upload is abandoned after FILES_UPLOAD_TTL_HOURS of silence.
    touched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="upload_not_empty"),
            models.CheckConstraint(
                condition=Q(received__lte=models.F("size")), name="upload_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"Upload {self.pk}"

    @property
    def is_complete(self) -> bool:
        return self.received == self.size

    @property
    def staging_path(self):
        return settings.FILES_STAGING_DIR / f"{self.pk.hex}.part"


class FileText(models.Model):
    """The text found inside a version (PDF, office documents), searched with its file while
    that version is current. In a table of its own so that no list of files or versions ever
    loads it; on PostgreSQL its vector is also copied into the file's search vector
    (files.texts)."""

    class Status(models.TextChoices):
        EXTRACTED = "extracted", _("Texte extrait")
        EMPTY = "empty", _("Aucun texte")
        UNREADABLE = "unreadable", _("Illisible")
        TOO_LARGE = "too_large", _("Trop volumineux")

    version = models.OneToOneField(
        FileVersion, on_delete=models.CASCADE, primary_key=True, related_name="extracted"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    text = models.TextField(blank=True)
    # Cut at FILES_TEXT_MAX_CHARS (or at the page, sheet or row limits).
    truncated = models.BooleanField(default=False)
    extracted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Text of file version {self.version_id}"
