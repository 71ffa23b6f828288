"""Directory and account pages."""

from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("annuaire/", views.directory, name="directory"),
    path("annuaire/<int:person_id>/", views.profile, name="profile"),
    path("annuaire/<int:person_id>/photo/", views.avatar, name="avatar"),
    path("compte/profil/", views.edit_profile, name="edit_profile"),
    path("compte/jetons/", views.tokens, name="tokens"),
    path("compte/mes-donnees/", views.my_data, name="my_data"),
    path("compte/mes-donnees/mes-donnees.json", views.download_my_data, name="my_data_json"),
    path("compte/mes-donnees/supprimer/", views.delete_account, name="delete_account"),
    path("compte/jetons/<int:token_id>/revoquer/", views.revoke_token, name="revoke_token"),
]
