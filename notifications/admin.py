from django.contrib import admin

from notifications.models import EmailDelivery, GroupEmailPreference, Mute, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "actor", "actor_count", "created_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = (
        "recipient",
        "actor",
        "post",
        "file",
        "meeting",
        "decision",
        "group",
        "invitation",
        "conversation",
        "contribution",
    )


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ("key", "recipient", "created_at", "sent_at", "skipped", "attempts")
    search_fields = ("key",)
    raw_id_fields = ("recipient",)


@admin.register(Mute)
class MuteAdmin(admin.ModelAdmin):
    list_display = ("user", "post", "file", "meeting", "conversation", "group", "created_at")
    raw_id_fields = ("user", "post", "file", "meeting", "conversation", "group")


@admin.register(GroupEmailPreference)
class GroupEmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "group", "frequency")
    raw_id_fields = ("user", "group")
