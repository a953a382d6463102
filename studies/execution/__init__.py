"""Running a study: the driver (runner), the executors (pool, serial, Ray), the worker that trains and measures
one run, the timing pass, the forkserver and the per-run locks."""
