"""Config -> library props: one pure function per thing to build, one module per config section.

Every translator takes the validated `EnvironmentConfig` (and, where a prop is a VPC or a
cluster object, that object) and returns props or specs of the `eks_blueprint` constructs.
No translator creates a construct or takes a scope: the stacks in `stacks/` create the
constructs from what these return, so each mapping can be tested without a CDK App.

    network    `network:`                  -> NetworkProps, subnet tags, ENIConfigs
    cluster    `cluster:` (+ who needs kubectl) -> ControlPlaneProps
    compute    `compute:`                  -> node group (managed and self-managed), Fargate,
                                              Karpenter and Cluster Autoscaler props
    addons     `addons:`                   -> AddonsProps
    storage    `storage:`                  -> EFS and FSx for Lustre props
    pod_security_groups `pod_security_groups:` -> PodSecurityGroupsProps
    workloads  `tenants:`, `workload_identities:`, `access:`, `workloads.demo:`
    security   `security:`                 -> GuardDuty, ECR, Spot role
    lifecycle  `lifecycle:`, `tags:`       -> removal policy, retention, tags
"""
