"""Writes on meetings, their agenda, opinions and decisions: one function per action.

Each checks meetings.policy, validates with a French message, writes in one transaction, and
publishes its realtime events (meetings.events) and e-mails after commit.
"""

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from files import policy as file_policy
from files.models import File, FileShare
from groups.models import Group
from meetings import events, policy
from meetings.models import (
    ARGUMENT_MAX_LENGTH,
    DECISION_COMMENT_MAX_LENGTH,
    DECISION_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    SYNTHESIS_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VIDEO_URL_MAX_LENGTH,
    AgendaItem,
    CalendarToken,
    Decision,
    DecisionUpdate,
    Invitation,
    Meeting,
    Opinion,
    OpinionChange,
    Position,
)
from notifications import triggers as notification_triggers
from social import policy as social_policy
from social import rendering
from social import services as social_services
from social.models import POST_MAX_LENGTH

REMINDER_INTERVAL = timedelta(hours=1)
MAX_ITEMS = 100
MAX_PARTICIPANTS = 500

# --- Validation ------------------------------------------------------------------------------


def _limit(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _clean(value: str | None, *, field: str, limit: int, required: bool = False) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise ValidationError({field: _("Ce champ est obligatoire.")})
    if len(value) > limit:
        raise ValidationError(
            {field: _("Ce champ dépasse %(limit)s caractères.") % {"limit": _limit(limit)}}
        )
    return value


def _clean_times(starts_at: datetime, ends_at: datetime) -> None:
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ValidationError({field: _("Indiquez une date et une heure avec fuseau.")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("La réunion doit finir après son début.")})


def _clean_video_url(url: str | None) -> str:
    url = _clean(url, field="video_url", limit=VIDEO_URL_MAX_LENGTH)
    if url:
        try:
            URLValidator(schemes=["https"])(url)
        except ValidationError:
            raise ValidationError(
                {"video_url": _("Le lien de visioconférence doit être une adresse https://.")}
            ) from None
    return url


def _render(text: str) -> str:
    return rendering.render(text) if text else ""


def _locked(meeting: Meeting) -> Meeting:
    """The meeting read afresh under a row lock: status and counters are decided on it."""
    return (
        Meeting.objects.select_for_update(of=("self",)).select_related("group").get(pk=meeting.pk)
    )


def meeting_url(meeting: Meeting) -> str:
    """The meeting page's absolute address (e-mails, minutes, calendars)."""
    return (
        f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.SITE_DOMAIN}"
        f"{meeting.get_absolute_url()}"
    )


# --- Meetings --------------------------------------------------------------------------------


@transaction.atomic
def create_meeting(
    *,
    actor: User,
    group: Group,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    place: str = "",
    video_url: str = "",
    members_may_add_items: bool = False,
    participants: Iterable[User] = (),
) -> Meeting:
    """Create a meeting in `group` organised by `actor` (a participant), inviting others."""
    if not policy.can_create_meeting(actor, group):
        raise PermissionDenied
    title = _clean(title, field="title", limit=TITLE_MAX_LENGTH, required=True)
    description = _clean(description, field="description", limit=DESCRIPTION_MAX_LENGTH)
    place = _clean(place, field="place", limit=PLACE_MAX_LENGTH)
    video_url = _clean_video_url(video_url)
    if not place and not video_url:
        raise ValidationError({"place": _("Indiquez un lieu ou un lien de visioconférence.")})
    _clean_times(starts_at, ends_at)
    meeting = Meeting.objects.create(
        group=group,
        title=title,
        description=description,
        description_html=_render(description),
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        video_url=video_url,
        organiser=actor,
        members_may_add_items=bool(members_may_add_items),
    )
    Invitation.objects.create(meeting=meeting, user=actor, invited_by=actor)
    _invite(actor, meeting, [p for p in participants if p.pk != actor.pk])
    events.meeting_changed(meeting, "created")
    return meeting


