"""The search page: the form, results grouped by kind, a next page per kind. Thin: the form
parses, search.selectors reads through each app's policy, the template renders."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import policy as account_policy
from groups import policy as group_policy
from search import selectors
from search.forms import SearchForm

GROUP_CHOICES = 200


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    if not selectors.can_search(request.user):
        raise PermissionDenied
    groups = group_policy.readable_groups(request.user).order_by("name", "pk")[:GROUP_CHOICES]
    submitted = "q" in request.GET
    form = SearchForm(request.GET if submitted else None, groups=list(groups))
    outcome, error, author, status = None, None, None, 200
    if submitted and form.is_valid():
        filters = form.filters()
        if filters.author is not None:
            author = account_policy.visible_people(request.user).filter(pk=filters.author).first()
        try:
            outcome = selectors.search(request.user, form.cleaned_data["q"], filters)
        except selectors.SearchTimeout as failure:
            error, status = str(failure), 503
        except selectors.SearchError as failure:
            error, status = str(failure), 400
    elif submitted:
        status = 400
        if any(name in form.errors for name in ("cursor", "author")):  # hidden fields
            error = _("Ce lien de recherche n'est pas valide : relancez la recherche.")
    return render(
        request,
        "search/results.html",
        {
            "form": form,
            "outcome": outcome,
            "error": error,
            "author": author,
            "single_kind": bool(outcome and form.cleaned_data.get("kind")),
            "query_string": _without_cursor(request),
        },
        status=status,
    )


def _without_cursor(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    params.pop("kind", None)
    return params.urlencode()
