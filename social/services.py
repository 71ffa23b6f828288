"""Writes on posts and their conversation: one function per action a person can take."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy as account_policy
from accounts.models import User
from groups.models import Group
from meetings.models import AgendaItem
from notifications import triggers as notification_triggers
from social import events, policy, rendering
from social.models import (
    COMMENT_MAX_LENGTH,
    POST_MAX_LENGTH,
    Bookmark,
    Comment,
    Follow,
    PollOption,
    PollVote,
    Post,
    PostRevision,
    Reaction,
    Topic,
)

POLL_MIN_OPTIONS, POLL_MAX_OPTIONS, POLL_OPTION_MAX_LENGTH = 2, 10, 200


def _clean_body(body: str, *, limit: int, required: bool = True) -> str:
    body = (body or "").replace("\x00", "").strip()
    if required and not body:
        raise ValidationError({"body": _("Le message est vide.")})
    if len(body) > limit:
        raise ValidationError(
            {
                "body": _("Le message dépasse %(limit)s caractères.")
                % {"limit": f"{limit:,}".replace(",", " ")}
            }
        )
    return body


def _resolve_mentions(author: User, body: str, subject) -> list[User]:
    """The people mentioned; refuse a mention of someone who could not read the subject
    (a post, or a shared file for a comment in a file's thread)."""
    handles = rendering.mentioned_handles(body)
    if not handles:
        return []
    people = list(account_policy.visible_people(author).filter(handle__in=handles))
    refused = [p for p in people if not policy.can_be_mentioned(p, subject)]
    if refused:
        names = ", ".join(f"@{p.handle}" for p in refused)
        if isinstance(subject, Post):
            message = _(
                "%(names)s ne peut pas voir cette publication : retirez la mention ou "
                "publiez dans un groupe dont cette personne est membre."
            )
        elif isinstance(subject, AgendaItem):
            message = _(
                "%(names)s ne peut pas voir cette réunion : retirez la mention ou "
                "invitez d'abord cette personne."
            )
        else:
            message = _(
                "%(names)s ne peut pas voir ce fichier : retirez la mention ou "
                "partagez d'abord le fichier avec cette personne."
            )
        raise ValidationError({"body": message % {"names": names}})
    return people


def _render(body: str, people: list[User]) -> str:
    urls = {p.handle: reverse("accounts:profile", args=[p.pk]) for p in people}
    return rendering.render(body, mention_urls=urls)


def _topics(body: str) -> list[Topic]:
    topics = []
    for name in rendering.topic_names(body)[:20]:
        topic, _created = Topic.objects.get_or_create(name=name)
        topics.append(topic)
    return topics


@transaction.atomic
def create_post(
    *,
    author: User,
    group: Group | None,
    body: str,
    kind: str = Post.Kind.PLAIN,
    poll_options: list[str] | None = None,
    pinned_until: datetime | None = None,
) -> Post:
    if group is None:
        if not policy.can_post_on_profile(author):
            raise PermissionDenied
    elif not policy.can_post_in_group(author, group):
        raise PermissionDenied
    if kind not in Post.Kind.values:
        raise ValidationError({"kind": _("Type de publication inconnu.")})
    body = _clean_body(body, limit=POST_MAX_LENGTH)
    post = Post(author=author, group=group, kind=kind, body=body)
    if kind == Post.Kind.ANNOUNCEMENT:
        if group is None:
            raise ValidationError({"kind": _("Une annonce se publie dans un groupe.")})
        if pinned_until is None or pinned_until <= timezone.now():
            raise ValidationError(
                {"pinned_until": _("Indiquez jusqu'à quand l'annonce reste épinglée (futur).")}
            )
        post.pinned_until = pinned_until
    options = _poll_options(poll_options) if kind == Post.Kind.POLL else []
    mentioned = _resolve_mentions(author, body, post)
    post.body_html = _render(body, mentioned)
    post.save()
    post.mentions.set(mentioned)
    post.topics.set(_topics(body))
    PollOption.objects.bulk_create(
        PollOption(post=post, label=label, position=i) for i, label in enumerate(options)
    )
    events.post_created(post)
    notification_triggers.post_published(post, mentioned)
    return post


def _poll_options(options: list[str] | None) -> list[str]:
    cleaned = [o.replace("\x00", "").strip() for o in (options or []) if o]
    cleaned = [o for o in cleaned if o]  # blank answers (NUL-only ones too) are dropped
    if not POLL_MIN_OPTIONS <= len(cleaned) <= POLL_MAX_OPTIONS:
        raise ValidationError({"poll_options": _("Un sondage propose de 2 à 10 réponses.")})
    if any(len(o) > POLL_OPTION_MAX_LENGTH for o in cleaned):
        raise ValidationError({"poll_options": _("Une réponse fait 200 caractères au plus.")})
    if len({o.lower() for o in cleaned}) != len(cleaned):
        raise ValidationError({"poll_options": _("Deux réponses du sondage sont identiques.")})
    return cleaned


@transaction.atomic
def edit_post(*, actor: User, post: Post, body: str) -> Post:
    post = Post.objects.select_for_update(of=("self",)).select_related("group").get(pk=post.pk)
    if not policy.can_edit_post(actor, post):
        raise PermissionDenied
    body = _clean_body(body, limit=POST_MAX_LENGTH)
    if body == post.body:
        return post
    mentioned = _resolve_mentions(actor, body, post)
    PostRevision.objects.create(post=post, body=post.body, edited_by=actor)
    post.body = body
    post.body_html = _render(body, mentioned)
    post.edited_at = timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    post.mentions.set(mentioned)
    post.topics.set(_topics(body))
    events.post_updated(post)
    notification_triggers.post_edited(post, mentioned)
    return post


@transaction.atomic
def delete_post(*, actor: User, post: Post) -> Post:
    """A tombstone: the text goes, the thread's structure stays for audit."""
    post = Post.objects.select_for_update(of=("self",)).select_related("group").get(pk=post.pk)
    if not policy.can_delete_post(actor, post):
        raise PermissionDenied
    if post.body:
        PostRevision.objects.create(post=post, body=post.body, edited_by=actor)
    post.deleted_at = timezone.now()
    post.deleted_by = actor
    post.body = ""
    post.body_html = ""
    post.save(update_fields=["deleted_at", "deleted_by", "body", "body_html"])
    post.mentions.clear()
    post.topics.clear()
    events.post_deleted(post)
    return post


@transaction.atomic
def add_comment(
    *,
    author: User,
    body: str,
    post: Post | None = None,
    file=None,
    item=None,
    is_question: bool = False,
    reply_to: Comment | None = None,
) -> Comment:
    """A comment on a post, on a shared file (`file`) or on a meeting's agenda item (`item`):
    one comment system for all. `reply_to` answers a comment of the same thread."""
    if sum(subject is not None for subject in (post, file, item)) != 1:
        raise ValueError("a comment has exactly one subject")
    comment = Comment(post=post, file=file, item=item, author=author, is_question=bool(is_question))
    if not policy.can_take_part(author, comment):
        raise PermissionDenied
    if reply_to is not None:
        same_thread = (reply_to.post_id, reply_to.file_id, reply_to.item_id) == (
            comment.post_id,
            comment.file_id,
            comment.item_id,
        )
        if not same_thread or reply_to.is_deleted:
            raise ValidationError({"reply_to": _("Ce commentaire n'est pas dans ce fil.")})
        comment.reply_to = reply_to
    body = _clean_body(body, limit=COMMENT_MAX_LENGTH)
    mentioned = _resolve_mentions(author, body, post or file or item)
    comment.body, comment.body_html = body, _render(body, mentioned)
    comment.save()
    comment.mentions.set(mentioned)
    events.comment_created(comment)
    notification_triggers.comment_added(comment, mentioned)
    return comment


@transaction.atomic
def edit_comment(*, actor: User, comment: Comment, body: str) -> Comment:
    if not policy.can_edit_comment(actor, comment):
        raise PermissionDenied
    body = _clean_body(body, limit=COMMENT_MAX_LENGTH)
    mentioned = _resolve_mentions(actor, body, comment.post or comment.file or comment.item)
    comment.body, comment.body_html = body, _render(body, mentioned)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    comment.mentions.set(mentioned)
    notification_triggers.comment_edited(comment, mentioned)
    return comment


@transaction.atomic
def delete_comment(*, actor: User, comment: Comment) -> Comment:
    if not policy.can_delete_comment(actor, comment):
        raise PermissionDenied
    comment.deleted_at = timezone.now()
    comment.body = comment.body_html = ""
    comment.save(update_fields=["deleted_at", "body", "body_html"])
    comment.mentions.clear()
    # A question whose best answer is withdrawn is open again.
    if comment.post_id is not None:
        Post.objects.filter(pk=comment.post_id, best_answer=comment).update(best_answer=None)
    return comment


def _reaction_kind(kind: str) -> str:
    if kind not in Reaction.Kind.values:
        raise ValidationError({"kind": _("Réaction inconnue.")})
    return kind


def react(
    *,
    actor: User,
    post: Post | None = None,
    comment: Comment | None = None,
    kind: str = Reaction.Kind.LIKE,
) -> None:
    if (post is None) == (comment is None):
        raise ValidationError(_("Réagissez à une publication ou à un commentaire."))
    if comment is not None:
        allowed = not comment.is_deleted and policy.can_take_part(actor, comment)
    else:
        allowed = policy.can_interact(actor, post)
    if not allowed:
        raise PermissionDenied
    try:
        with transaction.atomic():
            _reaction, created = Reaction.objects.get_or_create(
                user=actor, post=post, comment=comment, kind=_reaction_kind(kind)
            )
            if created and post is not None:
                notification_triggers.post_liked(actor, post)
    except IntegrityError:
        pass  # a concurrent identical reaction: the result is the same


def unreact(
    *,
    actor: User,
    post: Post | None = None,
    comment: Comment | None = None,
    kind: str = Reaction.Kind.LIKE,
) -> None:
    Reaction.objects.filter(
        user=actor, post=post, comment=comment, kind=_reaction_kind(kind)
    ).delete()


def bookmark(*, actor: User, post: Post) -> None:
    if not policy.can_view_post(actor, post):
        raise PermissionDenied
    Bookmark.objects.get_or_create(user=actor, post=post)


def unbookmark(*, actor: User, post: Post) -> None:
    Bookmark.objects.filter(user=actor, post=post).delete()


@transaction.atomic
def vote(*, actor: User, post: Post, option_id: int) -> PollVote:
    """One vote per person, changeable until the poll closes."""
    # Locked and read afresh: a poll closed since the page was loaded takes no more votes.
    post = Post.objects.select_for_update(of=("self",)).select_related("group").get(pk=post.pk)
    if post.kind != Post.Kind.POLL or not policy.can_interact(actor, post):
        raise PermissionDenied
    if not post.poll_is_open:
        raise ValidationError(_("Ce sondage est clos."))
    try:
        option = post.poll_options.filter(pk=int(option_id)).first()
    except (TypeError, ValueError, OverflowError):
        option = None
    if option is None:
        raise ValidationError({"option": _("Cette réponse n'appartient pas au sondage.")})
    existing = PollVote.objects.select_for_update().filter(post=post, user=actor).first()
    if existing:
        existing.option = option
        existing.voted_at = timezone.now()
        existing.save(update_fields=["option", "voted_at"])
        return existing
    return PollVote.objects.create(post=post, option=option, user=actor)


def close_poll(*, actor: User, post: Post) -> Post:
    if post.kind != Post.Kind.POLL or not policy.can_delete_post(actor, post):
        raise PermissionDenied
    if post.poll_closed_at is None:
        post.poll_closed_at = timezone.now()
        post.save(update_fields=["poll_closed_at"])
    return post


@transaction.atomic
def choose_best_answer(*, actor: User, comment: Comment) -> Post:
    if comment.post_id is None:
        raise PermissionDenied  # a file's thread has no best answer
    post = (
        Post.objects.select_for_update(of=("self",)).select_related("group").get(pk=comment.post_id)
    )
    if not policy.can_choose_best_answer(actor, post):
        raise PermissionDenied
    if comment.is_deleted:
        raise ValidationError(_("Un commentaire supprimé ne peut pas être la meilleure réponse."))
    post.best_answer = comment
    post.save(update_fields=["best_answer"])
    return post


@transaction.atomic
def share_post(*, actor: User, post: Post, group: Group, body: str = "") -> Post:
    original = post.shared_from or post
    if not policy.can_share(actor, original, group):
        raise PermissionDenied
    body = _clean_body(body, limit=POST_MAX_LENGTH, required=False)
    shared = Post(author=actor, group=group, body=body, shared_from=original)
    mentioned = _resolve_mentions(actor, body, shared)
    shared.body_html = _render(body, mentioned) if body else ""
    shared.save()
    shared.mentions.set(mentioned)
    shared.topics.set(_topics(body))
    events.post_created(shared)
    notification_triggers.post_published(shared, mentioned)
    return shared


def follow(
    *, actor: User, user: User | None = None, group: Group | None = None, topic: Topic | None = None
) -> Follow:
    from groups import policy as group_policy

    if sum(target is not None for target in (user, group, topic)) != 1:
        raise ValidationError(_("Suivez une personne, un groupe ou un sujet."))
    if user is not None and (
        user.pk == actor.pk or not account_policy.can_view_profile(actor, user)
    ):
        raise PermissionDenied
    if group is not None and not group_policy.can_see_group(actor, group):
        raise PermissionDenied
    if not policy.has_social_space(actor):
        raise PermissionDenied
    follow, _created = Follow.objects.get_or_create(
        follower=actor, user=user, group=group, topic=topic
    )
    return follow


def unfollow(
    *, actor: User, user: User | None = None, group: Group | None = None, topic: Topic | None = None
) -> None:
    Follow.objects.filter(follower=actor, user=user, group=group, topic=topic).delete()
