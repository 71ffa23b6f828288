"""Group pages: list, create and edit, members, join requests, invitations, about, files."""

from datetime import date, datetime, time

from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from files import policy as file_policy
from files import selectors as file_selectors
from files import views as file_views
from groups import policy, selectors, services
from groups.forms import (
    AcceptInvitationForm,
    GroupForm,
    InvitationSignupForm,
    InviteForm,
    MembershipEndForm,
    RoleForm,
)
from groups.models import Group, Invitation, JoinRequest, Membership

GROUPS_PAGE_SIZE = 24
MEMBERS_PAGE_SIZE = 50
TOKEN_MAX_LENGTH = 100
# Codes of Django's password validators (AUTH_PASSWORD_VALIDATORS).
PASSWORD_ERROR_CODES = {
    "password_too_short",
    "password_too_common",
    "password_entirely_numeric",
    "password_too_similar",
}


def group_url(group: Group) -> str:
    """The group's main page: its feed (social app), else its « À propos » tab."""
    try:
        return reverse("social:group", args=[group.slug])
    except NoReverseMatch:
        return reverse("groups:about", args=[group.slug])


def _add_errors(form: Form, error: ValidationError, fallback: str | None = None) -> None:
    """Attach a service's French refusal to the matching field, or to the whole form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else fallback, errors)
    else:
        form.add_error(fallback, error)


def _group_context(request: HttpRequest, group: Group, active_tab: str, **extra) -> dict:
    """What the group header needs, and the page-specific rest."""
    membership = policy.membership_of(request.user, group)
    can_manage = policy.can_manage_given(request.user, membership)
    pending_request = (
        membership is None
        and policy.can_request_to_join(request.user, group)
        and group.join_requests.filter(
            user=request.user, status=JoinRequest.Status.PENDING
        ).exists()
    )
    return {
        "group": group,
        "membership": membership,
        "can_manage": can_manage,
        "active_tab": active_tab,
        "pending_request": pending_request,
        **extra,
    }


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _require_manager(request: HttpRequest, group: Group) -> None:
    if not policy.can_manage_group(request.user, group):
        raise PermissionDenied


# --- List, create, edit ---------------------------------------------------------------------


def group_list(request: HttpRequest) -> HttpResponse:
    if not policy.can_list_groups(request.user):
        raise PermissionDenied
    query = request.GET.get("q", "")[: selectors.SEARCH_MAX_LENGTH].replace("\x00", "").strip()
    chosen = request.GET.get("filter", "all")
    chosen = chosen if chosen in selectors.LISTING_FILTERS else "all"
    groups = selectors.groups_for_listing(request.user, query=query, filter=chosen)
    page = Paginator(groups, GROUPS_PAGE_SIZE).get_page(request.GET.get("page"))
    for group in page:
        group.url = group_url(group)
        group.can_join = not group.is_member and policy.can_join_directly(request.user, group)
        group.can_request = not group.is_member and policy.can_request_to_join(request.user, group)
        group.role_label = Membership.Role(group.my_role).label if group.my_role else ""
    template = "groups/list.html"
    if request.htmx and request.htmx.target == "group-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "page": page,
            "query": query,
            "filter": chosen,
            "filters": [
                ("all", _("Tous les groupes")),
                ("mine", _("Mes groupes")),
                ("public", _("Groupes publics")),
                ("external", _("Avec membres externes")),
            ],
            "can_create": policy.can_create_group(request.user),
        },
    )


def create_group(request: HttpRequest) -> HttpResponse:
    if not policy.can_create_group(request.user):
        raise PermissionDenied
    form = GroupForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                group = services.create_group(actor=request.user, data=form.group_data())
                if form.cleaned_data["avatar"]:
                    services.set_group_avatar(
                        actor=request.user, group=group, upload=form.cleaned_data["avatar"]
                    )
        except ValidationError as error:
            _add_errors(form, error, fallback="avatar")
        else:
            messages.success(request, _("Le groupe « %s » a été créé.") % group.name)
            return redirect(group_url(group))
    return render(request, "groups/form.html", {"form": form, "group": None})


def edit_group(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.get_group_for(request.user, slug)
    _require_manager(request, group)
    form = GroupForm(request.POST or None, request.FILES or None, instance=group)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                group = services.update_group(
                    actor=request.user, group=group, data=form.group_data()
                )
                if form.cleaned_data["avatar"]:
                    services.set_group_avatar(
                        actor=request.user, group=group, upload=form.cleaned_data["avatar"]
                    )
                elif form.cleaned_data.get("remove_avatar"):
                    services.remove_group_avatar(actor=request.user, group=group)
        except ValidationError as error:
            _add_errors(form, error, fallback="avatar")
            group.refresh_from_db()
        else:
            messages.success(request, _("Les modifications du groupe ont été enregistrées."))
            return redirect("groups:about", slug=group.slug)
    return render(
        request,
        "groups/form.html",
        {"form": form, **_group_context(request, group, "about")},
    )


def avatar(request: HttpRequest, slug: str) -> FileResponse:
    group = selectors.get_group_for(request.user, slug)
    if not group.avatar:
        raise Http404
    response = FileResponse(group.avatar.open("rb"), content_type="image/webp")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Group tabs -----------------------------------------------------------------------------


def about(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.get_group_for(request.user, slug)
    return render(request, "groups/about.html", _group_context(request, group, "about"))


def files(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.get_group_for(request.user, slug)
    context = _group_context(request, group, "files")
    if not policy.can_read_group(request.user, group):
        return render(request, "groups/restricted.html", context, status=403)
    query, order = file_views.search_terms(request)
    files = file_selectors.visible(request.user, q=query, group=group, order=order)
    template = "groups/files.html"
    if request.htmx and request.htmx.target == "file-results":
        template += "#results"
    return render(
        request,
        template,
        {
            **context,
            "page": file_views.file_page(files, request),
            "query": query,
            "order": order,
            "orders": file_views.sort_choices(),
            "storage": file_selectors.group_storage(group),
            "can_upload": file_policy.can_share_to_group(request.user, group),
            "upload_limits": file_views.upload_limits(),
        },
    )


def members(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.get_group_for(request.user, slug)
    context = _group_context(request, group, "members")
    if not policy.can_read_group(request.user, group):
        return render(request, "groups/restricted.html", context, status=403)
    page = Paginator(selectors.members_of(request.user, group), MEMBERS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    membership = context["membership"]
    can_name_owner = policy.is_owner_given(request.user, membership)
    return render(
        request,
        "groups/members.html",
        {
            **context,
            "page": page,
            "roles": Membership.Role.choices,
            "can_name_owner": can_name_owner,
        },
    )


def _member_action(request: HttpRequest, slug: str, user_id: int) -> tuple[Group, User]:
    group = selectors.get_group_for(request.user, slug)
    _require_manager(request, group)
    membership = get_object_or_404(group.memberships.select_related("user"), user_id=user_id)
    return group, membership.user


def _members_url(group: Group, request: HttpRequest) -> str:
    url = reverse("groups:members", args=[group.slug])
    page = request.POST.get("page", "")
    return f"{url}?page={page}" if page.isdigit() else url


@require_POST
def change_role(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group, person = _member_action(request, slug, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez un rôle dans la liste."))
        return redirect(_members_url(group, request))
    try:
        membership = services.change_role(
            actor=request.user, group=group, user=person, role=form.cleaned_data["role"]
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("%(name)s est maintenant « %(role)s ».")
            % {"name": person.display_name, "role": membership.get_role_display()},
        )
    return redirect(_members_url(group, request))


@require_POST
def set_membership_end(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group, person = _member_action(request, slug, user_id)
    form = MembershipEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez une date valide, par exemple 30/06/2026."))
        return redirect(_members_url(group, request))
    day: date | None = form.cleaned_data["ends_on"]
    ends_at = (
        timezone.make_aware(datetime.combine(day, time(23, 59, 59))) if day is not None else None
    )
    try:
        services.set_membership_end(actor=request.user, group=group, user=person, ends_at=ends_at)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if ends_at is None:
            message = _("L'accès de %(name)s n'a plus de date de fin.")
        else:
            message = _("L'accès de %(name)s prendra fin le %(date)s.")
        messages.success(
            request,
            message
            % {"name": person.display_name, "date": day.strftime("%d/%m/%Y") if day else ""},
        )
    return redirect(_members_url(group, request))


@require_POST
def remove_member(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group, person = _member_action(request, slug, user_id)
    try:
        services.remove_member(actor=request.user, group=group, user=person)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("%(name)s a été retiré du groupe.") % {"name": person.display_name}
        )
    if person.pk == request.user.pk:
        return redirect("groups:list")
    return redirect(_members_url(group, request))


# --- Joining and leaving --------------------------------------------------------------------


@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.get_group_for(request.user, slug)
    message = request.POST.get("message", "")
    try:
        result = services.join_group(actor=request.user, group=group, message=message)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if isinstance(result, JoinRequest):
            messages.success(
                request,
                _("Votre demande pour rejoindre « %s » a été transmise à ses gestionnaires.")
                % group.name,
            )
        else:
            messages.success(request, _("Vous avez rejoint le groupe « %s ».") % group.name)
    return redirect(_next_or(request, group_url(group)))


@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.get_group_for(request.user, slug)
    try:
        services.leave_group(actor=request.user, group=group)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(_next_or(request, group_url(group)))
    messages.success(request, _("Vous avez quitté le groupe « %s ».") % group.name)
    return redirect("groups:list")


# --- Join requests and invitations (managers) -----------------------------------------------


def requests(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.get_group_for(request.user, slug)
    _require_manager(request, group)
    pending = selectors.pending_requests(request.user, group)
    return render(
        request,
        "groups/requests.html",
        {**_group_context(request, group, "members"), "pending": pending},
    )


@require_POST
def decide_request(request: HttpRequest, slug: str, request_id: int) -> HttpResponse:
    group = selectors.get_group_for(request.user, slug)
    _require_manager(request, group)
    decision = request.POST.get("decision")
    if decision not in ("approve", "refuse"):
        messages.error(request, _("Choisissez d'accepter ou de refuser la demande."))
        return redirect("groups:requests", slug=group.slug)
    try:
        join_request = services.decide_join_request(
            actor=request.user, request_id=request_id, group=group, approve=decision == "approve"
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        name = join_request.user.display_name
        if decision == "approve":
            messages.success(request, _("%s a rejoint le groupe.") % name)
        else:
            messages.success(request, _("La demande de %s a été refusée.") % name)
    return redirect("groups:requests", slug=group.slug)


def invite(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.get_group_for(request.user, slug)
    _require_manager(request, group)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invite(
                actor=request.user, group=group, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            _add_errors(form, error, fallback="email")
        else:
            messages.success(request, _("Invitation envoyée à %s.") % invitation.email)
            return redirect("groups:invite", slug=group.slug)
    return render(
        request,
        "groups/invite.html",
        {
            **_group_context(request, group, "members"),
            "form": form,
            "invitations": selectors.pending_invitations(request.user, group),
        },
    )


@login_not_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: accept (signed in with the invited address) or create one's account."""
    found: Invitation | None = (
        services.find_invitation(token) if len(token) <= TOKEN_MAX_LENGTH else None
    )
    if found is None:
        raise Http404
    group = found.group
    context = {"invitation": found, "group": group, "token": token}
    if not found.is_usable:
        return render(
            request, "groups/invitation.html", {**context, "state": "unusable"}, status=410
        )
    charter_required = bool(group.open_to_external and group.charter)
    user = request.user

    if user.is_authenticated:
        if user.email.lower() != found.email:
            return render(
                request, "groups/invitation.html", {**context, "state": "other_address"}, status=403
            )
        form = AcceptInvitationForm(request.POST or None, charter_required=charter_required)
        if request.method == "POST" and form.is_valid():
            try:
                services.accept_invitation(actor=user, token=token)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Bienvenue dans le groupe « %s » !") % group.name)
                return redirect(group_url(group))
        return render(
            request, "groups/invitation.html", {**context, "state": "accept", "form": form}
        )

    if User.objects.filter(email__iexact=found.email).exists():
        login_url = reverse("account_login") + "?next=" + request.path
        return render(
            request,
            "groups/invitation.html",
            {**context, "state": "sign_in", "login_url": login_url},
        )

    kind = services.kind_for_invited_newcomer(found)
    form = InvitationSignupForm(request.POST or None, kind=kind, charter_required=charter_required)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.create_account_from_invitation(
                token=token,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
                organisation_name=form.cleaned_data.get("organisation", ""),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                _add_errors(form, error)
            else:  # the password rules answer with a plain list
                form.add_error("password1" if _is_password_error(error) else None, error)
        else:
            messages.success(
                request, _("Votre compte est créé. Bienvenue dans le groupe « %s » !") % group.name
            )
            return perform_login(request, new_user, redirect_url=group_url(group), signup=True)
    return render(
        request,
        "groups/invitation.html",
        {**context, "state": "sign_up", "form": form, "kind": kind},
    )


def _is_password_error(error: ValidationError) -> bool:
    return any(e.code in PASSWORD_ERROR_CODES for e in error.error_list)
