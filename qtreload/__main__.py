"""``python -m qtreload`` (and the ``qtreload`` console script): see ``qtreload._cli``."""
from __future__ import annotations

import sys
from collections.abc import Sequence

from ._cli import main as _main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``qtreload`` command line with ``argv`` (default: ``sys.argv[1:]``)."""
    return _main(argv)


if __name__ == "__main__":
    sys.exit(main())
