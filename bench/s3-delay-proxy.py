#!/usr/bin/env python3
"""An HTTP proxy that adds a fixed delay to every request, for the bench's S3 rows at a distance (loopback only).

usage: s3-delay-proxy.py UPSTREAM_PORT DELAY_MS

Listens on 127.0.0.1 (a free port, printed on the first line of stdout) and forwards each request to the
plain-HTTP server on 127.0.0.1:UPSTREAM_PORT (moto) DELAY_MS milliseconds after it has arrived whole, then
streams the answer back. Each client connection keeps one upstream connection, so keep-alive and the
number of connections are the client's own. After each answer it prints one line on stdout:
  METHOD STATUS BYTES ARRIVED SECONDS PATH
(BYTES: of the answer's body; ARRIVED: the Unix time the request arrived; SECONDS: from then to the answer's
last byte), which the bench counts. Python's standard library only.
"""
import socket, socketserver, sys, threading, time

upstream_port, delay = int(sys.argv[1]), int(sys.argv[2]) / 1000
BLOCK = 1 << 20
log_lock = threading.Lock()


def read_head(stream):
    """The start line and the header lines of a message, or None at the end of the stream."""
    line = stream.readline(65537)
    if not line:
        return None
    headers = []
    while True:
        header = stream.readline(65537)
        if header in (b'\r\n', b'\n', b''):
            return line, headers
        headers.append(header)


def header(headers, name):
    for line in headers:
        key, _, value = line.partition(b':')
        if key.strip().lower() == name:
            return value.strip().decode('latin-1')
    return None


def relay_body(source, destination, headers, no_body, request=False):
    """Copies one message body (Content-Length, chunked, or without either: none in a request, else until the
    end of the stream); returns its size."""
    if no_body:
        return 0
    copied = 0
    if (header(headers, b'transfer-encoding') or '').lower() == 'chunked':
        while True:
            size_line = source.readline(65537)
            destination.write(size_line)
            size = int(size_line.split(b';')[0], 16)
            copied += relay_exact(source, destination, size + 2)  # the data and its CRLF
            if size == 0:  # then trailers until an empty line
                while True:
                    trailer = source.readline(65537)
                    if trailer in (b'\r\n', b'\n', b''):
                        return copied
                    destination.write(trailer)
    length = header(headers, b'content-length')
    if length is not None or request:
        return relay_exact(source, destination, int(length or 0))
    while True:
        data = source.read1(BLOCK)
        if not data:
            return copied
        destination.write(data)
        copied += len(data)


def relay_exact(source, destination, count):
    left = count
    while left > 0:
        data = source.read1(min(left, BLOCK))
        if not data:
            raise ConnectionError('the stream ended %d bytes early' % left)
        destination.write(data)
        left -= len(data)
    return count


class Handler(socketserver.StreamRequestHandler):
    rbufsize = BLOCK

    def handle(self):
        upstream = None
        try:
            while True:
                request = read_head(self.rfile)
                if request is None:
                    return
                line, headers = request
                arrived = time.time()
                method = line.split(b' ', 1)[0].decode('latin-1')
                if (header(headers, b'expect') or '').lower() == '100-continue':
                    # Answered here: the body then comes whole before the delay, as without a proxy it would
                    # come at once.
                    self.wfile.write(b'HTTP/1.1 100 Continue\r\n\r\n')
                    headers = [h for h in headers if h.split(b':', 1)[0].strip().lower() != b'expect']
                body = BodyBuffer()
                relay_body(self.rfile, body, headers, False, request=True)
                time.sleep(delay)
                if upstream is None:
                    upstream = socket.create_connection(('127.0.0.1', upstream_port))
                    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    answers = upstream.makefile('rb', buffering=BLOCK)
                upstream.sendall(line + b''.join(headers) + b'\r\n' + body.data())
                while True:
                    answer = read_head(answers)
                    if answer is None:
                        return
                    status_line, answer_headers = answer
                    status = int(status_line.split(b' ', 2)[1])
                    if status != 100:
                        break
                self.wfile.write(status_line + b''.join(answer_headers) + b'\r\n')
                size = relay_body(answers, self.wfile, answer_headers, method == 'HEAD' or status in (204, 304))
                path = line.split(b' ', 2)[1].decode('latin-1')
                with log_lock:  # one whole line at a time, whatever the threads
                    sys.stdout.write('%s %d %d %.3f %.3f %s\n' % (method, status, size, arrived, time.time() - arrived, path))
                    sys.stdout.flush()
                if (header(answer_headers, b'connection') or '').lower() == 'close':
                    return
        except (ConnectionError, OSError, ValueError, IndexError):
            return
        finally:
            if upstream is not None:
                upstream.close()


class BodyBuffer:
    """A request body held whole (requests through this proxy are GETs and small PUTs and POSTs)."""

    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(data)

    def data(self):
        return b''.join(self.parts)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
