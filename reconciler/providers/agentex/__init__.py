"""Scale Agentex: the seed's legacy Temporal schedules (default) and the current run schedules."""
