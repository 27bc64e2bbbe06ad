"""The phone layout: whether the browser is narrow, and a sidebar that closes after a page is chosen.

A small component in the sidebar reports the width class of the browser window (narrow: at most
640 px, a phone held upright) as its state, so pages can show cards instead of a grid; on a narrow
window it also closes the sidebar once a page is chosen in the menu, which Streamlit leaves open over
the content.
"""

import streamlit as st

from ui.state import PHONE

_JS = """
export default function ({ setStateValue }) {
  const narrow = () => window.matchMedia("(max-width: 640px)").matches;
  setStateValue("narrow", narrow());
  if (window.salesFunnelSidebarCloser) return;
  window.salesFunnelSidebarCloser = true;
  window.matchMedia("(max-width: 640px)").addEventListener("change", () => setStateValue("narrow", narrow()));
  document.addEventListener("click", (event) => {
    if (!narrow() || !event.target.closest("[data-testid='stSidebar'] a")) return;
    setTimeout(() => {
      document.querySelector("[data-testid='stSidebar'] [data-testid='stSidebarCollapseButton'] button")?.click();
    }, 100);
  }, true);
}
"""
_WIDTH = st.components.v2.component("sales_funnel_phone", html="<span></span>", js=_JS)


def watch() -> None:
    """Mount the width watcher (once per run, in the sidebar)."""
    with st.sidebar:
        _WIDTH(key=PHONE, default={"narrow": False}, on_narrow_change=lambda: None)


def is_narrow() -> bool:
    """Whether the browser window is a phone's (as its last report said; wide until it reports)."""
    state = st.session_state.get(PHONE)
    return bool(state and state.get("narrow"))