_SCHEDULE_FIELDS = ("title", "description", "starts_at", "ends_at", "place", "video_url")


@transaction.atomic
def update_meeting(
    *,
    actor: User,
    meeting: Meeting,
    title: str | None = None,
    description: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    place: str | None = None,
    video_url: str | None = None,
    members_may_add_items: bool | None = None,
) -> Meeting:
    """Change the given fields (None: unchanged); calendar fields bump the iCalendar sequence,
    and a new date, times or place is told to the invited participants (notifications)."""
    meeting = _locked(meeting)
    if not policy.can_update_meeting(actor, meeting):
        raise PermissionDenied
    changes: dict = {}
    if title is not None:
        changes["title"] = _clean(title, field="title", limit=TITLE_MAX_LENGTH, required=True)
    if description is not None:
        changes["description"] = _clean(
            description, field="description", limit=DESCRIPTION_MAX_LENGTH
        )
    if place is not None:
        changes["place"] = _clean(place, field="place", limit=PLACE_MAX_LENGTH)
    if video_url is not None:
        changes["video_url"] = _clean_video_url(video_url)
    if starts_at is not None:
        changes["starts_at"] = starts_at
    if ends_at is not None:
        changes["ends_at"] = ends_at
    _clean_times(
        changes.get("starts_at", meeting.starts_at), changes.get("ends_at", meeting.ends_at)
    )
    if not changes.get("place", meeting.place) and not changes.get("video_url", meeting.video_url):
        raise ValidationError({"place": _("Indiquez un lieu ou un lien de visioconférence.")})
    if members_may_add_items is not None:
        changes["members_may_add_items"] = bool(members_may_add_items)
    changed = {k: v for k, v in changes.items() if getattr(meeting, k) != v}
    if not changed:
        return meeting
    for field, value in changed.items():
        setattr(meeting, field, value)
    if "description" in changed:
        meeting.description_html = _render(meeting.description)
        changed["description_html"] = meeting.description_html
    if any(field in changed for field in _SCHEDULE_FIELDS):
        meeting.sequence += 1
    meeting.updated_at = timezone.now()
    meeting.save(update_fields=[*changed, "sequence", "updated_at"])
    events.meeting_changed(meeting, "details")
    moved = {"when" for f in ("starts_at", "ends_at") if f in changed} | {
        "place" for f in ("place", "video_url") if f in changed
    }
    notification_triggers.meeting_moved(meeting, actor, moved)
    return meeting


@transaction.atomic
def cancel_meeting(*, actor: User, meeting: Meeting) -> Meeting:
    """Cancel a meeting in preparation (calendars show it cancelled)."""
    meeting = _locked(meeting)
    if not policy.can_record(actor, meeting) or not policy.is_open(meeting):
        raise PermissionDenied
    meeting.cancelled_at = timezone.now()
    meeting.sequence += 1
    meeting.updated_at = meeting.cancelled_at
    meeting.save(update_fields=["cancelled_at", "sequence", "updated_at"])
    events.meeting_changed(meeting, "cancelled")
    return meeting


# --- Participants ----------------------------------------------------------------------------


def _invite(actor: User, meeting: Meeting, people: list[User]) -> list[Invitation]:
    refused = [p for p in people if not policy.may_be_invited(p, meeting)]
    if refused:
        names = ", ".join(p.display_name for p in refused)
        raise ValidationError(
            {
                "participants": _(
                    "%(names)s ne peut pas être invité : seuls les membres du groupe et les "
                    "élus peuvent participer."
                )
                % {"names": names}
            }
        )
    existing = set(
        Invitation.objects.filter(meeting=meeting, user__in=people).values_list(
            "user_id", flat=True
        )
    )
    new = list({p.pk: p for p in people if p.pk not in existing}.values())
    if Invitation.objects.filter(meeting=meeting).count() + len(new) > MAX_PARTICIPANTS:
        raise ValidationError(
            {
                "participants": _("Une réunion compte %(limit)s participants au plus.")
                % {"limit": MAX_PARTICIPANTS}
            }
        )
    notification_triggers.meeting_invited(meeting, actor, new)
    return Invitation.objects.bulk_create(
        Invitation(meeting=meeting, user=p, invited_by=actor) for p in new
    )


