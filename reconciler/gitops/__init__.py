"""CI integration: what the reusable GitHub Action runs (summary, outputs, one PR comment kept up to date)."""
