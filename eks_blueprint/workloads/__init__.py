"""Workloads the platform deploys itself (the demo from the EKS overview talk)."""
