"""File pages: « Mes fichiers », a file's page, downloads, and the forms without JavaScript."""

from django.urls import path

from files import views

app_name = "files"
urlpatterns = [
    path("fichiers/", views.mine, name="mine"),
    path("fichiers/envoyer/", views.upload, name="upload"),
    path("fichiers/lien/<str:token>/", views.link, name="link"),
    path("fichiers/<int:file_id>/", views.detail, name="detail"),
    path("fichiers/<int:file_id>/telecharger/", views.download, name="download"),
    path("fichiers/<int:file_id>/apercu/", views.thumbnail, name="thumbnail"),
    path("fichiers/<int:file_id>/nouvelle-version/", views.new_version, name="new_version"),
    path("fichiers/<int:file_id>/modifier/", views.edit, name="edit"),
    path("fichiers/<int:file_id>/supprimer/", views.delete, name="delete"),
    path("fichiers/<int:file_id>/partager/", views.share, name="share"),
    path(
        "fichiers/<int:file_id>/partages/<int:share_id>/retirer/",
        views.unshare,
        name="unshare",
    ),
    path("fichiers/<int:file_id>/commenter/", views.comment, name="comment"),
]
