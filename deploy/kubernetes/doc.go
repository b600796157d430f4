// Package kubernetes holds crossgate's Kubernetes manifests (*.yaml in this
// directory) and their test: every manifest decodes strictly with the
// Kubernetes API types, the ConfigMap's policy file passes lint, and the
// Deployment, the Service and the policy agree on ports, probes, the
// mount and the shutdown timeout. It is a module of its own so that the
// main module does not depend on k8s.io/api.
package kubernetes
