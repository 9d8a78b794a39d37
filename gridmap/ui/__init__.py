"""The Streamlit app: widgets -> gridmap.pipeline / engines -> render.

``app.py`` at the repository root only calls :func:`main`. Each page lives in
its own module (``data``, ``grids``, ``members``, ``parking``, ``export``) and
only turns widget values into calls of the engines and draws what they return;
no algorithm lives in the user interface.
"""

from __future__ import annotations

__all__ = ["main", "PAGES"]

PAGES = ("data", "grids", "members", "parking", "export")


def main() -> None:
    """Draw the whole app once (Streamlit calls the script on every interaction)."""
    from gridmap.ui.shell import run_app

    run_app()
