"""One office mailbox over IMAP: fetch new mail by UID, hand it to the intake, mark it processed (stage 1).

imapclient is blocking: a round (log in, fetch, enter IDLE) runs in a worker thread of the waiter
(inbound/waiter.py), which watches every idling mailbox's socket in one place. The state is the UID
high-water mark (with UIDVALIDITY), never \\Seen: mail someone already read in webmail is still
ingested, and after a long outage every waiting mail is.
"""

from __future__ import annotations

import enum
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timezone
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import join_message_ids
from imapclient.response_parser import parse_fetch_response

from ..config import Office
from ..errors import LocalFault, StoreCorrupt
from ..tickets.atomic import write_atomic
from .failures import imap_failure, refused
from .fetchparse import bodies
from .idle import idle_news, read_idle
from .intake import Fetched, Intake

log = logging.getLogger(__name__)
MAX_BATCH_BYTES = 64 * 1024 * 1024  # a batch of huge mails must not exhaust memory
FIRST_BATCH = 25  # mails in the first batch of a round; each next one twice that
IDLE_RENEW_SECONDS = 24 * 60  # RFC 2177: servers may drop an IDLE after 29 minutes
NETWORK_ERRORS = (OSError, IMAPClientError, TimeoutError, EOFError)
LOCAL_FAULT_RETRY_SECONDS = 5.0  # how often a paused intake tries the data disk again


class Attempt(enum.Enum):
    """What a round left the mailbox waiting for."""

    IDLING = "idling"  # IDLE is open: watch the socket
    POLLING = "polling"  # no IDLE: come back after poll_seconds
    RETRY = "retry"  # the round failed: reconnect after a backoff
    PAUSED = "paused"  # the data disk cannot be written: try again soon, without backoff
    FATAL = "fatal"  # the store cannot be read: the daemon stops


