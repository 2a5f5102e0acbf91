"""``python -m alabctl``."""

from alabctl.cli.main import main

raise SystemExit(main())
