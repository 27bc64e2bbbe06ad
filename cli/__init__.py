"""The admin CLI, an edge beside the pages: it parses a command, calls core, prints the result and
turns a domain error into a message and exit code 1. `python -m cli --help` lists the commands."""
