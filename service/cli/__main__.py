"""``python -m service.cli``: how the server starts its demo fleet and WITS0 gateway."""

import sys

from service.cli.main import main

sys.exit(main())
