"""reconciler: schedules-as-code for AI agents.

Pipeline: load YAML -> validate -> render -> read live state -> plan -> show -> apply -> report.
"""

__version__ = "0.1.0"
