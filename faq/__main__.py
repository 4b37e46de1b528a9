"""`python -m faq`: the maintainer's command line."""

import sys

from faq.cli import main

sys.exit(main())
