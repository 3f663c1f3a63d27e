"""``python -m phonerouting.cli``."""

from phonerouting.cli import main

raise SystemExit(main())
