#!/usr/bin/env python3
"""A container-credentials and EC2 instance metadata (IMDSv2) server for testing tailtown-pitr's credential chain,
on loopback only.

usage: credential-server.py AUTHORIZATION

Listens on 127.0.0.1 (a free port, printed on the first line of stdout) and answers:
  GET /container                 container credentials (ECS, EKS Pod Identity); requires the header
                                 Authorization: AUTHORIZATION (401 otherwise)
  PUT /latest/api/token          an IMDSv2 session token; requires X-aws-ec2-metadata-token-ttl-seconds
  GET /latest/meta-data/iam/security-credentials/        the role's name      } require the session token
  GET /latest/meta-data/iam/security-credentials/ROLE    the role's credentials } (401 otherwise)
Each credentials answer issues new keys (ASIATEST + a serial number) expiring `lifetime` seconds from now
(default 3600). Commands on stdin, one a line, each answered with one line on stdout:
  lifetime SECONDS   credentials issued from now on expire this long after issue   -> ok
  delay SECONDS      wait this long before answering credentials (two fetches overlap) -> ok
  counts             credentials issued so far, by endpoint, as JSON {"container": N, "imds": N, "token": N}
It exits when stdin closes.
"""
import datetime, http.server, json, socketserver, sys, threading, time

authorization = sys.argv[1]
lock = threading.Lock()
state = {'lifetime': 3600, 'delay': 0.0, 'serial': 0, 'counts': {'container': 0, 'imds': 0, 'token': 0}, 'tokens': set()}
role = 'tailtown-test-role'

def issue(kind):
    time.sleep(state['delay'])
    with lock:
        state['serial'] += 1
        state['counts'][kind] += 1
        serial, lifetime = state['serial'], state['lifetime']
    expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=lifetime)
    document = {'AccessKeyId': 'ASIATEST%08d' % serial, 'SecretAccessKey': 'secret-%d' % serial, 'Token': 'token-%d' % serial,
                'Expiration': expiration.strftime('%Y-%m-%dT%H:%M:%SZ')}
    if kind == 'imds':
        document.update({'Code': 'Success', 'Type': 'AWS-HMAC', 'LastUpdated': '2026-01-01T00:00:00Z'})
    return json.dumps(document).encode()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def answer(self, status, body=b''):
        self.send_response(status)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        length = int(self.headers.get('Content-Length', '0'))
        if length:
            self.rfile.read(length)
        if self.path != '/latest/api/token' or not self.headers.get('X-aws-ec2-metadata-token-ttl-seconds'):
            return self.answer(400)
        with lock:
            state['counts']['token'] += 1
            token = 'imds-token-%d' % state['counts']['token']
            state['tokens'].add(token)
        self.answer(200, token.encode())

    def do_GET(self):
        if self.path == '/container':
            if self.headers.get('Authorization') != authorization:
                return self.answer(401)
            return self.answer(200, issue('container'))
        folder = '/latest/meta-data/iam/security-credentials/'
        if self.path.startswith(folder):
            with lock:
                known = self.headers.get('X-aws-ec2-metadata-token') in state['tokens']
            if not known:
                return self.answer(401)
            if self.path == folder:
                return self.answer(200, role.encode())
            if self.path == folder + role:
                return self.answer(200, issue('imds'))
        self.answer(404)

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

server = Server(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == 'lifetime':
        state['lifetime'] = int(words[1])
        print('ok', flush=True)
    elif words[0] == 'delay':
        state['delay'] = float(words[1])
        print('ok', flush=True)
    elif words[0] == 'counts':
        with lock:
            print(json.dumps(state['counts']), flush=True)
    else:
        print('unknown command', flush=True)
