"""Staff pages of consultations: creating and editing a consultation, the moderation queue and
log, the triage of requests (one by one and in bulk), the visit brief (HTML and PDF) and the
open-data downloads.

Thin views: parse, call consultations.services or consultations.selectors, render. Actions are
plain form posts that redirect back (they work without JavaScript). Who may open a page is
decided by consultations.policy; a page somebody may not open answers 404, like a missing one.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from consultations import brief as brief_module
from consultations import export, policy, selectors, services
from consultations.models import (
    Consultation,
    Contribution,
)
from consultations.pdf import brief_pdf
from consultations.staff_forms import (
    AnswerForm,
    BulkForm,
    ConsultationForm,
    DiscussForm,
    HideForm,
    ModerationForm,
    NoteForm,
    QuickWinForm,
    ReportForm,
    RouteForm,
    StatusForm,
    TriageFilterForm,
)
from groups import selectors as group_selectors
from social.forms import apply_errors

TRIAGE_PAGE_SIZE = 50
LOG_SIZE = 100
TRIAGE_FILTERS = ("sort", "status", "service", "category", "quick_win", "page")


# --- Helpers ---------------------------------------------------------------------------------


def _consultation(request: HttpRequest, consultation_id: int, allowed) -> Consultation:
    """The consultation if `allowed(user, consultation)`, else 404 (missing or forbidden)."""
    consultation = selectors.get_consultation_for(request.user, consultation_id)
    if not allowed(request.user, consultation):
        raise Http404
    return consultation


def _staff_only(request: HttpRequest) -> None:
    if not policy.can_manage_consultations(request.user):
        raise Http404


def _may_open_moderation(user, consultation: Consultation) -> bool:
    return policy.can_moderate(user, consultation) or policy.can_view_internal(user)


def _triager(user, consultation: Consultation) -> bool:
    return policy.can_triage(user) and policy.can_view_internal(user)


def _back(request: HttpRequest, default: str) -> str:
    """The `next` address of a form if it stays on this site, else `default`."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _attachment(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Staff home, create, edit, report --------------------------------------------------------


@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    """The consultations with their staff links (staff), or their briefs (elected)."""
    user = request.user
    if not policy.can_follow_consultations(user):
        raise Http404
    consultations = selectors.followed_consultations(user)
    moderated = set(policy.moderated_consultations(user).values_list("pk", flat=True))
    return render(
        request,
        "consultations/staff/home.html",
        {
            "consultations": consultations,
            "moderated": moderated,
            "is_staff": policy.is_staff(user),
            "can_manage": policy.can_manage_consultations(user),
        },
    )


def _consultation_form_answer(
    request: HttpRequest, form: ConsultationForm, consultation: Consultation | None
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "consultations/staff/form.html",
        {"form": form, "consultation": consultation},
        status=status,
    )


def _consultation_fields(data: dict) -> dict:
    return {
        "title": data["title"],
        "neighbourhoods": data["neighbourhoods"],
        "theme": data["theme"],
        "description": data["description"],
        "visit_date": data["visit_date"],
        "opens_at": data["opens_at"],
        "closes_at": data["closes_at"],
        "moderation": data["moderation"],
        "officials": list(data["officials"]),
        "moderators": list(data["moderators"]),
        "services": list(data["services"]),
    }


