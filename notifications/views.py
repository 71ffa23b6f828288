"""Notification pages: the list (read/unread, mark all read, mute), opening one, the
« Préférences de notification » page, and the one-click unsubscribe of e-mails.

Thin views: parse, call notifications.services or selectors, render. Lookups answer 404 for
missing and forbidden alike.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from notifications import emails, rendering, selectors, services
from notifications.forms import MuteForm, PreferencesForm
from notifications.models import Mute, Notification

PAGE_SIZE = selectors.PAGE_SIZE
MAX_OFFSET = 10_000


def mute_target(notification: Notification) -> tuple[str, int] | None:
    """What « mettre en sourdine » silences for this notification, if anything."""
    n = notification
    if n.post_id:
        return Mute.Kind.POST, n.post_id
    if n.file_id:
        return Mute.Kind.FILE, n.file_id
    if n.meeting_id:
        return Mute.Kind.MEETING, n.meeting_id
    if n.conversation_id:
        return Mute.Kind.CONVERSATION, n.conversation_id
    if n.group_id:
        return Mute.Kind.GROUP, n.group_id
    return None


def _next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next", "")
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("filtre") == "non-lues"
    try:
        offset = min(max(int(request.GET.get("depuis", 0)), 0), MAX_OFFSET)
    except ValueError:
        offset = 0
    items = selectors.notifications_for(
        request.user, unread=True if unread_only else None, limit=PAGE_SIZE + 1, offset=offset
    )
    more = len(items) > PAGE_SIZE
    items = items[:PAGE_SIZE]
    muted = {(m.kind, m.target_id) for m in selectors.mutes_of(request.user)}
    rows = []
    for n in items:
        target = mute_target(n)
        rows.append(
            {
                "notification": n,
                "text": rendering.text(n),
                "mute": target,
                "muted": target in muted,
            }
        )
    return render(
        request,
        "notifications/list.html",
        {
            "rows": rows,
            "unread_only": unread_only,
            "unread": selectors.unread_count(request.user),
            "next_offset": offset + PAGE_SIZE if more else None,
        },
    )


@require_GET
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark it read and go to what it is about."""
    notification = selectors.get_notification_for(request.user, notification_id)
    if notification.read_at is None:
        services.mark_read(actor=request.user, ids=[notification.pk])
    return redirect(rendering.url(notification))


@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    changed = services.mark_read(actor=request.user)
    if changed:
        messages.success(request, _("Toutes vos notifications sont marquées comme lues."))
    return redirect(_next(request, reverse("notifications:list")))


@require_POST
def mute(request: HttpRequest) -> HttpResponse:
    """Mute, or unmute (`action=unmute`), what a « Mettre en sourdine » button names: back to
    its page without JavaScript, the button redrawn in its new state for htmx."""
    form = MuteForm(request.POST)
    if not form.is_valid():
        raise Http404
    kind, target_id = form.cleaned_data["kind"], form.cleaned_data["target"]
    if request.POST.get("action") == "unmute":
        # Also what one may no longer see (« Préférences »): taking one's own mute away
        # reveals nothing. Its button is redrawn only for what one may see (else 404).
        services.unmute(actor=request.user, kind=kind, target_id=target_id)
    else:
        target = selectors.mute_target_object(kind, target_id)
        try:
            services.mute(actor=request.user, kind=kind, target=target)
        except PermissionDenied:
            raise Http404 from None
    try:
        state = selectors.mute_button_state(request.user, kind, target_id)
    except Http404:
        if request.htmx:
            raise
        state = ""  # unmuted what one may no longer see: said like anything else unmuted
    text = _mute_status(kind, state)
    if request.htmx:
        return render(
            request,
            "notifications/mute_button.html",
            {
                "kind": kind,
                "target": target_id,
                "muted": state == "self",
                "muted_by_group": state == "group",
                "scope": form.cleaned_data["scope"],
                "compact": form.cleaned_data["compact"],
                "next": _next(request, reverse("notifications:list")),
                "status": text,
            },
        )
    messages.success(request, text)
    return redirect(_next(request, reverse("notifications:list")))


def _mute_status(kind: str, state: str) -> str:
    """What the button's new state is, said once (the page's live region) after a toggle."""
    if state == "self":
        return _("En sourdine : plus de notification ni d'e-mail à ce sujet.")
    if state != "group":
        return _("Sourdine retirée : vous serez de nouveau notifié.")
    if kind == Mute.Kind.MEETING:
        return _(
            "Sourdine de la réunion retirée, mais son groupe reste en sourdine : "
            "toujours aucune notification ni e-mail à son sujet."
        )
    return _(
        "Sourdine de la publication retirée, mais son groupe reste en sourdine : "
        "toujours aucune notification ni e-mail à son sujet."
    )


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    found = selectors.settings_of(request.user)
    memberships = list(selectors.group_frequencies(request.user, found.default_frequency))
    initial = {
        "language": found.language,
        "email_mentions": found.email_mentions,
        "email_messages": found.email_messages,
        "default_frequency": found.default_frequency,
    }
    form = PreferencesForm(request.POST or None, initial=initial, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_email_preferences(
                actor=request.user,
                language=form.cleaned_data["language"],
                email_mentions=form.cleaned_data["email_mentions"],
                email_messages=form.cleaned_data["email_messages"],
                default_frequency=form.cleaned_data["default_frequency"],
                groups=form.groups(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Vos préférences de notification sont enregistrées."))
            return redirect("notifications:preferences")
    mutes = selectors.mutes_of(request.user)
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "group_fields": [form[name] for name in form.group_fields],
            "mutes": mutes,
        },
        status=400 if form.errors else 200,
    )


@login_not_required
@csrf_exempt  # RFC 8058: mail clients POST without a session; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a confirmation button (a link scanner must not unsubscribe anyone);
    POST: done (from that button, or from the mail client's one-click)."""
    read = emails.read_unsubscribe_token(token)
    user = User.objects.filter(pk=read[0], is_active=True).first() if read else None
    if user is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    scope = read[1]
    if request.method == "POST":
        try:
            services.unsubscribe(user=user, scope=scope)
        except ValidationError:
            return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
        return render(request, "notifications/unsubscribe.html", {"done": True, "scope": scope})
    return render(request, "notifications/unsubscribe.html", {"scope": scope, "token": token})
