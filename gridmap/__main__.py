"""``python -m gridmap``."""

from gridmap.cli import main

raise SystemExit(main())
