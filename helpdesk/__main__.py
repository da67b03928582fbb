"""`python -m helpdesk` is the `helpdesk` command."""

from .cli import main

raise SystemExit(main())