class MailboxWorker:
    """Fetches one office's new mail: `sync()` takes in what waits, `round()` also leaves and
    re-enters IDLE, `attempt()` is a round with its failures caught (what the waiter calls)."""

    def __init__(
        self,
        office: Office,
        intake: Intake,
        on_ingested: Callable[[], None] = lambda: None,
    ) -> None:
        if office.imap is None:
            raise ValueError(f"office {office.code} has no [offices.imap] settings")
        self.office, self.imap, self.intake = office, office.imap, intake
        self.on_ingested = on_ingested
        self.client: IMAPClient | None = None
        self.idling = False  # an IDLE command is open on `client`
        self.fatal: StoreCorrupt | None = None  # set when the store failed under this worker
        self.status_path = intake.app.settings.data_dir / "status" / f"{office.code}.json"
        self.status: dict[str, object] = {"office": office.code}
        self.unread = ""  # why `run_once` could not read the mailbox

    # -- connection ------------------------------------------------------------------------------
    def connect(self) -> IMAPClient:
        s = self.imap
        context = ssl.create_default_context() if s.tls != "none" else None
        client = IMAPClient(s.host, port=s.port, ssl=s.tls == "ssl", ssl_context=context, timeout=s.timeout)
        if s.tls == "starttls":
            client.starttls(context)
        client.normalise_times = False  # keep INTERNALDATE's offset: the server's clock is the truth
        client.login(s.username, s.password)
        self.client, self.idling = client, False
        return client

    def disconnect(self) -> None:
        client, self.client = self.client, None
        idling, self.idling = self.idling, False
        if client is not None:
            try:
                if idling:
                    client.idle_done()
                client.logout()
            except Exception:  # noqa: BLE001 - a dead connection cannot be closed politely
                try:
                    client.shutdown()
                except Exception:  # noqa: BLE001
                    pass

    # -- one round -------------------------------------------------------------------------------
    def sync(self) -> int:
        """Process leftovers, mark handled mail, fetch and ingest everything new; returns mails ingested."""
        client = self.client or self.connect()
        selected = client.select_folder(self.imap.folder)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        flags = [self.imap.processed_flag.encode(), b"\\Seen"]
        if b"\\*" not in selected.get(b"PERMANENTFLAGS", (b"\\*",)):
            flags = [b"\\Seen"]  # the server takes no keywords: \Seen is the best mark we can leave
        self.intake.process_pending(self.office.code)
        store = self.intake.app.store
        with store.lock:
            state = store.mailbox_state(self.office.code)
        last_uid = state.last_uid if state.uidvalidity == uidvalidity else 0
        if state.uidvalidity not in (None, uidvalidity):
            log.warning(
                "UIDVALIDITY of %s changed (%s -> %s): refetching, Message-IDs dedupe",
                self.imap.folder,
                state.uidvalidity,
                uidvalidity,
            )
        self._mark_leftovers(client, uidvalidity, last_uid, flags)
        new = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        ingested = 0
        batches = self._batches(client, new)
        # While one batch is processed, a second thread fetches the next one and writes it to the
        # spool: the IMAP transfer and the file creations (~0.4 ms each on this machine's kernel)
        # no longer wait for the intake, nor the intake for them. The IMAP connection is used by one
        # thread at a time: the worker marks a batch only after the fetch ahead has returned. The
        # intake still spools every batch itself (a no-op for the files already there), so what it
        # commits never depends on this head start.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"fetch-{self.office.code}") as ahead:
            items = self._fetch(client, batches[0]) if batches else []
            for i, batch in enumerate(batches):
                following: Future[list[Fetched]] | None = None
                if i + 1 < len(batches):
                    following = ahead.submit(self._fetch_and_spool, client, batches[i + 1])
                handled = self.intake.ingest(self.office, uidvalidity, items)
                ingested += len(items)
                items = following.result() if following is not None else []
                if handled:
                    client.add_flags(handled, flags, silent=True)
                if len(new) > len(batch):
                    log.info("mailbox %s: %d of %d mails fetched", self.office.code, ingested, len(new))
                self.on_ingested()
        self._record_status(ok=True, ingested=ingested)
        return ingested

    def _fetch(self, client: IMAPClient, batch: list[int]) -> list[Fetched]:
        fetched = fetch_bodies(client, batch)
        return [
            Fetched(uid, data[b"BODY[]"], _aware(data[b"INTERNALDATE"]))
            for uid, data in sorted(fetched.items())
            if b"BODY[]" in data
        ]

    def _fetch_and_spool(self, client: IMAPClient, batch: list[int]) -> list[Fetched]:
        """Fetch a batch and write it to the spool ahead of the intake (runs in the fetch thread).
        A failure ends the round in the worker, as a failure of the intake's own spooling does."""
        items = self._fetch(client, batch)
        self.intake.app.spool.put_inbound_batch([(i.raw, i.received_at) for i in items])
        return items

    def _mark_leftovers(self, client: IMAPClient, uidvalidity: int, last_uid: int, flags: list[bytes]) -> None:
        """Mail handled before a crash, but never marked: mark it now (it is already stored)."""
        if last_uid == 0 or flags == [b"\\Seen"]:
            return
        pending = {e.uid for e in self.intake.app.store.in_flight(self.office.code) if e.uidvalidity == uidvalidity}
        unmarked = [
            u
            for u in client.search(["UID", f"1:{last_uid}", "UNKEYWORD", flags[0].decode()])
            if u <= last_uid and u not in pending
        ]
        if unmarked:
            log.info("marking %d mails stored before an interruption", len(unmarked))
            client.add_flags(unmarked, flags, silent=True)

    def _batches(self, client: IMAPClient, uids: list[int]) -> list[list[int]]:
        """Split by count and by size, so a first fetch of a full mailbox stays within memory.

        The first batches are small (FIRST_BATCH, doubling up to `batch_size`): the first
        acknowledgements go out while the rest of a long backlog is still being taken in.

        Only a mail larger than a batch's share of MAX_BATCH_BYTES can make a batch too big: the
        server names those (SEARCH LARGER) and only their sizes are fetched; any other mail counts
        as the share, its upper bound. Reading every mail's size took the helpdesk 30-60 ms of CPU
        every 1,000 mails (imapclient's parser), for a limit ordinary mail never comes near."""
        if not uids:
            return []
        share = MAX_BATCH_BYTES // self.imap.batch_size
        wanted = set(uids)
        big = [u for u in client.search(["UID", f"{uids[0]}:{uids[-1]}", "LARGER", str(share)]) if u in wanted]
        sizes = client.fetch(big, ["RFC822.SIZE"]) if big else {}
        batches: list[list[int]] = [[]]
        total = 0
        for uid in uids:
            size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", share))
            limit = min(self.imap.batch_size, FIRST_BATCH << (len(batches) - 1))
            if batches[-1] and (len(batches[-1]) >= limit or total + size > MAX_BATCH_BYTES):
                batches.append([])
                total = 0
            batches[-1].append(uid)
            total += size
        return batches

    # -- waiting (the waiter of inbound/waiter.py drives these) ----------------------------------
    @property
    def uses_idle(self) -> bool:
        """IDLE where the settings allow it and the server offers it; else the mailbox is polled."""
        return self.imap.idle and self.client is not None and self.client.has_capability("IDLE")

    def round(self, stop: threading.Event) -> bool:
        """Leave IDLE, take in everything new, and enter IDLE again (runs in a worker thread).

        Returns True when the mailbox now idles (the waiter watches its socket), False when it is
        to be polled. Mail that came while a round ran is not announced again in IDLE: the round
        searches once more before idling and goes on while there is news."""
        if self.client is None:
            self.connect()
        self.end_idle()
        while not stop.is_set():
            self.sync()
            if not self.uses_idle:
                return False
            # imaplib keeps every untagged answer (SELECT's EXISTS among them) until taken: only
            # an EXISTS that comes from here on is news.
            assert self.client is not None  # sync() connected
            for name in ("EXISTS", "RECENT"):
                self.client._imap.untagged_responses.pop(name, None)
            if self._has_new_mail(self.client):
                continue
            if self._start_idle():
                return True
        return False

    def _start_idle(self) -> bool:
        """Enter IDLE; False (and IDLE left again) when news came with the server's go-ahead."""
        client = self.client
        assert client is not None
        client.idle()
        self.idling = True
        # An EXISTS that came with the last search or before IDLE's continuation line is kept by
        # imaplib; lines that came right after it may sit in its read buffer, where no selector sees them.
        early = client._imap.untagged_responses.pop("EXISTS", None)
        if early or idle_news(self.read_idle()):
            self.end_idle()
            return False
        return True

    def end_idle(self) -> None:
        if self.idling and self.client is not None:
            self.idling = False
            self.client.idle_done()

    def read_idle(self) -> list[bytes]:
        """The lines the server sent during IDLE, read without waiting ([] when none came)."""
        assert self.client is not None
        return read_idle(self.client, self.imap.timeout)

    def _has_new_mail(self, client: IMAPClient) -> bool:
        """True when mail beyond the high-water mark came while the last round was running."""
        with self.intake.app.store.lock:
            last_uid = self.intake.app.store.mailbox_state(self.office.code).last_uid
        return any(u > last_uid for u in client.search(["UID", f"{last_uid + 1}:*"]))

    def attempt(self, stop: threading.Event) -> Attempt:
        """One round with its failures caught: what the waiter should do next with this mailbox."""
        try:
            return Attempt.IDLING if self.round(stop) else Attempt.POLLING
        except StoreCorrupt as exc:
            # Retrying cannot mend the store, and writing on would overwrite what a human must
            # look at: the whole daemon stops (exit 3), as it does when this is found at start.
            log.critical("mailbox %s: store cannot be read: %s; stopping the daemon", self.office.code, exc)
            self.fatal = exc
            return Attempt.FATAL
        except LocalFault:
            # The data disk, not the server nor the mail: the store logged it once; try again
            # soon, without backoff, so the mail is ticketed as soon as there is space.
            self.disconnect()
            return Attempt.PAUSED
        except NETWORK_ERRORS as exc:
            self.failed(exc)
        except Exception as exc:  # noqa: BLE001 - one mailbox's failure must never stop the others
            self._record_status(ok=False, error=f"{type(exc).__name__}: {exc}")
            log.exception("mailbox %s: unexpected failure; retrying", self.office.code)
            self.disconnect()
        return Attempt.RETRY

    def failed(self, exc: BaseException) -> None:
        """The connection is lost: record it for `status`, drop it; the waiter retries with backoff."""
        self._record_status(ok=False, error=imap_failure(self.office, exc))
        log.warning("mailbox %s: %s; reconnecting", self.office.code, imap_failure(self.office, exc))
        self.disconnect()

    def run_once(self, attempts: int = 3) -> int:
        """One full round for `run --once`, retried with a short backoff when the connection fails.

        When every attempt failed, `self.unread` says why (`run --once` then exits non-zero)."""
        for attempt in range(1, attempts + 1):
            try:
                self.connect()
                return self.sync()
            except NETWORK_ERRORS as exc:
                self.unread = imap_failure(self.office, exc)
                self._record_status(ok=False, error=self.unread)
                if refused(exc):  # the same password is refused again: no retry
                    log.error("mailbox %s: %s", self.office.code, self.unread)
                    break
                log.warning("mailbox %s: %s (attempt %d of %d)", self.office.code, self.unread, attempt, attempts)
                if attempt < attempts:
                    time.sleep(0.5 * 2 ** (attempt - 1))
            finally:
                self.disconnect()
        return 0

    def _record_status(self, ok: bool, error: str = "", ingested: int = 0) -> None:
        now = self.intake.app.clock.now().isoformat()
        if ok:
            self.status.update(last_ok_at=now, last_ingested=ingested)
        else:
            self.status.update(last_error=error[:300], last_error_at=now)
        try:
            write_atomic(self.status_path, json.dumps(self.status).encode())
        except LocalFault:
            pass  # the store says it once for the whole daemon
        except OSError as exc:
            log.warning("cannot write mailbox status %s: %s", self.status_path, exc)


