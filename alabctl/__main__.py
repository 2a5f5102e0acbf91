"""``python -m alabctl``."""

from alabctl.cli.main import entry

entry()
