"""``python -m redbridge`` works even where the console script is not on PATH yet."""

import sys

from redbridge.cli import main

sys.exit(main())
