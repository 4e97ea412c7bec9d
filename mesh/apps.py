from django.apps import AppConfig


class MeshConfig(AppConfig):
    name = "mesh"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mesh import signals  # noqa: F401  (invalidates the cluster registry on admin edits)

        _read_secret_references_through_the_home_cluster()


def _read_secret_references_through_the_home_cluster() -> None:
    """`secret:<name>:<key>` credentials are keys of Secrets in the console's namespace on
    its home cluster, read with the console's own account."""
    from django.conf import settings

    from kiali_site.config import ConfigError, use_secret_reader
    from mesh.clusters.registry import current_registry
    from mesh.kube.secrets import read_secret_key

    def read(name: str, key: str) -> bytes:
        registry = current_registry()
        access = registry.access.get(registry.home)
        if access is None:
            raise ConfigError(f"secret {name}: the console has no home cluster to read it from")
        namespace = settings.KIALI.deployment.namespace
        return read_secret_key(access.service_client(), registry.home, namespace, name, key)

    use_secret_reader(read)
