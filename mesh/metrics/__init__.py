"""Istio metrics of one app, workload, service or namespace, as Kiali's metrics pages show them.

Plain Python: `params` parses Kiali's query parameters, `timing` chooses step and rate
interval, `labels` and `queries` write the PromQL, `fetch` runs it concurrently through a
PrometheusClient, `links` builds the Grafana and tracing links. Nothing here sees a request.
"""
