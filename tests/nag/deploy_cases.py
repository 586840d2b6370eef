"""Hand-made CloudFormation fixtures for the deployability rules (EKSDEP*).

Same shape as :mod:`cases`: each :class:`~tests.nag.cases.Case` is a small template, the
logical id it is about, one rule and the verdict that rule must reach. Sizes are built from
plain JSON (``json.dumps`` of the literal document), never from the code under test.
Stack-level rules (template size and section counts) have :data:`STACK_CASES` instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .cases import FAIL, NA, OK, UNRESOLVED, Case, cluster

PARTITION = {"Ref": "AWS::Partition"}


def document(chars: int, resource_prefix: Any = "arn:aws:s3:::") -> dict[str, Any]:
    """A policy document whose minified JSON is exactly ``chars`` characters when
    ``resource_prefix`` is a literal (one statement, the resource padded with 'b')."""
    base = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::"}]}
    pad = chars - len(json.dumps(base, separators=(",", ":")))
    resource: Any = "arn:aws:s3:::" + "b" * pad
    if resource_prefix != "arn:aws:s3:::":
        resource = {"Fn::Join": ["", [*resource_prefix, "b" * pad]]}
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}]}


def managed_policy(doc: Any, roles: list[Any] | None = None, **props: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"PolicyDocument": doc, **props}
    if roles is not None:
        body["Roles"] = roles
    return {"Type": "AWS::IAM::ManagedPolicy", "Properties": body}


TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}


def iam_role(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST, **props}}


def trust_of(principals: int) -> dict[str, Any]:
    """A trust policy with ``principals`` role ARNs of 49 characters each."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": [f"arn:aws:iam::111111111111:role/caller-number-{i:04}"
                              for i in range(principals)]}}]}


def aws_policies(count: int) -> list[str]:
    return [f"arn:aws:iam::aws:policy/Policy{i}" for i in range(count)]


def inline_policy(doc: Any, **props: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Policy",
            "Properties": {"PolicyName": "extra", "PolicyDocument": doc, **props}}


def queue(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True, **props}}


def tag_list(count: int, prefix: str = "key") -> list[dict[str, str]]:
    return [{"Key": f"{prefix}{i}", "Value": "v"} for i in range(count)]


def security_group(ingress: list[dict[str, Any]] | None = None,
                   egress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"GroupDescription": "test", "VpcId": "vpc-0a"}
    if ingress is not None:
        props["SecurityGroupIngress"] = ingress
    if egress is not None:
        props["SecurityGroupEgress"] = egress
    return {"Type": "AWS::EC2::SecurityGroup", "Properties": props}


def cidr_rules(count: int, family: str = "CidrIp") -> list[dict[str, Any]]:
    return [{"IpProtocol": "tcp", "FromPort": 1000 + i, "ToPort": 1000 + i,
             family: "10.0.0.0/16" if family == "CidrIp" else "2001:db8::/32"}
            for i in range(count)]


def sg_ingress(group: str, port: int) -> dict[str, Any]:
    return {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "GroupId": {"Fn::GetAtt": [group, "GroupId"]}, "IpProtocol": "tcp",
        "FromPort": port, "ToPort": port, "CidrIp": "10.1.0.0/16"}}


def nodegroup(**props: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ClusterName": {"Ref": "C"}, "NodeRole": "arn:aws:iam::111111111111:role/nodes",
        "Subnets": ["subnet-0a"], "AmiType": "AL2023_x86_64_STANDARD",
        "ScalingConfig": {"MinSize": 1, "DesiredSize": 2, "MaxSize": 3},
    }
    body.update(props)
    return {"Type": "AWS::EKS::Nodegroup", "Properties": body}


def fargate_profile(selectors: list[dict[str, Any]], cluster_name: Any = "demo",
                    **props: Any) -> dict[str, Any]:
    return {"Type": "AWS::EKS::FargateProfile", "Properties": {
        "ClusterName": cluster_name, "Selectors": selectors,
        "PodExecutionRoleArn": "arn:aws:iam::111111111111:role/fp", **props}}


