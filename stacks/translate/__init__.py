"""Config -> library props: one pure function per thing to build, one module per config section.

Every translator takes the validated `EnvironmentConfig` (and, where a prop is a VPC or a
cluster object, that object) and returns props or specs of the `eks_blueprint` constructs.
No translator creates a construct or takes a scope: the stacks in `stacks/` create the
constructs from what these return, so each mapping can be tested without a CDK App.

    network    `network:`                  -> NetworkProps, subnet tags
    cluster    `cluster:` (+ who needs kubectl) -> ControlPlaneProps
    compute    `compute:`                  -> node group, Fargate and Karpenter props
    addons     `addons:`                   -> AddonsProps
    workloads  `tenants:`, `workload_identities:`, `access:`, `workloads.demo:`
    security   `security:`                 -> GuardDuty, ECR, Spot role
    lifecycle  `lifecycle:`, `tags:`       -> removal policy, retention, tags
"""
