"""reconciler: schedules-as-code for AI agents.

Pipeline: load YAML -> validate -> render -> read live state -> plan -> show -> apply -> report.
"""

import sys

__version__ = "0.2.0"

# httpx imports its own command-line client (rich, pygments, click: a tenth of a second) whenever it is
# imported, and falls back to a stub when that import fails. Nothing here runs httpx's CLI, and every
# reconciler command would pay for it at start-up; an import that already happened is left alone.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
