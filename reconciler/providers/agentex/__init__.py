"""Scale Agentex: the original (legacy) Temporal schedules (default) and the current run schedules."""
