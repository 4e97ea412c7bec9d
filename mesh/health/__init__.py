"""Health of apps, workloads, services and namespaces, as Kiali computes it (spec/health.md)."""
