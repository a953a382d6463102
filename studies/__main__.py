import os
import sys

from .cli import main

try:
    code = main()
except KeyboardInterrupt:   # a stop that reached past the CLI's own handlers is still a stop, not a crash
    code = 130
if code == 130:   # stopped: everything finished is stored; leave without running interpreter shutdown, where a
    sys.stdout.flush()   # late interrupt (a pool's or Arrow's thread being torn down) could still turn the exit
    sys.stderr.flush()   # into a death by signal
    os._exit(130)
sys.exit(code)
