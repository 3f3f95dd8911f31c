#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for testing tailtown-pitr's S3 driver (and its KMS client), on loopback only.

usage: s3-fault-proxy.py UPSTREAM_HOST UPSTREAM_PORT STALL_SECONDS SEED [CERT.pem KEY.pem]

Listens on 127.0.0.1 (a free port, printed on the first line of stdout; HTTPS when a certificate
and key are given) and forwards to the upstream S3 server. Each request takes the next fault from
a queue, else a random one with probability `rate`:
  pass        forward untouched
  503         answer 503 SlowDown without forwarding
  500after    forward (the server applies the request), then answer 500 InternalError
  reset       reset the connection without forwarding
  resetafter  forward, then reset the connection (the answer is lost)
  stall       wait STALL_SECONDS without answering, then reset
  cut         forward, send the headers and half the body, then reset
  403         answer 403 AccessDenied without forwarding
  403:CODE    answer 403 with that error code (SignatureDoesNotMatch, InvalidObjectState...) without forwarding
  nodelete    a DELETE or DeleteObjects answered 403 AccessDenied, anything else forwarded (a role without
              delete permissions: `rate 1 nodelete`)
  nomove      a request for tags or the lifecycle configuration (?tagging, ?lifecycle) answered 403 AccessDenied,
              anything else forwarded (a role without the permissions that move objects between storage classes)
  expired     answer 400 ExpiredToken without forwarding (temporary credentials that ran out; as KMS
              says it, ExpiredTokenException in JSON, to a request with X-Amz-Target)
  501         answer 501 NotImplemented to a request with If-None-Match (else forward)
  norange     forward without the Range and If-Match headers (a server that ignores them)
  wait        hold the request until the `release` command, then forward it (a resumed GET held while the test
              replaces the object)
  nocondition forward without the If-None-Match header (a store that ignores conditional writes and overwrites)
  hostile     answer 400 with an error code, message and reason phrase full of control characters
              (newlines, ESC sequences, BEL, a bidirectional override) and a message of 5000 characters
Commands on stdin, one a line, each answered with one line on stdout:
  rate P [FAULT,FAULT...]   random faults for a fraction P of the requests   -> ok
  queue FAULT,FAULT...      faults for the next requests, in order           -> ok
  hold N                    S3 still thawing: the next N HEAD answers with x-amz-restore say ongoing-request="true",
                            and meanwhile a RestoreObject (POST ?restore) the server answers 200 (moto thaws at once)
                            is answered 409 RestoreAlreadyInProgress                              -> ok
  release                   forward the requests a `wait` fault holds            -> ok
  log                       the requests since the last log, as JSON         -> [...]
                            (method, path, fault, status, range, X-Amz-Target as target,
                            and the signing access key id as key)
