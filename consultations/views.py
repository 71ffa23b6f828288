"""Public and citizens' consultation pages: the list, a consultation with its contributions, a
contribution (photos, supports, comments, public history, official answers), the forms to
contribute, support, comment and report, the photos themselves, and « Mes demandes ».

Thin views: parse, call consultations.selectors or consultations.services, render. The pages
anonymous visitors may read say so with `login_not_required`; lookups answer 404 for missing
and forbidden alike. Forms post and redirect, so they work without JavaScript; under htmx the
support button answers its own refreshed fragment. Staff pages are in staff_views.py.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import (
    content_disposition_header,
    url_has_allowed_host_and_scheme,
    urlencode,
)
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consultations import policy, selectors, services
from consultations import text as markup
from consultations.forms import CommentForm, ContributionFilterForm, ContributionForm, ReportForm
from consultations.models import (
    Consultation,
    ConsultationComment,
    Contribution,
    ContributionPhoto,
    ModerationState,
)
from social.forms import apply_errors

PAGE_SIZE = 20
REQUESTS_PAGE_SIZE = 20


# --- Helpers ---------------------------------------------------------------------------------


def _contribution_url(contribution: Contribution, anchor: str = "") -> str:
    url = reverse("consultations:contribution", args=[contribution.pk])
    return url + (f"#{anchor}" if anchor else "")


def _next_url(request: HttpRequest, fallback: str) -> str:
    """Where a form sends back to: a path of this site given in `next`, or `fallback`."""
    candidate = request.POST.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _state_label(consultation: Consultation, now) -> str:
    return Consultation.State(consultation.state_at(now)).label


def _auth_links(request: HttpRequest) -> dict:
    """Sign-in and sign-up links that come back to this page."""
    if request.user.is_authenticated:
        return {}
    back = urlencode({"next": request.get_full_path()})
    return {
        "login_url": f"{reverse('account_login')}?{back}",
        "signup_url": f"{reverse('account_signup')}?{back}",
    }


def _mark_abilities(request: HttpRequest, contributions: list[Contribution]) -> None:
    """What the viewer may do on each listed contribution, and the place as they may see it
    (policy only, no query)."""
    user = request.user
    staff = policy.can_view_internal(user)
    for contribution in contributions:
        contribution.can_support = policy.can_support(user, contribution)
        contribution.can_withdraw = bool(
            getattr(contribution, "supported", False) and contribution.consultation.is_open
        )
        own = contribution.author_id is not None and contribution.author_id == user.pk
        # The public sees the street, not the house number (as in the open-data export).
        contribution.shown_place = (
            contribution.place if staff or own else markup.generalise_place(contribution.place)
        )


def _row(request: HttpRequest, contribution: Contribution) -> Contribution:
    """The contribution with what its page shows (answers, photos, counts, own support)."""
    row = (
        selectors.contributions_for(request.user, consultation=contribution.consultation)
        .filter(pk=contribution.pk)
        .first()
    )
    # A citizen's own contribution in a consultation that is not open to the public yet is
    # readable (policy) but not listed: show it without the list's annotations.
    return row or contribution


def _staff_url(name: str, *args) -> str:
    """A staff page's address (staff_urls), or "" while it does not exist."""
    try:
        return reverse(f"consultations:{name}", args=args)
    except NoReverseMatch:
        return ""


def _staff_links(user, consultation: Consultation) -> list[dict]:
    """Links to the staff pages of a consultation, for those who may open them."""
    wanted = []
    if policy.can_moderate(user, consultation):
        wanted.append(("moderation", _("File de modération")))
    if policy.can_triage(user):
        wanted.append(("triage", _("Suivi des demandes")))
    if policy.can_view_brief(user, consultation):
        wanted.append(("brief", _("Dossier de visite des élus")))
    if policy.can_manage_consultations(user):
        wanted.append(("staff_edit", _("Modifier la consultation")))
    if policy.can_publish_report(user, consultation):
        wanted.append(("staff_report", _("Publier le compte rendu")))
    links = [{"url": _staff_url(name, consultation.pk), "label": label} for name, label in wanted]
    return [link for link in links if link["url"]]


def _open_data_links(user, consultation: Consultation) -> list[dict]:
    """The open-data files of a closed consultation (Licence Ouverte 2.0)."""
    if not policy.can_export(user, consultation):
        return []
    files = [
        ("open_data_csv", _("Contributions (CSV)")),
        ("open_data_json", _("Contributions (JSON)")),
        ("open_data_dictionary", _("Dictionnaire des données (CSV)")),
    ]
    links = [{"url": _staff_url(name, consultation.pk), "label": label} for name, label in files]
    return [link for link in links if link["url"]]


# --- Consultations ---------------------------------------------------------------------------


