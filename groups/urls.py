"""Groups pages."""

from django.urls import path

from groups import views

app_name = "groups"
urlpatterns = [
    path("groupes/", views.group_list, name="list"),
    path("groupes/nouveau/", views.create_group, name="create"),
    path("groupes/<slug:slug>/modifier/", views.edit_group, name="edit"),
    path("groupes/<slug:slug>/image/", views.avatar, name="avatar"),
    path("groupes/<slug:slug>/a-propos/", views.about, name="about"),
    path("groupes/<slug:slug>/fichiers/", views.files, name="files"),
    path("groupes/<slug:slug>/membres/", views.members, name="members"),
    path(
        "groupes/<slug:slug>/membres/<int:user_id>/role/",
        views.change_role,
        name="member_role",
    ),
    path(
        "groupes/<slug:slug>/membres/<int:user_id>/fin-d-acces/",
        views.set_membership_end,
        name="member_end",
    ),
    path(
        "groupes/<slug:slug>/membres/<int:user_id>/retirer/",
        views.remove_member,
        name="member_remove",
    ),
    path("groupes/<slug:slug>/rejoindre/", views.join, name="join"),
    path("groupes/<slug:slug>/quitter/", views.leave, name="leave"),
    path("groupes/<slug:slug>/demandes/", views.requests, name="requests"),
    path(
        "groupes/<slug:slug>/demandes/<int:request_id>/",
        views.decide_request,
        name="decide_request",
    ),
    path("groupes/<slug:slug>/inviter/", views.invite, name="invite"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
