"""`python -m core …`, the CLI's older name: kept so that existing scripts go on working."""

from cli.main import main

raise SystemExit(main())