def manifest(objects: Any) -> dict[str, Any]:
    text = objects if isinstance(objects, dict) else json.dumps(objects)
    return {"Type": "Custom::AWSCDK-EKS-KubernetesResource", "Properties": {
        "ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:function:kubectl",
        "ClusterName": "demo", "Manifest": text}}


def namespace(name: str, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def helm_chart(release: str) -> dict[str, Any]:
    return {"Type": "Custom::AWSCDK-EKS-HelmChart", "Properties": {
        "ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:function:helm",
        "ClusterName": "demo", "Release": release, "Chart": "c", "Namespace": "kube-system"}}


def layer(*items: dict[str, Any], name: str = "platform") -> dict[str, Any]:
    """A Kubernetes layer (eks_blueprint's one custom resource per dependency layer)."""
    return {"Type": "Custom::EksBlueprint-KubernetesLayer", "Properties": {
        "ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:function:layers",
        "ClusterName": "demo", "Endpoint": "https://example.eks.amazonaws.com",
        "CertificateAuthorityData": "Q0E=", "Region": "eu-west-1", "Layer": name,
        "Items": list(items), "Elsewhere": []}}


def manifest_item(item_id: str, objects: Any) -> dict[str, Any]:
    text = objects if isinstance(objects, dict) else json.dumps(objects)
    return {"Id": item_id, "Type": "manifest", "Manifest": text, "Overwrite": "false"}


def chart_item(item_id: str, release: str) -> dict[str, Any]:
    return {"Id": item_id, "Type": "chart", "Chart": "c", "Repository": "https://charts.example",
            "Version": "1.0.0", "Release": release, "Namespace": "kube-system",
            "CreateNamespace": "true", "Wait": "true", "Timeout": "300", "SkipCrds": "false"}


def timed_chart(item_id: str, seconds: int, *after: str, wait: bool = True) -> dict[str, Any]:
    """A chart item of Helm timeout `seconds` applied after the items `after`."""
    item = {**chart_item(item_id, item_id.lower().replace("/", "-")),
            "Timeout": str(seconds), "Wait": "true" if wait else "false"}
    return {**item, "After": list(after)} if after else item


def sized_layer(request_bytes: int) -> dict[str, Any]:
    """A layer whose largest request, its properties as compact JSON twice plus 4,096 bytes
    of envelope, is `request_bytes` (even, at least about 5 KB): one ConfigMap padded."""
    def props_of(pad: int) -> dict[str, Any]:
        config_map = {"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "big", "namespace": "apps"}, "data": {"x": "p" * pad}}
        return layer(manifest_item("Apps/Big", [config_map]))

    target = (request_bytes - 4096) // 2
    base = len(json.dumps(props_of(0)["Properties"], separators=(",", ":")))
    resource = props_of(target - base)
    assert 2 * len(json.dumps(resource["Properties"], separators=(",", ":"))) + 4096 == request_bytes
    return resource


def function(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Function", "Properties": {
        "Role": "arn:aws:iam::111111111111:role/fn", "Runtime": "python3.12",
        "Handler": "index.handler", "Code": {"ZipFile": "def handler(e, c): pass"}, **props}}


def log_group(name: Any) -> dict[str, Any]:
    return {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": name,
                                                         "RetentionInDays": 7}}


def events_rule(name: str) -> dict[str, Any]:
    return {"Type": "AWS::Events::Rule", "Properties": {
        "Name": name, "State": "ENABLED", "ScheduleExpression": "rate(1 hour)"}}


LONG_CLUSTER = "c" * 60  # a literal 60-character cluster name (stack-independent lengths)

#: Cases with many resources: checked by the pure functions only, not loaded by CfnInclude
#: in the pack tests (the pack path is covered by the small ones).
HEAVY = {"mp-attached-eleven", "sg-plus-standalone", "sg-references-count-both",
         "ng-per-cluster", "fp-per-cluster", "tags-51", "tags-lt-spec-51"}

