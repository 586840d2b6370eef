"""The app's stacks: they translate an EnvironmentConfig into construct props and compose.

Import the modules directly (stacks.stage, stacks.app_builder); this package imports
nothing itself, so that stacks.runtime can run before aws_cdk is loaded.
"""
