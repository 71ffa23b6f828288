"""Messaging pages: the inbox, a conversation, and the forms that work without JavaScript."""

from django.urls import path

from messaging import views

app_name = "messaging"
urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/nouveau/", views.start, name="start"),
    path("messages/<int:conversation_id>/", views.conversation, name="conversation"),
    path("messages/<int:conversation_id>/envoyer/", views.send, name="send"),
]