def fetch_bodies(client: IMAPClient, uids: list[int]) -> dict[int, dict[bytes, Any]]:
    """`client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])`, the answer read by
    inbound.fetchparse when it has the usual shape (imapclient's parser took 0.1 ms a mail)."""
    if not uids:
        return {}
    imap = client._imap  # noqa: SLF001 - imapclient's own fetch, but for the parser
    tag = imap._command("UID", "FETCH", join_message_ids(uids), "(BODY.PEEK[] INTERNALDATE)")  # noqa: SLF001
    typ, data = imap._command_complete("FETCH", tag)  # noqa: SLF001
    client._checkok("fetch", typ, data)  # noqa: SLF001
    typ, data = imap._untagged_response(typ, data, "FETCH")  # noqa: SLF001
    parsed = bodies(data)
    if parsed is None:
        parsed = parse_fetch_response(data, client.normalise_times, client.use_uid)
    wanted = set(uids)  # as imapclient does: an unsolicited answer about another mail is dropped
    return {uid: items for uid, items in parsed.items() if uid in wanted}


def _aware(value: datetime) -> datetime:
    """INTERNALDATE, its offset kept, as a `datetime.timezone` (UTC when it has none).

    imapclient gives its own FixedOffset, a tzinfo written in Python, which every isoformat,
    comparison and astimezone of the mail's times then called into: a tenth of the CPU of the
    thread that records sent mail on its tickets. The same instant and offset, as the store gives
    them back when it reads a time."""
    offset = value.utcoffset()
    return value.replace(tzinfo=UTC if offset is None else timezone(offset))
