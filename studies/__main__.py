import sys

from .cli import main

try:
    code = main()
except KeyboardInterrupt:   # a stop that reached past the CLI's own handlers is still a stop, not a crash
    code = 130
sys.exit(code)
