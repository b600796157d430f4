// Package exportcheck validates the exports of crossgate export that no
// server here can run (Envoy, Traefik, the Kubernetes formats, the storage
// buckets) with the projects' own types and schemas: go-control-plane
// (strict protojson, every nested Any validated, every regex compiled),
// sigs.k8s.io/gateway-api v1.5.1 and its standard CRD, k8s.io/api
// networking/v1 with apimachinery's checks and ingress-nginx's annotation
// validators, Traefik's dynamic configuration (strict structs written from
// its documented schema) and its CRD schemas, and the buckets' documented
// shapes and limits.
//
// It is a module of its own, like bench/, so that these dependencies stay
// out of crossgate's go.mod; .ci/run runs its tests.
package exportcheck
