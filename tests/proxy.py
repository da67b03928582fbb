"""A loopback TCP proxy that can drop a connection after N bytes from the server (test helper).

`cut_after(n)` makes the next connection that carries more than `n` server bytes die abruptly,
in the middle of whatever the server was sending: an IMAP connection cut mid-fetch.
"""

from __future__ import annotations

import socket
import threading

from helpdesk.demo.dovecot import free_port


class CuttingProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.host, self.port = "127.0.0.1", free_port()
        self._cut_at: int | None = None
        self.cuts = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []

    def start(self) -> CuttingProxy:
        self._listener = socket.create_server((self.host, self.port))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        for s in list(self._open):
            try:
                s.close()
            except OSError:
                pass

    def drop_all(self) -> None:
        """Cut every open connection at once, as a restarted server or a broken network does."""
        with self._lock:
            opened, self._open = self._open, []
        for s in opened:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def cut_after(self, server_bytes: int) -> None:
        with self._lock:
            self._cut_at = server_bytes

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, server]
                self.connections += 1
                limit, self._cut_at = self._cut_at, None
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, limit), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[: max(0, limit - sent)])
                    with self._lock:
                        self.cuts += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
