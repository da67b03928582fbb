"""Named crash points for the durability tests: HELPDESK_FAILPOINT=<name> kills the process there.

The end-to-end tests prove "a crash at any instant loses nothing and duplicates nothing" by killing
a real daemon with SIGKILL at the instants that matter; without the variable this does nothing.
"""

from __future__ import annotations

import os
import signal


def failpoint(name: str) -> None:
    if os.environ.get("HELPDESK_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
