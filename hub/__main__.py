"""``python -m hub`` is ``relais``."""

from hub.cli import main

main()
