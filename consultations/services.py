"""Writes on consultations: one function per action a person can take.

Each checks the policy, validates, writes inside one transaction and schedules its side
effects after commit. Refusals are French messages (ValidationError) or PermissionDenied;
a refused action writes nothing.
"""

import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from consultations import events, policy
from consultations import text as markup
from consultations.models import (
    ANSWER_MAX_LENGTH,
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    CONTRIBUTION_TITLE_MAX_LENGTH,
    DEFAULT_CATEGORIES,
    MAX_PHOTOS,
    NOTE_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    AnswerTemplate,
    Category,
    Consultation,
    ConsultationComment,
    Contribution,
    ContributionPhoto,
    ForbiddenWord,
    HiddenReason,
    InternalNote,
    ModerationDecision,
    ModerationState,
    OfficialAnswer,
    Report,
    Service,
    StatusChange,
    Support,
)
from files import content as file_content
from files import images
from groups.models import Group
from social import services as social_services
from social.models import Post

Status = Contribution.Status
Action = ModerationDecision.Action

# reçu → en cours → traité | rejeté → clos; a request can also be rejected on arrival
# (a duplicate, out of scope) without pretending it was worked on.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.IN_PROGRESS, Status.REJECTED}),
    Status.IN_PROGRESS: frozenset({Status.DONE, Status.REJECTED}),
    Status.DONE: frozenset({Status.CLOSED}),
    Status.REJECTED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
PHOTO_MAX_SIDE = 2048
# The years a consultation's dates may fall in.
FIRST_YEAR, LAST_YEAR = 2000, 2099
PHOTO_PREFIX = "consultations/"


# --- Cleaning --------------------------------------------------------------------------------


