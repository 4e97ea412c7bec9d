"""What an administrator manages; the mesh itself is read from the clusters, never stored."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

# Secret data keys name clusters, so cluster names follow the same rule (spec b.2).
cluster_name_validator = RegexValidator(
    r"^[-._a-zA-Z0-9]+$", "Use letters, digits, '-', '_' and '.' only."
)


class Cluster(models.Model):
    """A cluster added by hand: accessible through a kubeconfig Secret, or only known by name."""

    name = models.CharField(max_length=253, unique=True, validators=[cluster_name_validator])
    accessible = models.BooleanField(
        default=False,
        help_text="Read this cluster with the kubeconfig in the Secret below.",
    )
    secret_name = models.CharField(
        max_length=253,
        blank=True,
        help_text="Secret in the console's namespace holding a kubeconfig under a key named "
        "after the cluster. Needed when the cluster is accessible.",
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.accessible and not self.secret_name:
            raise ValidationError(
                {"secret_name": "An accessible cluster needs a kubeconfig Secret."}
            )


class ClusterLink(models.Model):
    """A link to another console serving a cluster (Kiali's clustering.kiali_urls entry)."""

    cluster_name = models.CharField(max_length=253, validators=[cluster_name_validator])
    instance_name = models.CharField(max_length=253, default="kiali")
    namespace = models.CharField(max_length=253, default="istio-system")
    url = models.URLField(max_length=2000)

    class Meta:
        ordering = ["cluster_name", "namespace", "instance_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster_name", "instance_name", "namespace"], name="unique_cluster_link"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cluster_name}: {self.namespace}/{self.instance_name}"


class ChangeRecord(models.Model):
    """One change the console made to a cluster (issue 19's audit trail): who, where, what,
    the difference it made and what the API server answered. Written once, never edited."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.CharField(
        max_length=253, help_text="Who acted; the console's account in anonymous mode."
    )
    cluster = models.CharField(max_length=253)
    namespace = models.CharField(max_length=253)
    kind = models.CharField(max_length=100)
    name = models.CharField(max_length=253)
    verb = models.CharField(max_length=20)  # create, replace, delete
    origin = models.CharField(max_length=100, help_text="The wizard or form that made it.")
    diff = models.TextField(blank=True)
    succeeded = models.BooleanField()
    answer = models.TextField(help_text="What the API server answered, in words.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["cluster", "namespace", "kind", "name"])]

    def __str__(self) -> str:
        return f"{self.user} {self.verb} {self.kind} {self.namespace}/{self.name} on {self.cluster}"