def create_consultation(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form = ConsultationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.create_consultation(
                actor=request.user,
                categories=form.cleaned_data["categories"],
                **_consultation_fields(form.cleaned_data),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("La consultation est créée."))
            return redirect("consultations:staff_edit", consultation.pk)
    return _consultation_form_answer(request, form, None)


def edit_consultation(request: HttpRequest, consultation_id: int) -> HttpResponse:
    _staff_only(request)
    consultation = _consultation(
        request, consultation_id, lambda u, c: policy.can_manage_consultations(u)
    )
    if request.method == "POST":
        form = ConsultationForm(request.POST, editing=True)
        if form.is_valid():
            try:
                services.update_consultation(
                    actor=request.user,
                    consultation=consultation,
                    **_consultation_fields(form.cleaned_data),
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("La consultation est enregistrée."))
                return redirect("consultations:staff_edit", consultation.pk)
    else:
        form = ConsultationForm(initial=ConsultationForm.initial_for(consultation), editing=True)
    return _consultation_form_answer(request, form, consultation)


def publish_report(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = _consultation(request, consultation_id, policy.can_publish_report)
    form = ReportForm(request.POST or None, initial={"report": consultation.report_text})
    if request.method == "POST" and form.is_valid():
        try:
            services.publish_report(
                actor=request.user, consultation=consultation, report=form.cleaned_data["report"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Le compte rendu est publié."))
            return redirect("consultations:staff_report", consultation.pk)
    return render(
        request,
        "consultations/staff/report.html",
        {"form": form, "consultation": consultation},
        status=400 if request.method == "POST" else 200,
    )


# --- Moderation ------------------------------------------------------------------------------


def _queue_context(user, consultation: Consultation | None) -> dict:
    queue = selectors.moderation_queue(user, consultation=consultation)
    return {
        "pending_contributions": list(queue["contributions"]),
        "pending_comments": list(queue["comments"].select_related("contribution__consultation")),
        "reports": list(
            queue["reports"].select_related(
                "contribution__consultation", "comment__contribution__consultation"
            )
        ),
        "hide_form": HideForm(),
    }


@require_GET
def moderation(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """A consultation's queue (its moderators) and its moderation log (staff)."""
    consultation = _consultation(request, consultation_id, _may_open_moderation)
    can_moderate = policy.can_moderate(request.user, consultation)
    context = {"consultation": consultation, "can_moderate": can_moderate}
    if can_moderate:
        context.update(_queue_context(request.user, consultation))
        hidden = selectors.hidden_for_moderation(request.user, consultation=consultation)
        context["hidden_contributions"] = list(hidden["contributions"][:LOG_SIZE])
        context["hidden_comments"] = list(hidden["comments"][:LOG_SIZE])
    context["log"] = list(
        selectors.moderation_log(request.user, consultation=consultation)[:LOG_SIZE]
    )
    return render(request, "consultations/staff/moderation.html", context)


@require_GET
def moderation_all(request: HttpRequest) -> HttpResponse:
    """Every consultation a moderator moderates, in one queue."""
    if not policy.moderated_consultations(request.user).exists():
        raise Http404
    return render(
        request,
        "consultations/staff/moderation_all.html",
        {**_queue_context(request.user, None), "consultation": None, "can_moderate": True},
    )


def _decide(request: HttpRequest, target, moderate, consultation: Consultation) -> HttpResponse:
    if not policy.can_moderate(request.user, consultation):
        raise Http404
    form = ModerationForm(request.POST)
    default = reverse("consultations:moderation", args=[consultation.pk])
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(_back(request, default))
    action = form.cleaned_data["action"]
    try:
        moderate(request.user, target, action, form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            {
                "approve": _("« %(title)s » est approuvé et publié."),
                "hide": _("« %(title)s » est masqué."),
                "restore": _("« %(title)s » est rétabli."),
            }[action]
            % {"title": str(target)[:80]},
        )
    return redirect(_back(request, default))


@require_POST
def moderate_contribution(request: HttpRequest, contribution_id: int) -> HttpResponse:
    contribution = selectors.get_contribution_for(request.user, contribution_id)
    return _decide(
        request,
        contribution,
        lambda user, target, action, reason: services.moderate_contribution(
            moderator=user, contribution=target, action=action, reason=reason
        ),
        contribution.consultation,
    )


@require_POST
def moderate_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = selectors.get_comment_for(request.user, comment_id)
    return _decide(
        request,
        comment,
        lambda user, target, action, reason: services.moderate_comment(
            moderator=user, comment=target, action=action, reason=reason
        ),
        comment.contribution.consultation,
    )


@require_POST
def dismiss_report(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report was not founded: resolve it without a decision."""
    report = selectors.get_report_for_moderator(request.user, report_id)
    target = report.contribution or report.comment.contribution
    try:
        services.dismiss_reports(moderator=request.user, report_ids=[report.pk])
    except (ValidationError, PermissionDenied):
        raise Http404 from None
    messages.success(request, _("Le signalement est classé sans suite."))
    return redirect(
        _back(request, reverse("consultations:moderation", args=[target.consultation_id]))
    )


# --- Triage ----------------------------------------------------------------------------------


def _kept_filters(query: QueryDict) -> str:
    """The triage filters of `query`, to come back to the same view after a bulk change."""
    kept = QueryDict(mutable=True)
    for key in TRIAGE_FILTERS:
        if query.get(key):
            kept[key] = query[key][:50]
    return kept.urlencode()


def _triage_context(
    request: HttpRequest, consultation: Consultation, bulk_form: BulkForm | None = None
) -> dict:
    query = request.GET if request.method == "GET" else QueryDict(request.POST.get("retour", ""))
    services_qs = consultation.services.order_by("name")
    categories = consultation.categories.order_by("position", "id")
    filters = TriageFilterForm(query, services=services_qs, categories=categories)
    values = filters.values()
    requests = selectors.triage_list(
        request.user,
        consultation=consultation,
        sort=values["sort"],
        status=values["status"],
        service=values["service"],
        quick_win=values["quick_win"],
    )
    if values["category"] is not None:
        requests = requests.filter(category_id=values["category"])
    page = Paginator(requests, TRIAGE_PAGE_SIZE).get_page(query.get("page"))
    today = timezone.localdate()
    rows = [
        {"contribution": c, "age_days": (today - timezone.localdate(c.created_at)).days}
        for c in page.object_list
    ]
    if bulk_form is None:
        bulk_form = BulkForm(services=services_qs, request_ids=[])
    checked = set(bulk_form.cleaned_data.get("ids", [])) if bulk_form.is_bound else set()
    if bulk_form.is_bound and not checked:
        checked = {int(x) for x in request.POST.getlist("ids") if x.isdigit()}
    return {
        "consultation": consultation,
        "filters": filters,
        "page": page,
        "rows": rows,
        "bulk_form": bulk_form,
        "checked": checked,
        "retour": _kept_filters(query),
        "statuses": Contribution.Status.choices,
    }


@require_GET
def triage(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """Requests to follow up: sorted by age or support, filtered, overdue quick wins flagged."""
    consultation = _consultation(request, consultation_id, _triager)
    return render(
        request, "consultations/staff/triage.html", _triage_context(request, consultation)
    )


@require_POST
def triage_bulk(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """Route or change the status of the checked requests: all of them, or none."""
    consultation = _consultation(request, consultation_id, _triager)
    request_ids = selectors.triage_list(request.user, consultation=consultation).values_list(
        "pk", flat=True
    )
    form = BulkForm(
        request.POST,
        services=consultation.services.order_by("name"),
        request_ids=list(request_ids),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["operation"] == "route":
                done = services.bulk_route(
                    actor=request.user, contribution_ids=data["ids"], service=data["service"]
                )
            else:
                done = services.bulk_change_status(
                    actor=request.user,
                    contribution_ids=data["ids"],
                    status=data["status"],
                    reason=data["reason"],
                )
        except ValidationError as error:
            form.add_error(
                None, _("Rien n'a été modifié : %(error)s") % {"error": _error_text(error)}
            )
        except PermissionDenied:
            form.add_error(
                None, _("Rien n'a été modifié : une demande sélectionnée n'est pas accessible.")
            )
        else:
            messages.success(
                request,
                ngettext("%(count)s demande modifiée.", "%(count)s demandes modifiées.", len(done))
                % {"count": len(done)},
            )
            url = reverse("consultations:triage", args=[consultation.pk])
            retour = _kept_filters(QueryDict(request.POST.get("retour", "")))
            return redirect(f"{url}?{retour}" if retour else url)
    return render(
        request,
        "consultations/staff/triage.html",
        _triage_context(request, consultation, form),
        status=400,
    )


# --- One contribution, for staff -------------------------------------------------------------


def _staff_contribution(request: HttpRequest, contribution_id: int) -> Contribution:
    contribution = selectors.get_contribution_for(request.user, contribution_id)
    if not (
        policy.can_triage(request.user, contribution) and policy.can_view_internal(request.user)
    ):
        raise Http404
    return contribution


def _allowed_statuses(contribution: Contribution) -> list[str]:
    if not contribution.is_request:
        return []
    allowed = services.TRANSITIONS[contribution.status]
    return [s for s in Contribution.Status.values if s in allowed]


def _groups_for(user):
    return group_selectors.postable_groups(user).filter(open_to_external=False).order_by("name")


def _contribution_page(
    request: HttpRequest, contribution: Contribution, http_status: int = 200, **bound
) -> HttpResponse:
    user = request.user
    consultation = contribution.consultation
    services_qs = consultation.services.order_by("name")
    templates = list(selectors.answer_templates_for(user, contribution=contribution))
    rendered = [
        (t, services.render_answer_template(template=t, contribution=contribution))
        for t in templates
    ]
    answer_form = bound.get("answer")
    if answer_form is None:
        initial = {}
        chosen = request.GET.get("modele", "")
        for template, text in rendered:
            if chosen == str(template.pk):
                initial["text"] = text
        answer_form = AnswerForm(initial=initial)
    forms = {
        "route": bound.get("route")
        or RouteForm(services=services_qs, initial={"service": contribution.service_id}),
        "status": bound.get("status") or StatusForm(allowed=_allowed_statuses(contribution)),
        "note": bound.get("note") or NoteForm(),
        "answer": answer_form,
        "quick_win": bound.get("quick_win")
        or QuickWinForm(
            initial={"quick_win": contribution.quick_win, "target_date": contribution.target_date}
        ),
        "discuss": bound.get("discuss") or DiscussForm(groups=_groups_for(user)),
    }
    follow_up = selectors.staff_history(user, contribution=contribution)
    return render(
        request,
        "consultations/staff/contribution.html",
        {
            "contribution": contribution,
            "consultation": consultation,
            "forms": forms,
            "templates": rendered,
            "history": list(follow_up["history"]),
            "decisions": list(follow_up["decisions"]),
            "notes": list(selectors.internal_notes_for(user, contribution=contribution)),
            "answers": list(contribution.answers.select_related("service", "author")),
            "comments": list(selectors.comments_for(user, contribution=contribution)),
            "reports": list(contribution.reports.select_related("reporter")),
            "photo_count": contribution.photos.count(),
            "overdue": bool(
                contribution.target_date
                and contribution.target_date < timezone.localdate()
                and contribution.status
                in (Contribution.Status.RECEIVED, Contribution.Status.IN_PROGRESS)
            ),
            "can_moderate": policy.can_moderate(user, consultation),
            "hide_form": HideForm(),
        },
        status=http_status,
    )


@require_GET
def staff_contribution(request: HttpRequest, contribution_id: int) -> HttpResponse:
    """Everything staff need to follow a contribution up, with the forms to act on it."""
    return _contribution_page(request, _staff_contribution(request, contribution_id))


def _contribution_action(name: str, make_form, act, success: str):
    """A POST view: validate `make_form`, call `act`; refusals re-render the page (400)."""

    @require_POST
    def view(request: HttpRequest, contribution_id: int) -> HttpResponse:
        contribution = _staff_contribution(request, contribution_id)
        form = make_form(request, contribution)
        if form.is_valid():
            try:
                act(request.user, contribution, form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, success)
                url = reverse("consultations:staff_contribution", args=[contribution.pk])
                return redirect(f"{url}#{name}")
        return _contribution_page(request, contribution, http_status=400, **{name: form})

    view.__name__ = f"contribution_{name}"
    return view


route_contribution = _contribution_action(
    "route",
    lambda request, c: RouteForm(request.POST, services=c.consultation.services.order_by("name")),
    lambda user, c, data: services.route_contribution(
        actor=user, contribution=c, service=data["service"]
    ),
    _("La demande est orientée vers le service."),
)
change_status = _contribution_action(
    "status",
    lambda request, c: StatusForm(request.POST, allowed=_allowed_statuses(c)),
    lambda user, c, data: services.change_status(
        actor=user, contribution=c, status=data["status"], reason=data["reason"]
    ),
    _("Le statut est changé ; l'habitant est prévenu."),
)
add_note = _contribution_action(
    "note",
    lambda request, c: NoteForm(request.POST),
    lambda user, c, data: services.add_internal_note(
        author=user, contribution=c, text=data["text"]
    ),
    _("La note interne est ajoutée."),
)
answer = _contribution_action(
    "answer",
    lambda request, c: AnswerForm(request.POST),
    lambda user, c, data: services.answer_contribution(
        author=user, contribution=c, text=data["text"], signed_by=data["signed_by"]
    ),
    _("La réponse officielle est publiée ; l'habitant est prévenu."),
)
quick_win = _contribution_action(
    "quick_win",
    lambda request, c: QuickWinForm(request.POST),
    lambda user, c, data: services.flag_quick_win(
        actor=user,
        contribution=c,
        quick_win=data["quick_win"],
        target_date=data["target_date"],
    ),
    _("Le suivi « traitable avant la visite » est enregistré."),
)
discuss = _contribution_action(
    "discuss",
    lambda request, c: DiscussForm(request.POST, groups=_groups_for(request.user)),
    lambda user, c, data: services.discuss_internally(
        actor=user, contribution=c, group=data["group"]
    ),
    _("La discussion interne est ouverte dans le groupe."),
)


# --- Visit brief and open data ---------------------------------------------------------------


@require_GET
def brief(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """The visit brief, printable (staff and elected officials)."""
    consultation = _consultation(request, consultation_id, policy.can_view_brief)
    result = brief_module.compute_brief(consultation=consultation)
    return render(
        request,
        "consultations/staff/brief.html",
        {
            "consultation": consultation,
            "brief": result,
            "officials": list(consultation.officials.order_by("display_name", "pk")),
            "is_staff": policy.is_staff(request.user),
            "can_export": policy.can_export(request.user, consultation),
            "today": timezone.localdate(),
        },
    )


@require_GET
def brief_download(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = _consultation(request, consultation_id, policy.can_view_brief)
    result = brief_module.compute_brief(consultation=consultation)
    officials = list(consultation.officials.order_by("display_name", "pk"))
    return _attachment(
        brief_pdf(result, officials=officials),
        "application/pdf",
        f"synthese-visite-{consultation.pk}.pdf",
    )


def _exportable(request: HttpRequest, consultation_id: int) -> Consultation:
    return _consultation(request, consultation_id, policy.can_export)


@login_not_required
@require_GET
def open_data_csv(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """The pseudonymised contributions of a closed consultation (Licence Ouverte 2.0)."""
    consultation = _exportable(request, consultation_id)
    return _attachment(
        export.export_csv(consultation=consultation),
        "text/csv; charset=utf-8",
        f"consultation-{consultation.pk}.csv",
    )


@login_not_required
@require_GET
def open_data_json(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """The same data as JSON, with the licence and the data dictionary."""
    consultation = _exportable(request, consultation_id)
    return _attachment(
        export.export_json_text(consultation=consultation),
        "application/json; charset=utf-8",
        f"consultation-{consultation.pk}.json",
    )


@login_not_required
@require_GET
def open_data_dictionary(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """What each exported column means."""
    consultation = _exportable(request, consultation_id)
    return _attachment(
        export.data_dictionary_csv(),
        "text/csv; charset=utf-8",
        f"consultation-{consultation.pk}-dictionnaire.csv",
    )
