"""Administration of the reference tables (services, answer templates, forbidden words).

Consultations and contributions are written through the services only (rendered text,
moderation log, notifications), so they are not editable here.
"""

from django.contrib import admin

from consultations.models import AnswerTemplate, ForbiddenWord, Service


class AnswerTemplateInline(admin.StackedInline):
    model = AnswerTemplate
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "email"]
    search_fields = ["name"]
    inlines = [AnswerTemplateInline]


@admin.register(ForbiddenWord)
class ForbiddenWordAdmin(admin.ModelAdmin):
    list_display = ["word"]
    search_fields = ["word"]
