"""The business of running a distribution network: entities, rules, services and persistence.

Nothing here knows about chat platforms, HTTP or the terminal.
"""
