"""Directory, profiles, profile editing, API tokens and « Mes données » (HTML pages)."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import policy, selectors, services
from accounts.forms import DeleteAccountForm, ProfileForm, TokenForm

DIRECTORY_PAGE_SIZE = 24


def directory(request: HttpRequest) -> HttpResponse:
    if not policy.can_browse_directory(request.user):
        raise PermissionDenied
    query = request.GET.get("q", "")[: selectors.SEARCH_MAX_LENGTH].strip()
    page = Paginator(selectors.search_people(request.user, query), DIRECTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    template = "accounts/directory.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"page": page, "query": query})


def profile(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.get_person_for(request.user, person_id)
    return render(request, "accounts/profile.html", {"person": person})


def avatar(request: HttpRequest, person_id: int) -> FileResponse:
    person = selectors.get_person_for(request.user, person_id)
    if not person.avatar:
        raise Http404
    response = FileResponse(person.avatar.open("rb"), content_type="image/webp")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def edit_profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, request.FILES or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in services.PROFILE_FIELDS}
        try:
            with transaction.atomic():
                services.update_profile(actor=user, user=user, data=data)
                if form.cleaned_data["avatar"] is False:
                    services.remove_avatar(actor=user, user=user)
                elif form.cleaned_data["avatar"]:
                    services.set_avatar(actor=user, user=user, upload=form.cleaned_data["avatar"])
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else "avatar", errors)
            else:
                form.add_error("avatar", error)
            user.refresh_from_db()
        else:
            messages.success(request, _("Votre profil a été enregistré."))
            return redirect("accounts:edit_profile")
    return render(request, "accounts/edit_profile.html", {"form": form})


def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.create_api_token(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            form.add_error("name", error.messages)
        else:
            form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": selectors.tokens_of(request.user), "new_token": new_token},
    )


@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.revoke_api_token(user=request.user, token_id=token_id)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Le jeton a été révoqué ; il ne donne plus accès à l'API."))
    return redirect("accounts:tokens")


def _my_data_page(request: HttpRequest, form: DeleteAccountForm, status: int = 200) -> HttpResponse:
    data = services.personal_data(user=request.user)
    counts = {key: len(value) for key, value in data["consultations"].items()}
    return render(
        request,
        "accounts/my_data.html",
        {
            "form": form,
            "counts": counts,
            "can_delete": policy.can_delete_own_account(request.user),
        },
        status=status,
    )


def my_data(request: HttpRequest) -> HttpResponse:
    """What Maillage holds about me: download it, or delete my account (citizens)."""
    return _my_data_page(request, DeleteAccountForm(user=request.user))


def download_my_data(request: HttpRequest) -> HttpResponse:
    body = json.dumps(services.personal_data(user=request.user), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-maillage.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def delete_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.can_delete_own_account(user):
        raise Http404
    form = DeleteAccountForm(request.POST, user=user)
    if form.is_valid():
        try:
            services.delete_own_account(
                user=user,
                password=form.cleaned_data.get("password", ""),
                confirmation=form.cleaned_data.get("confirmation", ""),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            logout(request)
            messages.success(
                request,
                _(
                    "Votre compte a été supprimé. Vos contributions restent publiées au nom "
                    "d'« un habitant »."
                ),
            )
            return redirect("account_login")
    return _my_data_page(request, form, status=400)
