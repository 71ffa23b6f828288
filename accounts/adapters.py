"""django-allauth hooks: public sign-up creates citizens, and only citizens."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from accounts.notice import NOTICE_VERSION
from accounts.services import handle_from_email


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.SIGNUP_OPEN

    def save_user(self, request, user: User, form, commit: bool = True) -> User:
        user = super().save_user(request, user, form, commit=False)
        # Whatever the form posts, a self-registered account is a citizen's.
        user.kind = User.Kind.CITIZEN
        user.is_staff = False
        user.is_superuser = False
        user.organisation = None
        user.display_name = form.cleaned_data["display_name"].strip()
        user.handle = handle_from_email(user.email)
        # The form refuses a sign-up without the box ticked: record what was accepted, when.
        if form.cleaned_data.get("consent"):
            user.notice_accepted_at = timezone.now()
            user.notice_version = NOTICE_VERSION
        if commit:
            user.save()
        return user
