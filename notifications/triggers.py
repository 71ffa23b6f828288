"""What the other apps' services call when something worth a notification happened.

Each function takes what the service has in hand and schedules the work after its
transaction commits (`robust`: a failure here is logged, never turns the write into an
error), so nobody is told about a write that was rolled back. The recipients are chosen here;
notifications.services.notify then drops the muted and those who may not see the target.
"""

import logging
from collections.abc import Callable, Iterable

from django.db import transaction

from notifications.models import Notification
from notifications.services import Target, notify

logger = logging.getLogger(__name__)
Kind = Notification.Kind
MAX_THREAD_RECIPIENTS = 200


def _after_commit(work: Callable[[], None]) -> None:
    transaction.on_commit(work, robust=True)


def excerpt(text: str) -> str:
    return " ".join((text or "").split())[:120]


# --- social ------------------------------------------------------------------------------------


def post_published(post, mentioned: Iterable) -> None:
    """A new post: its mentions, and the e-mails of members who want every post."""
    people = list(mentioned)

    def work() -> None:
        _mentions(post.author, people, Target(Kind.MENTION, post=post), excerpt(post.body))
        if post.group_id is not None:
            from notifications import tasks

            tasks.send_post_emails.delay(post.pk)

    _after_commit(work)


def post_edited(post, mentioned: Iterable) -> None:
    """An edited post: the people newly mentioned (a mention is told once)."""
    people = list(mentioned)
    _after_commit(
        lambda: _mentions(post.author, people, Target(Kind.MENTION, post=post), excerpt(post.body))
    )


def _subject_target(kind: str, comment) -> Target:
    if comment.post_id is not None:
        return Target(kind, post=comment.post)
    if comment.file_id is not None:
        return Target(kind, file=comment.file)
    return Target(kind, meeting=comment.item.meeting)


def _subject_title(comment) -> str:
    if comment.post_id is not None:
        return excerpt(comment.post.body) or excerpt(comment.body)
    if comment.file_id is not None:
        return comment.file.name
    return comment.item.meeting.title


def _mentions(actor, people: list, target: Target, title: str, comment_id=None) -> None:
    if not people:
        return
    told = set(
        Notification.objects.filter(
            kind=Kind.MENTION,
            recipient__in=people,
            comment_id=comment_id,
            **target.fields(),
        ).values_list("recipient_id", flat=True)
    )
    notify(
        recipients=[p for p in people if p.pk not in told],
        kind=Kind.MENTION,
        actor=actor,
        target=target,
        title=title,
        comment_id=comment_id,
    )


def comment_added(comment, mentioned: Iterable) -> None:
    """A comment: its mentions, and a reply to the subject's author and to the thread's other
    commenters (not to those it mentions: they hear of it as a mention)."""
    people = list(mentioned)

    def work() -> None:
        from social.models import Comment

        title = _subject_title(comment)
        _mentions(comment.author, people, _subject_target(Kind.MENTION, comment), title, comment.pk)
        thread = Comment.objects.filter(
            post_id=comment.post_id, file_id=comment.file_id, item_id=comment.item_id
        ).exclude(pk=comment.pk)
        author_ids = set(
            thread.filter(deleted_at__isnull=True)
            .values_list("author_id", flat=True)
            .distinct()[:MAX_THREAD_RECIPIENTS]
        )
        if comment.post_id is not None:
            author_ids.add(comment.post.author_id)
        elif comment.file_id is not None:
            author_ids.add(comment.file.owner_id)
        author_ids -= {p.pk for p in people} | {comment.author_id}
        if not author_ids:
            return
        from accounts.models import User

        notify(
            recipients=User.objects.filter(pk__in=author_ids),
            kind=Kind.REPLY,
            actor=comment.author,
            target=_subject_target(Kind.REPLY, comment),
            title=title,
            comment_id=comment.pk,
        )

    _after_commit(work)


def comment_edited(comment, mentioned: Iterable) -> None:
    people = list(mentioned)
    _after_commit(
        lambda: _mentions(
            comment.author,
            people,
            _subject_target(Kind.MENTION, comment),
            _subject_title(comment),
            comment.pk,
        )
    )


def post_liked(actor, post) -> None:
    """A reaction to a post: its author hears of it, grouped (« Anne et 3 autres »)."""
    _after_commit(
        lambda: notify(
            recipients=[post.author],
            kind=Kind.LIKE,
            actor=actor,
            target=Target(Kind.LIKE, post=post),
            title=excerpt(post.body),
        )
    )


