"""Administration: create staff, elected and external accounts; deactivate accounts."""

from allauth.account.forms import ResetPasswordForm
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import services
from accounts.models import ApiToken, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "type"]
    list_filter = ["type"]
    search_fields = ["name"]


class UserCreationForm(forms.ModelForm):
    """Accounts created here have no password: the person sets one from an e-mailed link."""

    class Meta:
        model = User
        fields = ["email", "kind", "display_name", "organisation", "job_title", "department"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == User.Kind.EXTERNAL and not cleaned.get("organisation"):
            self.add_error(
                "organisation", _("Un membre externe doit appartenir à une organisation.")
            )
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "email",
                    "kind",
                    "display_name",
                    "organisation",
                    "job_title",
                    "department",
                ]
            },
        )
    ]
    fieldsets = [
        (None, {"fields": ["email", "handle", "kind", "display_name", "organisation"]}),
        (_("Profil"), {"fields": ["job_title", "department", "phone", "bio", "expertise"]}),
        (_("Droits"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (
            _("Dates"),
            {"fields": ["last_login", "date_joined", "notice_accepted_at", "notice_version"]},
        ),
    ]
    readonly_fields = ["last_login", "date_joined", "notice_accepted_at", "notice_version"]
    list_display = ["email", "display_name", "kind", "organisation", "is_active"]
    list_filter = ["kind", "is_active", "organisation"]
    search_fields = ["email", "display_name", "handle"]
    ordering = ["display_name"]
    list_select_related = ["organisation"]
    actions = ["deactivate", "send_password_link"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = {field: form.cleaned_data.get(field) for field in form.Meta.fields}
        created = services.create_user(**{k: v for k, v in data.items() if v is not None})
        obj.pk = created.pk
        obj.refresh_from_db()
        _send_password_link(request, created)

    @admin.action(description=_("Désactiver les comptes (sessions et jetons révoqués)"))
    def deactivate(self, request, queryset):
        done = 0
        for user in queryset.filter(is_active=True):
            try:
                services.deactivate_user(actor=request.user, user=user)
            except ValidationError as error:
                self.message_user(request, error.messages[0], messages.ERROR)
            else:
                done += 1
        self.message_user(
            request, ngettext("%d compte désactivé.", "%d comptes désactivés.", done) % done
        )

    @admin.action(description=_("Envoyer un lien pour définir le mot de passe"))
    def send_password_link(self, request, queryset):
        for user in queryset.filter(is_active=True):
            _send_password_link(request, user)
        self.message_user(request, _("Les liens ont été envoyés."))


def _send_password_link(request, user: User) -> None:
    form = ResetPasswordForm(data={"email": user.email})
    if form.is_valid():
        form.save(request)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False
