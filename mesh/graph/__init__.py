"""Traffic graph: Istio telemetry -> networkx graph -> appenders -> Kiali's cytoscape JSON.

The behaviour follows /work/shared/spec/graph.md (Kiali's graph, quirks included), except
that namespaces sharing a rate window are queried together in regex groups, so the number
of PromQL queries does not grow with the number of namespaces.
"""

from mesh import native

# The hot modules' compiled copies, when built for these very sources (mesh.native says why).
native.install(__path__)
