"""The resident controller (`reconciler controller`): watches a git ref, applies the bundles that changed,
re-plans between commits to heal or report drift, and serves /metrics, /healthz, /readyz and a status page.
"""
