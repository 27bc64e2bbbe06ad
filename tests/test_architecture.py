"""The import contract of pyproject.toml ([tool.importlinter]): views → ui → core → db and never back,
the pages open no session and build no query, the write side never imports the read side, nothing
below the pages knows Streamlit."""

from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

CONFIG = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_code_keeps_the_import_contract(capsys):
    status = lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True)

    assert status == EXIT_STATUS_SUCCESS, capsys.readouterr().out
