#!/usr/bin/env node
// The anchor of `make bench-anchor`: the cluster this project's dev environment describes
// (config/dev.yaml), built the EKS Blueprints for CDK way, so that its synth time can be
// compared with ours. Plain JavaScript, no compile step; run by `cdk synth` (cdk.json) or by
// benchmarks/anchor_bench.py as `node app.js` with CDK_OUTDIR and CDK_CONTEXT_JSON set.
//
// It is the same kind of cluster, not the same platform: a new VPC over three zones, a KMS
// key for secrets encryption, one managed node group, Karpenter, the AWS Load Balancer
// Controller and the core add-ons. Ours adds much more (tenants, governance, EFS, flow logs,
// endpoints, nag packs ...); the benchmark prints both sides' resource counts.
//
// Its cdk.json carries our cdk.json's feature flags (a test keeps them equal), so the same
// CDK constructs behave alike on both sides. Offline choices (in docs/benchmarks.md):
//  - every EKS managed add-on gets an explicit version: at "auto", Blueprints asks the EKS API
//    (DescribeAddonVersions) during synth;
//  - Karpenter is KarpenterV1AddOn (our dev's Karpenter 1.8.1, CRDs from the karpenter-crd
//    chart): the deprecated KarpenterAddOn writes v1beta1 NodePools and, asked to install the
//    CRDs, downloads them from GitHub during synth;
//  - the VPC provider cannot take explicit zones, so the stack's availability-zone lookup is
//    answered by cdk.context.json (as the CLI would have cached it on a first online synth).
"use strict";

const cdk = require("aws-cdk-lib");
const ec2 = require("aws-cdk-lib/aws-ec2");
const eks = require("aws-cdk-lib/aws-eks");
const blueprints = require("@aws-quickstart/eks-blueprints");

// config/dev.yaml: account, region, zones, Kubernetes version, network and node group.
const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const KUBERNETES = eks.KubernetesVersion.V1_34;

// The versions our dev environment pins (its synthesised template), so both sides install
// the same software; the values do not change the synth's work.
const VERSIONS = {
  vpcCni: "v1.20.4-eksbuild.2",
  coreDns: "v1.12.3-eksbuild.1",
  kubeProxy: "v1.34.1-eksbuild.2",
  ebsCsi: "v1.48.0-eksbuild.2",
  podIdentityAgent: "v1.3.8-eksbuild.2",
  karpenter: "1.8.1",
};

async function main() {
  const app = new cdk.App();

  const systemNodes = new blueprints.MngClusterProvider({
    version: KUBERNETES,
    clusterName: "anchor-dev",
    nodeGroupName: "system",
    instanceTypes: [new ec2.InstanceType("t4g.medium"), new ec2.InstanceType("t4g.large")],
    amiType: eks.NodegroupAmiType.BOTTLEROCKET_ARM_64,
    minSize: 2,
    desiredSize: 2,
    maxSize: 3,
    labels: { role: "system" },
  });

  const addOns = [
    new blueprints.addons.VpcCniAddOn({ version: VERSIONS.vpcCni }),
    new blueprints.addons.CoreDnsAddOn(VERSIONS.coreDns),
    new blueprints.addons.KubeProxyAddOn(VERSIONS.kubeProxy),
    new blueprints.addons.EksPodIdentityAgentAddOn(VERSIONS.podIdentityAgent),
    new blueprints.addons.EbsCsiDriverAddOn({ version: VERSIONS.ebsCsi }),
    new blueprints.addons.MetricsServerAddOn(),
    new blueprints.addons.AwsLoadBalancerControllerAddOn(),
    new blueprints.addons.KarpenterV1AddOn({
      version: VERSIONS.karpenter,
      podIdentity: true,
      interruptionHandling: true,
      nodePoolSpec: {
        requirements: [
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
          { key: "kubernetes.io/arch", operator: "In", values: ["arm64", "amd64"] },
        ],
        limits: { cpu: 32, memory: "128Gi" },
        disruption: {
          consolidationPolicy: "WhenEmptyOrUnderutilized",
          consolidateAfter: "1m",
        },
        expireAfter: "168h",
      },
      ec2NodeClassSpec: {
        amiFamily: "AL2023",
        amiSelectorTerms: [{ alias: "al2023@v20251112" }],
        subnetSelectorTerms: [{ tags: { "kubernetes.io/role/internal-elb": "1" } }],
        securityGroupSelectorTerms: [{ tags: { "aws:eks:cluster-name": "anchor-dev" } }],
      },
    }),
  ];

  await blueprints.EksBlueprint.builder()
    .account(ACCOUNT)
    .region(REGION)
    .version(KUBERNETES)
    .resourceProvider(
      blueprints.GlobalResources.Vpc,
      new blueprints.VpcProvider(undefined, { primaryCidr: "10.10.0.0/16" }),
    )
    .resourceProvider(
      blueprints.GlobalResources.KmsKey,
      new blueprints.CreateKmsKeyProvider("anchor-dev-secrets"),
    )
    .clusterProvider(systemNodes)
    .enableControlPlaneLogTypes(
      blueprints.ControlPlaneLogType.API,
      blueprints.ControlPlaneLogType.AUDIT,
      blueprints.ControlPlaneLogType.AUTHENTICATOR,
      blueprints.ControlPlaneLogType.CONTROLLER_MANAGER,
      blueprints.ControlPlaneLogType.SCHEDULER,
    )
    .addOns(...addOns)
    .buildAsync(app, "anchor-dev");

  app.synth();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
