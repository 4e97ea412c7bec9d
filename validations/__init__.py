"""Istio configuration validation: Kiali's checks as plain Python (spec/validations.md).

Public API, one cluster at a time (existence checks are cluster-local, spec §8):

- `validations.offline.context_from_objects(objs, default_namespace, settings, mesh_overrides)`
  turns raw Kubernetes objects (Istio, Gateway API, Namespace, Service, workloads, Pods,
  GatewayClass, the `istio` mesh ConfigMap) into a `ValidationContext`;
  `load_files(paths, ...)` does the same from YAML files. Or build `ValidationContext` directly.
- `validations.engine.validate(context) -> list[ObjectValidation]`, sorted by kind,
  namespace, name; checks sorted by path then code. `summarize(records)` gives the
  per-namespace counts.
- `validations.offline.settings_from_config(KialiConfig)` maps the Kiali settings
  (ignore list, wildcard gateway hosts, Gateway API classes, app label, identity domain).
"""
