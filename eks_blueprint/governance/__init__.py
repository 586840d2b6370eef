"""Governance: the cluster's policy layer (Kyverno) and verified image signatures.

* `spec`: what the policies are made from (cdk-free), shared by the construct, the config
  translation and the offline tests;
* `policies`: the Kyverno policy manifests, pure functions of a `PolicySet` (cdk-free);
* `evaluate`: an offline evaluator of those policies' CEL, for tests and the build gate
  (needs cel-python, from the `[tools]` extra; cdk-free);
* `kyverno`: the `Governance` construct: the pinned Kyverno chart, the policies, and the
  signature verification service with its Pod Identity role.

Only `spec` and `policies` are imported eagerly by the package's public constructs.
"""
