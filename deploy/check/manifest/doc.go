// Package manifest decodes the Kubernetes manifests of deploy/k8s strictly into the
// Kubernetes API types and checks the rules the project holds them to.
//
// Decode splits a multi-document YAML file and decodes each document with
// apimachinery's strict decoder for the API groups Avatar uses (core, apps, autoscaling,
// policy, rbac, batch, networking): an unknown kind, an unknown or duplicated field, or
// a value of the wrong type is an error, as the API server's strict field validation
// would make it.
//
// Check then applies what decoding cannot see: every container has CPU and memory
// requests and limits and a pinned image; every long-running container has readiness
// and liveness probes (/readyz and /healthz for Avatar's own); every reference to a
// ConfigMap, Secret, ServiceAccount, workload or pod label resolves within the set;
// host-network pods resolve cluster names; the core has a HorizontalPodAutoscaler and a
// PodDisruptionBudget; and every edge exposes its WebRTC UDP port, knows its region and
// outlives its own drain.
package manifest
