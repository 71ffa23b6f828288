"""API routes of the social app."""

from ninja import Router

router = Router(tags=["social"])