@transaction.atomic
def invite(*, actor: User, meeting: Meeting, people: Iterable[User]) -> list[Invitation]:
    """Invite group members or elected officials; returns the new invitations."""
    meeting = _locked(meeting)
    if not policy.can_record(actor, meeting):
        raise PermissionDenied
    invitations = _invite(actor, meeting, list(people))
    if invitations:
        events.meeting_changed(meeting, "participants")
    return invitations


@transaction.atomic
def uninvite(*, actor: User, meeting: Meeting, person: User) -> None:
    """Withdraw an invitation (never the organiser's)."""
    meeting = _locked(meeting)
    if not policy.can_record(actor, meeting):
        raise PermissionDenied
    if person.pk == meeting.organiser_id:
        raise ValidationError({"participants": _("L'organisateur participe toujours.")})
    deleted, _rows = Invitation.objects.filter(meeting=meeting, user=person).delete()
    if deleted:
        events.meeting_changed(meeting, "participants")


# --- Agenda ----------------------------------------------------------------------------------


@transaction.atomic
def add_item(*, actor: User, meeting: Meeting, title: str, description: str = "") -> AgendaItem:
    """Add an agenda item at the end of the agenda."""
    meeting = _locked(meeting)
    if not policy.can_add_item(actor, meeting):
        raise PermissionDenied
    title = _clean(title, field="title", limit=TITLE_MAX_LENGTH, required=True)
    description = _clean(description, field="description", limit=DESCRIPTION_MAX_LENGTH)
    stats = meeting.items.aggregate(last=Max("position"))
    if meeting.items.count() >= MAX_ITEMS:
        raise ValidationError(
            {"title": _("L'ordre du jour compte %(limit)s points au plus.") % {"limit": MAX_ITEMS}}
        )
    last = stats["last"]
    item = AgendaItem.objects.create(
        meeting=meeting,
        position=0 if last is None else last + 1,
        title=title,
        description=description,
        description_html=_render(description),
        author=actor,
    )
    events.item_changed(meeting, item.pk, "created")
    return item