def _limit(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _clean_text(value: str, *, field: str, limit: int, required: bool = True, label: str) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise ValidationError({field: _("%(label)s est obligatoire.") % {"label": label}})
    if len(value) > limit:
        raise ValidationError(
            {
                field: _("%(label)s dépasse %(limit)s caractères.")
                % {"label": label, "limit": _limit(limit)}
            }
        )
    return value


def _clean_line(value: str, *, field: str, limit: int, required: bool = True, label: str) -> str:
    return " ".join(
        _clean_text(value, field=field, limit=limit, required=required, label=label).split()
    )


def _clean_coordinate(value, *, field: str, bound: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Coordonnée invalide.")}) from None
    if not number.is_finite() or not -bound <= number <= bound:
        raise ValidationError(
            {field: _("La coordonnée doit être comprise entre -%(b)s et %(b)s.") % {"b": bound}}
        )
    return number


def forbidden_words() -> list[str]:
    """The forbidden words: the CONSULTATION_FORBIDDEN_WORDS setting and ForbiddenWord rows."""
    return [
        *settings.CONSULTATION_FORBIDDEN_WORDS,
        *ForbiddenWord.objects.values_list("word", flat=True),
    ]


def _initial_state(consultation: Consultation, *texts: str) -> str:
    if consultation.moderation == Consultation.Moderation.A_PRIORI:
        return ModerationState.PENDING
    if markup.contains_forbidden(" ".join(texts), forbidden_words()):
        return ModerationState.PENDING
    return ModerationState.PUBLISHED


def _check_rate(*, user: User, model, per_hour: int, message: str, lock: bool = True) -> None:
    """Citizens only; counted in the database, so every server process agrees. Call inside
    the write's transaction: the user's row is locked so two parallel requests count in turn."""
    if not user.is_citizen or per_hour <= 0:
        return
    if lock:
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    since = timezone.now() - timedelta(hours=1)
    recent = list(
        model.objects.filter(author=user, created_at__gt=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:per_hour]
    )
    if len(recent) >= per_hour:
        retry_at = timezone.localtime(recent[-1] + timedelta(hours=1))
        raise ValidationError(
            message % {"limit": per_hour, "time": formats.time_format(retry_at, "H:i")},
            code="rate_limited",
        )


# --- Consultations, services, templates ------------------------------------------------------


def _unique_slug(title: str) -> str:
    base = slugify(title)[:60] or "consultation"
    slug, n = base, 2
    while Consultation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_consultation(
    *,
    title: str,
    neighbourhoods: str,
    opens_at: datetime,
    closes_at: datetime,
    theme: str,
    description: str,
    moderation: str,
    officials: Sequence[User],
    moderators: Sequence[User],
    visit_date: date | None,
) -> dict:
    for field, day in (
        ("opens_at", opens_at),
        ("closes_at", closes_at),
        ("visit_date", visit_date),
    ):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationError(
                {
                    field: _("Choisissez une date entre %(first)s et %(last)s.")
                    % {"first": FIRST_YEAR, "last": LAST_YEAR}
                }
            )
    title = _clean_line(title, field="title", limit=TITLE_MAX_LENGTH, label=_("Le titre"))
    neighbourhoods = _clean_line(
        neighbourhoods, field="neighbourhoods", limit=300, label=_("Le quartier")
    )
    theme = _clean_line(theme, field="theme", limit=120, required=False, label=_("Le thème"))
    description = _clean_text(
        description,
        field="description",
        limit=BODY_MAX_LENGTH,
        required=False,
        label=_("La description"),
    )
    if moderation not in Consultation.Moderation.values:
        raise ValidationError({"moderation": _("Mode de modération inconnu.")})
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": _("La clôture doit suivre l'ouverture.")})
    if any(not (o.is_active and o.kind == User.Kind.ELECTED) for o in officials):
        raise ValidationError({"officials": _("Les élus de la visite doivent être des élus.")})
    if any(not (m.is_active and m.kind == User.Kind.STAFF) for m in moderators):
        raise ValidationError({"moderators": _("Les modérateurs sont des agents de l'agence.")})
    return {
        "title": title,
        "neighbourhoods": neighbourhoods,
        "theme": theme,
        "description": description,
        "description_html": markup.render(description),
        "opens_at": opens_at,
        "closes_at": closes_at,
        "moderation": moderation,
    }


@transaction.atomic
def create_consultation(
    *,
    actor: User,
    title: str,
    neighbourhoods: str,
    opens_at: datetime,
    closes_at: datetime,
    theme: str = "",
    description: str = "",
    visit_date: date | None = None,
    moderation: str = Consultation.Moderation.A_POSTERIORI,
    officials: Sequence[User] = (),
    moderators: Sequence[User] = (),
    services: Sequence[Service] = (),
    categories: Sequence[str] | None = None,
) -> Consultation:
    """Create a consultation space with its categories (the defaults unless given)."""
    if not policy.can_manage_consultations(actor):
        raise PermissionDenied
    fields = _clean_consultation(
        title=title,
        neighbourhoods=neighbourhoods,
        opens_at=opens_at,
        closes_at=closes_at,
        theme=theme,
        description=description,
        moderation=moderation,
        officials=officials,
        moderators=moderators,
        visit_date=visit_date,
    )
    names = list(dict.fromkeys(" ".join(c.split())[:60] for c in categories or DEFAULT_CATEGORIES))
    names = [n for n in names if n]
    if not names:
        raise ValidationError({"categories": _("Indiquez au moins une catégorie.")})
    consultation = Consultation.objects.create(
        **fields, slug=_unique_slug(fields["title"]), visit_date=visit_date, created_by=actor
    )
    Category.objects.bulk_create(
        Category(consultation=consultation, name=name, position=i) for i, name in enumerate(names)
    )
    consultation.officials.set(officials)
    consultation.moderators.set(moderators)
    consultation.services.set(services)
    return consultation


@transaction.atomic
def update_consultation(
    *,
    actor: User,
    consultation: Consultation,
    title: str,
    neighbourhoods: str,
    opens_at: datetime,
    closes_at: datetime,
    theme: str = "",
    description: str = "",
    visit_date: date | None = None,
    moderation: str = Consultation.Moderation.A_POSTERIORI,
    officials: Sequence[User] = (),
    moderators: Sequence[User] = (),
    services: Sequence[Service] = (),
) -> Consultation:
    """Replace a consultation's settings (its slug and categories stay)."""
    if not policy.can_manage_consultations(actor):
        raise PermissionDenied
    fields = _clean_consultation(
        title=title,
        neighbourhoods=neighbourhoods,
        opens_at=opens_at,
        closes_at=closes_at,
        theme=theme,
        description=description,
        moderation=moderation,
        officials=officials,
        moderators=moderators,
        visit_date=visit_date,
    )
    for name, value in {**fields, "visit_date": visit_date}.items():
        setattr(consultation, name, value)
    consultation.save()
    consultation.officials.set(officials)
    consultation.moderators.set(moderators)
    consultation.services.set(services)
    return consultation


@transaction.atomic
def publish_report(*, actor: User, consultation: Consultation, report: str) -> Consultation:
    """Publish (or update) the public report of what was heard and what will be done."""
    if not policy.can_publish_report(actor, consultation):
        raise PermissionDenied
    report = _clean_text(report, field="report", limit=20_000, label=_("Le compte rendu"))
    consultation.report_text = report
    consultation.report_html = markup.render(report)
    consultation.report_published_at = consultation.report_published_at or timezone.now()
    consultation.save(update_fields=["report_text", "report_html", "report_published_at"])
    return consultation


def create_service(*, actor: User, name: str, email: str = "") -> Service:
    """Create an internal service that requests can be routed to."""
    if not policy.can_manage_consultations(actor):
        raise PermissionDenied
    name = _clean_line(name, field="name", limit=120, label=_("Le nom"))
    service = Service(name=name, email=(email or "").strip())
    service.full_clean()
    service.save()
    return service


def create_answer_template(
    *, actor: User, service: Service, title: str, body: str
) -> AnswerTemplate:
    """Create a reusable answer for a service."""
    if not policy.can_manage_consultations(actor):
        raise PermissionDenied
    title = _clean_line(title, field="title", limit=120, label=_("Le titre"))
    body = _clean_text(body, field="body", limit=ANSWER_MAX_LENGTH, label=_("Le texte"))
    return AnswerTemplate.objects.create(service=service, title=title, body=body)


def render_answer_template(*, template: AnswerTemplate, contribution: Contribution) -> str:
    """The template's text with {titre}, {quartier}, {date_visite} and {service} filled in."""
    consultation = contribution.consultation
    visit = consultation.visit_date
    return markup.fill_placeholders(
        template.body,
        {
            "titre": contribution.title,
            "quartier": consultation.neighbourhoods,
            "date_visite": formats.date_format(visit, "j F Y") if visit else "",
            "service": template.service.name,
        },
    )


def add_forbidden_word(*, actor: User, word: str) -> ForbiddenWord:
    """Add a word that sends contributions and comments to the moderation queue."""
    if not policy.can_manage_consultations(actor):
        raise PermissionDenied
    word = _clean_line(word, field="word", limit=60, label=_("Le mot"))
    return ForbiddenWord.objects.get_or_create(word=markup.fold(word))[0]


# --- Contributions ---------------------------------------------------------------------------


def _prepare_photo(upload) -> tuple[bytes, int, int]:
    """Check size and type, decode safely, re-encode without metadata (EXIF GPS gone)."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    limit = settings.CONSULTATION_PHOTO_MAX_BYTES
    if not size:
        raise ValidationError({"photos": _("La photo est vide.")})
    if size > limit:
        raise ValidationError(
            {
                "photos": _("La photo dépasse la taille maximale de %(max)s Mo.")
                % {"max": f"{limit / (1024 * 1024):.0f}"}
            }
        )
    upload.seek(0)
    mime = file_content.sniff(upload.read(file_content.SNIFF_BYTES))
    if mime not in images.MIME_TYPES:
        raise ValidationError(
            {"photos": _("Ce fichier n'est pas une image (JPEG, PNG, GIF ou WebP).")}
        )
    try:
        image = images.open_rgb(
            upload, max_pixels=settings.FILES_MAX_PIXELS, size_hint=PHOTO_MAX_SIDE
        )
    except images.TooManyPixels:
        raise ValidationError({"photos": _("L'image a trop de pixels.")}) from None
    except images.NotAnImage:
        raise ValidationError({"photos": _("Ce fichier n'est pas une image lisible.")}) from None
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    return images.webp(image), image.width, image.height


def _store_photos(
    contribution: Contribution, prepared: list[tuple[bytes, int, int]], written: list[str]
) -> None:
    """Write the blobs and their rows; `written` collects keys so a failure can remove them."""
    store = storages["files"]
    for data, width, height in prepared:
        key = store.save(f"{PHOTO_PREFIX}{uuid.uuid4().hex}.webp", ContentFile(data))
        written.append(key)
        ContributionPhoto.objects.create(
            contribution=contribution, key=key, width=width, height=height, size=len(data)
        )


def _drop_blobs(keys: list[str]) -> None:
    for key in keys:
        storages["files"].delete(key)


def _category(consultation: Consultation, category: Category | int | str | None) -> Category:
    raw = category.pk if isinstance(category, Category) else category
    try:
        category_id = int(str(raw).strip())
    except (TypeError, ValueError):
        category_id = None
    found = (
        None
        if category_id is None or abs(category_id) > 2**62
        else Category.objects.filter(consultation=consultation, pk=category_id).first()
    )
    if found is None:
        raise ValidationError({"category": _("Catégorie inconnue pour cette consultation.")})
    return found


def create_contribution(
    *,
    author: User,
    consultation: Consultation,
    kind: str,
    title: str,
    body: str,
    category: Category | int | str,
    place: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    photos: Sequence = (),
) -> Contribution:
    """A citizen's (or staff's) contribution; pending in a priori mode or with forbidden words."""
    if not (policy.can_view_consultation(author, consultation) and policy.can_participate(author)):
        raise PermissionDenied
    if not policy.can_contribute(author, consultation):
        raise ValidationError(_("Cette consultation n'est pas ouverte aux contributions."))
    if kind not in Contribution.Kind.values:
        raise ValidationError({"kind": _("Type de contribution inconnu.")})
    title = _clean_line(
        title, field="title", limit=CONTRIBUTION_TITLE_MAX_LENGTH, label=_("Le titre")
    )
    body = _clean_text(body, field="body", limit=BODY_MAX_LENGTH, label=_("Le texte"))
    place = _clean_line(
        place, field="place", limit=PLACE_MAX_LENGTH, required=False, label=_("Le lieu")
    )
    lat = _clean_coordinate(latitude, field="latitude", bound=90)
    lon = _clean_coordinate(longitude, field="longitude", bound=180)
    if (lat is None) != (lon is None):
        raise ValidationError({"latitude": _("Indiquez la latitude et la longitude.")})
    found = _category(consultation, category)
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("%(max)s photos au plus.") % {"max": MAX_PHOTOS}})
    rate = {
        "user": author,
        "model": Contribution,
        "per_hour": settings.CONSULTATION_CONTRIBUTIONS_PER_HOUR,
        "message": _(
            "Vous avez déjà envoyé %(limit)s contributions en une heure : vous pourrez en "
            "envoyer une nouvelle à partir de %(time)s."
        ),
    }
    _check_rate(**rate, lock=False)  # refuse before decoding any photo
    prepared = [_prepare_photo(upload) for upload in photos]
    written: list[str] = []
    try:
        with transaction.atomic():
            _check_rate(**rate)
            contribution = Contribution.objects.create(
                consultation=consultation,
                author=author,
                kind=kind,
                title=title,
                body=body,
                body_html=markup.render(body),
                category=found,
                place=place,
                latitude=lat,
                longitude=lon,
                moderation_state=_initial_state(consultation, title, body, place),
                status=Status.RECEIVED if kind in Contribution.FOLLOWED_KINDS else "",
            )
            _store_photos(contribution, prepared, written)
    except BaseException:
        _drop_blobs(written)
        raise
    return contribution


def add_photos(
    *, actor: User, contribution: Contribution, photos: Sequence
) -> list[ContributionPhoto]:
    """Add photos to one's own contribution while the consultation is open (3 in all)."""
    if not policy.can_view_contribution(actor, contribution):
        raise PermissionDenied
    if contribution.author_id != actor.pk or not contribution.consultation.is_open:
        raise PermissionDenied
    prepared = [_prepare_photo(upload) for upload in photos]
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = Contribution.objects.select_for_update().get(pk=contribution.pk)
            if locked.photos.count() + len(prepared) > MAX_PHOTOS:
                raise ValidationError(
                    {"photos": _("%(max)s photos au plus.") % {"max": MAX_PHOTOS}}
                )
            _store_photos(locked, prepared, written)
    except BaseException:
        _drop_blobs(written)
        raise
    return list(contribution.photos.all())


# --- Supports, comments, reports -------------------------------------------------------------


def _support_refusal(actor: User, contribution: Contribution) -> None:
    if not policy.can_view_contribution(actor, contribution):
        raise PermissionDenied
    if policy.can_support(actor, contribution):
        return
    if not contribution.is_published:
        raise ValidationError(_("Cette contribution ne peut pas être soutenue."))
    if not contribution.consultation.is_open:
        raise ValidationError(_("La consultation est close : les soutiens sont arrêtés."))
    if contribution.author_id == actor.pk:
        raise ValidationError(_("Vous ne pouvez pas soutenir votre propre contribution."))
    raise PermissionDenied


def support(*, actor: User, contribution: Contribution) -> Contribution:
    """+1 on a published contribution of an open consultation; once per person."""
    _support_refusal(actor, contribution)
    try:
        with transaction.atomic():
            Support.objects.create(contribution=contribution, user=actor)
            Contribution.objects.filter(pk=contribution.pk).update(
                support_count=F("support_count") + 1
            )
    except IntegrityError:
        raise ValidationError(_("Vous soutenez déjà cette contribution.")) from None
    contribution.refresh_from_db(fields=["support_count"])
    return contribution


@transaction.atomic
def withdraw_support(*, actor: User, contribution: Contribution) -> Contribution:
    """Withdraw one's support (while the consultation is open)."""
    if not policy.can_view_contribution(actor, contribution):
        raise PermissionDenied
    if not contribution.consultation.is_open:
        raise ValidationError(_("La consultation est close : les soutiens sont arrêtés."))
    deleted, _detail = Support.objects.filter(contribution=contribution, user=actor).delete()
    if not deleted:
        raise ValidationError(_("Vous ne soutenez pas cette contribution."))
    Contribution.objects.filter(pk=contribution.pk).update(support_count=F("support_count") - 1)
    contribution.refresh_from_db(fields=["support_count"])
    return contribution


@transaction.atomic
def add_comment(*, author: User, contribution: Contribution, body: str) -> ConsultationComment:
    """A plain-text comment; moderated like contributions (mode and forbidden words)."""
    if not policy.can_view_contribution(author, contribution):
        raise PermissionDenied
    if not policy.can_comment(author, contribution):
        if not contribution.consultation.is_open:
            raise ValidationError(_("La consultation est close : les commentaires sont fermés."))
        if not contribution.is_published:
            raise ValidationError(_("Cette contribution ne peut pas encore être commentée."))
        raise PermissionDenied
    body = _clean_text(body, field="body", limit=COMMENT_MAX_LENGTH, label=_("Le commentaire"))
    _check_rate(
        user=author,
        model=ConsultationComment,
        per_hour=settings.CONSULTATION_COMMENTS_PER_HOUR,
        message=_(
            "Vous avez déjà écrit %(limit)s commentaires en une heure : vous pourrez en "
            "écrire un nouveau à partir de %(time)s."
        ),
    )
    return ConsultationComment.objects.create(
        contribution=contribution,
        author=author,
        body=body,
        moderation_state=_initial_state(contribution.consultation, body),
    )


def _clean_reason(reason: str) -> str:
    return _clean_line(reason, field="reason", limit=REASON_MAX_LENGTH, label=_("Le motif"))


def report_contribution(*, reporter: User, contribution: Contribution, reason: str) -> Report:
    """Flag a contribution for the moderators."""
    if not policy.can_report(reporter, contribution):
        raise PermissionDenied
    return Report.objects.create(
        contribution=contribution, reporter=reporter, reason=_clean_reason(reason)
    )


def report_comment(*, reporter: User, comment: ConsultationComment, reason: str) -> Report:
    """Flag a comment for the moderators."""
    if not policy.can_report_comment(reporter, comment):
        raise PermissionDenied
    return Report.objects.create(comment=comment, reporter=reporter, reason=_clean_reason(reason))


# --- Moderation ------------------------------------------------------------------------------


def _decide(*, moderator: User, target, action: str, reason: str, field: str) -> ModerationDecision:
    state = target.moderation_state
    if action == Action.APPROVE:
        if state != ModerationState.PENDING:
            raise ValidationError(_("Seul un contenu en attente peut être approuvé."))
        target.moderation_state, target.hidden_reason, reason = ModerationState.PUBLISHED, "", ""
    elif action == Action.HIDE:
        if state == ModerationState.HIDDEN:
            raise ValidationError(_("Ce contenu est déjà masqué."))
        if reason not in HiddenReason.values:
            raise ValidationError({"reason": _("Choisissez un motif de masquage.")})
        target.moderation_state, target.hidden_reason = ModerationState.HIDDEN, reason
    elif action == Action.RESTORE:
        if state != ModerationState.HIDDEN:
            raise ValidationError(_("Seul un contenu masqué peut être rétabli."))
        target.moderation_state, target.hidden_reason, reason = ModerationState.PUBLISHED, "", ""
    else:
        raise ValidationError({"action": _("Décision de modération inconnue.")})
    target.save(update_fields=["moderation_state", "hidden_reason"])
    Report.objects.filter(**{field: target}, resolved=False).update(resolved=True)
    return ModerationDecision.objects.create(
        **{field: target}, moderator=moderator, action=action, reason=reason
    )


def _moderate(*, moderator: User, target, consultation, action: str, reason: str, field: str):
    if not policy.can_moderate(moderator, consultation):
        raise PermissionDenied
    locked = type(target).objects.select_for_update().get(pk=target.pk)
    decision = _decide(
        moderator=moderator, target=locked, action=action, reason=reason, field=field
    )
    target.moderation_state, target.hidden_reason = locked.moderation_state, locked.hidden_reason
    return decision


@transaction.atomic
def moderate_contribution(
    *, moderator: User, contribution: Contribution, action: str, reason: str = ""
) -> ModerationDecision:
    """Approve, hide (with a public reason) or restore a contribution; logged."""
    return _moderate(
        moderator=moderator,
        target=contribution,
        consultation=contribution.consultation,
        action=action,
        reason=reason,
        field="contribution",
    )


@transaction.atomic
def moderate_comment(
    *, moderator: User, comment: ConsultationComment, action: str, reason: str = ""
) -> ModerationDecision:
    """Approve, hide (with a public reason) or restore a comment; logged."""
    return _moderate(
        moderator=moderator,
        target=comment,
        consultation=comment.contribution.consultation,
        action=action,
        reason=reason,
        field="comment",
    )


@transaction.atomic
def dismiss_reports(*, moderator: User, report_ids: Iterable[int]) -> int:
    """Mark reports resolved without a decision (nothing wrong); returns how many."""
    ids = list(report_ids)
    reports = list(
        Report.objects.filter(pk__in=ids).select_related(
            "contribution__consultation", "comment__contribution__consultation"
        )
    )
    if len(reports) != len(set(ids)):
        raise ValidationError(_("Signalement inconnu."))
    for r in reports:
        target = r.contribution or r.comment.contribution
        if not policy.can_moderate(moderator, target.consultation):
            raise PermissionDenied
    return Report.objects.filter(pk__in=ids, resolved=False).update(resolved=True)


def dismiss_reports_on(
    *, moderator: User, contribution: Contribution | None = None, comment=None
) -> int:
    """Resolve without a decision every pending report on one contribution or one comment;
    returns how many (none pending: a French error)."""
    consultation = (contribution or comment.contribution).consultation
    if not policy.can_moderate(moderator, consultation):
        raise PermissionDenied
    on_target = {"comment": comment} if comment is not None else {"contribution": contribution}
    dismissed = Report.objects.filter(resolved=False, **on_target).update(resolved=True)
    if not dismissed:
        raise ValidationError(_("Aucun signalement en attente sur ce contenu."))
    return dismissed


# --- Follow-up -------------------------------------------------------------------------------


def _locked_requests(actor: User, ids: Iterable[int]) -> list[Contribution]:
    """The contributions, locked in id order (no deadlock between two bulk changes)."""
    ids = sorted(set(ids))
    found = list(
        Contribution.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("consultation", "service")
        .order_by("pk")
    )
    if len(found) != len(ids) or not all(policy.can_triage(actor, c) for c in found):
        raise PermissionDenied
    return found


def _check_request(contribution: Contribution) -> None:
    if not contribution.is_request:
        raise ValidationError(
            _("« %(title)s » n'est ni une demande ni un signalement.")
            % {"title": contribution.title}
        )


def _route(actor: User, contribution: Contribution, service: Service) -> None:
    _check_request(contribution)
    if not contribution.consultation.services.filter(pk=service.pk).exists():
        raise ValidationError({"service": _("Ce service n'est pas rattaché à la consultation.")})
    contribution.service = service
    contribution.updated_at = timezone.now()
    contribution.save(update_fields=["service", "updated_at"])


@transaction.atomic
def route_contribution(
    *, actor: User, contribution: Contribution, service: Service
) -> Contribution:
    """Send a demande or signalement to a service of the consultation."""
    (locked,) = _locked_requests(actor, [contribution.pk])
    _route(actor, locked, service)
    contribution.service = service
    return locked


@transaction.atomic
def bulk_route(
    *, actor: User, contribution_ids: Sequence[int], service: Service
) -> list[Contribution]:
    """Route several requests at once: all or nothing."""
    found = _locked_requests(actor, contribution_ids)
    for contribution in found:
        _route(actor, contribution, service)
    return found


def _change_status(actor: User, contribution: Contribution, status: str, reason: str) -> None:
    _check_request(contribution)
    if status not in Status.values:
        raise ValidationError({"status": _("Statut inconnu.")})
    if status not in TRANSITIONS[contribution.status]:
        raise ValidationError(
            {
                "status": _("« %(title)s » ne peut pas passer de « %(from)s » à « %(to)s ».")
                % {
                    "title": contribution.title,
                    "from": contribution.get_status_display(),
                    "to": Status(status).label,
                }
            }
        )
    reason = (reason or "").replace("\x00", "").strip()
    if status == Status.REJECTED and not reason:
        raise ValidationError({"reason": _("Un rejet doit être motivé.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Le motif dépasse %(limit)s caractères.") % {"limit": REASON_MAX_LENGTH}}
        )
    change = StatusChange.objects.create(
        contribution=contribution,
        from_status=contribution.status,
        to_status=status,
        reason=reason,
        changed_by=actor,
    )
    contribution.status = status
    if status == Status.REJECTED:
        contribution.rejection_reason = reason
    contribution.updated_at = timezone.now()
    contribution.save(update_fields=["status", "rejection_reason", "updated_at"])
    events.status_changed(contribution, change)


@transaction.atomic
def change_status(
    *, actor: User, contribution: Contribution, status: str, reason: str = ""
) -> Contribution:
    """Move a request along reçu → en cours → traité | rejeté → clos; the author is told."""
    (locked,) = _locked_requests(actor, [contribution.pk])
    _change_status(actor, locked, status, reason)
    contribution.status, contribution.rejection_reason = locked.status, locked.rejection_reason
    return locked


@transaction.atomic
def bulk_change_status(
    *, actor: User, contribution_ids: Sequence[int], status: str, reason: str = ""
) -> list[Contribution]:
    """Change the status of several requests at once: all or nothing."""
    found = _locked_requests(actor, contribution_ids)
    for contribution in found:
        _change_status(actor, contribution, status, reason)
    return found


@transaction.atomic
def flag_quick_win(
    *,
    actor: User,
    contribution: Contribution,
    quick_win: bool = True,
    target_date: date | None = None,
) -> Contribution:
    """Flag (or unflag) a request as "traitable avant la visite", with a target date."""
    (locked,) = _locked_requests(actor, [contribution.pk])
    _check_request(locked)
    if quick_win and target_date is None:
        raise ValidationError({"target_date": _("Indiquez une date cible.")})
    locked.quick_win = quick_win
    locked.target_date = target_date if quick_win else None
    locked.updated_at = timezone.now()
    locked.save(update_fields=["quick_win", "target_date", "updated_at"])
    contribution.quick_win, contribution.target_date = locked.quick_win, locked.target_date
    return locked


def add_internal_note(*, author: User, contribution: Contribution, text: str) -> InternalNote:
    """A note for staff only; citizens never see it."""
    if not policy.can_triage(author, contribution):
        raise PermissionDenied
    body = _clean_text(text, field="text", limit=NOTE_MAX_LENGTH, label=_("La note"))
    return InternalNote.objects.create(contribution=contribution, author=author, text=body)


@transaction.atomic
def answer_contribution(
    *,
    author: User,
    contribution: Contribution,
    text: str,
    signed_by: str = "",
    service: Service | None = None,
) -> OfficialAnswer:
    """The public official answer, signed by a service (default: the routed one) or a person."""
    if not policy.can_triage(author, contribution):
        raise PermissionDenied
    body = _clean_text(text, field="text", limit=ANSWER_MAX_LENGTH, label=_("La réponse"))
    service = service or contribution.service
    signed_by = " ".join((signed_by or "").split())[:150] or (
        service.name if service else author.display_name
    )
    answer = OfficialAnswer.objects.create(
        contribution=contribution,
        author=author,
        service=service,
        signed_by=signed_by,
        text=body,
        text_html=markup.render(body),
    )
    Contribution.objects.filter(pk=contribution.pk).update(updated_at=timezone.now())
    events.answered(contribution, answer)
    return answer


@transaction.atomic
def discuss_internally(*, actor: User, contribution: Contribution, group: Group) -> Post:
    """Turn a contribution into a post of an internal group; the link is kept on both sides."""
    if not policy.can_triage(actor, contribution):
        raise PermissionDenied
    if not policy.can_discuss_in(actor, group):
        raise ValidationError(
            {
                "group": _(
                    "Choisissez un groupe interne (sans membres externes) dont vous êtes membre."
                )
            }
        )
    if contribution.internal_post_id is not None:
        raise ValidationError(_("Cette contribution est déjà discutée en interne."))
    excerpt = (
        contribution.body if len(contribution.body) <= 1500 else contribution.body[:1500] + "…"
    )
    quoted = "\n".join(f"> {line}" for line in excerpt.splitlines())
    body = _(
        "**Contribution citoyenne** — %(kind)s « %(title)s » (consultation « %(consultation)s », "
        "catégorie %(category)s)\n\n%(quote)s"
    ) % {
        "kind": contribution.get_kind_display(),
        "title": contribution.title,
        "consultation": contribution.consultation.title,
        "category": contribution.category.name,
        "quote": quoted,
    }
    post = social_services.create_post(author=actor, group=group, body=body)
    contribution.internal_post = post
    contribution.save(update_fields=["internal_post"])
    return post


# --- RGPD ------------------------------------------------------------------------------------


@transaction.atomic
def forget_citizen(*, user: User) -> None:
    """Pseudonymise a citizen's consultation data before their account is deleted."""
    # Contributions and comments stay, signed « un habitant »; reports lose their reporter.
    # Support rows (who supported what) go, but the counters keep them: what residents said
    # does not shrink when one of them leaves. A bare `user.delete()` gives the same result
    # through the foreign keys (SET_NULL, CASCADE); this makes the step explicit and testable.
    Contribution.objects.filter(author=user).update(author=None)
    ConsultationComment.objects.filter(author=user).update(author=None)
    Report.objects.filter(reporter=user).update(reporter=None)
    Support.objects.filter(user=user).delete()