DEPLOY_CASES: list[Case] = [
    # EKSDEP1 managed policy size
    Case("mp-small", "EKSDEP1", OK, {"P": managed_policy(document(2000))}, "P"),
    Case("mp-at-limit", "EKSDEP1", OK, {"P": managed_policy(document(6144))}, "P"),
    Case("mp-over-limit", "EKSDEP1", FAIL, {"P": managed_policy(document(6145))}, "P"),
    # 6,140 characters with partition "aws": over the limit with "aws-us-gov" (+7)
    Case("mp-over-at-longest-partition", "EKSDEP1", FAIL,
         {"P": managed_policy(document(6140, ["arn:", PARTITION, ":s3:::"]))}, "P"),
    Case("mp-unknown-import", "EKSDEP1", UNRESOLVED,
         {"P": managed_policy(document(6000, ["arn:aws:s3:::", {"Fn::ImportValue": "x"}]))},
         "P"),
    # EKSDEP2 inline policies of one identity
    Case("inline-fits", "EKSDEP2", OK,
         {"R": iam_role(Policies=[{"PolicyName": "a", "PolicyDocument": document(6000)}])}, "R"),
    Case("inline-own-plus-attached", "EKSDEP2", FAIL,
         {"R": iam_role(Policies=[{"PolicyName": "a", "PolicyDocument": document(6000)}]),
          "Extra": inline_policy(document(5000), Roles=[{"Ref": "R"}])}, "R"),
    Case("inline-user-limit", "EKSDEP2", FAIL,
         {"U": {"Type": "AWS::IAM::User", "Properties": {
             "Policies": [{"PolicyName": "a", "PolicyDocument": document(2100)}]}}}, "U"),
    Case("inline-none", "EKSDEP2", NA, {"R": iam_role()}, "R"),
    # EKSDEP3 trust policy length (quota 2,048)
    Case("trust-small", "EKSDEP3", OK, {"R": iam_role()}, "R"),
    Case("trust-sixty-principals", "EKSDEP3", FAIL,
         {"R": {"Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": trust_of(60)}}}, "R"),
    # EKSDEP4 managed policies per role (quota 10)
    Case("mp-count-ten", "EKSDEP4", OK, {"R": iam_role(ManagedPolicyArns=aws_policies(10))},
         "R"),
    Case("mp-count-eleven", "EKSDEP4", FAIL,
         {"R": iam_role(ManagedPolicyArns=aws_policies(11))}, "R"),
    Case("mp-attached-by-arn", "EKSDEP4", OK,
         {"R": iam_role(ManagedPolicyArns=[*aws_policies(9), {"Ref": "P"}]),
          "P": managed_policy(document(100))}, "R"),
    Case("mp-group-ten", "EKSDEP4", OK,
         {"G": {"Type": "AWS::IAM::Group",
                "Properties": {"ManagedPolicyArns": aws_policies(10)}}}, "G"),
    Case("mp-group-eleven", "EKSDEP4", FAIL,
         {"G": {"Type": "AWS::IAM::Group",
                "Properties": {"ManagedPolicyArns": aws_policies(11)}}}, "G"),
    Case("mp-attached-eleven", "EKSDEP4", FAIL,
         {"R": iam_role(ManagedPolicyArns=aws_policies(9)),
          "P1": managed_policy(document(100), roles=[{"Ref": "R"}]),
          "P2": managed_policy(document(100), roles=[{"Ref": "R"}])}, "R"),
    # EKSDEP5 IAM names
    Case("role-name-64", "EKSDEP5", OK, {"R": iam_role(RoleName="r" * 64)}, "R"),
    Case("role-name-65", "EKSDEP5", FAIL, {"R": iam_role(RoleName="r" * 65)}, "R"),
    Case("role-name-from-cluster", "EKSDEP5", FAIL,
         {"C": cluster(Name=LONG_CLUSTER),
          "R": iam_role(RoleName={"Fn::Join": ["-", [{"Ref": "C"}, "nodes"]]})}, "R"),
    Case("role-path-no-slash", "EKSDEP5", FAIL, {"R": iam_role(Path="/team")}, "R"),
    Case("policy-name-space", "EKSDEP5", FAIL,
         {"P": managed_policy(document(100), ManagedPolicyName="my policy")}, "P"),
    # inline policy names: PutRolePolicy's PolicyName pattern [\w+=,.@-]+, as role names
    Case("inline-policy-name-charset", "EKSDEP5", OK,
         {"R": iam_role(Policies=[{"PolicyName": "Role_Default-Policy.1+=,@",
                                   "PolicyDocument": document(100)}])}, "R"),
    Case("inline-policy-name-colon", "EKSDEP5", FAIL,
         {"R": iam_role(Policies=[{"PolicyName": "team:nodes",
                                   "PolicyDocument": document(100)}])}, "R"),
    Case("policy-resource-name-hash", "EKSDEP5", FAIL,
         {"P": inline_policy(document(100), PolicyName="nodes#1", Roles=["nodes"])}, "P"),
    Case("profile-name-129", "EKSDEP5", FAIL,
         {"I": {"Type": "AWS::IAM::InstanceProfile",
                "Properties": {"Roles": ["nodes"], "InstanceProfileName": "p" * 129}}}, "I"),
    # EKSDEP10 tags
    Case("tags-ok", "EKSDEP10", OK, {"Q": queue(Tags=tag_list(3))}, "Q"),
    Case("tags-unicode", "EKSDEP10", OK,
         {"Q": queue(Tags=[{"Key": "équipe", "Value": "Zürich Ops @ team+1"}])}, "Q"),
    Case("tags-map-ok", "EKSDEP10", OK,
         {"S": {"Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": "x", "Tags": {"team": "a"}}}}, "S"),
    Case("tags-50", "EKSDEP10", OK, {"Q": queue(Tags=tag_list(50))}, "Q"),
    Case("tags-51", "EKSDEP10", FAIL, {"Q": queue(Tags=tag_list(51))}, "Q"),
    Case("tags-aws-prefix", "EKSDEP10", FAIL,
         {"Q": queue(Tags=[{"Key": "aws:team", "Value": "a"}])}, "Q"),
    Case("tags-bad-character", "EKSDEP10", FAIL,
         {"Q": queue(Tags=[{"Key": "team", "Value": "a,b"}])}, "Q"),
    Case("tags-long-value", "EKSDEP10", FAIL,
         {"Q": queue(Tags=[{"Key": "team", "Value": "v" * 257}])}, "Q"),
    Case("tags-map-long-key", "EKSDEP10", FAIL,
         {"C": cluster(), "Ng": nodegroup(Tags={"k" * 129: "v"})}, "Ng"),
    Case("tags-lt-spec-51", "EKSDEP10", FAIL,
         {"Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
             "TagSpecifications": [{"ResourceType": "instance", "Tags": tag_list(51)}]}}}},
         "Lt"),
    Case("tags-none", "EKSDEP10", NA, {"Q": queue()}, "Q"),
    # EKSDEP11 security group rules (quota 60 each way, IPv4 and IPv6 apart)
    Case("sg-sixty", "EKSDEP11", OK, {"G": security_group(cidr_rules(60))}, "G"),
    Case("sg-sixty-one", "EKSDEP11", FAIL, {"G": security_group(cidr_rules(61))}, "G"),
    Case("sg-v4-and-v6-apart", "EKSDEP11", OK,
         {"G": security_group(cidr_rules(40) + cidr_rules(40, "CidrIpv6"))}, "G"),
    Case("sg-plus-standalone", "EKSDEP11", FAIL,
         {"G": security_group(cidr_rules(50)),
          **{f"In{i}": sg_ingress("G", 2000 + i) for i in range(11)}}, "G"),
    Case("sg-references-count-both", "EKSDEP11", FAIL,
         {"G": security_group(
             cidr_rules(30) + [{"IpProtocol": "tcp", "FromPort": 3000 + i, "ToPort": 3000 + i,
                                "SourceSecurityGroupId": "sg-0123456789abcdef0"}
                               for i in range(31)])}, "G"),
    Case("sg-egress-61", "EKSDEP11", FAIL, {"G": security_group(egress=cidr_rules(61))}, "G"),
    # EKSDEP12 cluster name
    Case("cluster-name-ok", "EKSDEP12", OK, {"C": cluster()}, "C"),
    Case("cluster-name-100", "EKSDEP12", OK, {"C": cluster(Name="c" * 100)}, "C"),
    Case("cluster-name-101", "EKSDEP12", FAIL, {"C": cluster(Name="c" * 101)}, "C"),
    Case("cluster-name-leading-dash", "EKSDEP12", FAIL, {"C": cluster(Name="-shop")}, "C"),
    # EKSDEP13 node group name, sizes, count per cluster
    Case("ng-ok", "EKSDEP13", OK, {"C": cluster(), "Ng": nodegroup(NodegroupName="system")},
         "Ng"),
    Case("ng-name-63", "EKSDEP13", OK, {"C": cluster(), "Ng": nodegroup(NodegroupName="n" * 63)},
         "Ng"),
    Case("ng-name-64", "EKSDEP13", FAIL,
         {"C": cluster(), "Ng": nodegroup(NodegroupName="n" * 64)}, "Ng"),
    Case("ng-max-451", "EKSDEP13", FAIL,
         {"C": cluster(),
          "Ng": nodegroup(ScalingConfig={"MinSize": 1, "DesiredSize": 1, "MaxSize": 451})}, "Ng"),
    Case("ng-min-over-max", "EKSDEP13", FAIL,
         {"C": cluster(),
          "Ng": nodegroup(ScalingConfig={"MinSize": 3, "DesiredSize": 3, "MaxSize": 2})}, "Ng"),
    Case("ng-per-cluster", "EKSDEP13", FAIL,
         {"C": cluster(), **{f"Ng{i}": nodegroup() for i in range(31)}}, "Ng0"),
    # EKSDEP14 node group labels and taints
    Case("ng-labels-ok", "EKSDEP14", OK,
         {"C": cluster(), "Ng": nodegroup(
             Labels={"role": "system", "eks-blueprint/node-group": "system"},
             Taints=[{"Key": "CriticalAddonsOnly", "Value": "true", "Effect": "NO_SCHEDULE"}])},
         "Ng"),
    Case("ng-label-value-64", "EKSDEP14", FAIL,
         {"C": cluster(), "Ng": nodegroup(Labels={"role": "v" * 64})}, "Ng"),
    Case("ng-label-bad-prefix", "EKSDEP14", FAIL,
         {"C": cluster(), "Ng": nodegroup(Labels={"Team_A/role": "x"})}, "Ng"),
    Case("ng-label-no-wildcards", "EKSDEP14", FAIL,  # Fargate selectors only
         {"C": cluster(), "Ng": nodegroup(Labels={"role": "web-*"})}, "Ng"),
    Case("ng-taint-effect", "EKSDEP14", FAIL,
         {"C": cluster(), "Ng": nodegroup(
             Taints=[{"Key": "dedicated", "Value": "gpu", "Effect": "NoSchedule"}])}, "Ng"),
    # EKSDEP15 Fargate profiles
    Case("fp-five-selectors", "EKSDEP15", OK,
         {"Fp": fargate_profile([{"Namespace": f"ns{i}"} for i in range(5)])}, "Fp"),
    Case("fp-six-selectors", "EKSDEP15", FAIL,
         {"Fp": fargate_profile([{"Namespace": f"ns{i}"} for i in range(6)])}, "Fp"),
    Case("fp-six-labels", "EKSDEP15", FAIL,
         {"Fp": fargate_profile([{"Namespace": "batch", "Labels": [
             {"Key": f"l{i}", "Value": "v"} for i in range(6)]}])}, "Fp"),
    Case("fp-bad-namespace", "EKSDEP15", FAIL,
         {"Fp": fargate_profile([{"Namespace": "Batch"}])}, "Fp"),
    # EKS's Fargate profile wildcards: * and ? in namespaces, label keys and label values
    Case("fp-wildcards", "EKSDEP15", OK,
         {"Fp": fargate_profile([
             {"Namespace": "team-*", "Labels": [{"Key": "app.kubernetes.io/na?e",
                                                 "Value": "web-*"},
                                                {"Key": "*.example.com/tier", "Value": "?"}]},
             {"Namespace": "*"}, {"Namespace": "prod-?"}])}, "Fp"),
    Case("fp-wildcard-still-checked", "EKSDEP15", FAIL,
         {"Fp": fargate_profile([{"Namespace": "prod_*"}])}, "Fp"),
    Case("fp-per-cluster", "EKSDEP15", FAIL,
         {"C": cluster(), **{f"Fp{i}": fargate_profile([{"Namespace": f"ns{i}"}],
                                                      cluster_name={"Ref": "C"})
                             for i in range(11)}}, "Fp0"),
    # EKSDEP16 Kubernetes names in manifests, Helm releases
    Case("k8s-ok", "EKSDEP16", OK,
         {"M": manifest([namespace("payments", team="payments"),
                         {"apiVersion": "v1", "kind": "Service",
                          "metadata": {"name": "api", "namespace": "payments"}}])}, "M"),
    Case("k8s-namespace-64", "EKSDEP16", FAIL, {"M": manifest([namespace("n" * 64)])}, "M"),
    Case("k8s-service-leading-digit", "EKSDEP16", FAIL,
         {"M": manifest([{"apiVersion": "v1", "kind": "Service",
                          "metadata": {"name": "1api", "namespace": "payments"}}])}, "M"),
    # the cluster name (60) goes into a label value: 60 + "-owner" = 66 > 63
    Case("k8s-label-from-cluster-name", "EKSDEP16", FAIL,
         {"C": cluster(Name=LONG_CLUSTER),
          "M": manifest({"Fn::Join": ["", [
              '[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team",'
              '"labels":{"cluster":"', {"Ref": "C"}, '-owner"}}}]']]})}, "M"),
    Case("k8s-not-json", "EKSDEP16", UNRESOLVED,
         {"M": manifest({"Fn::Join": ["", [
             '[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"},"replicas":',
             {"Ref": "AWS::Region"}, "}]"]]})}, "M"),
    Case("helm-release-53", "EKSDEP16", OK, {"H": helm_chart("r" * 53)}, "H"),
    Case("helm-release-54", "EKSDEP16", FAIL, {"H": helm_chart("r" * 54)}, "H"),
    # ...and the same in the items of a Kubernetes layer
    Case("k8s-layer-ok", "EKSDEP16", OK,
         {"L": layer(manifest_item("Tenants/Payments", [namespace("payments", team="payments")]),
                     chart_item("Karpenter/Chart", "r" * 53))}, "L"),
    Case("k8s-layer-namespace-64", "EKSDEP16", FAIL,
         {"L": layer(manifest_item("Tenants/Long", [namespace("n" * 64)]))}, "L"),
    Case("k8s-layer-helm-release-54", "EKSDEP16", FAIL,
         {"L": layer(manifest_item("Tenants/Payments", [namespace("payments")]),
                     chart_item("Karpenter/Chart", "r" * 54))}, "L"),
    Case("k8s-layer-not-json", "EKSDEP16", UNRESOLVED,
         {"L": layer(manifest_item("Tenants/Payments", {"Fn::Join": ["", [
             '[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"},"replicas":',
             {"Ref": "AWS::Region"}, "}]"]]}))}, "L"),
    # EKSDEP19/20 the size of a layer's request: 256 KB, warned above 75 %
    Case("layer-request-at-limit", "EKSDEP19", OK, {"L": sized_layer(262_144)}, "L"),
    Case("layer-request-over-limit", "EKSDEP19", FAIL, {"L": sized_layer(262_146)}, "L"),
    Case("layer-request-at-75", "EKSDEP20", OK, {"L": sized_layer(196_608)}, "L"),
    Case("layer-request-over-75", "EKSDEP20", FAIL, {"L": sized_layer(196_610)}, "L"),
    Case("layer-request-over-limit-is-19s", "EKSDEP20", NA, {"L": sized_layer(262_146)}, "L"),
    # EKSDEP21 the worst case before a layer's last item starts: 14 min less 3 min = 660 s;
    # the last item's own time is not counted, a chart without --wait counts 120 s, a
    # manifest 90 s, and the longest of two branches counts
    Case("layer-chain-660", "EKSDEP21", OK,
         {"L": layer(timed_chart("A/Crds", 300), timed_chart("A/Chart", 360, "A/Crds"),
                     timed_chart("A/Last", 900, "A/Chart"))}, "L"),
    Case("layer-chain-661", "EKSDEP21", FAIL,
         {"L": layer(timed_chart("A/Crds", 301), timed_chart("A/Chart", 360, "A/Crds"),
                     timed_chart("A/Last", 60, "A/Chart"))}, "L"),
    Case("layer-chain-no-wait", "EKSDEP21", OK,
         {"L": layer(timed_chart("A/Crds", 900, wait=False), timed_chart("A/Chart", 540, "A/Crds"),
                     timed_chart("A/Last", 60, "A/Chart"))}, "L"),
    Case("layer-chain-branches", "EKSDEP21", FAIL,
         {"L": layer(timed_chart("A/Short", 60), timed_chart("A/Long", 600),
                     manifest_item("A/Pools", [namespace("pools")]) | {"After": ["A/Long"]},
                     timed_chart("A/Last", 60, "A/Short", "A/Pools"))}, "L"),
    Case("layer-independent-items", "EKSDEP21", OK,
         {"L": layer(timed_chart("A/One", 900), timed_chart("A/Two", 900))}, "L"),
    # EKSDEP17 Lambda environment
    Case("lambda-env-small", "EKSDEP17", OK,
         {"F": function(Environment={"Variables": {"A": "1"}})}, "F"),
    Case("lambda-env-over-4kb", "EKSDEP17", FAIL,
         {"F": function(Environment={"Variables": {"A": "v" * 4100}})}, "F"),
    # EKSDEP18 other names
    Case("queue-name-80", "EKSDEP18", OK, {"Q": queue(QueueName="q" * 80)}, "Q"),
    Case("queue-fifo-81", "EKSDEP18", FAIL,
         {"Q": queue(QueueName="q" * 76 + ".fifo", FifoQueue=True)}, "Q"),
    Case("queue-fifo-suffix-missing", "EKSDEP18", FAIL,
         {"Q": queue(QueueName="orders", FifoQueue=True)}, "Q"),
    Case("rule-name-65", "EKSDEP18", FAIL, {"E": events_rule("e" * 65)}, "E"),
    Case("log-group-of-function", "EKSDEP18", OK,
         {"F": function(),
          "L": log_group({"Fn::Join": ["", ["/aws/lambda/", {"Ref": "F"}]]})}, "L"),
    Case("log-group-513", "EKSDEP18", FAIL, {"L": log_group("/" + "l" * 512)}, "L"),
    Case("function-name-65", "EKSDEP18", FAIL, {"F": function(FunctionName="f" * 65)}, "F"),
]


