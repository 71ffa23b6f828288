"""Consultation pages: public pages (no account needed), citizens' pages, and staff pages."""

from django.urls import path

from consultations import staff_urls, views

app_name = "consultations"
urlpatterns: list = [
    path("consultations/", views.consultation_list, name="list"),
    path("consultations/<int:consultation_id>/", views.consultation_detail, name="detail"),
    path("consultations/<int:consultation_id>/contribuer/", views.contribute, name="contribute"),
    path("contributions/<int:contribution_id>/", views.contribution_detail, name="contribution"),
    path("contributions/<int:contribution_id>/soutien/", views.support, name="support"),
    path("contributions/<int:contribution_id>/commentaires/", views.comment, name="comment"),
    path("contributions/<int:contribution_id>/signaler/", views.report, name="report"),
    path(
        "contributions/commentaires/<int:comment_id>/signaler/",
        views.report_comment,
        name="report_comment",
    ),
    path("contributions/photos/<int:photo_id>/", views.photo, name="photo"),
    path("mes-demandes/", views.my_requests, name="my_requests"),
]

# Moderation, triage and the visit brief live in staff_urls (same namespace).
urlpatterns += staff_urls.urlpatterns