@transaction.atomic
def edit_item(
    *, actor: User, item: AgendaItem, title: str | None = None, description: str | None = None
) -> AgendaItem:
    """Change an item's title and/or description (None: unchanged)."""
    meeting = _locked(item.meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    item.meeting = meeting
    if not policy.can_edit_item(actor, item):
        raise PermissionDenied
    fields = []
    if title is not None:
        item.title = _clean(title, field="title", limit=TITLE_MAX_LENGTH, required=True)
        fields.append("title")
    if description is not None:
        item.description = _clean(description, field="description", limit=DESCRIPTION_MAX_LENGTH)
        item.description_html = _render(item.description)
        fields += ["description", "description_html"]
    if fields:
        item.save(update_fields=fields)
        events.item_changed(meeting, item.pk, "updated")
    return item


@transaction.atomic
def move_item(*, actor: User, item: AgendaItem, position: int) -> list[AgendaItem]:
    """Move an item to `position` (0 first) and return the agenda in its new order."""
    meeting = _locked(item.meeting)
    if not policy.can_move_items(actor, meeting):
        raise PermissionDenied
    items = list(meeting.items.order_by("position", "id"))
    try:
        position = int(position)
    except (TypeError, ValueError, OverflowError):
        position = -1
    if not 0 <= position < len(items):
        raise ValidationError({"position": _("Cette position n'existe pas dans l'ordre du jour.")})
    moving = next((i for i in items if i.pk == item.pk), None)
    if moving is None:
        raise ValidationError({"position": _("Ce point n'est pas à l'ordre du jour.")})
    items.remove(moving)
    items.insert(position, moving)
    # Out of the way first: (meeting, position) stays unique at every statement.
    offset = len(items) + (max(i.position for i in items) if items else 0) + 1
    meeting.items.update(position=F("position") + offset)
    for index, agenda_item in enumerate(items):
        agenda_item.position = index
    AgendaItem.objects.bulk_update(items, ["position"])
    events.item_changed(meeting, item.pk, "moved")
    return items


@transaction.atomic
def remove_item(*, actor: User, item: AgendaItem) -> None:
    """Remove an item with its thread, opinions and attachments (in preparation only)."""
    meeting = _locked(item.meeting)
    item.meeting = meeting
    if not policy.can_edit_item(actor, item):
        raise PermissionDenied
    item_id = item.pk
    item.delete()
    events.item_changed(meeting, item_id, "removed")


@transaction.atomic
def attach_file_to_item(*, actor: User, item: AgendaItem, file: File) -> FileShare:
    """Attach one of `actor`'s files to an item: whoever may see the meeting may read it."""
    if not policy.can_attach_to_item(actor, item) or not file_policy.can_share_file(actor, file):
        raise PermissionDenied
    share, created = FileShare.objects.get_or_create(
        file=file, item=item, defaults={"shared_by": actor}
    )
    if created:
        events.item_changed(item.meeting, item.pk, "updated")
    return share


@transaction.atomic
def edit_synthesis(*, actor: User, item: AgendaItem, text: str) -> AgendaItem:
    """The organiser's wording of an item's synthesis; blank goes back to the generated one."""
    meeting = _locked(item.meeting)
    if not policy.can_record(actor, meeting):
        raise PermissionDenied
    item = AgendaItem.objects.select_for_update().get(pk=item.pk, meeting=meeting)
    item.synthesis_text = _clean(text, field="synthesis_text", limit=SYNTHESIS_MAX_LENGTH)
    item.save(update_fields=["synthesis_text"])
    events.item_changed(meeting, item.pk, "synthesis")
    return item


# --- Preparation -----------------------------------------------------------------------------


@transaction.atomic
def set_opinion(*, actor: User, item: AgendaItem, position: str, argument: str = "") -> Opinion:
    """Give or change a position on an item, until the meeting starts; every change is kept."""
    meeting = _locked(item.meeting)
    if not policy.can_give_opinion(actor, meeting):
        if policy.is_participant(actor, meeting):
            raise ValidationError(
                _("La réunion a commencé : les avis ne peuvent plus être modifiés.")
            )
        raise PermissionDenied
    if item.meeting_id != meeting.pk:
        raise PermissionDenied
    if position not in Position.values:
        raise ValidationError({"position": _("Position inconnue.")})
    argument = _clean(argument, field="argument", limit=ARGUMENT_MAX_LENGTH)
    now = timezone.now()
    opinion = Opinion.objects.select_for_update().filter(item=item, user=actor).first()
    if opinion is not None and (opinion.position, opinion.argument) == (position, argument):
        return opinion
    if opinion is None:
        opinion = Opinion.objects.create(
            item=item,
            user=actor,
            position=position,
            argument=argument,
            created_at=now,
            updated_at=now,
        )
    else:
        opinion.position, opinion.argument, opinion.updated_at = position, argument, now
        opinion.save(update_fields=["position", "argument", "updated_at"])
    OpinionChange.objects.create(
        item=item, user=actor, position=position, argument=argument, created_at=now
    )
    item.meeting = meeting
    events.opinion_changed(item, actor.pk)
    return opinion


def _own_invitation(actor: User, meeting: Meeting) -> Invitation:
    return Invitation.objects.select_for_update().get(meeting=meeting, user=actor)


@transaction.atomic
def mark_ready(*, actor: User, meeting: Meeting) -> Invitation:
    """A participant says they are ready (« prêt ») for the meeting."""
    meeting = _locked(meeting)
    if not policy.can_mark_ready(actor, meeting):
        raise PermissionDenied
    invitation = _own_invitation(actor, meeting)
    if invitation.ready_at is None:
        invitation.ready_at = timezone.now()
        invitation.save(update_fields=["ready_at"])
        events.ready_changed(meeting, actor.pk, ready=True)
    return invitation


@transaction.atomic
def unmark_ready(*, actor: User, meeting: Meeting) -> Invitation:
    """A participant withdraws their « prêt »."""
    meeting = _locked(meeting)
    if not policy.can_mark_ready(actor, meeting):
        raise PermissionDenied
    invitation = _own_invitation(actor, meeting)
    if invitation.ready_at is not None:
        invitation.ready_at = None
        invitation.save(update_fields=["ready_at"])
        events.ready_changed(meeting, actor.pk, ready=False)
    return invitation


def mark_agenda_read(*, actor: User, meeting: Meeting) -> Invitation | None:
    """Note the first time a participant opens the agenda; None for non-participants."""
    if not policy.is_participant(actor, meeting):
        return None
    Invitation.objects.filter(meeting=meeting, user=actor, agenda_read_at__isnull=True).update(
        agenda_read_at=timezone.now()
    )
    return Invitation.objects.get(meeting=meeting, user=actor)


def _send_reminder_mail(meeting_id: int, user_id: int, url: str) -> None:
    meeting = Meeting.objects.get(pk=meeting_id)
    person = User.objects.get(pk=user_id)
    language = getattr(person, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("Rappel : préparez la réunion « %(title)s »") % {"title": meeting.title}
        body = _(
            "Bonjour %(name)s,\n\nLa réunion « %(title)s » a lieu le %(date)s. "
            "Prenez connaissance de l'ordre du jour, donnez votre avis sur chaque point "
            "et indiquez que vous êtes prêt :\n%(url)s\n"
        ) % {
            "name": person.display_name,
            "title": meeting.title,
            "date": timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y %H:%M"),
            "url": url,
        }
    send_mail(subject, body, None, [person.email])


@transaction.atomic
def send_reminder(*, actor: User, meeting: Meeting) -> list[User]:
    """Remind the participants not ready or who have not read the agenda (e-mail and in-app),
    at most once an hour; returns the people reminded."""
    meeting = _locked(meeting)
    if not policy.is_open(meeting) or not policy.can_manage_meeting(actor, meeting):
        raise PermissionDenied
    now = timezone.now()
    if meeting.reminded_at is not None and now - meeting.reminded_at < REMINDER_INTERVAL:
        raise ValidationError(
            _("Un rappel a déjà été envoyé il y a moins d'une heure. Réessayez plus tard.")
        )
    late = Invitation.objects.filter(meeting=meeting).filter(
        ready_at__isnull=True
    ) | Invitation.objects.filter(meeting=meeting, agenda_read_at__isnull=True)
    people = list(
        User.objects.filter(policy.participants_filter(meeting))
        .filter(pk__in=late.values("user_id"))
        .exclude(pk=actor.pk)
        .order_by("display_name", "pk")
    )
    if not people:
        return []
    meeting.reminded_at = now
    meeting.save(update_fields=["reminded_at"])
    url = meeting_url(meeting)
    for person in people:
        transaction.on_commit(
            lambda pid=person.pk: _send_reminder_mail(meeting.pk, pid, url), robust=True
        )
    events.reminded(meeting, [p.pk for p in people])
    notification_triggers.meeting_reminded(meeting, actor, people)
    return people


# --- During and after ------------------------------------------------------------------------


@transaction.atomic
def record_attendance(
    *, actor: User, meeting: Meeting, attendance: Mapping[int, bool | None]
) -> list[Invitation]:
    """Record who attended (user id → True, False, or None for unknown); participants only."""
    meeting = _locked(meeting)
    if not policy.can_record(actor, meeting):
        raise PermissionDenied
    invitations = {
        i.user_id: i for i in Invitation.objects.select_for_update().filter(meeting=meeting)
    }
    unknown = [uid for uid in attendance if uid not in invitations]
    if unknown:
        raise ValidationError({"attendance": _("Ces personnes ne sont pas invitées.")})
    changed = []
    for user_id, attended in attendance.items():
        invitation = invitations[user_id]
        if attended not in (True, False, None):
            raise ValidationError({"attendance": _("Présence : oui, non ou inconnue.")})
        if invitation.attended != attended:
            invitation.attended = attended
            changed.append(invitation)
    Invitation.objects.bulk_update(changed, ["attended"])
    if changed:
        events.meeting_changed(meeting, "attendance")
    return list(invitations.values())


@transaction.atomic
def hold_meeting(*, actor: User, meeting: Meeting) -> Meeting:
    """The meeting has taken place: opinions and the agenda are frozen."""
    meeting = _locked(meeting)
    if not policy.can_record(actor, meeting) or not policy.is_open(meeting):
        raise PermissionDenied
    meeting.status = Meeting.Status.HELD
    meeting.held_at = meeting.updated_at = timezone.now()
    meeting.save(update_fields=["status", "held_at", "updated_at"])
    events.meeting_changed(meeting, "status")
    return meeting


def _clean_due_on(due_on: date | None) -> date | None:
    if due_on is not None and (not isinstance(due_on, date) or isinstance(due_on, datetime)):
        raise ValidationError({"due_on": _("Indiquez une date d'échéance valide.")})
    return due_on


@transaction.atomic
def add_decision(
    *,
    actor: User,
    meeting: Meeting,
    text: str,
    owner: User,
    due_on: date | None = None,
    item: AgendaItem | None = None,
) -> Decision:
    """Record a decision (or action item) of the meeting, with its owner and due date."""
    meeting = _locked(meeting)
    if not policy.can_record(actor, meeting) or meeting.is_cancelled:
        raise PermissionDenied
    text = _clean(text, field="text", limit=DECISION_MAX_LENGTH, required=True)
    if item is not None and item.meeting_id != meeting.pk:
        raise ValidationError({"item": _("Ce point n'est pas à l'ordre du jour de la réunion.")})
    if not policy.may_own_decision(owner, meeting):
        raise ValidationError(
            {"owner": _("Le responsable doit pouvoir voir la réunion (membre ou invité).")}
        )
    decision = Decision.objects.create(
        meeting=meeting,
        item=item,
        text=text,
        owner=owner,
        due_on=_clean_due_on(due_on),
        created_by=actor,
    )
    events.meeting_changed(meeting, "decisions")
    notification_triggers.decision_assigned(decision, actor)
    return decision


@transaction.atomic
def update_decision_status(
    *, actor: User, decision: Decision, status: str, comment: str = ""
) -> Decision:
    """Change a decision's status with a comment (kept in its follow-up log), even years later."""
    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("meeting__group")
        .get(pk=decision.pk)
    )
    if not policy.can_update_decision(actor, decision):
        raise PermissionDenied
    if status not in Decision.Status.values:
        raise ValidationError({"status": _("Statut inconnu.")})
    comment = _clean(comment, field="comment", limit=DECISION_COMMENT_MAX_LENGTH)
    if status == decision.status and not comment:
        raise ValidationError({"comment": _("Indiquez un commentaire ou un nouveau statut.")})
    DecisionUpdate.objects.create(decision=decision, author=actor, status=status, comment=comment)
    decision.status = status
    decision.updated_at = timezone.now()
    decision.save(update_fields=["status", "updated_at"])
    events.meeting_changed(decision.meeting, "decisions")
    return decision


def _neutral(text: str) -> str:
    """User text quoted in the minutes: its @handles mention nobody a second time."""
    return text.replace("@", "@\u2060")


def minutes_markdown(meeting: Meeting) -> str:
    """The minutes of a meeting (synthesis and decisions) as Markdown, within a post's limit."""
    from meetings.synthesis import compute_synthesis

    synthesis = compute_synthesis(meeting)
    labels = dict(Position.choices)
    lines = [
        _("**Compte rendu de la réunion « %(title)s »** du %(date)s")
        % {
            "title": _neutral(meeting.title),
            "date": timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y"),
        },
        "",
        _("Page de la réunion : %(url)s") % {"url": meeting_url(meeting)},
        "",
    ]
    attended = [p.display_name for p in synthesis.participants if p.attended]
    if attended:
        lines += [_("Présents : %(names)s") % {"names": ", ".join(attended)}, ""]
    for number, item in enumerate(synthesis.items, start=1):
        lines.append(f"#### {number}. {_neutral(item.title)}")
        if item.override_text:
            lines += ["", _neutral(item.override_text)]
        else:
            counts = ", ".join(
                f"{labels[position]} : {count}" for position, count in item.counts.items()
            )
            lines += ["", _("Avis : %(counts)s") % {"counts": counts}]
            for position, arguments in item.arguments.items():
                for argument in arguments:
                    lines.append(
                        f"- {labels[position]} — {argument.author_name} : {_neutral(argument.text)}"
                    )
            if item.open_questions:
                lines.append(
                    _("Questions restées ouvertes : %(n)s") % {"n": len(item.open_questions)}
                )
        lines.append("")
    decisions = list(meeting.decisions.select_related("owner").order_by("created_at", "id"))
    if decisions:
        lines += [f"#### {_('Décisions')}", ""]
        for decision in decisions:
            due = (
                _(" (échéance : %(date)s)") % {"date": decision.due_on.strftime("%d/%m/%Y")}
                if decision.due_on
                else ""
            )
            lines.append(f"- {_neutral(decision.text)} — {decision.owner.display_name}{due}")
    body = "\n".join(lines).strip()
    limit = POST_MAX_LENGTH
    if len(body) > limit:
        tail = "\n\n" + _("… (la suite sur la page de la réunion)")
        body = body[: limit - len(tail)] + tail
    return body


@transaction.atomic
def close_meeting(*, actor: User, meeting: Meeting) -> Meeting:
    """Close the meeting and publish its minutes (synthesis and decisions) in the group's feed."""
    meeting = _locked(meeting)
    if not policy.can_record(actor, meeting) or meeting.is_cancelled:
        raise PermissionDenied
    group = meeting.group
    if social_policy.can_post_in_group(actor, group):
        author = actor
    elif social_policy.can_post_in_group(meeting.organiser, group):
        author = meeting.organiser
    else:
        raise ValidationError(
            _("Le compte rendu est publié au nom d'un membre du groupe : rejoignez le groupe.")
        )
    post = social_services.create_post(author=author, group=group, body=minutes_markdown(meeting))
    now = timezone.now()
    meeting.status = Meeting.Status.CLOSED
    meeting.held_at = meeting.held_at or now
    meeting.closed_at = meeting.updated_at = now
    meeting.minutes_post = post
    meeting.save(update_fields=["status", "held_at", "closed_at", "updated_at", "minutes_post"])
    events.meeting_closed(meeting)
    return meeting


# --- Calendar tokens -------------------------------------------------------------------------


def calendar_token_digest(raw: str) -> str:
    """The stored form of a calendar token (SHA-256)."""
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_calendar_token(*, user: User) -> tuple[CalendarToken, str]:
    """A new private calendar feed token, returned with its only clear copy."""
    if not (user.is_authenticated and user.is_active) or user.is_citizen:
        raise PermissionDenied
    raw = "cal_" + secrets.token_urlsafe(32)
    token = CalendarToken.objects.create(
        user=user, prefix=raw[:12], digest=calendar_token_digest(raw)
    )
    return token, raw


def revoke_calendar_token(*, user: User, token_id: int) -> None:
    """Revoke one of `user`'s calendar tokens (unknown ids: refused like forbidden ones)."""
    updated = CalendarToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise PermissionDenied
