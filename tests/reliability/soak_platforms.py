"""The seven provider revisions the fault soak drives, each as the platform itself shows its schedules.

For every revision: the sandbox to start, how the model's schedules are written in a bundle, and an
independent reader of the live state, with the platform's official SDK where one exists (cadenya,
agentex-client 0.17 for the legacy revision, orq-ai-sdk 4.12 for the seed revision, oz-agent-sdk) and plain
HTTP elsewhere. The reader never uses reconciler code: it decodes ownership, names and archive marks by the
platform's documented rules (README, "Connecting to a platform"), so a bug in the providers cannot hide
itself. Each timing and option the model may pick comes with the wire value the platform must then hold,
written out by hand.
"""

from __future__ import annotations

from tests.reliability.soak_cadenya_agentex import AGENTEX_LEGACY, AGENTEX_RUNS, CADENYA
from tests.reliability.soak_orq_oz_tbd import ORQ, ORQ_DISPLAY_NAME, OZ, TBD_AGENTS

# What a revision is and what its reader returns (soak_platform.py), re-exported for the soak's modules.
from tests.reliability.soak_platform import KEY as KEY
from tests.reliability.soak_platform import OTHER as OTHER
from tests.reliability.soak_platform import Choice as Choice
from tests.reliability.soak_platform import Clients as Clients
from tests.reliability.soak_platform import Platform as Platform
from tests.reliability.soak_platform import Reachable as Reachable
from tests.reliability.soak_platform import Row as Row

PLATFORMS = (CADENYA, AGENTEX_LEGACY, AGENTEX_RUNS, ORQ, ORQ_DISPLAY_NAME, OZ, TBD_AGENTS)
