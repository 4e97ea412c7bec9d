"""Kiali's app / workload / service model of each cluster, assembled from one list per kind."""
