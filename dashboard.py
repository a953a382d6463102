"""Batchscope dashboard: `streamlit run dashboard.py [-- --store DIR]`.

The router: the language switch, then st.navigation over the pages ui.frame.PAGES lists (home.py, the overview,
then pages/), so the sidebar names the first page "Home" in the chosen language. URLs are the classic ones (a link such as
/Speed?study=<id>&lang=zh opens that view of that study, also as the first request after a server start).
"""
import ui

ui.navigation().run()
