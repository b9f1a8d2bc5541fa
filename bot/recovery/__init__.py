"""Recovery: finishing or undoing what a crashed process left half done. Every flow that must survive a crash
commits a row with a lease before it acts; these modules find the rows whose lease ran out and take them over
with a conditional UPDATE, one pass per kind of work (asks, follow-up messages, curation), run together at
start-up (``passes.py``) and then every ``[recovery] interval_seconds`` (``recovery_loop.py``). They are grouped
because they share one design and only the core's start-up and the command line call them."""