It exits when stdin closes.
"""
import http.client, json, os, random, socket, socketserver, ssl, struct, sys, threading, time

upstream_host, upstream_port, stall = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
lock = threading.Lock()
state = {'hold': 0, 'rate': 0.0, 'faults': ['503', '500after', 'reset', 'resetafter', 'stall', 'cut'], 'queue': [], 'log': []}
random.seed(int(sys.argv[4]))
released = threading.Event()

def choose(method, path):
    with lock:
        if state['queue']:
            fault = state['queue'].pop(0)
        elif random.random() < state['rate']:
            fault = random.choice(state['faults'])
        else:
            fault = 'pass'
        return fault

def error_body(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>' % (code, message)).encode()

class Handler(socketserver.StreamRequestHandler):
    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        self.connection.close()

    def reply(self, status, reason, headers, body, head=False):
        lines = ['HTTP/1.1 %d %s' % (status, reason)]
        for name, value in headers:
            if name.lower() in ('transfer-encoding', 'connection', 'content-length'):
                continue
            lines.append('%s: %s' % (name, value))
        lines.append('Content-Length: %s' % (dict((k.lower(), v) for k, v in headers).get('content-length', len(body)) if head else len(body)))
        self.wfile.write(('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1'))
        return body

    def forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection(upstream_host, upstream_port, timeout=60)
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            if name.lower() not in ('connection', 'keep-alive', 'expect'):
                conn.putheader(name, value)
        conn.endheaders(body if body else None)
        response = conn.getresponse()
        data = response.read()
        result = (response.status, response.reason, response.getheaders(), data)
        conn.close()
        return result

    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            method, path, _ = line.decode('latin-1').split(' ', 2)
            headers = []
            while True:
                header = self.rfile.readline().decode('latin-1').rstrip('\r\n')
                if not header:
                    break
                name, value = header.split(':', 1)
                headers.append((name.strip(), value.strip()))
            length = int(dict((k.lower(), v) for k, v in headers).get('content-length', '0'))
            body = self.rfile.read(length) if length else b''
            fault = choose(method, path)
            if fault == 'nodelete' and not (method == 'DELETE' or (method == 'POST' and ('?delete' in path or '&delete' in path))):
                fault = 'pass'  # only deletions are refused
            if fault == 'nodelete':
                fault = '403'
            if fault == 'nomove':
                fault = '403' if any(q in path for q in ('?tagging', '&tagging', '?lifecycle', '&lifecycle')) else 'pass'
            entry = {'method': method, 'path': path, 'fault': fault, 'status': 0,
                     'range': dict((k.lower(), v) for k, v in headers).get('range', ''),
                     'target': dict((k.lower(), v) for k, v in headers).get('x-amz-target', ''),
                     'key': dict((k.lower(), v) for k, v in headers).get('authorization', '').partition('Credential=')[2].partition('/')[0]}
            with lock:
                state['log'].append(entry)
            head = method == 'HEAD'
            if fault == 'reset':
                return self.reset()
            if fault == 'stall':
                time.sleep(stall)
                return self.reset()
            if fault == '503':
                body = error_body('SlowDown', 'Please reduce your request rate.')
                self.wfile.write(self.reply(503, 'Slow Down', [('Content-Type', 'application/xml')], b'' if head else body))
                continue
            if fault == '501' and 'if-none-match' in dict((k.lower(), v) for k, v in headers):
                body = error_body('NotImplemented', 'A header you provided implies functionality that is not implemented')
                self.wfile.write(self.reply(501, 'Not Implemented', [('Content-Type', 'application/xml')], b'' if head else body))
                continue
            if fault == '403' or fault.startswith('403:'):
                code = fault[4:] or 'AccessDenied'
                body = error_body(code, 'Access Denied' if code == 'AccessDenied' else 'Refused with %s by the fault proxy' % code)
                self.wfile.write(self.reply(403, 'Forbidden', [('Content-Type', 'application/xml')], b'' if head else body))
                continue
            if fault == 'expired' and entry['target']:
                # KMS's JSON protocol says it its own way.
                body = b'{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}'
                self.wfile.write(self.reply(400, 'Bad Request', [('Content-Type', 'application/x-amz-json-1.1')], body))
                continue
            if fault == 'expired':
                body = error_body('ExpiredToken', 'The provided token has expired.')
                self.wfile.write(self.reply(400, 'Bad Request', [('Content-Type', 'application/xml')], b'' if head else body))
                continue
            if fault == 'hostile':
                body = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>Hostile\x1b[31mCode</Code><Message>first line&#10;'
                        'forged: second line\r\n\x1b]0;title\x07\u202e\u2028' + 'A' * 5000 + '</Message></Error>').encode()
                self.wfile.write(self.reply(400, 'Bad\x1b[2JRequest', [('Content-Type', 'application/xml')], b'' if head else body))
                continue
            if fault == 'wait':
                released.wait(60)
            if fault == 'norange':
                headers = [(k, v) for k, v in headers if k.lower() not in ('range', 'if-match')]
            if fault == 'nocondition':
                headers = [(k, v) for k, v in headers if k.lower() != 'if-none-match']
            status, reason, response_headers, data = self.forward(method, path, headers, body)
            entry['status'] = status
            with lock:
                if state['hold'] > 0 and head and any(k.lower() == 'x-amz-restore' for k, _ in response_headers):
                    state['hold'] -= 1
                    response_headers = [(k, 'ongoing-request="true"' if k.lower() == 'x-amz-restore' else v) for k, v in response_headers]
                    entry['fault'] = 'hold'
                elif state['hold'] > 0 and method == 'POST' and status == 200 and ('?restore' in path or '&restore' in path):
                    entry['fault'] = 'hold'
                    body = error_body('RestoreAlreadyInProgress', 'Object restore is already in progress')
                    self.wfile.write(self.reply(409, 'Conflict', [('Content-Type', 'application/xml')], body))
                    continue
            if fault == 'resetafter':
                return self.reset()
            if fault == '500after':
                body = error_body('InternalError', 'We encountered an internal error. Please try again.')
                self.wfile.write(self.reply(500, 'Internal Server Error', [('Content-Type', 'application/xml')], b'' if head else body))
                continue
            if fault == 'cut' and len(data) > 1:
                self.reply(status, reason, response_headers, data)
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                return self.reset()
            self.wfile.write(self.reply(status, reason, response_headers, data, head))

class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

server = Server(('127.0.0.1', 0), Handler)
if len(sys.argv) > 6:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[5], sys.argv[6])
    server.socket = context.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_address[1], flush=True)
for command in sys.stdin:
    words = command.split()
    with lock:
        if words[0] == 'rate':
            state['rate'] = float(words[1])
            state['faults'] = words[2].split(',') if len(words) > 2 else state['faults']
        elif words[0] == 'hold':
            state['hold'] = int(words[1])
        elif words[0] == 'release':
            released.set()
        elif words[0] == 'queue':
            state['queue'] = words[1].split(',')
        elif words[0] == 'log':
            log, state['log'] = state['log'], []
            print(json.dumps(log), flush=True)
            continue
    print('ok', flush=True)
