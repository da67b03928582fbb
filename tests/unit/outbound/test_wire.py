"""The sending process's SMTP connection reads replies however the server's bytes arrive: one
byte at a time, several replies in one read, replies of several lines; anything else is a drop."""

from __future__ import annotations

import socket
import threading

import pytest

from helpdesk.config import SmtpSettings
from helpdesk.outbound.wire import Connection, Dropped


def scripted_server(after_ehlo: list[bytes]):
    """A server on a loopback socket that greets, answers EHLO, then sends `after_ehlo` piece by
    piece (each its own write: the client reads them cut wherever its reads fall) and closes."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each piece its own segment
        with conn:
            conn.sendall(b"220 siap\r\n")
            conn.recv(1024)  # EHLO
            conn.sendall(b"250-mail.bps.go.id\r\n250-SIZE 1000\r\n250 PIPELINING\r\n")
            for piece in after_ehlo:
                conn.sendall(piece)
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return Connection(SmtpSettings(port=listener.getsockname()[1], timeout=5))


def test_replies_come_whole_however_the_servers_bytes_are_cut_and_several_in_one_read():
    replies = b"250 2.1.0 Ok\r\n250-2.1.5 Ok\r\n250 lanjut\r\n354 End data\r\n"
    split = [replies[i : i + 1] for i in range(len(replies))] + [b"250 a\r\n250 b\r\n421 tutup\r\n"]
    connection = scripted_server(split)
    got = [connection.reply() for _ in range(6)]
    assert connection.features == {"size": "1000", "pipelining": ""}
    assert got == [
        (250, b"2.1.0 Ok"),
        (250, b"2.1.5 Ok\nlanjut"),
        (354, b"End data"),
        (250, b"a"),
        (250, b"b"),
        (421, b"tutup"),
    ]
    with pytest.raises(Dropped, match="closed"):
        connection.reply()
    connection.close(quit=False)


def test_a_line_that_is_no_smtp_reply_is_a_drop():
    connection = scripted_server([b"HTTP/1.1 400 Bad Request\r\n"])
    with pytest.raises(Dropped, match="not an SMTP reply"):
        connection.reply()
    connection.close(quit=False)