@dataclass(frozen=True)
class StackCase:
    """One stack rule on a whole template, and the verdict it must reach."""

    name: str
    rule: str
    expect: str
    template: dict[str, Any]


def _waits(count: int) -> dict[str, Any]:
    return {f"W{i}": {"Type": "AWS::CloudFormation::WaitConditionHandle"} for i in range(count)}


def _outputs(count: int) -> dict[str, Any]:
    return {f"O{i}": {"Value": "x"} for i in range(count)}


def _parameters(count: int) -> dict[str, Any]:
    return {f"P{i}": {"Type": "String"} for i in range(count)}


STACK_CASES: list[StackCase] = [
    StackCase("size-small", "EKSDEP6", OK, {"Resources": _waits(1)}),
    StackCase("size-over-1mb", "EKSDEP6", FAIL, {
        "Description": "big", "Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": "v" * (1024 * 1024)}}}}),
    # 1,000,000 characters of value: under 1 MiB, over CloudFormation's 1,000,000 bytes
    StackCase("size-over-1000000-bytes", "EKSDEP6", FAIL, {
        "Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": "v" * 1_000_000}}}}),
    StackCase("resources-500", "EKSDEP7", OK, {"Resources": _waits(500)}),
    StackCase("resources-501", "EKSDEP7", FAIL, {"Resources": _waits(501)}),
    StackCase("outputs-200", "EKSDEP8", OK, {"Resources": _waits(1), "Outputs": _outputs(200)}),
    StackCase("outputs-201", "EKSDEP8", FAIL, {"Resources": _waits(1), "Outputs": _outputs(201)}),
    StackCase("parameters-200", "EKSDEP9", OK,
              {"Resources": _waits(1), "Parameters": _parameters(200)}),
    StackCase("parameters-201", "EKSDEP9", FAIL,
              {"Resources": _waits(1), "Parameters": _parameters(201)}),
]
