"""Helpers for API and token tests: personal tokens and CSRF tokens as a browser gets them."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import create_api_token


@pytest.fixture
def token_for(db):
    """A fresh personal token of `user`, in clear, as shown once on the tokens page."""

    def make(user: User, name: str = "script") -> str:
        _token, raw = create_api_token(user=user, name=name)
        return raw

    return make


@pytest.fixture
def csrf_token():
    """The CSRF token a browser holds after opening a page with a form."""

    def get(client: Client, page: str = "/compte/jetons/") -> str:
        assert client.get(page).status_code == 200
        return client.cookies["csrftoken"].value

    return get
