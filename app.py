"""gridmap's Streamlit app: `make app` or `streamlit run app.py`.

Thin on purpose: the pages in gridmap/ui turn widgets into calls of
gridmap.pipeline and the engines, and draw what they return.
"""

from gridmap.ui import main

main()
