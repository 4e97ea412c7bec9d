"""The Overview's service insights from canned Prometheus answers (mesh/insights.py)."""

from __future__ import annotations

from mesh.insights import queries, service_insights
from mesh.prometheus.client import Sample


def svc(cluster: str, namespace: str, name: str, value: float) -> Sample:
    return Sample(
        {
            "destination_cluster": cluster,
            "destination_service_namespace": namespace,
            "destination_service_name": name,
        },
        value,
    )


ANSWERS = {
    "rate": [
        svc("east", "shop", "orders", 10),
        svc("east", "shop", "ui", 4),
        svc("east", "secret", "vault", 50),  # busier, but not the user's
        svc("west", "shop", "orders", 2),
        svc("east", "shop", "unknown", 9),
    ],
    "errors": [svc("east", "shop", "orders", 3), svc("east", "secret", "vault", 50)],
    "latency": [
        svc("east", "shop", "ui", 120),
        svc("east", "shop", "orders", float("nan")),  # no buckets filled
        svc("east", "secret", "vault", 9000),
    ],
}


def fake_query(asked: list[str]):
    text = queries({"shop"}, "5m")
    by_query = {text[key]: answer for key, answer in ANSWERS.items()}

    def query(promql: str) -> list[Sample]:
        asked.append(promql)
        return by_query[promql]

    return query


def test_each_metric_ranks_only_the_users_services_highest_first():
    asked: list[str] = []
    found = service_insights(
        fake_query(asked),
        {"east": ["shop"], "west": ["shop"]},
        "5m",
        ["errors", "latency", "throughput"],
    )
    assert [(s.service, round(s.value)) for s in found["errors"]] == [("orders", 30)]
    assert [(s.service, s.value) for s in found["latency"]] == [("ui", 120)]
    assert [(s.cluster, s.service) for s in found["throughput"]] == [
        ("east", "orders"),
        ("east", "ui"),
        ("west", "orders"),
    ]
    assert all('destination_service_namespace=~"shop"' in q for q in asked)


def test_only_the_chosen_metrics_are_asked_for_and_no_namespace_asks_nothing():
    asked: list[str] = []
    found = service_insights(fake_query(asked), {"east": ["shop"]}, "5m", ["throughput"])
    assert list(found) == ["throughput"] and len(asked) == 1
    assert service_insights(fake_query(asked), {}, "5m", ["errors"]) == {"errors": []}
    assert len(asked) == 1


def test_names_are_escaped_in_the_queries():
    text = queries({'we"ird.ns'}, "5m")
    assert 'destination_service_namespace=~"we\\"ird\\\\.ns"' in text["rate"]
    assert text["latency"].startswith("histogram_quantile(0.95, sum by (le, ")
