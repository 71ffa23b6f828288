"""In-app notifications, mutes, e-mail preferences (per person and per group) and deliveries."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TITLE_MAX_LENGTH = 200
MAX_ACTORS = 50  # grouped notifications keep the last actors, and count them all


class Notification(models.Model):
    """Something that happened to the recipient, about one target (exactly one of the target
    keys is set). Its text and address are built when it is shown, in the reader's language,
    and the list shows it only while the owning app's policy lets the recipient see the
    target (notifications.policy)."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")
        REPLY = "reply", _("Réponse")
        LIKE = "like", _("J'aime")
        GROUP_INVITATION = "group_invitation", _("Invitation dans un groupe")
        JOIN_REQUEST = "join_request", _("Demande d'adhésion")
        JOIN_APPROVED = "join_approved", _("Demande d'adhésion acceptée")
        MEETING_INVITATION = "meeting_invitation", _("Invitation à une réunion")
        MEETING_REMINDER = "meeting_reminder", _("Rappel de réunion")
        MEETING_CHANGED = "meeting_changed", _("Réunion déplacée")
        DECISION_ASSIGNED = "decision_assigned", _("Décision à suivre")
        DECISION_OVERDUE = "decision_overdue", _("Décision en retard")
        CONSULTATION_UPDATE = "consultation_update", _("Suivi de votre demande")
        MESSAGE = "message", _("Message")

    # Several events on one target become one unread notification (« Anne et 3 autres »).
    GROUPED = (Kind.LIKE, Kind.REPLY, Kind.MESSAGE, Kind.JOIN_REQUEST, Kind.MEETING_CHANGED)

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The latest actor; `actor_ids` the distinct ones (newest last), `actor_count` all of them.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_ids = models.JSONField(default=list, blank=True)
    actor_count = models.PositiveIntegerField(default=1)
    # The target: one of these.
    post = models.ForeignKey(
        "social.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    file = models.ForeignKey(
        "files.File", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    decision = models.ForeignKey(
        "meetings.Decision", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    invitation = models.ForeignKey(
        "groups.Invitation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    conversation = models.ForeignKey(
        "messaging.Conversation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    contribution = models.ForeignKey(
        "consultations.Contribution",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # Where in the target (a comment of a thread, an agenda item): an anchor of its page.
    comment_id = models.BigIntegerField(null=True, blank=True)
    # A short reminder of the target (a post's first words, a meeting's title), in its
    # author's words: shown only while the target is visible to the recipient.
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    # A detail of the event (a new status), untranslated.
    detail = models.CharField(max_length=100, blank=True)
    # Unread notifications with the same key are one (see GROUPED).
    group_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 - NULL: never grouped
    created_at = models.DateTimeField(default=timezone.now, db_index=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_list"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "group_key"],
                condition=Q(read_at__isnull=True, group_key__isnull=False),
                name="notification_one_unread_per_key",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "mention",
                        "reply",
                        "like",
                        "group_invitation",
                        "join_request",
                        "join_approved",
                        "meeting_invitation",
                        "meeting_reminder",
                        "meeting_changed",
                        "decision_assigned",
                        "decision_overdue",
                        "consultation_update",
                        "message",
                    ]
                ),
                name="notification_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Mute(models.Model):
    """No notification and no e-mail about this post, thread, conversation or group (it stays
    readable). Exactly one target."""

    class Kind(models.TextChoices):
        POST = "post", _("Publication")
        FILE = "file", _("Fil d'un fichier")
        MEETING = "meeting", _("Réunion")
        CONVERSATION = "conversation", _("Conversation")
        GROUP = "group", _("Groupe")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(
        "social.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    file = models.ForeignKey(
        "files.File", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    conversation = models.ForeignKey(
        "messaging.Conversation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    TARGETS = ("post", "file", "meeting", "conversation", "group")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    post__isnull=False, file=None, meeting=None, conversation=None, group=None
                )
                | Q(post=None, file__isnull=False, meeting=None, conversation=None, group=None)
                | Q(post=None, file=None, meeting__isnull=False, conversation=None, group=None)
                | Q(post=None, file=None, meeting=None, conversation__isnull=False, group=None)
                | Q(post=None, file=None, meeting=None, conversation=None, group__isnull=False),
                name="mute_one_target",
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", name],
                    condition=Q(**{f"{name}__isnull": False}),
                    name=f"mute_{name}_once",
                )
                for name in ("post", "file", "meeting", "conversation", "group")
            ),
        ]

    def __str__(self) -> str:
        return f"Mute of {self.user_id}"

    @property
    def kind(self) -> str:
        return next(name for name in self.TARGETS if getattr(self, f"{name}_id") is not None)

    @property
    def target_id(self) -> int:
        return getattr(self, f"{self.kind}_id")


class Frequency(models.TextChoices):
    EVERY_POST = "every_post", _("À chaque publication")
    DAILY = "daily", _("Résumé quotidien")
    WEEKLY = "weekly", _("Résumé hebdomadaire")
    NEVER = "never", _("Jamais")


DEFAULT_FREQUENCY = Frequency.DAILY


class NotificationSettings(models.Model):
    """One person's e-mail choices (no row: the defaults)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # Blank: the site's language.
    language = models.CharField(
        _("langue des e-mails"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    email_mentions = models.BooleanField(_("m'écrire aussitôt quand on me mentionne"), default=True)
    email_messages = models.BooleanField(
        _("m'écrire aussitôt un message reçu hors ligne"), default=True
    )
    # For groups without a choice of their own.
    default_frequency = models.CharField(
        _("fréquence par défaut"),
        max_length=10,
        choices=Frequency.choices,
        default=DEFAULT_FREQUENCY,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(default_frequency__in=["every_post", "daily", "weekly", "never"]),
                name="notification_settings_frequency_known",
            )
        ]

    def __str__(self) -> str:
        return f"Notification settings of {self.user_id}"


class GroupEmailPreference(models.Model):
    """How often one member hears from one group by e-mail."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="group_email_preference_unique"),
            models.CheckConstraint(
                condition=Q(frequency__in=["every_post", "daily", "weekly", "never"]),
                name="group_email_preference_frequency_known",
            ),
        ]
        indexes = [models.Index(fields=["group", "frequency"], name="group_email_by_frequency")]

    def __str__(self) -> str:
        return f"{self.user_id} × {self.group_id}: {self.frequency}"


class EmailDelivery(models.Model):
    """One e-mail that must leave at most once: a retried job finds its key and stops.

    Keys: `digest:daily:2026-12-01:<user>`, `digest:weekly:2026-W49:<user>`,
    `post:<post>:<user>`, `notification:<notification>`.
    """

    key = models.CharField(max_length=120, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Nothing worth sending when it was built (an empty digest): done, nothing sent.
    skipped = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key
