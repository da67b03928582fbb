"""The sending process's session sends a run of mails, a mail's text and the next mail's commands
in one write when the server offers PIPELINING (RFC 2920), and reads the replies in bulk, each
matched to its mail; a server without PIPELINING gets one command at a time (against aiosmtpd)."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import threading

import pytest

from helpdesk.config import SmtpSettings
from helpdesk.demo.sink import SmtpSink
from helpdesk.errors import DeliveryFailure, PermanentFailure, TemporaryFailure
from helpdesk.outbound.journal import SentJournal
from helpdesk.outbound.sending import Mail, send_batch
from helpdesk.outbound.session import SmtpSession


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def sink(request):
    server = SmtpSink(pipelining=request.param).start()
    yield server
    server.stop()


def mail(n: int, *to: str) -> Mail:
    raw = f"Subject: surat {n}\r\nMessage-ID: <t{n}@bps.go.id>\r\n\r\n.titik {n}\r\nhalo\r\n"
    return Mail(f"<t{n}@bps.go.id>", "bps3576@bps.go.id", list(to or [f"warga{n}@example.org"]), raw)


def session(port: int) -> SmtpSession:
    return SmtpSession(SmtpSettings(port=port, timeout=5))


def writes_counted(s: SmtpSession) -> list[bytes]:
    written: list[bytes] = []
    inner = s._write

    def write(pieces: list[bytes]) -> None:
        written.append(b"".join(pieces))
        inner(pieces)

    s._write = write  # type: ignore[method-assign]
    return written


def test_with_pipelining_a_mail_costs_one_write_its_text_going_with_the_next_mails_commands(smtp_sink):
    s = session(smtp_sink.port)
    written = writes_counted(s)
    outcomes = list(s.send_many([mail(n) for n in range(5)]))
    s.close()
    assert [m.message_id for m, _ in outcomes] == [f"<t{n}@bps.go.id>" for n in range(5)]
    assert all(isinstance(answer, str) and "accepted" in answer for _, answer in outcomes)
    assert len(written) == 6  # the first mail's commands, then each text with the next one's
    text = mail(0).raw.encode().replace(b"\n.", b"\n..") + b".\r\n"  # its leading dot doubled, the end
    commands = f"MAIL FROM:<bps3576@bps.go.id> SIZE={len(mail(1).raw)}\r\nRCPT TO:<warga1@example.org>\r\nDATA\r\n"
    assert written[1] == text + commands.encode()
    # Each mail arrives whole and in order, its leading dot undoubled.
    assert [m.data for m in smtp_sink.messages] == [mail(n).raw.encode() for n in range(5)]


def test_without_pipelining_each_command_waits_for_its_reply(tmp_path):
    sink = SmtpSink(pipelining=False).start()
    try:
        s = session(sink.port)
        written = writes_counted(s)
        outcomes = list(s.send_many([mail(n) for n in range(3)]))
        s.close()
    finally:
        sink.stop()
    assert all(isinstance(answer, str) for _, answer in outcomes)
    assert len(written) == 3 * 4  # MAIL, RCPT, DATA, the text: one by one
    assert [m.data for m in sink.messages] == [mail(n).raw.encode() for n in range(3)]


def test_refusals_in_the_middle_of_a_run_fail_their_own_mail_only(sink):
    sink.reject_recipient("hilang@example.org", code=550)
    sink.reject_recipient("penuh@example.org", code=452)
    handler = sink.handler
    inner = handler.handle_DATA

    async def handle_DATA(server, session, envelope):  # noqa: N802, ANN001
        if b"surat 3" in envelope.content:
            return "451 4.3.0 coba lagi"
        return await inner(server, session, envelope)

    handler.handle_DATA = handle_DATA
    s = session(sink.port)
    runs = [
        mail(0),
        mail(1, "hilang@example.org"),  # its only recipient refused: no text
        mail(2, "warga2@example.org", "penuh@example.org"),  # one of two refused: the text goes to the other
        mail(3),  # the text refused
        mail(4),
    ]
    outcomes = dict((m.message_id, outcome) for m, outcome in s.send_many(runs))
    s.close()
    assert list(outcomes) == [m.message_id for m in runs]
    assert isinstance(outcomes["<t0@bps.go.id>"], str) and isinstance(outcomes["<t4@bps.go.id>"], str)
    first, second, third = (outcomes[f"<t{n}@bps.go.id>"] for n in (1, 2, 3))
    assert isinstance(first, PermanentFailure) and first.code == 550 and first.refused is None
    assert isinstance(second, TemporaryFailure) and second.refused == ["penuh@example.org"]
    assert isinstance(third, TemporaryFailure) and third.code == 451 and third.refused is None
    assert [m.rcpt_tos for m in sink.messages] == [
        ["warga0@example.org"],
        ["warga2@example.org"],
        ["warga4@example.org"],
    ]


def test_a_session_dropped_in_the_middle_fails_the_mail_in_hand_and_leaves_the_rest_untried(sink):
    handler = sink.handler
    inner = handler.handle_DATA

    async def handle_DATA(server, session, envelope):  # noqa: N802, ANN001
        if b"surat 1" in envelope.content:
            server.transport.close()  # the server goes down before it answers the text
            return "451 never heard"
        return await inner(server, session, envelope)

    handler.handle_DATA = handle_DATA
    s = session(sink.port)
    first = list(s.send_many([mail(n) for n in range(4)]))
    del handler.handle_DATA
    again = list(s.send_many([mail(n) for n in range(2, 4)]))  # the next batch opens a new session
    s.close()
    assert [m.message_id for m, _ in first] == ["<t0@bps.go.id>", "<t1@bps.go.id>"]
    dropped = first[1][1]
    assert isinstance(dropped, TemporaryFailure) and dropped.unreachable
    assert all(isinstance(answer, str) for _, answer in again)
    assert [str(m.message["Subject"]) for m in sink.messages] == ["surat 0", "surat 2", "surat 3"]


def test_a_server_closing_with_421_fails_that_mail_and_the_next_goes_over_a_new_session(sink):
    handler = sink.handler
    inner = handler.handle_DATA
    greeted = []
    ehlo = handler.handle_EHLO

    async def handle_EHLO(server, session, envelope, hostname, responses):  # noqa: N802, ANN001
        greeted.append(hostname)
        return await ehlo(server, session, envelope, hostname, responses)

    async def handle_DATA(server, session, envelope):  # noqa: N802, ANN001
        if b"surat 1" in envelope.content:
            return "421 4.3.2 Service shutting down"
        return await inner(server, session, envelope)

    handler.handle_DATA, handler.handle_EHLO = handle_DATA, handle_EHLO
    s = session(sink.port)
    outcomes = list(s.send_many([mail(n) for n in range(4)]))
    s.close()
    closing = outcomes[1][1]
    assert isinstance(closing, TemporaryFailure) and closing.code == 421 and not closing.unreachable
    assert [isinstance(o, DeliveryFailure) for _, o in outcomes] == [False, True, False, False]
    assert len(greeted) == 2
    assert [str(m.message["Subject"]) for m in sink.messages] == ["surat 0", "surat 2", "surat 3"]


def test_the_caller_can_stop_between_mails_and_the_mail_begun_is_finished(sink):
    s = session(sink.port)
    asked = []

    def go_on() -> bool:
        asked.append(1)
        return len(asked) <= 2

    outcomes = list(s.send_many([mail(n) for n in range(4)], go_on))
    s.close()
    assert [m.message_id for m, _ in outcomes] == ["<t0@bps.go.id>", "<t1@bps.go.id>"]
    assert all(isinstance(answer, str) for _, answer in outcomes) and len(sink.messages) == 2


def test_the_lanes_take_turns_and_an_unreachable_server_stops_the_others_after_the_mail_in_hand(sink, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    sessions = [session(sink.port), session(dead)]
    lanes = [[mail(0), mail(1), mail(2)], [mail(3), mail(4)]]
    out = io.BytesIO()
    untried = send_batch(lanes, sessions, SentJournal(tmp_path / "sent"), threading.Event(), out)
    sessions[0].close()
    answers = {a["id"]: a for a in map(json.loads, out.getvalue().splitlines())}
    # The first lane had begun its first mail when the second found no server: it finishes that
    # one, tries no other; the journal holds what the server took.
    assert answers["<t0@bps.go.id>"]["kind"] == "sent" and answers["<t3@bps.go.id>"]["unreachable"]
    assert sorted(m.message_id for m in untried) == ["<t1@bps.go.id>", "<t2@bps.go.id>", "<t4@bps.go.id>"]
    assert SentJournal(tmp_path / "sent").accepted() == {"<t0@bps.go.id>"} and len(sink.messages) == 1


def test_a_lane_whose_server_stays_silent_times_out_while_the_others_go_on(smtp_sink, tmp_path):
    handler = smtp_sink.handler
    inner = handler.handle_DATA
    silent = asyncio.Event()

    async def handle_DATA(server, session, envelope):  # noqa: N802, ANN001
        if b"surat 0" in envelope.content:
            await silent.wait()  # this session's text is never answered
        return await inner(server, session, envelope)

    handler.handle_DATA = handle_DATA
    sessions = [SmtpSession(SmtpSettings(port=smtp_sink.port, timeout=1)) for _ in range(2)]
    lanes = [[mail(0), mail(1)], [mail(2), mail(3), mail(4)]]
    out = io.BytesIO()
    try:
        untried = send_batch(lanes, sessions, SentJournal(tmp_path / "sent"), threading.Event(), out)
    finally:
        smtp_sink.controller.loop.call_soon_threadsafe(silent.set)
        sessions[1].close()
    answers = {a["id"]: a for a in map(json.loads, out.getvalue().splitlines())}
    assert answers["<t0@bps.go.id>"]["unreachable"] and "in time" in answers["<t0@bps.go.id>"]["error"]
    assert [answers[f"<t{n}@bps.go.id>"]["kind"] for n in (2, 3, 4)] == ["sent"] * 3
    assert [m.message_id for m in untried] == ["<t1@bps.go.id>"]
