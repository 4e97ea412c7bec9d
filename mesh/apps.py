from django.apps import AppConfig


class MeshConfig(AppConfig):
    name = "mesh"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mesh import signals  # noqa: F401  (invalidates the cluster registry on admin edits)
