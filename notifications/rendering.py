"""A notification's sentence and address, built when it is shown (in the reader's language)."""

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Notification

Kind = Notification.Kind


def actors(notification: Notification) -> str:
    """« Anne », « Anne et 1 autre », « Anne et 3 autres »."""
    name = notification.actor.display_name if notification.actor else _("Quelqu'un")
    others = max(0, notification.actor_count - 1)
    if not others:
        return name
    return ngettext("%(name)s et %(n)s autre", "%(name)s et %(n)s autres", others) % {
        "name": name,
        "n": others,
    }


def _day(moment) -> str:
    # « mardi 8 décembre » (with the year when it is not this one), in the reader's language.
    pattern = "l j F" if moment.year == timezone.localtime().year else "l j F Y"
    return date_format(moment, pattern)


def _time(moment) -> str:
    # Translators: a Django time format; the French one reads « 14 h 00 ».
    return date_format(moment, _("G \\h i"))


def slot(meeting) -> str:
    """« mardi 8 décembre, 14 h 00 - 16 h 00 » (with an en dash) in the local time zone (both
    days when the meeting ends another day)."""
    start, end = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
    if start.date() == end.date():
        return f"{_day(start)}, {_time(start)} – {_time(end)}"
    return f"{_day(start)}, {_time(start)} – {_day(end)}, {_time(end)}"


def _meeting_moved(n: Notification) -> str:
    meeting = n.meeting
    values = {
        "title": n.title or meeting.title,
        "slot": slot(meeting),
        "place": meeting.place or _("en visioconférence"),
    }
    if "when" in n.detail.split(","):
        return _("La réunion « %(title)s » est déplacée au %(slot)s, %(place)s") % values
    return _("La réunion « %(title)s » change de lieu : %(place)s (%(slot)s)") % values


def text(notification: Notification) -> str:
    n = notification
    values = {
        "actors": actors(n),
        "title": n.title,
        "group": n.group.name if n.group_id and n.group else n.title,
        "detail": n.detail,
    }
    several = n.actor_count > 1
    if n.kind == Kind.MENTION:
        return _("%(actors)s vous a mentionné : « %(title)s »") % values
    if n.kind == Kind.REPLY:
        if several:
            return _("%(actors)s ont répondu dans « %(title)s »") % values
        return _("%(actors)s a répondu dans « %(title)s »") % values
    if n.kind == Kind.LIKE:
        if several:
            return _("%(actors)s aiment votre publication « %(title)s »") % values
        return _("%(actors)s aime votre publication « %(title)s »") % values
    if n.kind == Kind.GROUP_INVITATION:
        return _("%(actors)s vous invite dans le groupe « %(title)s »") % values
    if n.kind == Kind.JOIN_REQUEST:
        if several:
            return _("%(actors)s demandent à rejoindre « %(group)s »") % values
        return _("%(actors)s demande à rejoindre « %(group)s »") % values
    if n.kind == Kind.JOIN_APPROVED:
        return _("Votre demande pour rejoindre « %(group)s » est acceptée") % values
    if n.kind == Kind.MEETING_INVITATION:
        return _("%(actors)s vous invite à la réunion « %(title)s »") % values
    if n.kind == Kind.MEETING_REMINDER:
        return _("Rappel : préparez la réunion « %(title)s »") % values
    if n.kind == Kind.MEETING_CHANGED and n.meeting_id:
        return _meeting_moved(n)
    if n.kind == Kind.DECISION_ASSIGNED:
        return _("%(actors)s vous a confié une décision : « %(title)s »") % values
    if n.kind == Kind.DECISION_OVERDUE:
        return _("Décision en retard : « %(title)s »") % values
    if n.kind == Kind.CONSULTATION_UPDATE:
        if n.detail == "answer":
            return _("Votre demande « %(title)s » a reçu une réponse") % values
        return _("Votre demande « %(title)s » a changé de statut") % values
    if n.kind == Kind.MESSAGE:
        if several:
            return _("%(actors)s vous ont écrit") % values
        return _("%(actors)s vous a écrit") % values
    return n.title


def _contribution_url(n: Notification) -> str:
    try:
        return reverse("consultations:contribution", args=[n.contribution_id])
    except NoReverseMatch:  # consultation pages not mounted
        return reverse("home")


def url(notification: Notification) -> str:
    """The page of the target (at the comment, for a thread)."""
    n = notification
    anchor = f"#commentaire-{n.comment_id}" if n.comment_id else ""
    if n.post_id:
        return reverse("social:post", args=[n.post_id]) + anchor
    if n.file_id:
        return reverse("files:detail", args=[n.file_id]) + anchor
    if n.decision_id:
        return reverse("meetings:decision", args=[n.decision_id])
    if n.meeting_id:
        return reverse("meetings:detail", args=[n.meeting_id]) + anchor
    if n.conversation_id:
        return reverse("messaging:conversation", args=[n.conversation_id])
    if n.contribution_id:
        return _contribution_url(n)
    if n.group_id and n.kind == Kind.JOIN_REQUEST:
        return reverse("groups:requests", args=[n.group.slug])
    if n.group_id:
        return reverse("social:group", args=[n.group.slug])
    if n.invitation_id:
        return reverse("notifications:list")
    return reverse("notifications:list")
