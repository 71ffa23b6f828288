"""Helpers for group tests: groups of each visibility, memberships, CSRF-checked posts."""

import pytest
from django.test import Client

from accounts.models import User
from groups.models import Group, Membership
from tests.factories import GroupFactory, MembershipFactory


@pytest.fixture
def make_group(db, make_user):
    """A group owned by a fresh staff member (or `owner`), with `members` as plain members."""

    def make(
        visibility: str = Group.Visibility.PUBLIC,
        *,
        owner: User | None = None,
        members: tuple[User, ...] = (),
        **fields,
    ) -> Group:
        group = GroupFactory(
            visibility=visibility, created_by=owner or make_user(User.Kind.STAFF), **fields
        )
        for member in members:
            MembershipFactory(group=group, user=member, role=Membership.Role.MEMBER)
        return group

    return make


@pytest.fixture
def owner(make_user) -> User:
    return make_user(User.Kind.STAFF, display_name="Olivia Propriétaire")


@pytest.fixture
def csrf_post():
    """POST like a browser: the page's CSRF token first, then the form."""

    def post(client: Client, url: str, data: dict | None = None, page: str = "/groupes/", **extra):
        client.get(page)
        token = client.cookies["csrftoken"].value
        return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token}, **extra)

    return post