# --- groups ------------------------------------------------------------------------------------


def join_requested(join_request) -> None:
    """A request to join a private group: its owners and managers hear of it."""

    def work() -> None:
        from accounts.models import User
        from groups.models import Membership

        managers = User.objects.filter(
            pk__in=Membership.objects.filter(
                group_id=join_request.group_id,
                role__in=[Membership.Role.OWNER, Membership.Role.MANAGER],
            ).values("user_id")
        )
        notify(
            recipients=managers,
            kind=Kind.JOIN_REQUEST,
            actor=join_request.user,
            target=Target(Kind.JOIN_REQUEST, group=join_request.group),
            title=join_request.group.name,
        )

    _after_commit(work)


def join_approved(join_request, actor) -> None:
    _after_commit(
        lambda: notify(
            recipients=[join_request.user],
            kind=Kind.JOIN_APPROVED,
            actor=actor,
            target=Target(Kind.JOIN_APPROVED, group=join_request.group),
            title=join_request.group.name,
        )
    )


def group_invited(invitation, person) -> None:
    """An invitation to a group sent to the address of an existing account."""
    if person is None:
        return
    _after_commit(
        lambda: notify(
            recipients=[person],
            kind=Kind.GROUP_INVITATION,
            actor=invitation.invited_by,
            target=Target(Kind.GROUP_INVITATION, invitation=invitation),
            title=invitation.group.name,
        )
    )


# --- meetings ----------------------------------------------------------------------------------


def meeting_invited(meeting, actor, people: Iterable) -> None:
    people = list(people)
    if not people:
        return
    _after_commit(
        lambda: notify(
            recipients=people,
            kind=Kind.MEETING_INVITATION,
            actor=actor,
            target=Target(Kind.MEETING_INVITATION, meeting=meeting),
            title=meeting.title,
        )
    )


def meeting_reminded(meeting, actor, people: Iterable) -> None:
    people = list(people)
    _after_commit(
        lambda: notify(
            recipients=people,
            kind=Kind.MEETING_REMINDER,
            actor=actor,
            target=Target(Kind.MEETING_REMINDER, meeting=meeting),
            title=meeting.title,
        )
    )


def meeting_moved(meeting, actor, what: Iterable[str]) -> None:
    """A meeting's date, times or place changed (`what`: "when" and/or "place"): its invited
    participants hear of it, one unread notification per meeting (the sentence shows the
    meeting's current slot and place)."""
    detail = ",".join(sorted(set(what)))
    if not detail:
        return

    def work() -> None:
        from accounts.models import User
        from meetings.policy import participants_filter

        notify(
            recipients=User.objects.filter(participants_filter(meeting)),
            kind=Kind.MEETING_CHANGED,
            actor=actor,
            target=Target(Kind.MEETING_CHANGED, meeting=meeting),
            title=meeting.title,
            detail=detail,
        )

    _after_commit(work)


def decision_assigned(decision, actor) -> None:
    _after_commit(
        lambda: notify(
            recipients=[decision.owner],
            kind=Kind.DECISION_ASSIGNED,
            actor=actor,
            target=Target(Kind.DECISION_ASSIGNED, decision=decision),
            title=excerpt(decision.text),
        )
    )


# --- messaging ---------------------------------------------------------------------------------


def message_sent(message, people: Iterable) -> None:
    """A new message: the participants who are offline (no open socket) hear of it, one
    notification per conversation while unread, and an e-mail for the first one.

    The send request only asks Redis who is offline (one round trip, after commit); the
    notification is written by a background job, so a message to someone away costs its
    sender no more than one to someone online.
    """
    recipients = [p.pk for p in people if p.pk != message.author_id]
    if not recipients:
        return

    def work() -> None:
        from notifications import tasks
        from realtime import presence

        status = presence.presence_of(recipients)
        offline = [pk for pk in recipients if status.get(pk) == presence.OFFLINE]
        if offline:
            tasks.notify_unread_message.delay(message.pk, offline)

    _after_commit(work)


# --- consultations -----------------------------------------------------------------------------


def consultation_request_updated(contribution, what: str) -> None:
    """A status change ("status") or an official answer ("answer") on a request: its author
    hears of it in-app (consultations e-mails them itself)."""
    if contribution.author_id is None:
        return
    _after_commit(
        lambda: notify(
            recipients=[contribution.author],
            kind=Kind.CONSULTATION_UPDATE,
            target=Target(Kind.CONSULTATION_UPDATE, contribution=contribution),
            title=excerpt(contribution.title),
            detail=what,
        )
    )
