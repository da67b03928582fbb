"""Named crash points for the durability tests: HELPDESK_FAILPOINT=<name> kills the process there.

The end-to-end tests prove "a crash at any instant loses nothing and duplicates nothing" by killing
a real daemon with SIGKILL at the instants that matter; without the variable this does nothing.
"""

from __future__ import annotations

import os
import signal


def failpoint(name: str, daemon: bool = False) -> None:
    """Kill this process at `name`; with `daemon`, the daemon that started it first (a crash of the
    helpdesk at that instant, from inside its SMTP sending process)."""
    if os.environ.get("HELPDESK_FAILPOINT") == name:
        if daemon:
            os.kill(os.getppid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
