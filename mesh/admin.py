from django.contrib import admin

from mesh.models import Cluster, ClusterLink


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "accessible", "secret_name", "note"]
    search_fields = ["name", "note"]


@admin.register(ClusterLink)
class ClusterLinkAdmin(admin.ModelAdmin):
    list_display = ["cluster_name", "namespace", "instance_name", "url"]
    search_fields = ["cluster_name", "instance_name", "url"]
