"""PST Helpdesk: citizens' mail to a BPS office becomes tickets, answered within the service standard.

The flow, one stage per subpackage:

    inbound/   mailbox (IMAP) -> intake -> parse -> classify
    tickets/   store, spool, numbering, conversation (threading), lifecycle
    outbound/  compose (templates) -> outbox (durable) -> smtp; acknowledge
    routing/   rules -> match -> assign; notify the operator
    relay/     tokens, strip, commands: the operator's reply back to the citizen
    sla/       workdays -> deadlines -> sweep (reminders, escalations, digests) -> scheduler

`pipeline.py` decides the order of steps for each kind of mail; `daemon.py` wires it all.
"""

__version__ = "0.1.0"
