"""API routes of consultations: public reads (no account needed), creating and editing a
consultation (staff), contributions, supports, comments, reports, moderation, request
follow-up, « Mes demandes », the visit brief and the open-data export.

Thin: each route finds what it acts on through consultations.selectors (404 alike for unknown
and forbidden) and calls one service, which checks consultations.policy. Public reads accept
anonymous visitors (`public()`); everything else needs a session or a token, and the internal
routes (moderation, follow-up) answer 404 to whoever is not agency staff, as for an unknown id.
"""

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Path, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from accounts.models import User
from config.api_auth import WORKSPACE_AUTH, public
from config.pagination import MAX_LIMIT, Pagination
from consultations import export, policy, selectors, services
from consultations.brief import compute_brief
from consultations.models import Consultation, Contribution, Service
from consultations.schemas import (
    ConsultationDetailOut,
    ConsultationIn,
    ConsultationOut,
    ConsultationPatch,
    ConsultationSettingsOut,
    ConsultationState,
    ContributionAnswerIn,
    ContributionAnswerOut,
    ContributionCommentIn,
    ContributionCommentOut,
    ContributionDetailOut,
    ContributionIn,
    ContributionKind,
    ContributionOut,
    ContributionReportIn,
    ContributionReportOut,
    ContributionRequestOut,
    ContributionSort,
    ContributionStatus,
    ContributionStatusPatch,
    ContributionSupportOut,
    ModerationDecisionIn,
    ModerationDecisionOut,
    ModerationDismissIn,
    ModerationDismissOut,
    ModerationQueueOut,
    VisitBriefOut,
)
from consultations.staff_forms import ConsultationForm
from social.schemas import MAX_ID

router = Router(tags=["consultations"])

ConsultationId = Annotated[int, Path(ge=1, le=MAX_ID)]
ContributionId = Annotated[int, Path(ge=1, le=MAX_ID)]
PhotoId = Annotated[int, Path(ge=1, le=MAX_ID)]
TargetId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="Une contribution ou un commentaire, selon `target`")
]
# Optional parameters are typed without `None` so that the schema offers no `null` to send.
StateFilter = Annotated[ConsultationState, Query(description="upcoming, open ou closed")]
SortQuery = Annotated[
    ContributionSort,
    Query(description="supports (les plus soutenues), recent, category ou status"),
]
CategoryFilter = Annotated[int, Query(ge=1, le=MAX_ID, description="Une catégorie (son id)")]
StatusFilter = Annotated[
    ContributionStatus, Query(description="recu, en_cours, traite, rejete ou clos")
]
KindFilter = Annotated[
    ContributionKind, Query(description="question, demande, idee ou signalement")
]
ConsultationFilter = Annotated[
    int, Query(ge=1, le=MAX_ID, description="Une seule consultation (son id)")
]
QueueLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Au plus, par liste")]
Photos = Annotated[
    list[UploadedFile],
    File(description="1 à 3 photos (JPEG, PNG, GIF ou WebP), remises à plat sans métadonnées"),
]


# Public reads (anonymous visitors welcome) are marked with config.api_auth.public(); the
# staff's follow-up refuses citizens outright (WORKSPACE_AUTH), like the agency's own routers.
CSV_RESPONSE = {
    "description": "Les contributions publiées, pseudonymisées (Licence Ouverte 2.0)",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}
PHOTO_RESPONSE = {
    "description": "La photo (WebP)",
    "content": {"image/webp": {"schema": {"type": "string", "format": "binary"}}},
}


# --- Helpers ------------------------------------------------------------------------------


def _consultation(request: HttpRequest, consultation_id: int) -> Consultation:
    return selectors.get_consultation_for(request.auth, consultation_id)


def _contribution(request: HttpRequest, contribution_id: int) -> Contribution:
    return selectors.get_contribution_for(request.auth, contribution_id)


def _internal(request: HttpRequest) -> None:
    """Moderation and follow-up are the agency's: anyone else gets the 404 of an unknown id."""
    if not policy.can_view_internal(request.auth):
        raise Http404


def _manager(request: HttpRequest) -> None:
    """Creating and editing consultations is staff's (as the staff pages): others get a 404."""
    if not policy.can_manage_consultations(request.auth):
        raise Http404


