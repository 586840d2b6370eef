"""The app's stacks: `stacks.translate` turns an EnvironmentConfig into construct props; the
stacks create the constructs from them.

Import the modules directly (stacks.stage, stacks.app_builder); this package imports
nothing itself, so that stacks.runtime can run before aws_cdk is loaded.
"""
