"""Meeting pages: a group's meetings, the meeting page and its actions, the synthesis (HTML and
PDF), the decisions register, .ics files and the private calendar feed.

Thin views: parse, call meetings.services or meetings.selectors, render. Actions are plain form
posts that redirect back (they work without JavaScript); under htmx the opinion, « prêt » and
comment forms answer the refreshed fragment, and static/js/meetings.js refreshes fragments when
the socket says something changed. Lookups answer 404 for missing and forbidden alike.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from files import policy as file_policy
from files import selectors as file_selectors
from groups import policy as group_policy
from groups import selectors as group_selectors
from groups.views import _group_context
from meetings import policy, selectors, services
from meetings.calendar import calendar_feed, meeting_ics
from meetings.forms import (
    AttachForm,
    CommentForm,
    DecisionForm,
    DecisionStatusForm,
    ItemForm,
    MeetingForm,
    MoveForm,
    OpinionForm,
    RegisterFilterForm,
    SynthesisForm,
)
from meetings.models import AgendaItem, Decision, Invitation, Meeting, Position
from meetings.pdf import synthesis_pdf
from meetings.synthesis import compute_synthesis
from notifications import selectors as notification_selectors
from notifications.models import Mute
from social import selectors as social_selectors
from social import services as social_services
from social.forms import apply_errors
from social.models import Comment

REGISTER_PAGE_SIZE = 50
ATTACHABLE_FILES = 30
FRAGMENTS = ("header", "me", "preparation", "agenda", "decisions")


# --- Helpers ---------------------------------------------------------------------------------


def _meeting_url(meeting: Meeting, anchor: str = "") -> str:
    return reverse("meetings:detail", args=[meeting.pk]) + (f"#{anchor}" if anchor else "")


def _item_of(request: HttpRequest, meeting_id: int, item_id: int) -> AgendaItem:
    """The item if the user may see its meeting and it belongs to `meeting_id` (else 404)."""
    item = selectors.get_item_for(request.user, item_id)
    if item.meeting_id != meeting_id:
        raise Http404
    return item


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _decision_owners(meeting: Meeting) -> QuerySet[User]:
    """Who may own a decision of the meeting: whoever may see it (policy.may_own_decision)."""
    return User.objects.filter(policy.viewers_filter(meeting)).order_by("display_name", "pk")


# --- A group's meetings ----------------------------------------------------------------------


def group_meetings(request: HttpRequest, slug: str) -> HttpResponse:
    group = group_selectors.get_group_for(request.user, slug)
    context = _group_context(request, group, "meetings")
    meetings = list(selectors.meetings_of_group(request.user, group))
    readable = group_policy.can_read_group_given(request.user, group, context["membership"])
    if not readable and not meetings:
        return render(request, "groups/restricted.html", context, status=403)
    now = timezone.now()
    return render(
        request,
        "meetings/group.html",
        {
            **context,
            "upcoming": sorted(
                (m for m in meetings if m.ends_at >= now), key=lambda m: (m.starts_at, m.pk)
            ),
            "past": [m for m in meetings if m.ends_at < now],
            "can_create": policy.can_create_meeting(request.user, group),
        },
    )


def create_meeting(request: HttpRequest, slug: str) -> HttpResponse:
    group = group_selectors.get_group_for(request.user, slug)
    if not policy.can_create_meeting(request.user, group):
        raise PermissionDenied
    form = MeetingForm(request.POST or None, group=group, organiser=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.create_meeting(
                actor=request.user,
                group=group,
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                description=data["description"],
                place=data["place"],
                video_url=data["video_url"],
                members_may_add_items=data["members_may_add_items"],
                participants=list(data["participants"]),
            )
        except ValidationError as error:
            apply_errors(form, error, aliases={"starts_at": "starts", "ends_at": "ends"})
        else:
            messages.success(
                request, _("La réunion est créée : ajoutez les points de l’ordre du jour.")
            )
            return redirect(meeting)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "meetings/form.html",
        {**_group_context(request, group, "meetings"), "form": form},
        status=status,
    )


def _frozen_reason(meeting: Meeting) -> str:
    if meeting.is_cancelled:
        return _("Cette réunion est annulée : elle ne peut plus être modifiée.")
    return _("Cette réunion est close : elle ne peut plus être modifiée.")


@require_http_methods(["GET", "POST"])
def update_meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """« Modifier la réunion »: the creation form, prefilled; services.update_meeting decides
    (and bumps the calendar sequence, tells the participants)."""
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    if not policy.can_manage_meeting(request.user, meeting):
        raise PermissionDenied
    if not policy.can_update_meeting(request.user, meeting):
        messages.error(request, _frozen_reason(meeting))
        return redirect(meeting)
    form = MeetingForm(
        request.POST or None, group=meeting.group, organiser=meeting.organiser, meeting=meeting
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_meeting(actor=request.user, meeting=meeting, **form.changes())
        except ValidationError as error:
            apply_errors(form, error, aliases={"starts_at": "starts", "ends_at": "ends"})
        else:
            messages.success(request, _("Les modifications de la réunion sont enregistrées."))
            return redirect(meeting)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "meetings/form.html",
        {**_group_context(request, meeting.group, "meetings"), "form": form, "meeting": meeting},
        status=status,
    )


def my_meetings(request: HttpRequest) -> HttpResponse:
    """The meetings the user is invited to and that have not ended."""
    if not group_policy.can_list_groups(request.user):
        raise PermissionDenied
    return render(
        request,
        "meetings/mine.html",
        {"upcoming": selectors.upcoming_meetings_for(request.user)},
    )


# --- The meeting page ------------------------------------------------------------------------


def _meeting_context(request: HttpRequest, meeting: Meeting, **bound) -> dict:
    """Everything the meeting page shows, in a constant number of queries whatever the size of
    the agenda. `bound` carries forms refused by an action, to show them with their errors:
    `item_forms={item_id: {"opinion": form, ...}}` and page-level forms by name."""
    viewer = request.user
    can_manage = policy.can_manage_meeting(viewer, meeting)
    participant = policy.is_participant(viewer, meeting)
    see_opinions = meeting.status == Meeting.Status.CLOSED or participant or can_manage
    is_open = policy.is_open(meeting)
    can_record = can_manage and meeting.status != Meeting.Status.CLOSED
    can_opine = is_open and participant and timezone.now() < meeting.starts_at
    can_comment = meeting.status != Meeting.Status.CLOSED
    items = list(selectors.agenda_of(meeting))
    synthesis = compute_synthesis(meeting) if see_opinions else None
    synth_by_item = {s.item_id: s for s in synthesis.items} if synthesis else {}
    mine = selectors.my_opinions(viewer, meeting) if participant else {}
    threads = selectors.threads_of(viewer, meeting)
    files = selectors.item_files_of(meeting)
    invitation = (
        Invitation.objects.filter(meeting=meeting, user=viewer).first() if participant else None
    )
    item_forms = bound.pop("item_forms", {})
    editable_any = is_open and (can_manage or participant)
    attach_choices = (
        list(file_selectors.owned_by(viewer).values_list("pk", "name")[:ATTACHABLE_FILES])
        if editable_any and file_policy.can_have_files(viewer)
        else []
    )
    entries = []
    for index, item in enumerate(items):
        forms = item_forms.get(item.pk, {})
        own = mine.get(item.pk)
        editable = is_open and (can_manage or (item.author_id == viewer.pk and participant))
        comments = threads.get(item.pk, [])
        roots, open_ids = _threaded(comments)
        entries.append(
            {
                "item": item,
                "number": index + 1,
                "first": index == 0,
                "last": index == len(items) - 1,
                "index": index,
                "synthesis": synth_by_item.get(item.pk),
                "my_opinion": own,
                "opinion_form": forms.get("opinion")
                or (
                    OpinionForm(
                        initial={"position": own.position, "argument": own.argument} if own else {},
                        prefix=f"item{item.pk}",
                    )
                    if can_opine
                    else None
                ),
                "comments": roots,
                "open_ids": open_ids,
                "counts": [
                    (label, synth_by_item[item.pk].counts[value])
                    for value, label in Position.choices
                ]
                if item.pk in synth_by_item
                else [],
                "comment_count": sum(1 for c in comments if c.deleted_at is None),
                "comment_form": forms.get("comment")
                or (CommentForm(prefix=f"item{item.pk}") if can_comment else None),
                "files": files.get(item.pk, []),
                "editable": editable,
                "edit_form": forms.get("edit")
                or (
                    ItemForm(
                        initial={"title": item.title, "description": item.description},
                        prefix=f"edit{item.pk}",
                    )
                    if editable
                    else None
                ),
                "attach_form": forms.get("attach")
                or (
                    AttachForm(choices=attach_choices, prefix=f"attach{item.pk}")
                    if editable and attach_choices
                    else None
                ),
                "synthesis_form": forms.get("synthesis")
                or (
                    SynthesisForm(initial={"text": item.synthesis_text}, prefix=f"synth{item.pk}")
                    if can_record
                    else None
                ),
                "status_message": forms.get("status_message", ""),
            }
        )
    context = {
        "meeting": meeting,
        "group": meeting.group,
        "entries": entries,
        "synthesis": synthesis,
        "see_opinions": see_opinions,
        "positions": Position.choices,
        "can_manage": can_manage,
        "can_update": can_manage and policy.is_changeable(meeting),
        "can_record": can_record,
        "is_open": is_open,
        "participant": participant,
        "invitation": invitation,
        "can_mark_ready": is_open and participant,
        "can_opine": can_opine,
        "opinions_closed": participant and is_open and not can_opine,
        "can_add_item": is_open and (can_manage or (meeting.members_may_add_items and participant)),
        "item_form": bound.pop("item_form", None) or ItemForm(prefix="new"),
        "decisions": list(
            meeting.decisions.select_related("owner", "item").order_by("created_at", "id")
        ),
        "ics_url": reverse("meetings:ics", args=[meeting.pk]),
        "me_status": bound.pop("me_status", ""),
        "today": timezone.localdate(),
    }
    if can_record:
        context["attendance"] = list(selectors.invitations_of(meeting))
        context["decision_form"] = bound.pop("decision_form", None) or DecisionForm(
            meeting=meeting, owners=_decision_owners(meeting)
        )
    context.update(bound)
    return context


def _threaded(comments: list[Comment]) -> tuple[list[Comment], set[int]]:
    """Top-level comments, each with `thread_replies` (replies to it or to its replies, in
    order), and the ids of the open questions (live, with no live answer by someone else)."""
    by_id = {c.pk: c for c in comments}
    roots = []
    for comment in comments:
        comment.thread_replies = []
    for comment in comments:
        root, seen = comment, set()
        while root.reply_to_id in by_id and root.pk not in seen:
            seen.add(root.pk)
            root = by_id[root.reply_to_id]
        if root is comment:
            roots.append(comment)
        else:
            root.thread_replies.append(comment)
    answered = {
        c.reply_to_id
        for c in comments
        if c.reply_to_id
        and c.deleted_at is None
        and c.author_id != by_id.get(c.reply_to_id, c).author_id
    }
    open_ids = {
        c.pk for c in comments if c.is_question and c.deleted_at is None and c.pk not in answered
    }
    return roots, open_ids


def _render_page(request: HttpRequest, meeting: Meeting, status: int = 200, **bound):
    context = _meeting_context(request, meeting, **bound)
    # The « Mettre en sourdine » button (silences the item threads too): the whole page only.
    mute = notification_selectors.mute_state(request.user, Mute.Kind.MEETING, meeting)
    context.update(muted=mute == "self", muted_by_group=mute == "group")
    return render(request, "meetings/detail.html", context, status=status)


def _render_item(request: HttpRequest, meeting: Meeting, item_id: int, **bound) -> HttpResponse:
    context = _meeting_context(request, meeting, **bound)
    entry = next((e for e in context["entries"] if e["item"].pk == item_id), None)
    if entry is None:
        raise Http404
    return render(request, "meetings/detail.html#item", {**context, "entry": entry})


@require_GET
def detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    fragment = request.GET.get("fragment", "")
    if request.htmx and fragment in FRAGMENTS:
        return render(
            request, f"meetings/detail.html#{fragment}", _meeting_context(request, meeting)
        )
    services.mark_agenda_read(actor=request.user, meeting=meeting)
    return _render_page(request, meeting)


@require_GET
def item_fragment(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    """One agenda item, refreshed by meetings.js when the socket says it changed."""
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    item = _item_of(request, meeting.pk, item_id)
    return _render_item(request, meeting, item.pk)


@require_POST
def toggle_ready(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    ready = request.POST.get("ready") == "1"
    if ready:
        services.mark_ready(actor=request.user, meeting=meeting)
        text = _("C’est noté : vous êtes prêt·e pour la réunion.")
    else:
        services.unmark_ready(actor=request.user, meeting=meeting)
        text = _("Vous n’êtes plus indiqué·e comme prêt·e.")
    if request.htmx:
        return render(
            request,
            "meetings/detail.html#me",
            _meeting_context(request, meeting, me_status=text),
        )
    messages.success(request, text)
    return redirect(_meeting_url(meeting, "ma-preparation"))


@require_POST
def remind(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    try:
        people = services.send_reminder(actor=request.user, meeting=meeting)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if people:
            messages.success(
                request,
                ngettext(
                    "Rappel envoyé à %(count)s personne : %(names)s.",
                    "Rappel envoyé à %(count)s personnes : %(names)s.",
                    len(people),
                )
                % {"count": len(people), "names": ", ".join(p.display_name for p in people)},
            )
        else:
            messages.success(request, _("Personne à relancer : tous les participants sont prêts."))
    return redirect(_meeting_url(meeting, "preparation"))


# --- Agenda items ----------------------------------------------------------------------------


@require_POST
def add_item(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    if not policy.can_add_item(request.user, meeting):
        raise PermissionDenied
    form = ItemForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            item = services.add_item(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Le point « %(title)s » est ajouté.") % {"title": item.title}
            )
            return redirect(_meeting_url(meeting, f"point-{item.pk}"))
    return _render_page(request, meeting, status=400, item_form=form)


@require_POST
def edit_item(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    item = _item_of(request, meeting.pk, item_id)
    form = ItemForm(request.POST, prefix=f"edit{item.pk}")
    if form.is_valid():
        try:
            services.edit_item(actor=request.user, item=item, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Le point est modifié."))
            return redirect(_meeting_url(meeting, f"point-{item.pk}"))
    return _render_page(request, meeting, status=400, item_forms={item.pk: {"edit": form}})


@require_POST
def move_item(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    item = _item_of(request, meeting.pk, item_id)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.move_item(
                actor=request.user, item=item, position=form.cleaned_data["position"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("L’ordre du jour est réorganisé."))
    else:
        messages.error(request, _("Cette position n'existe pas dans l'ordre du jour."))
    return redirect(_meeting_url(meeting, f"point-{item.pk}"))


@require_POST
def remove_item(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    item = _item_of(request, meeting.pk, item_id)
    title = item.title
    services.remove_item(actor=request.user, item=item)
    messages.success(request, _("Le point « %(title)s » est retiré.") % {"title": title})
    return redirect(_meeting_url(meeting, "ordre-du-jour"))


@require_POST
def attach_file(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    item = _item_of(request, meeting.pk, item_id)
    if not policy.can_attach_to_item(request.user, item):
        raise PermissionDenied
    choices = list(
        file_selectors.owned_by(request.user).values_list("pk", "name")[:ATTACHABLE_FILES]
    )
    form = AttachForm(
        request.POST, choices=[(str(pk), name) for pk, name in choices], prefix=f"attach{item.pk}"
    )
    if form.is_valid():
        files = file_selectors.attachable_files(request.user, [int(form.cleaned_data["file"])])
        if files:
            services.attach_file_to_item(actor=request.user, item=item, file=files[0])
            messages.success(request, _("Le fichier est joint au point."))
            return redirect(_meeting_url(meeting, f"point-{item.pk}"))
        form.add_error("file", _("Choisissez un de vos fichiers."))
    return _render_page(request, meeting, status=400, item_forms={item.pk: {"attach": form}})


@require_POST
def give_opinion(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    item = _item_of(request, meeting.pk, item_id)
    form = OpinionForm(request.POST, prefix=f"item{item.pk}")
    saved = False
    if form.is_valid():
        try:
            services.set_opinion(actor=request.user, item=item, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            saved = True
    return _item_form_answer(
        request,
        meeting,
        item,
        form,
        name="opinion",
        anchor=f"point-{item.pk}",
        done=_("Votre position est enregistrée.") if saved else "",
    )


@require_POST
def comment(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    item = _item_of(request, meeting.pk, item_id)
    form = CommentForm(request.POST, prefix=f"item{item.pk}")
    saved = False
    if form.is_valid():
        # The answered comment as the API finds it; the service refuses one of another thread.
        reply_id = form.cleaned_data["reply_to"]
        reply_to = social_selectors.get_comment_for(request.user, reply_id) if reply_id else None
        try:
            social_services.add_comment(
                author=request.user,
                body=form.cleaned_data["body"],
                item=item,
                is_question=form.cleaned_data["is_question"],
                reply_to=reply_to,
            )
        except ValidationError as error:
            apply_errors(form, error, aliases={"reply_to": None})  # hidden: above the form
        else:
            saved = True
    return _item_form_answer(
        request,
        meeting,
        item,
        form,
        name="comment",
        anchor=f"fil-{item.pk}",
        done=_("Votre commentaire est publié.") if saved else "",
    )


def _item_form_answer(
    request: HttpRequest, meeting, item, form, *, name: str, anchor: str, done: str
) -> HttpResponse:
    """After a form posted on an agenda item: the item again (htmx), or the page; `done` is
    the confirmation when it was saved, empty when the form goes back with its errors."""
    forms = {} if done else {name: form}
    if request.htmx:
        return _render_item(
            request, meeting, item.pk, item_forms={item.pk: {**forms, "status_message": done}}
        )
    if done:
        messages.success(request, done)
        return redirect(_meeting_url(meeting, anchor))
    return _render_page(request, meeting, status=400, item_forms={item.pk: forms})


@require_POST
def edit_synthesis(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    item = _item_of(request, meeting.pk, item_id)
    form = SynthesisForm(request.POST, prefix=f"synth{item.pk}")
    if form.is_valid():
        try:
            services.edit_synthesis(actor=request.user, item=item, text=form.cleaned_data["text"])
        except ValidationError as error:
            apply_errors(form, error, aliases={"synthesis_text": "text"})
        else:
            messages.success(request, _("La synthèse du point est enregistrée."))
            return redirect(_meeting_url(meeting, f"point-{item.pk}"))
    return _render_page(request, meeting, status=400, item_forms={item.pk: {"synthesis": form}})


# --- During and after ------------------------------------------------------------------------

_ATTENDANCE = {"oui": True, "non": False, "": None}


@require_POST
def record_attendance(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    if not policy.can_record(request.user, meeting):
        raise PermissionDenied
    attendance: dict[int, bool | None] = {}
    for key, value in request.POST.items():
        if not key.startswith("presence-"):
            continue
        raw_id = key.removeprefix("presence-")
        if not raw_id.isdigit() or len(raw_id) > 18 or value not in _ATTENDANCE:
            messages.error(request, _("Présence : oui, non ou inconnue."))
            return redirect(_meeting_url(meeting, "presences"))
        attendance[int(raw_id)] = _ATTENDANCE[value]
    try:
        services.record_attendance(actor=request.user, meeting=meeting, attendance=attendance)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Les présences sont enregistrées."))
    return redirect(_meeting_url(meeting, "presences"))


@require_POST
def add_decision(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    if not policy.can_record(request.user, meeting):
        raise PermissionDenied
    form = DecisionForm(request.POST, meeting=meeting, owners=_decision_owners(meeting))
    if form.is_valid():
        try:
            services.add_decision(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("La décision est enregistrée."))
            return redirect(_meeting_url(meeting, "decisions"))
    return _render_page(request, meeting, status=400, decision_form=form)


def _status_change(action, success: str):
    @require_POST
    def view(request: HttpRequest, meeting_id: int) -> HttpResponse:
        meeting = selectors.get_meeting_for(request.user, meeting_id)
        try:
            action(actor=request.user, meeting=meeting)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, success)
        return redirect(meeting)

    return view


hold_meeting = _status_change(
    services.hold_meeting,
    gettext_lazy("La réunion est tenue : l’ordre du jour et les avis sont figés."),
)
close_meeting = _status_change(
    services.close_meeting,
    gettext_lazy("La réunion est close : le compte rendu est publié dans le fil du groupe."),
)
cancel_meeting = _status_change(services.cancel_meeting, gettext_lazy("La réunion est annulée."))


# --- Synthesis, PDF and .ics -----------------------------------------------------------------


def _synthesis_of(request: HttpRequest, meeting_id: int):
    """The meeting and its synthesis: 404 for who may not see the meeting, 403 for who sees it
    but not the positions (as the API and the other meeting routes answer)."""
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    if not policy.can_view_opinions(request.user, meeting):
        raise PermissionDenied
    return meeting, compute_synthesis(meeting)


@require_GET
def synthesis(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, result = _synthesis_of(request, meeting_id)
    return render(
        request,
        "meetings/synthesis.html",
        {
            "meeting": meeting,
            "synthesis": result,
            "positions": Position.choices,
            "decisions": list(
                meeting.decisions.select_related("owner", "item").order_by("created_at", "id")
            ),
            "today": timezone.localdate(),
        },
    )


@require_GET
def synthesis_download(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, result = _synthesis_of(request, meeting_id)
    decisions = list(meeting.decisions.select_related("owner", "item").order_by("created_at", "id"))
    content = synthesis_pdf(meeting, result, decisions)
    return _attachment(content, "application/pdf", f"synthese-reunion-{meeting.pk}.pdf")


@require_GET
def ics(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for(request.user, meeting_id)
    return _attachment(
        meeting_ics(meeting), "text/calendar; charset=utf-8", f"reunion-{meeting.pk}.ics"
    )


@never_cache
@login_not_required
@require_GET
def calendar_feed_view(request: HttpRequest, raw: str) -> HttpResponse:
    """A private calendar feed: the token in the address is the only credential."""
    user = selectors.user_for_calendar_token(raw)
    if user is None:
        raise Http404
    response = HttpResponse(calendar_feed(user), content_type="text/calendar; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="reunions.ics"'
    return response


def calendar_settings(request: HttpRequest) -> HttpResponse:
    """« Mon agenda »: create or revoke private calendar feed addresses."""
    if request.user.is_citizen:
        raise PermissionDenied
    new_url = None
    if request.method == "POST":
        _token, raw = services.create_calendar_token(user=request.user)
        new_url = request.build_absolute_uri(reverse("meetings:calendar_feed", args=[raw]))
    return render(
        request,
        "meetings/calendar_settings.html",
        {"tokens": selectors.calendar_tokens_of(request.user), "new_url": new_url},
    )


@require_POST
def revoke_calendar(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.revoke_calendar_token(user=request.user, token_id=token_id)
    except PermissionDenied:
        raise Http404 from None
    messages.success(
        request, _("L’adresse est révoquée : elle ne donne plus accès à vos réunions.")
    )
    return redirect("meetings:calendar_settings")


# --- Decisions register ----------------------------------------------------------------------


def _register(request: HttpRequest, group=None) -> dict:
    owners = User.objects.filter(
        pk__in=policy.visible_decisions(request.user).values("owner_id")
    ).order_by("display_name", "pk")
    form = RegisterFilterForm(request.GET or None, owners=owners)
    filters = form.cleaned_data if form.is_valid() else {}
    decisions = selectors.decisions_register(
        request.user,
        group=group,
        owner=filters.get("owner"),
        status=filters.get("status") or None,
        overdue=True if filters.get("overdue") else None,
    )
    page = Paginator(decisions, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filter_form": form,
        "page": page,
        "query": query.urlencode(),
        "today": timezone.localdate(),
    }


def decisions(request: HttpRequest) -> HttpResponse:
    if not group_policy.can_list_groups(request.user):
        raise PermissionDenied
    return render(request, "meetings/decisions.html", _register(request))


def group_decisions(request: HttpRequest, slug: str) -> HttpResponse:
    group = group_selectors.get_group_for(request.user, slug)
    context = _group_context(request, group, "decisions")
    register = _register(request, group=group)
    readable = group_policy.can_read_group_given(request.user, group, context["membership"])
    if not readable and not register["page"].paginator.count:
        return render(request, "groups/restricted.html", context, status=403)
    return render(request, "meetings/group_decisions.html", {**context, **register})


def decision_detail(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = selectors.get_decision_for(request.user, decision_id)
    can_update = policy.can_update_decision(request.user, decision)
    form = None
    if can_update:
        form = DecisionStatusForm(request.POST or None, initial={"status": decision.status})
    if request.method == "POST":
        if not can_update:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.update_decision_status(
                    actor=request.user, decision=decision, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Le suivi de la décision est enregistré."))
                return redirect("meetings:decision", decision.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "meetings/decision.html",
        {
            "decision": decision,
            "updates": decision.updates.select_related("author").order_by("created_at", "id"),
            "form": form,
            "today": timezone.localdate(),
            "status_labels": dict(Decision.Status.choices),
        },
        status=status,
    )