def _settings(fields: dict) -> dict:
    """Payload fields for the consultation services: ids become the rows they name (the
    services check who they are); an unknown id is refused."""
    unknown = {
        "officials": (User, _("Élu inconnu.")),
        "moderators": (User, _("Modérateur inconnu.")),
        "services": (Service, _("Service inconnu.")),
    }
    for field, (model, message) in unknown.items():
        if field in fields:
            found = list(model.objects.filter(pk__in=fields[field]))
            if len(found) != len(set(fields[field])):
                raise ValidationError({field: message})
            fields[field] = found
    return fields


def _as_listed(request: HttpRequest, consultation_id: int) -> Consultation:
    """The consultation as the reads show it (with its counts)."""
    found = (
        selectors.consultations_for(request.auth)
        .prefetch_related("categories", "officials")
        .filter(pk=consultation_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _detail(request: HttpRequest, contribution: Contribution) -> Contribution:
    """The contribution with what ContributionDetailOut shows to this viewer."""
    viewer = request.auth
    found = (
        selectors.contributions_for(viewer, consultation=contribution.consultation)
        .filter(pk=contribution.pk)
        .first()
    )
    if found is None:
        raise Http404
    found.status_history = list(selectors.public_status_history(viewer, contribution=found))
    found.internal = None
    if policy.can_view_internal(viewer):
        found.internal = {
            "service": found.service,
            "quick_win": found.quick_win,
            "target_date": found.target_date,
            "internal_post_id": found.internal_post_id,
            "notes": list(selectors.internal_notes_for(viewer, contribution=found)),
        }
    found.me = {
        "can_support": policy.can_support(viewer, found),
        "can_comment": policy.can_comment(viewer, found),
        "can_report": policy.can_report(viewer, found),
        "can_triage": policy.can_triage(viewer, found),
    }
    return found


def _service_of(consultation: Consultation, service_id: int) -> Service:
    found = consultation.services.filter(pk=service_id).first()
    if found is None:
        raise ValidationError({"service": _("Ce service n'est pas rattaché à la consultation.")})
    return found


def _support_state(contribution: Contribution, supported: bool) -> dict:
    return {
        "contribution_id": contribution.pk,
        "support_count": contribution.support_count,
        "supported": supported,
    }


# --- Consultations ------------------------------------------------------------------------


@router.get("/consultations", response=list[ConsultationOut], **public())
@paginate(Pagination)
def consultations(request: HttpRequest, state: StateFilter = None) -> object:
    """Consultations you may see (opened ones for the public), latest first."""
    found = selectors.consultations_for(request.auth).prefetch_related("categories", "officials")
    now = timezone.now()
    if state == Consultation.State.UPCOMING:
        found = found.filter(opens_at__gt=now)
    elif state == Consultation.State.OPEN:
        found = found.filter(opens_at__lte=now, closes_at__gt=now)
    elif state == Consultation.State.CLOSED:
        found = found.filter(closes_at__lte=now)
    return found


@router.get("/consultations/{consultation_id}", response=ConsultationDetailOut, **public())
def consultation(request: HttpRequest, consultation_id: ConsultationId) -> Consultation:
    return _as_listed(request, consultation_id)


@router.post("/consultations", response={201: ConsultationSettingsOut}, auth=WORKSPACE_AUTH)
def create_consultation(request: HttpRequest, payload: ConsultationIn) -> Status:
    """Open a consultation space (staff): the public sees it from `opens_at`. Without
    `categories`, the city's default ones."""
    _manager(request)
    created = services.create_consultation(actor=request.auth, **_settings(payload.dict()))
    return Status(201, _as_listed(request, created.pk))


@router.patch(
    "/consultations/{consultation_id}", response=ConsultationSettingsOut, auth=WORKSPACE_AUTH
)
def update_consultation(
    request: HttpRequest, consultation_id: ConsultationId, payload: ConsultationPatch
) -> Consultation:
    """Change the given settings of a consultation (staff); the others, its slug and its
    categories stay. All the changes or none."""
    _manager(request)
    found = _consultation(request, consultation_id)
    changes = _settings(payload.dict(exclude_unset=True))
    if not changes:
        raise ValidationError(_("Indiquez au moins un réglage à modifier."))
    services.update_consultation(
        actor=request.auth,
        consultation=found,
        **{**ConsultationForm.initial_for(found), **changes},
    )
    return _as_listed(request, found.pk)


@router.get(
    "/consultations/{consultation_id}/contributions",
    response=list[ContributionOut],
    **public(),
)
@paginate(Pagination)
def contributions(
    request: HttpRequest,
    consultation_id: ConsultationId,
    sort: SortQuery = "supports",
    category: CategoryFilter = None,
    status: StatusFilter = None,
    kind: KindFilter = None,
) -> object:
    """Published contributions (and your own in any state; all of them for staff)."""
    return selectors.contributions_for(
        request.auth,
        consultation=_consultation(request, consultation_id),
        sort=sort,
        category=category,
        status=status,
        kind=kind,
    )


@router.post(
    "/consultations/{consultation_id}/contributions", response={201: ContributionDetailOut}
)
def contribute(
    request: HttpRequest, consultation_id: ConsultationId, payload: ContributionIn
) -> Status:
    """Contribute while the consultation is open (citizens and staff); photos afterwards with
    POST /contributions/{id}/photos. Pending until approved in a priori mode, or when it holds
    a forbidden word."""
    found = _consultation(request, consultation_id)
    created = services.create_contribution(
        author=request.auth, consultation=found, **payload.dict()
    )
    return Status(201, _detail(request, created))


# --- One contribution ---------------------------------------------------------------------


@router.get("/contributions/{contribution_id}", response=ContributionDetailOut, **public())
def contribution(request: HttpRequest, contribution_id: ContributionId) -> Contribution:
    """A contribution with its public answers and status history (and, for staff, the
    follow-up in `internal`)."""
    return _detail(request, _contribution(request, contribution_id))


@router.post("/contributions/{contribution_id}/photos", response={201: ContributionDetailOut})
def add_photos(
    request: HttpRequest, contribution_id: ContributionId, photos: Photos = None
) -> Status:
    """Multipart `photos`: add photos to your own contribution (3 in all), while the
    consultation is open. All or nothing: one bad file and none is kept."""
    found = _contribution(request, contribution_id)
    if not photos:
        raise ValidationError({"photos": _("Joignez au moins une photo.")})
    services.add_photos(actor=request.auth, contribution=found, photos=photos)
    return Status(201, _detail(request, found))


@router.get(
    "/contribution-photos/{photo_id}",
    url_name="consultation_photo",
    **public({200: PHOTO_RESPONSE}),
)
def photo(request: HttpRequest, photo_id: PhotoId) -> HttpResponse:
    """A contribution's photo, for whoever may read the contribution."""
    found = selectors.get_photo_for(request.auth, photo_id)
    with storages["files"].open(found.key, "rb") as stored:
        response = HttpResponse(stored.read(), content_type="image/webp")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.post("/contributions/{contribution_id}/support", response=ContributionSupportOut)
def support(request: HttpRequest, contribution_id: ContributionId) -> dict:
    """+1 (once per person; not your own; published contributions of open consultations)."""
    found = services.support(
        actor=request.auth, contribution=_contribution(request, contribution_id)
    )
    return _support_state(found, True)


@router.delete("/contributions/{contribution_id}/support", response=ContributionSupportOut)
def withdraw_support(request: HttpRequest, contribution_id: ContributionId) -> dict:
    found = services.withdraw_support(
        actor=request.auth, contribution=_contribution(request, contribution_id)
    )
    return _support_state(found, False)


@router.get(
    "/contributions/{contribution_id}/comments",
    response=list[ContributionCommentOut],
    **public(),
)
@paginate(Pagination)
def comments(request: HttpRequest, contribution_id: ContributionId) -> object:
    """Published comments (and your own), oldest first."""
    found = _contribution(request, contribution_id)
    return selectors.comments_for(request.auth, contribution=found)


@router.post("/contributions/{contribution_id}/comments", response={201: ContributionCommentOut})
def add_comment(
    request: HttpRequest, contribution_id: ContributionId, payload: ContributionCommentIn
) -> Status:
    """A plain-text comment, while the consultation is open; moderated like contributions."""
    found = _contribution(request, contribution_id)
    created = services.add_comment(author=request.auth, contribution=found, body=payload.body)
    return Status(201, created)


@router.post("/contributions/{contribution_id}/report", response={201: ContributionReportOut})
def report(
    request: HttpRequest, contribution_id: ContributionId, payload: ContributionReportIn
) -> Status:
    """Flag the contribution, or one of its comments (`comment`), for the moderators."""
    found = _contribution(request, contribution_id)
    if payload.comment is None:
        created = services.report_contribution(
            reporter=request.auth, contribution=found, reason=payload.reason
        )
    else:
        comment = selectors.get_comment_for(request.auth, payload.comment)
        if comment.contribution_id != found.pk:
            raise Http404
        created = services.report_comment(
            reporter=request.auth, comment=comment, reason=payload.reason
        )
    return Status(201, created)


# --- Moderation (staff) -------------------------------------------------------------------


@router.get("/moderation/queue", response=ModerationQueueOut, auth=WORKSPACE_AUTH)
def moderation_queue(
    request: HttpRequest, consultation: ConsultationFilter = None, limit: QueueLimit = MAX_LIMIT
) -> dict:
    """What you moderate: pending contributions and comments, unresolved reports (oldest
    first). Staff who moderate nothing get empty lists; others a 404."""
    _internal(request)
    only = _consultation(request, consultation) if consultation is not None else None
    queue = selectors.moderation_queue(request.auth, consultation=only)
    return {
        **{name: list(qs[:limit]) for name, qs in queue.items()},
        "counts": {name: qs.count() for name, qs in queue.items()},
    }


@router.post(
    "/moderation/{target_id}/decision",
    response={201: ModerationDecisionOut},
    auth=WORKSPACE_AUTH,
)
def moderation_decision(
    request: HttpRequest, target_id: TargetId, payload: ModerationDecisionIn
) -> Status:
    """Approve, hide (with a public `reason`) or restore the contribution — or, with
    `"target": "comment"`, the comment — whose id is in the path; logged, and its reports are
    resolved. Moderators of its consultation (and administrators)."""
    _internal(request)
    reason = payload.reason or ""
    if payload.target == "comment":
        decision = services.moderate_comment(
            moderator=request.auth,
            comment=selectors.get_comment_for(request.auth, target_id),
            action=payload.action,
            reason=reason,
        )
    else:
        decision = services.moderate_contribution(
            moderator=request.auth,
            contribution=_contribution(request, target_id),
            action=payload.action,
            reason=reason,
        )
    return Status(201, decision)


@router.post(
    "/moderation/{target_id}/reports/dismiss",
    response=ModerationDismissOut,
    auth=WORKSPACE_AUTH,
)
def moderation_dismiss(
    request: HttpRequest, target_id: TargetId, payload: ModerationDismissIn
) -> dict:
    """Classify the pending reports on the contribution — or, with `"target": "comment"`, the
    comment — whose id is in the path as unfounded: they leave the queue, the content stays
    as it is. Moderators of its consultation (and administrators)."""
    _internal(request)
    if payload.target == "comment":
        on_target = {"comment": selectors.get_comment_for(request.auth, target_id)}
    else:
        on_target = {"contribution": _contribution(request, target_id)}
    dismissed = services.dismiss_reports_on(moderator=request.auth, **on_target)
    return {"target": payload.target, "target_id": target_id, "dismissed": dismissed}


# --- Follow-up (staff) --------------------------------------------------------------------


@router.patch(
    "/contributions/{contribution_id}/status",
    response=ContributionDetailOut,
    auth=WORKSPACE_AUTH,
)
def triage(
    request: HttpRequest, contribution_id: ContributionId, payload: ContributionStatusPatch
) -> Contribution:
    """Route to a service, flag « traitable avant la visite » (`quick_win`, `target_date`)
    and move the status (reçu → en cours → traité | rejeté → clos; a rejection needs a
    `reason`). All given changes or none; the author is told of a new status."""
    _internal(request)
    found = _contribution(request, contribution_id)
    changes = payload.dict(exclude_unset=True)
    if not {"status", "service", "quick_win"} & changes.keys():
        raise ValidationError(_("Indiquez un statut, un service ou « traitable avant la visite »."))
    actor = request.auth
    with transaction.atomic():
        if payload.service is not None:
            services.route_contribution(
                actor=actor,
                contribution=found,
                service=_service_of(found.consultation, payload.service),
            )
        if payload.quick_win is not None:
            services.flag_quick_win(
                actor=actor,
                contribution=found,
                quick_win=payload.quick_win,
                target_date=payload.target_date,
            )
        if payload.status is not None:
            services.change_status(
                actor=actor, contribution=found, status=payload.status, reason=payload.reason
            )
    return _detail(request, found)


@router.post(
    "/contributions/{contribution_id}/answer",
    response={201: ContributionAnswerOut},
    auth=WORKSPACE_AUTH,
)
def answer(
    request: HttpRequest, contribution_id: ContributionId, payload: ContributionAnswerIn
) -> Status:
    """The public official answer, signed by a service (the routed one unless `service`) or
    by `signed_by`; the author is told."""
    _internal(request)
    found = _contribution(request, contribution_id)
    service = (
        _service_of(found.consultation, payload.service) if payload.service is not None else None
    )
    created = services.answer_contribution(
        author=request.auth,
        contribution=found,
        text=payload.text,
        signed_by=payload.signed_by,
        service=service,
    )
    return Status(201, created)


@router.get("/me/requests", response=list[ContributionRequestOut])
@paginate(Pagination)
def my_requests(request: HttpRequest) -> object:
    """« Mes demandes »: your contributions in every state, with statuses and public answers,
    newest first."""
    return selectors.my_requests(request.auth)


# --- Visit brief and open data ------------------------------------------------------------


@router.get("/consultations/{consultation_id}/brief", response=VisitBriefOut, auth=WORKSPACE_AUTH)
def brief(request: HttpRequest, consultation_id: ConsultationId) -> dict:
    """The visit brief (staff and elected officials; others get a 404)."""
    found = _consultation(request, consultation_id)
    if not policy.can_view_brief(request.auth, found):
        raise Http404
    computed = compute_brief(consultation=found)
    return {
        "consultation": found,
        "visit_date": found.visit_date,
        "total": computed.total,
        "top": computed.top,
        "by_category": [{"name": n, "count": c} for n, c in computed.by_category],
        "by_place": [{"name": n, "count": c} for n, c in computed.by_place],
        "unanswered": [
            {"contribution": p.contribution, "age_days": p.age_days} for p in computed.unanswered
        ],
        "handled_before_visit": computed.handled_before_visit,
        "quotes": [
            {
                "contribution_id": q.contribution.pk,
                "title": q.contribution.title,
                "excerpt": q.excerpt,
                "support_count": q.contribution.support_count,
            }
            for q in computed.quotes
        ],
    }


def _exportable(request: HttpRequest, consultation_id: int) -> Consultation:
    found = _consultation(request, consultation_id)
    if not policy.can_export(request.auth, found):
        raise ValidationError(_("L'export n'est disponible qu'une fois la consultation close."))
    return found


@router.get("/consultations/{consultation_id}/export.csv", **public({200: CSV_RESPONSE}))
def export_csv(request: HttpRequest, consultation_id: ConsultationId) -> HttpResponse:
    """Open data of a closed consultation, pseudonymised: one line per published
    contribution (the data dictionary is in export.json)."""
    found = _exportable(request, consultation_id)
    response = HttpResponse(
        export.export_csv(consultation=found), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="consultation-{found.pk}.csv"'
    response["Link"] = f'<{export.LICENCE_URL}>; rel="license"'
    return response


@router.get("/consultations/{consultation_id}/export.json", response=dict[str, Any], **public())
def export_json(request: HttpRequest, consultation_id: ConsultationId) -> dict:
    """Open data of a closed consultation, pseudonymised: the consultation, the licence
    (Licence Ouverte 2.0), the data dictionary and the published contributions."""
    return export.export_json(consultation=_exportable(request, consultation_id))
