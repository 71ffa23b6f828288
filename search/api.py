"""API route of search: GET /search, results grouped by kind, filters, cursor pagination.

Thin: parse the query string, call search.selectors.search (which reads every kind through
its owning app's policy), shape the answer.
"""

from datetime import date
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from search import backend, selectors
from search.schemas import SearchKind, SearchOrder, SearchOut, SearchTimeoutOut
from social.schemas import MAX_ID, SOME_TEXT

router = Router(tags=["search"])

SearchQueryText = Annotated[
    str,
    Query(
        min_length=1,
        max_length=backend.QUERY_MAX_LENGTH,
        pattern=SOME_TEXT,
        description="Les mots cherchés (« guillemets » pour une expression, -mot pour exclure)",
    ),
]
KindFilter = Annotated[SearchKind, Query(description="Un seul type de résultat")]
GroupFilter = Annotated[int, Query(ge=1, le=MAX_ID, description="Le groupe (son id)")]
AuthorFilter = Annotated[int, Query(ge=1, le=MAX_ID, description="L'auteur (son id)")]
AfterFilter = Annotated[date, Query(description="À partir de ce jour (inclus)")]
BeforeFilter = Annotated[date, Query(description="Jusqu'à ce jour (inclus)")]
OrderParam = Annotated[SearchOrder, Query(description="newest (défaut) ou relevance")]
Cursor = Annotated[
    str,
    Query(
        max_length=40,
        pattern=selectors.CURSOR_PATTERN,
        description="Le `next_cursor` d'une réponse précédente, avec le même `kind`",
    ),
]


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "display_name": user.display_name}


def _group(group) -> dict | None:
    return None if group is None else {"id": group.pk, "slug": group.slug, "name": group.name}


@router.get(
    "/search",
    response={200: SearchOut, 503: SearchTimeoutOut},
    summary="Rechercher",
)
def search(
    request: HttpRequest,
    q: SearchQueryText,
    # Optional parameters are typed without `None`, so that the schema offers no null to send.
    kind: KindFilter = None,
    group: GroupFilter = None,
    author: AuthorFilter = None,
    after: AfterFilter = None,
    before: BeforeFilter = None,
    order: OrderParam = "newest",
    cursor: Cursor = None,
) -> object:
    """Ce que vous pouvez voir et qui contient ces mots, groupé par type (5 résultats par
    type), ou un seul type (`kind`, 20 résultats et `next_cursor`). Jamais de total : seul
    ce que vous pouvez voir est cherché."""
    filters = selectors.Filters(
        kind=kind,
        group=group,
        author=author,
        after=after,
        before=before,
        order=order,
        cursor=cursor,
    )
    try:
        outcome = selectors.search(request.auth, q, filters)
    except selectors.SearchTimeout as error:
        return Status(503, {"detail": str(error)})
    except selectors.SearchError as error:
        raise HttpError(422, str(error)) from None
    return {
        "query": outcome.query,
        "order": outcome.order,
        "sections": [
            {
                "kind": section.kind,
                "label": section.label,
                "next_cursor": section.next_cursor,
                "results": [
                    {
                        "kind": r.kind,
                        "id": r.id,
                        "title": r.title,
                        "snippet": r.snippet,
                        "url": r.url,
                        "created_at": r.created_at,
                        "author": _person(r.author),
                        "group": _group(r.group),
                    }
                    for r in section.results
                ],
            }
            for section in outcome.sections
        ],
    }
