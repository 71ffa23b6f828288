"""Social pages: feeds, posts, comments, topics and follows."""

from django.urls import path

from social import views

app_name = "social"
urlpatterns = [
    path("favoris/", views.bookmarks, name="bookmarks"),
    path("publier/", views.publish_on_profile, name="publish_on_profile"),
    path("mentions/", views.mention_candidates, name="mention_candidates"),
    path("groupes/<slug:slug>/", views.group, name="group"),
    path("groupes/<slug:slug>/publier/", views.publish, name="publish"),
    path("groupes/<slug:slug>/suivre/", views.follow_group, name="follow_group"),
    path("publications/<int:post_id>/", views.post_detail, name="post"),
    path("publications/<int:post_id>/historique/", views.post_history, name="post_history"),
    path("publications/<int:post_id>/modifier/", views.post_edit, name="post_edit"),
    path("publications/<int:post_id>/supprimer/", views.post_delete, name="post_delete"),
    path("publications/<int:post_id>/reagir/", views.react, name="react"),
    path("publications/<int:post_id>/favori/", views.bookmark, name="bookmark"),
    path("publications/<int:post_id>/voter/", views.vote, name="vote"),
    path("publications/<int:post_id>/clore/", views.close_poll, name="close_poll"),
    path("publications/<int:post_id>/partager/", views.share, name="share"),
    path("publications/<int:post_id>/commenter/", views.add_comment, name="add_comment"),
    path("commentaires/<int:comment_id>/modifier/", views.comment_edit, name="comment_edit"),
    path("commentaires/<int:comment_id>/supprimer/", views.comment_delete, name="comment_delete"),
    path("commentaires/<int:comment_id>/reagir/", views.comment_react, name="comment_react"),
    path(
        "commentaires/<int:comment_id>/meilleure-reponse/",
        views.best_answer,
        name="best_answer",
    ),
    path("sujets/<str:name>/", views.topic, name="topic"),
    path("sujets/<str:name>/suivre/", views.follow_topic, name="follow_topic"),
    path("annuaire/<int:person_id>/publications/", views.profile_feed, name="profile_feed"),
    path("annuaire/<int:person_id>/suivre/", views.follow_person, name="follow_person"),
]
