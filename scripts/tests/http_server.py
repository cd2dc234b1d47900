#!/usr/bin/env python3
"""Test HTTP server for health-check.bats.

Binds 127.0.0.1 on a free port, writes the port to the file named by argv[1], serves until
killed. Paths:
  /ok                200
  /fail              500
  /redirect          301 to /ok (health-check does not follow it)
  /slow/<ms>         sleeps <ms> milliseconds, then 200
  /seq/<name>/<a,b>  statuses a, b, ... in turn, per <name> (cycles), e.g. /seq/x/200,500
  /empty             closes the connection without an answer
"""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_counters: dict[str, int] = {}
_lock = threading.Lock()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: bats shows stderr on failure only
        pass

    def _reply(self, status: int, body: bytes = b"ok\n", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (stdlib name)
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        if parts == ["ok"]:
            self._reply(200)
        elif parts == ["fail"]:
            self._reply(500, b"boom\n")
        elif parts == ["redirect"]:
            self._reply(301, b"", {"Location": "/ok"})
        elif len(parts) == 2 and parts[0] == "slow" and parts[1].isdigit():
            time.sleep(int(parts[1]) / 1000)
            try:
                self._reply(200)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout), as expected
        elif len(parts) == 3 and parts[0] == "seq":
            statuses = [int(s) for s in parts[2].split(",")]
            with _lock:
                n = _counters.get(parts[1], 0)
                _counters[parts[1]] = n + 1
            self._reply(statuses[n % len(statuses)])
        elif parts == ["empty"]:
            self.close_connection = True
            self.connection.close()
        else:
            self._reply(404, b"not found\n")

def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))

    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()

if __name__ == "__main__":
    main()
