"""The private engine behind :func:`scalelab.simulate`.

``run.run_simpy`` is the general discrete-event engine (SimPy); ``fast_path.run_fast``
(one FIFO station) and ``batching.run_batch`` (a batching server) are exact recursions
over the arrival times. ``streams`` names every source of randomness. The declarations
they run live in the public modules (``topology``, ``eventdriven``, ``workload``); each
module here is named after what it runs.
"""
