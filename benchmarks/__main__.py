"""`python -m benchmarks [--quick]` from the project root."""

import sys

from benchmarks.run import main

sys.exit(main())
