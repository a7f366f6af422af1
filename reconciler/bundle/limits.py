"""How much one bundle file, one document and one run may hold: hostile input is refused before it costs
more than the largest honest run (docs/bundle-format.md, "Size limits"). `load` and the YAML reader check
them; `load` re-exports them (tests lower them there)."""

# The limits admit 100,000 schedules in one run and refuse hostile input before it costs more than such a run
# (docs/bundle-format.md, "Size limits", has the measurements). A schedule as generated (name, agent, when,
# input.message) is 7 nodes and ~105 bytes; a rich one (cron and timezone, data, labels, options) 16 nodes and
# ~310 bytes. Reading costs ~230 bytes of memory per node (a flat list), ~155 (schedules, read without the
# positions inside them, as `load_bundles` first reads) to ~570 (schedules, with every position); validating
# one document at once ~0.4 kB per node at its peak, ~0.9-1 kB when it is read again for its messages.
# One file: 16 MiB holds 100,000 generated schedules or 50,000 rich ones.
MAX_FILE_BYTES = 16 * 1024 * 1024
# Aliases share one node, so parsing is cheap; the blow-up comes when they are expanded. Every expanded node
# is counted (before it is copied), and loading stops long before memory or time becomes a problem.
# 500,000 nodes: a bundle of 70,000 generated or 30,000 rich schedules; validating it peaks near 0.5 GB, the
# most one document may cost. Larger fleets are split into several bundles (one per team or agent group).
MAX_NODES_PER_DOCUMENT = 500_000
# One run (one command) reads many files when given a folder; these bound the memory of all of them together.
# 2,000,000 nodes: 100,000 schedules of up to 20 nodes each; held as a hostile flat list they cost ~450 MB,
# no more than the 100,000-schedule run they are sized for. 128 MiB: 100,000 schedules of up to 1.3 kB each
# (comments included); text is read one file at a time and dropped once parsed.
MAX_RUN_BYTES = 128 * 1024 * 1024
MAX_RUN_NODES = 2_000_000
# Deeper nesting is never a schedule. The bound matters: PyYAML's C composer recurses (a deep enough document
# crashes the interpreter) and libyaml's scanner slows quadratically with flow nesting, so documents are built
# here from the parser's event stream, without recursion, and refused as soon as they nest too deep.
MAX_DEPTH = 64
# Digits of a plain integer: far beyond any value a field takes (`validate` says which), and far below where
# Python refuses to convert a digit string (4,300) or a message quoting it would drown a CI log.
MAX_NUMBER_DIGITS = 40
