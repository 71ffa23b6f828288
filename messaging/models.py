"""Conversations (direct or group), their participants with read state, and messages."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MESSAGE_MAX_LENGTH = 5_000
TITLE_MAX_LENGTH = 120
MAX_PARTICIPANTS = 50


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", _("Conversation privée")
        GROUP = "group", _("Conversation de groupe")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # "<smaller id>:<larger id>": one direct conversation per pair of people.
    direct_key = models.CharField(max_length=41, null=True, blank=True, unique=True)
    last_message = models.ForeignKey(
        "Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="direct", direct_key__isnull=False)
                | Q(kind="group", direct_key__isnull=True),
                name="conversation_direct_has_key",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"

    @property
    def is_direct(self) -> bool:
        return self.kind == self.Kind.DIRECT


class Participant(models.Model):
    """A person in a conversation, with what they have read (counters kept on write)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # Id of the last message read; messages after it and not by this person are unread.
    last_read_id = models.BigIntegerField(default=0)
    unread_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="participant_unique")
        ]
        indexes = [
            models.Index(
                fields=["user", "conversation"],
                condition=Q(left_at__isnull=True),
                name="participant_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages"
    )
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH, blank=True)
    body_html = models.TextField(blank=True, editable=False)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in_messages"
    )
    # Files sent with the message (shared to the conversation through the files app).
    attachments = models.ManyToManyField("files.File", blank=True, related_name="messages")
    # Chosen by the sending client: a retried send finds the first one instead of a duplicate.
    client_key = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["author", "client_key"], name="message_idempotent")
        ]
        indexes = [models.Index(fields=["conversation", "id"], name="message_history")]

    def __str__(self) -> str:
        return f"Message {self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
