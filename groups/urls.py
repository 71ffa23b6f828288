"""Groups pages."""

app_name = "groups"
urlpatterns: list = []
