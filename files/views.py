"""Pages of shared files: « Mes fichiers », a file's page, downloads and the no-JS uploads.

Thin views: parse, call files.services or files.selectors, render. Lookups go through
`selectors.get_file_for`, which answers 404 alike for a missing file and a forbidden one, so
ids leak nothing; downloads and thumbnails check policy on every request. Browsers with
JavaScript upload through the API in chunks (static/js/uploads.js); the multipart forms here
are the fallback, limited to one request body (MAX_REQUEST_BODY under daphne).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from files import content, downloads, policy, selectors, services
from files.forms import FileForm, ShareToGroupForm, ShareToPersonForm
from files.models import File
from groups import selectors as group_selectors
from groups.models import Group
from social import selectors as social_selectors
from social import services as social_services
from social.forms import CommentForm, apply_errors

FILES_PAGE_SIZE = 50
TABS = ("mine", "shared")
SLUG_MAX_LENGTH = 100
TOKEN_MAX_LENGTH = 400
VERSION_MAX_DIGITS = 9


# --- Helpers shared with the group's Files tab -----------------------------------------------


def upload_limits() -> dict:
    """What the upload zone tells people before they choose a file."""
    return {
        "max_size": settings.FILES_MAX_SIZE,
        "direct_max": min(settings.FILES_MAX_SIZE, settings.MAX_REQUEST_BODY),
        "types": ", ".join(sorted({content.type_label(t) for t in settings.FILES_ALLOWED_TYPES})),
    }


def search_terms(request: HttpRequest) -> tuple[str, str]:
    """The search box and the sort order of a file list."""
    query = request.GET.get("q", "")[: selectors.Q_MAX_LENGTH].replace("\x00", "").strip()
    order = request.GET.get("order", "recent")
    return query, order if order in selectors.ORDERS else "recent"


def sort_choices() -> list[tuple[str, str]]:
    return [("recent", _("Les plus récents d’abord")), ("name", _("Par nom"))]


def file_page(files, request: HttpRequest):
    """One page of a file list, each file ready for templates/files/partials/list.html."""
    return Paginator(files, FILES_PAGE_SIZE).get_page(request.GET.get("page"))


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _version_number(request: HttpRequest) -> int | None:
    raw = request.GET.get("version")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > VERSION_MAX_DIGITS:
        raise Http404
    return int(raw)


def _refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- « Mes fichiers » and uploads without JavaScript -----------------------------------------


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.can_have_files(user):
        raise PermissionDenied
    tab = request.GET.get("tab", "mine")
    tab = tab if tab in TABS else "mine"
    query, order = search_terms(request)
    if tab == "mine":
        files = selectors.owned_by(user, q=query, order=order)
    else:
        files = selectors.shared_with(user, q=query, order=order)
    quota = None
    if settings.FILES_USER_QUOTA:
        used = services.used_by(user)
        quota = {
            "used": used,
            "total": settings.FILES_USER_QUOTA,
            "left": max(settings.FILES_USER_QUOTA - used, 0),
        }
    template = "files/mine.html"
    if request.htmx and request.htmx.target == "file-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "page": file_page(files, request),
            "tab": tab,
            "query": query,
            "order": order,
            "orders": sort_choices(),
            "quota": quota,
            "upload_limits": upload_limits(),
        },
    )


@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """The upload form without JavaScript: one or more files, optionally to a group."""
    user = request.user
    if not policy.can_have_files(user):
        raise PermissionDenied
    group: Group | None = None
    slug = request.POST.get("group", "")
    if slug:
        group = group_selectors.get_group_for(user, slug[:SLUG_MAX_LENGTH])
        if not policy.can_share_to_group(user, group):
            raise PermissionDenied
    back = _next_or(
        request,
        reverse("groups:files", args=[group.slug]) if group else reverse("files:mine"),
    )
    uploaded = request.FILES.getlist("file")
    if not uploaded:
        messages.error(request, _("Choisissez au moins un fichier à envoyer."))
        return redirect(back)
    created = []
    for item in uploaded:
        try:
            file = services.create_file(
                owner=user, incoming=services.from_upload(item), group=group
            )
        except ValidationError as error:
            messages.error(
                request,
                _("« %(name)s » n’a pas été envoyé : %(reason)s")
                % {"name": content.clean_name(item.name), "reason": _refusal(error)},
            )
        else:
            created.append(file.name)
    if created:
        messages.success(
            request,
            ngettext("Fichier envoyé : %(names)s.", "Fichiers envoyés : %(names)s.", len(created))
            % {"names": ", ".join(created)},
        )
    return redirect(back)


# --- A file's page ---------------------------------------------------------------------------


def _back_link(request: HttpRequest, shares) -> tuple[str, str]:
    """Where the file was found: its first group (that the viewer sees), else « Mes fichiers »."""
    for share in shares:
        if share.group_id is not None:
            return (
                reverse("groups:files", args=[share.group.slug]),
                _("Fichiers de « %(group)s »") % {"group": share.group.name},
            )
    return reverse("files:mine"), _("Mes fichiers")


def _detail_context(
    request: HttpRequest,
    file: File,
    *,
    comment_form: CommentForm | None = None,
    group_form: ShareToGroupForm | None = None,
    person_form: ShareToPersonForm | None = None,
) -> dict:
    user = request.user
    versions = selectors.versions_of(file)
    current = next((v for v in versions if v.pk == file.current_version_id), None)
    shares = selectors.shares_of(user, file)
    for share in shares:
        share.can_remove = policy.can_remove_share(user, share)
    can_share = policy.can_share_file(user, file)
    can_delete = policy.can_delete_file(user, file)
    comments = social_selectors.thread(user, file.comments.all())
    can_comment = policy.can_comment(user, file)
    back_url, back_label = _back_link(request, shares)
    context = {
        "file": file,
        "current": current,
        "versions": versions,
        "shares": shares,
        "can_change": policy.can_change_file(user, file),
        "can_delete": can_delete,
        "can_share": can_share,
        "comments": comments,
        "comment_count": sum(1 for c in comments if not c.is_deleted),
        "comment_url": reverse("files:comment", args=[file.pk]),
        "can_comment": can_comment,
        "can_moderate": can_delete,  # who may delete the file moderates its thread
        "back_url": back_url,
        "back_label": back_label,
        "upload_limits": upload_limits(),
    }
    if can_comment:
        context["comment_form"] = comment_form or CommentForm(
            mentions_url=reverse("social:mention_candidates")
        )
    if can_share:
        groups = _shareable_groups(request, file)
        if groups.exists() or group_form is not None:
            context["group_form"] = group_form or ShareToGroupForm(groups=groups, prefix="share")
        context["person_form"] = person_form or ShareToPersonForm(
            sharer=user, file=file, prefix="share"
        )
    return context


def _shareable_groups(request: HttpRequest, file: File):
    return (
        group_selectors.postable_groups(request.user)
        .exclude(pk__in=file.shares.filter(group__isnull=False).values("group_id"))
        .order_by("name", "id")
    )


@require_GET
def detail(request: HttpRequest, file_id: int) -> HttpResponse:
    file = selectors.get_file_for(request.user, file_id)
    template = "files/detail.html"
    if request.htmx and request.htmx.target == "file-versions":
        template += "#versions"
    return render(request, template, _detail_context(request, file))


@require_GET
def download(request: HttpRequest, file_id: int) -> HttpResponse:
    file = selectors.get_file_for(request.user, file_id)
    version = selectors.version_of(file, _version_number(request))
    return downloads.serve(request, version, name=downloads.download_name(file, version))


@login_not_required  # a signed link on the download origin, where no session cookie travels
@require_GET
def link(request: HttpRequest, token: str) -> HttpResponse:
    origin = settings.FILES_DOWNLOAD_ORIGIN
    # Signed links live only on the download origin; the site itself never answers them.
    if not origin or urlsplit(origin).netloc != request.get_host() or len(token) > TOKEN_MAX_LENGTH:
        raise Http404
    version, attachment = downloads.open_link(token)
    return downloads.serve(
        request, version, name=downloads.download_name(version.file, version), attachment=attachment
    )


@require_GET
def thumbnail(request: HttpRequest, file_id: int) -> HttpResponse:
    file = selectors.get_file_for(request.user, file_id)
    version = selectors.version_of(file, _version_number(request))
    if not version.has_thumbnail:
        raise Http404
    return downloads.serve_thumbnail(version)


@require_POST
def new_version(request: HttpRequest, file_id: int) -> HttpResponse:
    file = selectors.get_file_for(request.user, file_id)
    if not policy.can_change_file(request.user, file):
        raise PermissionDenied
    item = request.FILES.get("file")
    if item is None:
        messages.error(request, _("Choisissez le fichier de la nouvelle version."))
        return redirect("files:detail", file.pk)
    try:
        version = services.add_version(
            actor=request.user, file=file, incoming=services.from_upload(item)
        )
    except ValidationError as error:
        messages.error(
            request,
            _("La nouvelle version n’a pas été enregistrée : %(reason)s")
            % {"reason": _refusal(error)},
        )
    else:
        messages.success(
            request, _("La version %(number)s est enregistrée.") % {"number": version.number}
        )
    return redirect(reverse("files:detail", args=[file.pk]) + "#versions")


def edit(request: HttpRequest, file_id: int) -> HttpResponse:
    file = selectors.get_file_for(request.user, file_id)
    if not policy.can_change_file(request.user, file):
        raise PermissionDenied
    form = FileForm(
        request.POST or None, initial={"name": file.name, "description": file.description}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_file(
                actor=request.user,
                file=file,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            apply_errors(form, error)
            file.refresh_from_db()
        else:
            messages.success(request, _("Les modifications du fichier sont enregistrées."))
            return redirect("files:detail", file.pk)
    return render(request, "files/edit.html", {"file": file, "form": form})


@require_POST
def delete(request: HttpRequest, file_id: int) -> HttpResponse:
    file = selectors.get_file_for(request.user, file_id)
    if not policy.can_delete_file(request.user, file):
        raise PermissionDenied
    services.delete_file(actor=request.user, file=file)
    messages.success(request, _("Le fichier « %(name)s » est supprimé.") % {"name": file.name})
    return redirect(_next_or(request, reverse("files:mine")))


# --- Shares and comments ---------------------------------------------------------------------


@require_POST
def share(request: HttpRequest, file_id: int) -> HttpResponse:
    user = request.user
    file = selectors.get_file_for(user, file_id)
    if not policy.can_share_file(user, file):
        raise PermissionDenied
    forms = {}
    if "share-group" in request.POST:
        form = ShareToGroupForm(
            request.POST, groups=_shareable_groups(request, file), prefix="share"
        )
        forms["group_form"] = form
        if form.is_valid():
            group = form.cleaned_data["group"]
            services.share_to_group(actor=user, file=file, group=group)
            messages.success(
                request, _("Le fichier est partagé dans « %(group)s ».") % {"group": group.name}
            )
            return redirect(reverse("files:detail", args=[file.pk]) + "#partages")
    else:
        form = ShareToPersonForm(request.POST, sharer=user, file=file, prefix="share")
        forms["person_form"] = form
        if form.is_valid():
            person = form.cleaned_data["person"]
            services.share_to_person(actor=user, file=file, person=person)
            messages.success(
                request,
                _("Le fichier est partagé avec %(name)s.") % {"name": person.display_name},
            )
            return redirect(reverse("files:detail", args=[file.pk]) + "#partages")
    return render(request, "files/detail.html", _detail_context(request, file, **forms))


@require_POST
def unshare(request: HttpRequest, file_id: int, share_id: int) -> HttpResponse:
    user = request.user
    file = selectors.get_file_for(user, file_id)
    found = next((s for s in selectors.shares_of(user, file) if s.pk == share_id), None)
    if found is None:
        raise Http404
    services.remove_share(actor=user, share=found)
    messages.success(request, _("Le partage est retiré."))
    if policy.can_view_file(user, file):
        return redirect(reverse("files:detail", args=[file.pk]) + "#partages")
    return redirect("files:mine")


@require_POST
def comment(request: HttpRequest, file_id: int) -> HttpResponse:
    file = selectors.get_file_for(request.user, file_id)
    form = CommentForm(request.POST, mentions_url=reverse("social:mention_candidates"))
    added = False
    if form.is_valid():
        try:
            social_services.add_comment(
                author=request.user, file=file, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            added = True
            if not request.htmx:
                messages.success(request, _("Votre commentaire est publié."))
                return redirect(reverse("files:detail", args=[file.pk]) + "#commentaires")
            form = None
    context = _detail_context(request, file, comment_form=form)
    context["comment_status"] = _("Votre commentaire est publié.") if added else ""
    if request.htmx:
        return render(request, "files/detail.html#comments", context)
    return render(request, "files/detail.html", context)
