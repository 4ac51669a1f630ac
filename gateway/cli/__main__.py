"""`python -m gateway.cli`: the same as the `ntswatch` console script (the dev stack starts its processes so)."""

import sys

from gateway.cli import main

sys.exit(main())
