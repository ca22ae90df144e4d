"""`python -m request_bridge`: the same command line as `request-bridge`."""

import sys

from request_bridge.cli import main

sys.exit(main())
