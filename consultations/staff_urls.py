"""Staff pages of consultations: moderation, triage, visit brief (namespace `consultations`)."""

from django.urls import path

from consultations import staff_views as views

CONTRIBUTION = "consultations/gestion/contributions/<int:contribution_id>/"

urlpatterns: list = [
    path("consultations/gestion/accueil/", views.staff_home, name="staff_home"),
    path("consultations/gestion/nouvelle/", views.create_consultation, name="staff_create"),
    path(
        "consultations/<int:consultation_id>/modifier/",
        views.edit_consultation,
        name="staff_edit",
    ),
    path(
        "consultations/<int:consultation_id>/compte-rendu/",
        views.publish_report,
        name="staff_report",
    ),
    # Moderation
    path("consultations/<int:consultation_id>/moderation/", views.moderation, name="moderation"),
    path("consultations/gestion/moderation/", views.moderation_all, name="moderation_all"),
    path(
        "consultations/gestion/moderation/contributions/<int:contribution_id>/",
        views.moderate_contribution,
        name="moderate_contribution",
    ),
    path(
        "consultations/gestion/moderation/commentaires/<int:comment_id>/",
        views.moderate_comment,
        name="moderate_comment",
    ),
    path(
        "consultations/gestion/moderation/signalements/<int:report_id>/ignorer/",
        views.dismiss_report,
        name="dismiss_report",
    ),
    # Triage
    path("consultations/<int:consultation_id>/tri/", views.triage, name="triage"),
    path("consultations/<int:consultation_id>/tri/lot/", views.triage_bulk, name="triage_bulk"),
    path(CONTRIBUTION, views.staff_contribution, name="staff_contribution"),
    path(CONTRIBUTION + "orienter/", views.route_contribution, name="staff_route"),
    path(CONTRIBUTION + "statut/", views.change_status, name="staff_status"),
    path(CONTRIBUTION + "note/", views.add_note, name="staff_note"),
    path(CONTRIBUTION + "reponse/", views.answer, name="staff_answer"),
    path(CONTRIBUTION + "traitable/", views.quick_win, name="staff_quick_win"),
    path(CONTRIBUTION + "discussion/", views.discuss, name="staff_discuss"),
    # Visit brief and open data
    path("consultations/<int:consultation_id>/synthese/", views.brief, name="brief"),
    path(
        "consultations/<int:consultation_id>/synthese.pdf",
        views.brief_download,
        name="brief_pdf",
    ),
    path(
        "consultations/<int:consultation_id>/donnees.csv",
        views.open_data_csv,
        name="open_data_csv",
    ),
    path(
        "consultations/<int:consultation_id>/donnees.json",
        views.open_data_json,
        name="open_data_json",
    ),
    path(
        "consultations/<int:consultation_id>/dictionnaire.csv",
        views.open_data_dictionary,
        name="open_data_dictionary",
    ),
]
