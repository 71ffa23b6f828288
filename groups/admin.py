"""Administration of groups, read only: every change goes through the site and its rules
(one owner at least, external members only in open groups), which superusers may use."""

from django.contrib import admin

from groups.models import Group, Invitation, JoinRequest, Membership


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MembershipInline(ReadOnlyMixin, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "joined_at", "expires_at", "charter_accepted_at"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Group)
class GroupAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "visibility", "open_to_external", "created_at"]
    list_filter = ["visibility", "open_to_external"]
    search_fields = ["name", "slug", "description"]
    list_select_related = ["created_by"]
    inlines = [MembershipInline]


@admin.register(JoinRequest)
class JoinRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["group", "user", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["group__name", "user__display_name", "user__email"]
    list_select_related = ["group", "user", "decided_by"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["email", "group", "invited_by", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "group__name"]
    list_select_related = ["group", "invited_by"]
    # Only the token's digest is stored; it is of no use to anyone reading this page.
    exclude = ["digest"]
