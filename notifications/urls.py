"""Notification pages."""

from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/<int:notification_id>/", views.open_notification, name="open"),
    path("notifications/tout-lu/", views.read_all, name="read_all"),
    path("notifications/sourdine/", views.mute, name="mute"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
