"""Bounces that carry none of the standard signs, found by GNU Mailman's detectors (stage 1, inbound; pure).

Header rules (`classify`) catch delivery reports, MAILER-DAEMON and the null sender; gateways and
old servers send their bounces as plain mail from addresses such as `imss@` or
`"Mail Router"@`, and one in thirteen of those was taken for a citizen's question. flufl.bounce
knows the bodies of the common servers; it runs only on mail that looks like it could be one (a
delivery-ish subject, a robot or empty sender, a returned message attached), since its seventeen
detectors cost more than the rest of the parse.
"""

from __future__ import annotations

import logging
import re
from email.message import Message

from ..model import InboundMail

log = logging.getLogger(__name__)

SUBJECT = re.compile(
    r"(undeliver|non-?deliver|delivery (status|failure|failed|has failed|notification|problem)|"
    r"mail delivery|returned mail|returning message|failure notice|could not be delivered|"
    r"not (be )?delivered|delivery to the following|message (not delivered|blocked|rejected)|"
    r"awaits moderator|moderator approval|requires approval|was rejected|pesan tidak terkirim|"
    r"gagal (terkirim|dikirim))",
    re.I,
)
# The same words, searched case-sensitively in a lower-cased ASCII subject: IGNORECASE tried the
# whole alternation at every position, five times the cost (SUBJECT is all lower case).
_SUBJECT_LOWER = re.compile(SUBJECT.pattern)
ROBOT_LOCALPARTS = frozenset(
    {
        "mailer-daemon",
        "postmaster",
        "mail-daemon",
        "mailerdaemon",
        "imss",
        "mail router",
        "mailrouter",
        "nobody",
        "smtp",
        "gateway",
        "quarantine",
    }
)
RETURNED_TYPES = frozenset({"message/rfc822", "text/rfc822-headers", "message/rfc822-headers"})


def bounce_subject(subject: str) -> bool:
    """The subject names a delivery problem (SUBJECT finds something in it)."""
    if subject.isascii():
        return _SUBJECT_LOWER.search(subject.lower()) is not None
    return SUBJECT.search(subject) is not None


def local_part(address: str) -> str:
    """The local part without the quotes a `"Mail Router"@host` address wraps it in."""
    return address.rpartition("@")[0].strip('"').strip().lower()


def robot_sender(mail: InboundMail) -> bool:
    """No sender at all, or a sender that is a mail system rather than a person."""
    local = local_part(mail.from_addr)
    return not mail.from_addr or local in ROBOT_LOCALPARTS or local.endswith(("-owner", "-bounces"))


def returns_a_message(mail: InboundMail) -> bool:
    return any(a.content_type in RETURNED_TYPES for a in mail.attachments)


def candidate(mail: InboundMail, embedded: list[Message]) -> bool:
    """Worth asking the detectors: cheap signs only."""
    return (
        bool(embedded)
        or mail.return_path == ""
        or robot_sender(mail)
        or returns_a_message(mail)
        or bounce_subject(mail.subject)
    )


def failed_recipients(msg: Message) -> list[str]:
    """The recipients the detectors find failing (temporarily or for good), lower-case."""
    # Imported at the first bounce candidate: its detectors cost the daemon's start a tenth.
    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(msg)
    except Exception as exc:  # noqa: BLE001 - a detector tripping on odd mail is no verdict
        log.debug("flufl.bounce could not read the mail: %s: %s", type(exc).__name__, exc)
        return []
    found = []
    for raw in sorted(permanent | temporary):
        addr = raw.decode("ascii", "replace").strip().strip("<>").lower()
        if "@" in addr and addr not in found:
            found.append(addr)
    return found[:20]
