from django.contrib import admin

from mesh.models import ChangeRecord, Cluster, ClusterLink


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "accessible", "secret_name", "note"]
    search_fields = ["name", "note"]


@admin.register(ClusterLink)
class ClusterLinkAdmin(admin.ModelAdmin):
    list_display = ["cluster_name", "namespace", "instance_name", "url"]
    search_fields = ["cluster_name", "instance_name", "url"]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(admin.ModelAdmin):
    """Read-only: the trail is evidence, so nobody edits or deletes it from here."""

    list_display = [
        "created_at",
        "user",
        "cluster",
        "namespace",
        "kind",
        "name",
        "verb",
        "succeeded",
    ]
    list_filter = ["cluster", "verb", "succeeded", "origin"]
    search_fields = ["user", "namespace", "name"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
