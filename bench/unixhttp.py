# SPDX-License-Identifier: LGPL-2.1-or-later
"""A minimal HTTP/1.1 client on one keep-alive unix-socket connection, for
timing skiff's REST API: it records the instant a response is complete, and
never polls (a connect to a listening socket nobody has accepted yet waits
in the backlog, and the request with it)."""

import json
import socket
import time


class HttpError(Exception):
    pass


class Response:
    def __init__(self, status, headers, body, t_complete):
        self.status = status
        self.headers = headers
        self.body = body
        self.t_complete = t_complete     # perf_counter_ns() when the last byte was in

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise HttpError(f'answer is not JSON ({e}): {self.body[:200]!r}') from None


class UnixHttp:
    MAX_HEAD = 64 << 10

    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b''

    def fileno(self):
        return self.sock.fileno()

    def send(self, method, endpoint, body=None):
        data = b'' if body is None else json.dumps(body).encode()
        head = f'{method} /api/v1/{endpoint} HTTP/1.1\r\nHost: localhost\r\n'
        if body is not None:
            head += 'Content-Type: application/json\r\n'
        if body is not None or method in ('PUT', 'POST'):
            head += f'Content-Length: {len(data)}\r\n'
        self.sock.sendall(head.encode() + b'\r\n' + data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise HttpError('the server closed the connection mid-answer')
        self.buf += data

    def read_response(self):
        """Reads one whole response (framed by Content-Length; none for 204)."""
        while b'\r\n\r\n' not in self.buf:
            if len(self.buf) > self.MAX_HEAD:
                raise HttpError('response head too long')
            self._fill()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        parts = lines[0].split(' ', 2)
        if len(parts) < 2 or parts[0] != 'HTTP/1.1' or not parts[1].isdigit():
            raise HttpError(f'bad status line {lines[0]!r}')
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(':')
            if not sep:
                raise HttpError(f'bad header line {line!r}')
            headers[name.strip().lower()] = value.strip()
        if 'content-length' in headers:
            length = int(headers['content-length'])
        elif status == 204 or status == 304 or status < 200:
            length = 0
        else:
            raise HttpError(f'status {status} without Content-Length')
        while len(self.buf) < length:
            self._fill()
        t = time.perf_counter_ns()
        body, self.buf = self.buf[:length], self.buf[length:]
        return Response(status, headers, body, t)

    def request(self, method, endpoint, body=None):
        self.send(method, endpoint, body)
        return self.read_response()

    def close(self):
        self.sock.close()
