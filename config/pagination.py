"""Pagination of API lists, with bounds: an unbounded integer would reach SQL and fail there."""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
