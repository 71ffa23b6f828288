"""Sockets are authenticated only at their handshake: whatever ends that right is pushed.

- Signing out, or ending a session from the sessions page, closes the sockets opened with
  that session (other browsers stay signed in).
- A new password (changed, reset, set by an administrator) and deactivation close every
  socket of the person, whichever process holds them (realtime.events.disconnect).
"""

from allauth.usersessions.models import UserSession
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save

from accounts.models import User
from realtime import events


def on_logged_out(sender, request=None, user=None, **kwargs) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if key:
        events.disconnect_session(key)
    elif user is not None:
        events.disconnect(user.pk)


def on_session_ended(sender, instance: UserSession, **kwargs) -> None:
    events.disconnect_session(instance.session_key)


def note_access_change(sender, instance: User, raw=False, update_fields=None, **kwargs) -> None:
    """Before saving: did the password change, or the account get deactivated?"""
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    instance._close_sockets = before is not None and (
        before["password"] != instance.password or (before["is_active"] and not instance.is_active)
    )


def close_sockets(sender, instance: User, created=False, **kwargs) -> None:
    if getattr(instance, "_close_sockets", False):
        instance._close_sockets = False
        events.disconnect(instance.pk)


def connect() -> None:
    user_logged_out.connect(on_logged_out, dispatch_uid="realtime-logged-out")
    post_delete.connect(on_session_ended, sender=UserSession, dispatch_uid="realtime-session-end")
    pre_save.connect(note_access_change, sender=User, dispatch_uid="realtime-access-before")
    post_save.connect(close_sockets, sender=User, dispatch_uid="realtime-access-after")
