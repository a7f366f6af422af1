"""TBD Agents: `/api/scheduled-agents`, ownership by the name `<bundleKey>:<name>`."""
