"""Social pages."""

app_name = "social"
urlpatterns: list = []
