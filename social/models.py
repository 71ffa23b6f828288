"""Posts, comments, reactions, mentions, topics, polls, bookmarks, follows and post history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

POST_MAX_LENGTH = 10_000
COMMENT_MAX_LENGTH = 5_000


class Topic(models.Model):
    """A #topic: lower-case letters, digits, dashes and underscores."""

    name = models.CharField(max_length=50, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"#{self.name}"


class Post(models.Model):
    class Kind(models.TextChoices):
        PLAIN = "plain", _("Publication")
        ANNOUNCEMENT = "announcement", _("Annonce")
        POLL = "poll", _("Sondage")
        QUESTION = "question", _("Question")

    # No group: a post on its author's profile (staff and elected only may read those).
    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    kind = models.CharField(max_length=15, choices=Kind.choices, default=Kind.PLAIN)
    body = models.TextField(max_length=POST_MAX_LENGTH, blank=True)
    body_html = models.TextField(blank=True, editable=False)
    # Announcements stay at the top of their group until this moment.
    pinned_until = models.DateTimeField(null=True, blank=True)
    poll_closed_at = models.DateTimeField(null=True, blank=True)
    best_answer = models.ForeignKey(
        "Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shared_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="shares"
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="posts")
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in_posts"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["author", "-created_at", "-id"], name="post_author_feed"),
            models.Index(fields=["-created_at", "-id"], name="post_feed"),
            # A group's live posts newest first, and their ids from the index alone: the group
            # feed (every feed shows live posts only), search (an external member's groups
            # read one by one; the posts they may read, hashed once to check comments against).
            # It replaced an index on all posts of a group (deleted ones are never listed).
            models.Index(
                fields=["group", "-created_at", "-id"],
                condition=Q(deleted_at__isnull=True),
                name="post_live_group",
            ),
            # Finds a group's pinned announcements without reading the whole group.
            models.Index(
                fields=["group", "pinned_until"],
                condition=Q(kind="announcement", deleted_at__isnull=True),
                name="post_pinned",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["plain", "announcement", "poll", "question"]),
                name="post_kind_known",
            )
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} by {self.author_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_pinned(self) -> bool:
        return (
            self.kind == self.Kind.ANNOUNCEMENT
            and self.pinned_until is not None
            and self.pinned_until > timezone.now()
        )

    @property
    def poll_is_open(self) -> bool:
        return self.kind == self.Kind.POLL and self.poll_closed_at is None


class PostRevision(models.Model):
    """A previous version of a post's body, kept when it is edited."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Revision of post {self.post_id}"


class Comment(models.Model):
    """A comment in the thread of a post, of a shared file or of a meeting's agenda item
    (exactly one of them)."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    file = models.ForeignKey(
        "files.File", on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    item = models.ForeignKey(
        "meetings.AgendaItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
    )
    # The comment this one answers (same thread); an agenda item's open questions use it.
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    is_question = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    body_html = models.TextField(blank=True, editable=False)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in_comments"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["post", "created_at", "id"], name="comment_thread"),
            models.Index(fields=["file", "created_at", "id"], name="comment_file_thread"),
            models.Index(fields=["item", "created_at", "id"], name="comment_item_thread"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(post__isnull=False, file__isnull=True, item__isnull=True)
                | Q(post__isnull=True, file__isnull=False, item__isnull=True)
                | Q(post__isnull=True, file__isnull=True, item__isnull=False),
                name="comment_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Reaction(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like", _("J'aime")
        THUMBS_UP = "thumbs_up", "👍"
        HEART = "heart", "❤️"
        PARTY = "party", "🎉"
        EYES = "eyes", "👀"
        CHECK = "check", "✅"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="reactions"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="reactions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LIKE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(post__isnull=False) & Q(comment__isnull=True))
                | (Q(post__isnull=True) & Q(comment__isnull=False)),
                name="reaction_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "post", "kind"],
                condition=Q(post__isnull=False),
                name="reaction_once_per_post",
            ),
            models.UniqueConstraint(
                fields=["user", "comment", "kind"],
                condition=Q(comment__isnull=False),
                name="reaction_once_per_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.user_id}"


class Bookmark(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="bookmark_unique")]

    def __str__(self) -> str:
        return f"Bookmark of post {self.post_id} by {self.user_id}"


class PollOption(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="poll_options")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="poll_option_position")
        ]

    def __str__(self) -> str:
        return self.label


class PollVote(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="poll_votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    voted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="poll_one_vote")]

    def __str__(self) -> str:
        return f"Vote of {self.user_id} on post {self.post_id}"


class Follow(models.Model):
    """Following a person, a group or a topic: exactly one target."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, group__isnull=True, topic__isnull=True)
                    | Q(user__isnull=True, group__isnull=False, topic__isnull=True)
                    | Q(user__isnull=True, group__isnull=True, topic__isnull=False)
                ),
                name="follow_one_target",
            ),
            models.UniqueConstraint(
                fields=["follower", "user"], condition=Q(user__isnull=False), name="follow_user"
            ),
            models.UniqueConstraint(
                fields=["follower", "group"], condition=Q(group__isnull=False), name="follow_group"
            ),
            models.UniqueConstraint(
                fields=["follower", "topic"], condition=Q(topic__isnull=False), name="follow_topic"
            ),
        ]

    def __str__(self) -> str:
        return f"Follow by {self.follower_id}"
