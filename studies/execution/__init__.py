"""Running a study: the driver (runner), the executors (pool, serial, Ray), the worker that trains and measures
one run, the timing pass (interleaved rounds: interleave), `retime` (the timing pass again for a stored study), the
forkserver and the per-run locks."""
