"""Compute constructs: managed node groups, Karpenter, Fargate profiles and EKS Auto Mode.

Import the modules directly (eks_blueprint.compute.karpenter, ...); each has one public
construct and its props.
"""
