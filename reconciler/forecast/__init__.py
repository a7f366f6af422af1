"""When schedules will fire, computed offline from bundles: `preview` (next fires per schedule) and
`calendar` (a day-by-hour heatmap and a collision report). Pure: bundles and "now" in, values and text out;
the verbs in reconciler/cli do the I/O.
"""
