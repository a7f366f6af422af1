"""`reconciler status`: did the schedules fire as declared. Pure verdicts (`verdicts`) and their outputs (`report`)."""
