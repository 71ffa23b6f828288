"""API shapes of search. Every class is prefixed with « Search » (unique OpenAPI names)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

SearchKind = Literal["people", "groups", "posts", "files", "messages", "meetings", "contributions"]
SearchOrder = Literal["newest", "relevance"]
SearchResultKind = Literal[
    "person",
    "group",
    "post",
    "comment",
    "file",
    "message",
    "meeting",
    "item",
    "decision",
    "contribution",
]


class SearchPersonOut(Schema):
    id: int
    display_name: str


class SearchGroupOut(Schema):
    id: int
    slug: str
    name: str


class SearchResultOut(Schema):
    kind: SearchResultKind
    id: int
    title: str = Field(description="Texte brut (à échapper à l'affichage)")
    snippet: str = Field(
        description="Extrait en HTML sûr : texte échappé, mots trouvés entre <mark> et </mark>"
    )
    url: str
    created_at: datetime
    author: SearchPersonOut | None
    group: SearchGroupOut | None


class SearchSectionOut(Schema):
    kind: SearchKind
    label: str
    results: list[SearchResultOut]
    next_cursor: str | None = Field(
        description="À renvoyer comme `cursor` (avec le même `kind`) pour la page suivante"
    )


class SearchOut(Schema):
    query: str
    order: SearchOrder
    sections: list[SearchSectionOut]


class SearchTimeoutOut(Schema):
    """The search took too long and was stopped (statement_timeout): narrow it down."""

    detail: str
