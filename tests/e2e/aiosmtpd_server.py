#!/usr/bin/python3
"""tests/e2e/aiosmtpd_server.py - an independent smarthost for interop_test.cc.

Debian's python3-aiosmtpd (1.4.3) on 127.0.0.1, port 0: STARTTLS required, AUTH required (and
only after STARTTLS), one user whose password is the first line of --pass-file. Each accepted
message becomes NNNN.eml (the content exactly as received, after dot-unstuffing) and NNNN.env
(the envelope as "key: value" lines), each written to a temp file and renamed, .eml first.
The bound port goes to --port-file (temp file + rename) once the server listens. Runs until
SIGTERM.

  aiosmtpd_server.py --cert C --key K --user U --pass-file F --outdir D --port-file P
                     [--refuse ADDR]... [--tempfail-data N] [--cram-md5] [--scram-sha-256]
                     [--scram-forge-signature]

--refuse ADDR answers RCPT TO:<ADDR> with 550; --tempfail-data N answers 451 after the first
N DATA transfers; --cram-md5 and --scram-sha-256 also offer AUTH CRAM-MD5 (RFC 2195) and
SCRAM-SHA-256 (RFC 7677); --scram-forge-signature sends a wrong SCRAM server signature (a
client must then give up). The envelope file names the mechanism that authenticated.
"""

import argparse
import asyncio
import hashlib
import hmac
import os
import signal
import ssl
import sys
from base64 import b64decode, b64encode

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Handler:
    def __init__(self, args, password):
        self.args = args
        self.user = args.user.encode()
        self.password = password
        self.count = 0
        self.data_seen = 0

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == self.user and
              hmac.compare_digest(auth_data.password, self.password))
        return AuthResult(success=ok, handled=False, auth_data=f"{mechanism} {self.args.user}")

    # Optional mechanisms, installed as auth_<NAME> by serve(): aiosmtpd offers a handler method
    # auth_X__Y as the AUTH mechanism "X-Y" and calls it with (server, ["X-Y", initial?]).
    async def cram_md5(self, server, args):
        if len(args) != 1:
            await server.push("501 5.5.4 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = f"<{os.getpid()}.{os.urandom(8).hex()}@relay.test>".encode()
        response = await server.challenge_auth(challenge)
        if response is MISSING:
            return AuthResult(success=False, handled=True)  # challenge_auth answered already
        user, _, digest = response.partition(b" ")
        expected = hmac.new(self.password, challenge, "md5").hexdigest()
        ok = user == self.user and hmac.compare_digest(digest, expected.encode())
        return AuthResult(success=ok, handled=False, auth_data=f"CRAM-MD5 {self.args.user}")

    async def scram_sha_256(self, server, args):
        # RFC 5802 / RFC 7677, without channel binding; user and password are plain ASCII.
        first = b64decode(args[1]) if len(args) == 2 else await server.challenge_auth(b"")
        if first is MISSING:
            return AuthResult(success=False, handled=True)
        gs2_flag, authzid, bare = first.split(b",", 2)
        attrs = dict(a.split(b"=", 1) for a in bare.split(b","))
        nonce = attrs[b"r"] + b64encode(os.urandom(18))
        salt, iterations = os.urandom(16), 4096
        server_first = b"r=" + nonce + b",s=" + b64encode(salt) + b",i=" + str(iterations).encode()
        final = await server.challenge_auth(server_first)
        if final is MISSING:
            return AuthResult(success=False, handled=True)
        without_proof, _, proof = final.rpartition(b",p=")
        final_attrs = dict(a.split(b"=", 1) for a in without_proof.split(b","))
        salted = hashlib.pbkdf2_hmac("sha256", self.password, salt, iterations)
        stored_key = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
        auth_message = bare + b"," + server_first + b"," + without_proof
        signature = hmac.digest(stored_key, auth_message, "sha256")
        client_key = bytes(a ^ b for a, b in zip(b64decode(proof), signature))
        ok = (attrs.get(b"n") == self.user and final_attrs.get(b"r") == nonce and
              final_attrs.get(b"c") == b64encode(gs2_flag + b"," + authzid + b",") and
              hmac.compare_digest(hashlib.sha256(client_key).digest(), stored_key))
        if ok:  # server-final, as a last challenge the client answers with an empty line
            server_key = hmac.digest(salted, b"Server Key", "sha256")
            signature = hmac.digest(server_key, auth_message, "sha256")
            if self.args.scram_forge_signature:  # a server that does not know the password
                signature = bytes(len(signature))
            verifier = b"v=" + b64encode(signature)
            if await server.challenge_auth(verifier) is MISSING:
                return AuthResult(success=False, handled=True)
        return AuthResult(success=ok, handled=False, auth_data=f"SCRAM-SHA-256 {self.args.user}")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.args.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_seen += 1
        if self.data_seen <= self.args.tempfail_data:
            return "451 4.3.0 Try again later"
        self.count += 1
        base = os.path.join(self.args.outdir, f"{self.count:04d}")
        tls = session.ssl["ssl_object"].version() if session.ssl else "none"
        lines = [f"mail_from: {envelope.mail_from}",
                 f"mail_options: {' '.join(envelope.mail_options)}"]
        lines += [f"rcpt_to: {r}" for r in envelope.rcpt_tos]
        lines += [f"rcpt_options: {' '.join(envelope.rcpt_options)}",
                  f"auth: {session.auth_data}", f"tls: {tls}",
                  f"peer: {session.peer[0]}:{session.peer[1]}"]
        write_atomically(base + ".eml", envelope.original_content)
        write_atomically(base + ".env", ("\n".join(lines) + "\n").encode())
        return f"250 2.0.0 OK queued as {self.count:04d}"


async def serve(args, password):
    loop = asyncio.get_running_loop()
    mechanisms = {}
    if args.cram_md5:
        mechanisms["auth_CRAM__MD5"] = Handler.cram_md5
    if args.scram_sha_256:
        mechanisms["auth_SCRAM__SHA__256"] = Handler.scram_sha_256
    handler = type("ConfiguredHandler", (Handler,), mechanisms)(args, password)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    def factory():
        return SMTP(handler, loop=loop, hostname="relay.test", tls_context=context,
                    require_starttls=True, auth_required=True, auth_require_tls=True,
                    authenticator=handler.authenticate)

    server = await loop.create_server(factory, host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    write_atomically(args.port_file, f"{port}\n".encode())
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    await stop
    server.close()
    await server.wait_closed()


def main():
    p = argparse.ArgumentParser()
    for flag in ("--cert", "--key", "--user", "--pass-file", "--outdir", "--port-file"):
        p.add_argument(flag, required=True)
    p.add_argument("--refuse", action="append", default=[])
    p.add_argument("--tempfail-data", type=int, default=0)
    p.add_argument("--cram-md5", action="store_true")
    p.add_argument("--scram-sha-256", action="store_true")
    p.add_argument("--scram-forge-signature", action="store_true")
    args = p.parse_args()
    with open(args.pass_file, "rb") as f:
        password = f.readline().rstrip(b"\r\n")
    asyncio.run(serve(args, password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