@login_not_required
@require_GET
def consultation_list(request: HttpRequest) -> HttpResponse:
    """Open consultations, upcoming ones (for those who may see them) and past ones."""
    now = timezone.now()
    groups: dict[str, list[Consultation]] = {state: [] for state in Consultation.State.values}
    for consultation in selectors.consultations_for(request.user).order_by("-opens_at", "-id"):
        consultation.state_label = _state_label(consultation, now)
        groups[consultation.state_at(now)].append(consultation)
    groups[Consultation.State.OPEN].sort(key=lambda c: (c.closes_at, c.pk))
    groups[Consultation.State.UPCOMING].sort(key=lambda c: (c.opens_at, c.pk))
    return render(
        request,
        "consultations/list.html",
        {
            "open": groups[Consultation.State.OPEN],
            "upcoming": groups[Consultation.State.UPCOMING],
            "past": groups[Consultation.State.CLOSED],
            "can_participate": policy.can_participate(request.user),
            "can_follow": policy.can_follow_consultations(request.user),
            **_auth_links(request),
        },
    )


def _page_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_not_required
@require_GET
def consultation_detail(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = selectors.get_consultation_for(request.user, consultation_id)
    user = request.user
    categories = list(consultation.categories.all())
    filters = ContributionFilterForm(request.GET or None, categories=categories)
    selection = filters.selection() if request.GET else {"sort": "supports"}
    rows = selectors.contributions_for(user, consultation=consultation, **selection)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    contributions = list(page.object_list)
    _mark_abilities(request, contributions)
    now = timezone.now()
    return render(
        request,
        "consultations/detail.html",
        {
            "consultation": consultation,
            "state_label": _state_label(consultation, now),
            "officials": list(consultation.officials.order_by("display_name", "pk")),
            "categories": categories,
            "filters": filters,
            "selection": selection,
            "filtered": any(selection.get(k) for k in ("category", "status", "kind")),
            "page": page,
            "contributions": contributions,
            "page_query": _page_query(request),
            "can_contribute": policy.can_contribute(user, consultation),
            "can_participate": policy.can_participate(user),
            "can_moderate": policy.can_moderate(user, consultation),
            "can_triage": policy.can_triage(user),
            "can_view_brief": policy.can_view_brief(user, consultation),
            "staff_links": _staff_links(user, consultation),
            "open_data": _open_data_links(user, consultation),
            "here": request.get_full_path(),
            **_auth_links(request),
        },
    )


@require_http_methods(["GET", "POST"])
def contribute(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """The contribution form: citizens and staff, while the consultation is open."""
    consultation = selectors.get_consultation_for(request.user, consultation_id)
    if not policy.can_participate(request.user):
        raise Http404
    posted = request.method == "POST"
    form = ContributionForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        consultation=consultation,
    )
    if posted and form.is_valid():
        try:
            contribution = services.create_contribution(
                author=request.user, consultation=consultation, **form.service_arguments()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if contribution.is_published:
                messages.success(request, _("Merci ! Votre contribution est publiée."))
            else:
                messages.success(
                    request,
                    _(
                        "Merci ! Votre contribution est en attente de modération : elle sera "
                        "publiée après validation. Suivez-la dans « Mes demandes »."
                    ),
                )
            return redirect(_contribution_url(contribution))
    return render(
        request,
        "consultations/contribute.html",
        {
            "consultation": consultation,
            "form": form,
            "is_open": policy.can_contribute(request.user, consultation),
        },
        status=400 if posted else 200,
    )


# --- A contribution --------------------------------------------------------------------------


def _contribution_context(request: HttpRequest, contribution: Contribution, **bound) -> dict:
    """Everything the contribution page shows, in a constant number of queries. `bound`
    carries forms refused by an action: `comment_form`, `report_form`, `comment_reports`
    ({comment_id: form})."""
    user = request.user
    row = _row(request, contribution)
    _mark_abilities(request, [row])
    comments = list(selectors.comments_for(user, contribution=row))
    comment_reports = bound.pop("comment_reports", {})
    for comment in comments:
        comment.contribution = row  # already loaded: no query per comment for the policy
        comment.report_url = reverse("consultations:report_comment", args=[comment.pk])
        comment.report_form = comment_reports.get(comment.pk) or (
            ReportForm(prefix=f"signalement-{comment.pk}")
            if policy.can_report_comment(user, comment)
            else None
        )
    can_comment = policy.can_comment(user, row)
    can_report = policy.can_report(user, row)
    can_triage = policy.can_triage(user, row)
    return {
        "contribution": row,
        "consultation": row.consultation,
        "photos": list(row.photos.all()),
        "answers": list(row.answers.all()),
        "history": list(selectors.public_status_history(user, contribution=row)),
        "comments": comments,
        "comment_form": bound.pop("comment_form", None) or (CommentForm() if can_comment else None),
        "report_form": bound.pop("report_form", None)
        or (ReportForm(prefix="signalement") if can_report else None),
        "is_author": row.author_id is not None and row.author_id == user.pk,
        "can_participate": policy.can_participate(user),
        "triage_url": _staff_url("staff_contribution", row.pk) if can_triage else "",
        "here": request.get_full_path(),
        **_auth_links(request),
        **bound,
    }


def _render_contribution(
    request: HttpRequest, contribution: Contribution, status: int = 200, **bound
) -> HttpResponse:
    return render(
        request,
        "consultations/contribution.html",
        _contribution_context(request, contribution, **bound),
        status=status,
    )


@login_not_required
@require_GET
def contribution_detail(request: HttpRequest, contribution_id: int) -> HttpResponse:
    contribution = selectors.get_contribution_for(request.user, contribution_id)
    return _render_contribution(request, contribution)


@require_POST
def support(request: HttpRequest, contribution_id: int) -> HttpResponse:
    """Support (+1) or, with action=withdraw, withdraw one's support."""
    contribution = selectors.get_contribution_for(request.user, contribution_id)
    withdraw = request.POST.get("action") == "withdraw"
    error = done = ""
    try:
        if withdraw:
            services.withdraw_support(actor=request.user, contribution=contribution)
            done = _("Votre soutien est retiré.")
        else:
            services.support(actor=request.user, contribution=contribution)
            done = _("Vous soutenez cette contribution.")
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    if request.htmx:
        row = _row(request, contribution)
        _mark_abilities(request, [row])
        return render(
            request,
            "consultations/partials/support.html",
            {
                "contribution": row,
                "support_done": done,
                "support_error": error,
                "here": _next_url(request, ""),
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(_next_url(request, _contribution_url(contribution)))


@require_POST
def comment(request: HttpRequest, contribution_id: int) -> HttpResponse:
    contribution = selectors.get_contribution_for(request.user, contribution_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            created = services.add_comment(
                author=request.user, contribution=contribution, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if created.moderation_state == ModerationState.PUBLISHED:
                messages.success(request, _("Votre commentaire est publié."))
            else:
                messages.success(
                    request,
                    _(
                        "Votre commentaire est en attente de modération : il sera publié après "
                        "validation."
                    ),
                )
            return redirect(_contribution_url(contribution, f"commentaire-{created.pk}"))
    return _render_contribution(request, contribution, status=400, comment_form=form)


@require_POST
def report(request: HttpRequest, contribution_id: int) -> HttpResponse:
    contribution = selectors.get_contribution_for(request.user, contribution_id)
    form = ReportForm(request.POST, prefix="signalement")
    if form.is_valid():
        try:
            services.report_contribution(
                reporter=request.user,
                contribution=contribution,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Merci : votre signalement est transmis aux modérateurs."))
            return redirect(_contribution_url(contribution))
    return _render_contribution(request, contribution, status=400, report_form=form)


@require_POST
def report_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment: ConsultationComment = selectors.get_comment_for(request.user, comment_id)
    contribution = comment.contribution
    form = ReportForm(request.POST, prefix=f"signalement-{comment.pk}")
    if form.is_valid():
        try:
            services.report_comment(
                reporter=request.user, comment=comment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Merci : votre signalement est transmis aux modérateurs."))
            return redirect(_contribution_url(contribution, f"commentaire-{comment.pk}"))
    return _render_contribution(
        request, contribution, status=400, comment_reports={comment.pk: form}
    )


# --- Photos ----------------------------------------------------------------------------------


def _photo_headers(response: HttpResponse, photo: ContributionPhoto, etag: str) -> None:
    # The same safe headers as files/downloads.py: even a crafted file could never run as a
    # page of this site. Photos are re-encoded WebP, so they are shown inline.
    response["Content-Disposition"] = content_disposition_header(False, f"photo-{photo.pk}.webp")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-cache"
    response["ETag"] = etag


@login_not_required
@require_GET
def photo(request: HttpRequest, photo_id: int) -> HttpResponse:
    """A contribution's photo, to whoever may read the contribution (checked every time)."""
    found = selectors.get_photo_for(request.user, photo_id)
    etag = f'"{found.key.rsplit("/", 1)[-1]}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        _photo_headers(response, found, etag)
        return response
    try:
        with storages["files"].open(found.key, "rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(data, content_type="image/webp")
    _photo_headers(response, found, etag)
    return response


# --- Mes demandes ----------------------------------------------------------------------------


@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    """The user's own contributions in every state, with their history and official answers."""
    if not policy.can_participate(request.user):
        raise Http404
    rows = selectors.my_requests_with_history(request.user)
    page = Paginator(rows, REQUESTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "consultations/my_requests.html",
        {"page": page, "contributions": list(page.object_list)},
    )
