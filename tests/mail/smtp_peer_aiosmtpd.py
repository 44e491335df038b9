# An aiosmtpd server for tests/mail/smtp_client_interop_test.ts: STARTTLS (test certificate),
# AUTH PLAIN/LOGIN (alice/secret, required), prints the port, then one JSON line per message
# with the envelope, whether TLS was on, and the content as base64.
import base64, json, socket, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

tls_dir, mode = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(f"{tls_dir}/server.pem", f"{tls_dir}/server.key")


class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({
            "from": envelope.mail_from, "to": envelope.rcpt_tos,
            "tls": session.ssl is not None, "auth": session.authenticated,
            "mail_options": envelope.mail_options,
            "content": base64.b64encode(envelope.original_content).decode(),
        }), flush=True)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"alice" and auth_data.password == b"secret"
    return AuthResult(success=ok)


probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
kwargs = dict(hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=True)
if mode == "notls":
    kwargs.update(auth_required=False)
else:
    kwargs.update(tls_context=ctx, require_starttls=True, auth_required=True)
controller = Controller(Handler(), **kwargs)
controller.start()
print(json.dumps({"port": port}), flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
