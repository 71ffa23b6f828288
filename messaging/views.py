"""Messaging pages: the conversation list, an open conversation, the no-JS send and the start form.

Thin views: parse, call messaging.services or messaging.selectors, render. With JavaScript the
page writes through the API (/api/v1/conversations/...) and listens on the socket; these views
are the first render and the fallback without JavaScript. Lookups answer 404 for missing and
forbidden alike; citizens, who have no messaging, get 403.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from files import policy as file_policy
from files import selectors as file_selectors
from files.views import upload_limits
from messaging import policy, selectors, services
from messaging.forms import MessageForm, StartForm
from messaging.models import Conversation, Participant
from notifications import selectors as notification_selectors
from notifications.models import Mute

PREVIEW_LENGTH = 90


def _require_messaging(user: User) -> None:
    if not policy.has_messaging(user):
        raise Http404


def _others(participation: Participant, viewer: User) -> list[User]:
    return [p.user for p in participation.conversation.participants.all() if p.user_id != viewer.pk]


def _title(conversation: Conversation, others: list[User]) -> str:
    if conversation.title:
        return conversation.title
    if others:
        return ", ".join(person.display_name for person in others)
    return _("Conversation sans participant")


def _preview(conversation: Conversation) -> str:
    message = conversation.last_message
    if message is None:
        return ""
    if message.is_deleted:
        return _("Message supprimé")
    body = " ".join(message.body.split())
    return body if len(body) <= PREVIEW_LENGTH else body[: PREVIEW_LENGTH - 1] + "…"


def _conversation_list(viewer: User) -> list[dict]:
    """The rows of the list, unread first (the selector's order): a constant number of queries."""
    rows = []
    for participation in selectors.conversations_of(viewer):
        conversation = participation.conversation
        others = _others(participation, viewer)
        rows.append(
            {
                "conversation": conversation,
                "title": _title(conversation, others),
                "preview": _preview(conversation),
                "last_author": conversation.last_message.author
                if conversation.last_message
                else None,
                "unread": participation.unread_count,
            }
        )
    return rows


def _start_form(viewer: User, data=None) -> StartForm:
    return StartForm(data, candidates=policy.messageable_people(viewer))


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    _require_messaging(request.user)
    return render(
        request,
        "messaging/inbox.html",
        {"rows": _conversation_list(request.user), "start_form": _start_form(request.user)},
    )


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _conversation_context(request: HttpRequest, conversation: Conversation, **extra) -> dict:
    viewer = request.user
    participants = selectors.people_in(conversation)
    me = next((p for p in participants if p.user_id == viewer.pk), None)
    others = [p for p in participants if p.user_id != viewer.pk]
    history = selectors.history(viewer, conversation, before=_before(request))
    # "Vu" is shown in direct conversations only: how far the other person has read.
    seen_up_to = others[0].last_read_id if conversation.is_direct and len(others) == 1 else None
    return {
        "rows": _conversation_list(viewer),
        "conversation": conversation,
        "title": _title(conversation, [p.user for p in others]),
        "participants": participants,
        "history": history,
        "has_older": bool(history) and len(history) >= selectors.PAGE,
        "my_last_read": me.last_read_id if me else 0,
        "seen_up_to": seen_up_to,
        "can_send": policy.can_send(viewer, conversation, [p.user for p in participants]),
        "muted": notification_selectors.mute_state(viewer, Mute.Kind.CONVERSATION, conversation)
        == "self",
        "form": extra.pop("form", None) or MessageForm(author=viewer),
        **_attach_context(viewer),
        **extra,
    }


def _attach_context(viewer: User) -> dict:
    """What the composer's « Joindre des fichiers » block needs."""
    if not file_policy.can_have_files(viewer):
        return {"can_attach": False}
    return {
        "can_attach": True,
        "upload_limits": upload_limits(),
        "attachments_max": file_selectors.ATTACHMENTS_MAX,
    }


@require_GET
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    _require_messaging(request.user)
    found = selectors.get_conversation_for(request.user, conversation_id)
    return render(request, "messaging/conversation.html", _conversation_context(request, found))


@require_POST
def send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The composer without JavaScript: the hidden key makes a resubmitted form harmless."""
    _require_messaging(request.user)
    found = selectors.get_conversation_for(request.user, conversation_id)
    form = MessageForm(request.POST, author=request.user)
    if form.is_valid():
        try:
            services.send_message(
                author=request.user,
                conversation=found,
                body=form.cleaned_data["body"],
                client_key=form.cleaned_data["client_key"],
                # Only the author's own live files; any other id refuses the whole message.
                attachments=file_selectors.attachable_files(
                    request.user, form.cleaned_data["attachments"]
                ),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            services.mark_read(actor=request.user, conversation=found)
            return redirect("messaging:conversation", found.pk)
    return render(
        request,
        "messaging/conversation.html",
        _conversation_context(request, found, form=form),
        status=400,
    )


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    _require_messaging(request.user)
    form = _start_form(request.user, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["person"] and not data["people"] and not data["title"]:
                found = services.start_direct(actor=request.user, person=data["person"])
            else:
                people = list(data["people"])
                if data["person"] and data["person"] not in people:
                    people.append(data["person"])
                found = services.create_group_conversation(
                    actor=request.user, title=data["title"], people=people
                )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if not found.is_direct:
                messages.success(request, _("La conversation de groupe est créée."))
            return redirect("messaging:conversation", found.pk)
    return render(
        request,
        "messaging/inbox.html",
        {"rows": _conversation_list(request.user), "start_form": form},
        status=400,
    )
