"""The settings a served app runs with, as Streamlit reads them from the project's .streamlit/config.toml."""

import os
from pathlib import Path

from streamlit import config

ROOT = Path(__file__).resolve().parents[2]


def _options_from_project_root() -> dict:
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        options = config.get_config_options(force_reparse=True)
        return {name: options[name].value for name in ("runner.postScriptGC", "server.fileWatcherType")}
    finally:
        os.chdir(here)
        config.get_config_options(force_reparse=True)


def test_no_full_collection_and_no_source_watching_after_each_run():
    """Every open live page ticks every 5 s; a full garbage collection after each of those runs, and a
    walk of every loaded module for the file watcher, cost more CPU than the pages on a sales floor."""
    assert _options_from_project_root() == {"runner.postScriptGC": False, "server.fileWatcherType": "none"}
