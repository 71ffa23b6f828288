"""Administration of meetings, read only: every change goes through the site and its rules
(policy checks, realtime events, the calendar sequence), which superusers may use."""

from django.contrib import admin

from meetings.models import AgendaItem, CalendarToken, Decision, DecisionUpdate, Invitation, Meeting


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class InvitationInline(ReadOnlyMixin, admin.TabularInline):
    model = Invitation
    fk_name = "meeting"
    extra = 0
    fields = ["user", "invited_by", "ready_at", "agenda_read_at", "attended"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AgendaItemInline(ReadOnlyMixin, admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["position", "title", "author"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "group", "starts_at", "status", "organiser", "cancelled_at"]
    list_filter = ["status"]
    search_fields = ["title", "group__name", "organiser__display_name"]
    list_select_related = ["group", "organiser"]
    date_hierarchy = "starts_at"
    inlines = [InvitationInline, AgendaItemInline]


class DecisionUpdateInline(ReadOnlyMixin, admin.TabularInline):
    model = DecisionUpdate
    extra = 0
    fields = ["created_at", "author", "status", "comment"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["text", "meeting", "owner", "due_on", "status"]
    list_filter = ["status"]
    search_fields = ["text", "meeting__title", "owner__display_name"]
    list_select_related = ["meeting", "owner"]
    inlines = [DecisionUpdateInline]


@admin.register(CalendarToken)
class CalendarTokenAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Administrators may revoke a leaked feed address (delete it); the digest stays hidden."""

    list_display = ["user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    fields = ["user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
