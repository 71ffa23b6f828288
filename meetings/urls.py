"""Meeting pages: a group's meetings, the meeting page and its actions, syntheses, decisions,
calendars."""

from django.urls import path

from meetings import views

app_name = "meetings"
urlpatterns = [
    path("reunions/", views.my_meetings, name="mine"),
    path("groupes/<slug:slug>/reunions/", views.group_meetings, name="group"),
    path("groupes/<slug:slug>/reunions/nouvelle/", views.create_meeting, name="create"),
    path("groupes/<slug:slug>/decisions/", views.group_decisions, name="group_decisions"),
    path("meetings/<int:meeting_id>/", views.detail, name="detail"),
    path("meetings/<int:meeting_id>/modifier/", views.update_meeting, name="update"),
    path("meetings/<int:meeting_id>/reunion.ics", views.ics, name="ics"),
    path("meetings/<int:meeting_id>/synthese/", views.synthesis, name="synthesis"),
    path("meetings/<int:meeting_id>/synthese.pdf", views.synthesis_download, name="synthesis_pdf"),
    path("meetings/<int:meeting_id>/pret/", views.toggle_ready, name="ready"),
    path("meetings/<int:meeting_id>/relancer/", views.remind, name="remind"),
    path("meetings/<int:meeting_id>/points/", views.add_item, name="add_item"),
    path("meetings/<int:meeting_id>/points/<int:item_id>/", views.item_fragment, name="item"),
    path(
        "meetings/<int:meeting_id>/points/<int:item_id>/modifier/",
        views.edit_item,
        name="edit_item",
    ),
    path(
        "meetings/<int:meeting_id>/points/<int:item_id>/deplacer/",
        views.move_item,
        name="move_item",
    ),
    path(
        "meetings/<int:meeting_id>/points/<int:item_id>/retirer/",
        views.remove_item,
        name="remove_item",
    ),
    path(
        "meetings/<int:meeting_id>/points/<int:item_id>/fichiers/",
        views.attach_file,
        name="attach_file",
    ),
    path(
        "meetings/<int:meeting_id>/points/<int:item_id>/avis/",
        views.give_opinion,
        name="opinion",
    ),
    path(
        "meetings/<int:meeting_id>/points/<int:item_id>/commentaires/",
        views.comment,
        name="comment",
    ),
    path(
        "meetings/<int:meeting_id>/points/<int:item_id>/synthese/",
        views.edit_synthesis,
        name="edit_synthesis",
    ),
    path("meetings/<int:meeting_id>/presences/", views.record_attendance, name="attendance"),
    path("meetings/<int:meeting_id>/decisions/", views.add_decision, name="add_decision"),
    path("meetings/<int:meeting_id>/tenir/", views.hold_meeting, name="hold"),
    path("meetings/<int:meeting_id>/clore/", views.close_meeting, name="close"),
    path("meetings/<int:meeting_id>/annuler/", views.cancel_meeting, name="cancel"),
    path("decisions/", views.decisions, name="decisions"),
    path("decisions/<int:decision_id>/", views.decision_detail, name="decision"),
    path("compte/agenda/", views.calendar_settings, name="calendar_settings"),
    path(
        "compte/agenda/<int:token_id>/revoquer/",
        views.revoke_calendar,
        name="revoke_calendar",
    ),
    path("calendar/<str:raw>.ics", views.calendar_feed_view, name="calendar_feed"),
]
