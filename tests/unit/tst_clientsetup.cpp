// Unit tests for the setup phase of rd::smtp::ClientSession (clientsetup.cpp):
// STARTTLS per policy (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954/4616), and
// that every failure there is temporary and never leaks the password in clear.

#include "smtp/clientsession.h"

#include <QTest>

using namespace rd::smtp;

namespace {

const QByteArray kGreeting = "220 mx.example.com ESMTP\r\n";
const QByteArray kEhloTls = "250-mx.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n";
const QByteArray kEhloNoTls = "250-mx.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
const QByteArray kEhloAfterTls = "250-mx.example.com\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
const QByteArray kEhloLoginOnly = "250-mx.example.com\r\n250-AUTH LOGIN\r\n250 8BITMIME\r\n";

struct Run {
    QByteArray sent;
    QList<ClientEventKind> events;
    ServerReply failure;
};

Run feed(ClientSession &s, QByteArrayView bytes)
{
    ClientOutput o;
    s.feed(bytes, o);
    Run r;
    r.sent = o.toSend;
    for (const ClientEvent &e : o.events) {
        r.events << e.kind;
        if (e.kind == ClientEventKind::Failed)
            r.failure = e.reply;
    }
    return r;
}

ClientOptions opts(TlsPolicy tls, QByteArray user = {}, QByteArray pass = {})
{
    ClientOptions o;
    o.heloName = "relay.example";
    o.tls = tls;
    o.authUser = std::move(user);
    o.authPassword = std::move(pass);
    return o;
}

} // namespace

class TstClientSetup : public QObject {
    Q_OBJECT
private slots:
    void opportunisticStartsTlsWhenOffered()
    {
        ClientSession s(opts(TlsPolicy::Opportunistic));
        QCOMPARE(feed(s, kGreeting).sent, QByteArray("EHLO relay.example\r\n"));
        QCOMPARE(feed(s, kEhloTls).sent, QByteArray("STARTTLS\r\n"));
        Run r = feed(s, "220 2.0.0 go ahead\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::StartTls});
        QVERIFY(r.sent.isEmpty());
        QVERIFY(s.awaitingReply()); // the handshake is timed like a reply
        ClientOutput o;
        s.tlsEstablished(o);
        QCOMPARE(o.toSend, QByteArray("EHLO relay.example\r\n")); // RFC 3207 4.2: EHLO again
        QVERIFY(s.tlsActive());
        QVERIFY(!s.capabilities().pipelining); // forgotten until the new EHLO
        r = feed(s, kEhloNoTls);
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Ready});
        QVERIFY(s.capabilities().pipelining);
        QCOMPARE(s.startTlsReply().code, 220);
    }

    void opportunisticWithoutOfferGoesPlain()
    {
        ClientSession s(opts(TlsPolicy::Opportunistic));
        feed(s, kGreeting);
        const Run r = feed(s, kEhloNoTls);
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Ready});
        QVERIFY(!s.tlsActive());
    }

    void opportunisticRefusedGoesPlain()
    {
        ClientSession s(opts(TlsPolicy::Opportunistic));
        feed(s, kGreeting);
        feed(s, kEhloTls);
        const Run r = feed(s, "454 4.7.0 TLS not available\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Ready});
        QCOMPARE(s.startTlsReply().code, 454);
    }

    void requiredFailsTemporarilyWithoutOffer()
    {
        ClientSession s(opts(TlsPolicy::Required));
        feed(s, kGreeting);
        const Run r = feed(s, kEhloNoTls);
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QCOMPARE(r.sent, QByteArray("QUIT\r\n"));
        QVERIFY(r.failure.temporary());
        QVERIFY(r.failure.text.contains("does not offer STARTTLS"));
    }

    void requiredFailsWhenRefused()
    {
        ClientSession s(opts(TlsPolicy::Required));
        feed(s, kGreeting);
        feed(s, kEhloTls);
        const Run r = feed(s, "502 5.5.1 no\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QCOMPARE(r.failure.code, 454); // temporary although the server said 5xx: mail stays queued
        QVERIFY(r.failure.text.contains("502 5.5.1 no"));
    }

    void requiredAfterHeloFallbackFails()
    {
        ClientSession s(opts(TlsPolicy::Required));
        feed(s, kGreeting);
        QCOMPARE(feed(s, "502 5.5.2 EHLO not understood\r\n").sent, QByteArray("HELO relay.example\r\n"));
        const Run r = feed(s, "250 mx.example.com\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QVERIFY(r.failure.text.contains("refused EHLO"));
    }

    void plaintextInjectedAfter220IsDiscarded()
    {
        // A man in the middle appends a fake reply after "220": it must not be
        // read as the answer to the EHLO sent after the handshake.
        ClientSession s(opts(TlsPolicy::Opportunistic));
        feed(s, kGreeting);
        feed(s, kEhloTls);
        const Run r = feed(s, "220 go ahead\r\n250-evil\r\n250 AUTH PLAIN\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::StartTls});
        ClientOutput o;
        s.tlsEstablished(o);
        QCOMPARE(o.toSend, QByteArray("EHLO relay.example\r\n"));
        QVERIFY(s.capabilities().authMechanisms.isEmpty());
        QVERIFY(s.awaitingReply());
        QCOMPARE(feed(s, kEhloNoTls).events, QList<ClientEventKind>{ClientEventKind::Ready});
    }

    void authPlainAfterTls()
    {
        ClientSession s(opts(TlsPolicy::Required, "alice", "s3cret"));
        feed(s, kGreeting);
        feed(s, kEhloTls);
        feed(s, "220 go\r\n");
        ClientOutput o;
        s.tlsEstablished(o);
        const Run r = feed(s, kEhloAfterTls);
        const QByteArray token = QByteArray("\0alice\0s3cret", 13).toBase64();
        QCOMPARE(r.sent, "AUTH PLAIN " + token + "\r\n");
        QVERIFY(r.events.isEmpty());
        const Run done = feed(s, "235 2.7.0 Authentication successful\r\n");
        QCOMPARE(done.events, QList<ClientEventKind>{ClientEventKind::Ready});
        QVERIFY(s.authenticated());
        QCOMPARE(s.authMechanism(), QByteArray("PLAIN"));
        QCOMPARE(s.authReply().code, 235);
    }

    void authLoginWhenPlainMissing()
    {
        ClientOptions o = opts(TlsPolicy::None, "bob", "pw");
        o.tlsActive = true; // implicit TLS
        ClientSession s(o);
        feed(s, kGreeting);
        QCOMPARE(feed(s, kEhloLoginOnly).sent, QByteArray("AUTH LOGIN\r\n"));
        QCOMPARE(feed(s, "334 VXNlcm5hbWU6\r\n").sent, QByteArray("Ym9i\r\n"));
        QCOMPARE(feed(s, "334 UGFzc3dvcmQ6\r\n").sent, QByteArray("cHc=\r\n"));
        QCOMPARE(feed(s, "235 ok\r\n").events, QList<ClientEventKind>{ClientEventKind::Ready});
        QCOMPARE(s.authMechanism(), QByteArray("LOGIN"));
    }

    void wrongPasswordIsTemporary()
    {
        ClientOptions o = opts(TlsPolicy::None, "bob", "wrong");
        o.tlsActive = true;
        ClientSession s(o);
        feed(s, kGreeting);
        feed(s, kEhloAfterTls);
        const Run r = feed(s, "535 5.7.8 Authentication credentials invalid\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QCOMPARE(r.failure.code, 454);
        QVERIFY(r.failure.temporary());
        QVERIFY(r.failure.text.contains("535 5.7.8"));
        QVERIFY(!r.failure.text.contains("wrong"));
        QVERIFY(!s.authenticated());
    }

    void neverSendsPasswordInClear()
    {
        // Opportunistic TLS not offered: the password must not go out.
        ClientSession s(opts(TlsPolicy::Opportunistic, "alice", "s3cret"));
        feed(s, kGreeting);
        const Run r = feed(s, kEhloAfterTls); // offers AUTH but no STARTTLS
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QCOMPARE(r.sent, QByteArray("QUIT\r\n"));
        QVERIFY(r.failure.text.contains("not sending the password in clear"));
    }

    void plaintextAuthOnlyWhenAllowed()
    {
        ClientOptions o = opts(TlsPolicy::None, "alice", "s3cret");
        o.allowPlaintextAuth = true;
        ClientSession s(o);
        feed(s, kGreeting);
        QVERIFY(feed(s, kEhloAfterTls).sent.startsWith("AUTH PLAIN "));
    }

    void noUsableMechanism()
    {
        ClientOptions o = opts(TlsPolicy::None, "alice", "s3cret");
        o.tlsActive = true;
        ClientSession s(o);
        feed(s, kGreeting);
        const Run r = feed(s, "250-mx\r\n250 AUTH CRAM-MD5 GSSAPI\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QVERIFY(r.failure.text.contains("offered: CRAM-MD5 GSSAPI"));
    }

    void unexpectedChallengeCancels()
    {
        ClientOptions o = opts(TlsPolicy::None, "alice", "s3cret");
        o.tlsActive = true;
        ClientSession s(o);
        feed(s, kGreeting);
        feed(s, kEhloAfterTls);
        QCOMPARE(feed(s, "334 \r\n").sent, QByteArray("*\r\n"));
        const Run r = feed(s, "501 5.7.0 cancelled\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QVERIFY(!s.authenticated());
    }

    // ---- OAuth 2.0: XOAUTH2 / OAUTHBEARER (RFC 7628) ----

    void oauthAutoPrefersXoauth2()
    {
        ClientOptions o = opts(TlsPolicy::None, "printer@example.com");
        o.tlsActive = true;
        o.oauthToken = "mF_9.B5f-4.1JqM";
        ClientSession s(o);
        feed(s, kGreeting);
        const Run r = feed(s, "250-mx\r\n250 AUTH LOGIN PLAIN XOAUTH2 OAUTHBEARER\r\n");
        QVERIFY(r.sent.startsWith("AUTH XOAUTH2 "));
        const QByteArray ir = QByteArray::fromBase64(r.sent.mid(13).trimmed());
        QCOMPARE(ir, QByteArray("user=printer@example.com\x01" "auth=Bearer mF_9.B5f-4.1JqM\x01\x01"));
        QVERIFY(!r.sent.contains("AUTH PLAIN")); // never the password mechanisms
        const Run ok = feed(s, "235 2.7.0 Authentication successful\r\n");
        QCOMPARE(ok.events, QList<ClientEventKind>{ClientEventKind::Ready});
        QVERIFY(s.authenticated());
        QCOMPARE(s.authMechanism(), QByteArray("XOAUTH2"));
    }

    void oauthBearerWhenOnlyItIsOffered()
    {
        ClientOptions o = opts(TlsPolicy::None, "user@example.com");
        o.tlsActive = true;
        o.oauthToken = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
        o.oauthHost = "server.example.com";
        o.oauthPort = 143;
        ClientSession s(o);
        feed(s, kGreeting);
        const Run r = feed(s, "250-mx\r\n250 AUTH OAUTHBEARER\r\n");
        // RFC 7628 4.1's initial client response.
        QCOMPARE(r.sent, QByteArray("AUTH OAUTHBEARER bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBv"
                                    "cnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9"
                                    "PQEB\r\n"));
    }

    void oauthExplicitMechanismMustBeOffered()
    {
        ClientOptions o = opts(TlsPolicy::None, "a@example.com");
        o.tlsActive = true;
        o.oauthToken = "t";
        o.oauthMechanism = OAuthMechanism::OAuthBearer;
        ClientSession s(o);
        feed(s, kGreeting);
        const Run r = feed(s, "250-mx\r\n250 AUTH LOGIN XOAUTH2\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QCOMPARE(r.failure.code, 454); // temporary: mail stays queued
        QVERIFY(r.failure.text.contains("no AUTH OAUTHBEARER"));
        QVERIFY(!s.authRefused());     // not a token problem: no token refresh for this
        QVERIFY(!r.sent.contains("AUTH XOAUTH2"));
    }

    void oauthErrorChallengeThen535()
    {
        ClientOptions o = opts(TlsPolicy::None, "a@example.com");
        o.tlsActive = true;
        o.oauthToken = "expired-token";
        ClientSession s(o);
        feed(s, kGreeting);
        feed(s, "250-mx\r\n250 AUTH XOAUTH2\r\n");
        // Gmail-style: 334 with base64 {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}.
        const QByteArray challenge =
            QByteArray("{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"https://mail.google.com/\"}").toBase64();
        Run r = feed(s, "334 " + challenge + "\r\n");
        QCOMPARE(r.sent, QByteArray("\r\n")); // XOAUTH2: an empty response ends the exchange
        QVERIFY(r.events.isEmpty());
        r = feed(s, "535 5.7.8 Username and Password not accepted\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QCOMPARE(r.failure.code, 454);
        QVERIFY(r.failure.text.contains("535 5.7.8"));
        QVERIFY(r.failure.text.contains("status=401"));
        QVERIFY(!r.failure.text.contains("expired-token"));
        QVERIFY(s.authRefused());
        QVERIFY(!s.authenticated());
    }

    void oauthBearerErrorChallengeAnsweredWithCtrlA()
    {
        ClientOptions o = opts(TlsPolicy::None, "a@example.com");
        o.tlsActive = true;
        o.oauthToken = "t";
        ClientSession s(o);
        feed(s, kGreeting);
        feed(s, "250-mx\r\n250 AUTH OAUTHBEARER\r\n");
        // RFC 7628 3.2.3: the client answers the error challenge with %x01.
        QCOMPARE(feed(s, "334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=\r\n").sent, QByteArray("AQ==\r\n"));
        QCOMPARE(feed(s, "334 again\r\n").sent, QByteArray("*\r\n")); // a second challenge: cancel
        const Run r = feed(s, "535 5.7.8 no\r\n");
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QVERIFY(r.failure.text.contains("status=invalid_token"));
    }

    void oauthTokenNeverInClear()
    {
        ClientOptions o = opts(TlsPolicy::Opportunistic, "a@example.com");
        o.oauthToken = "secret-token";
        ClientSession s(o);
        feed(s, kGreeting);
        const Run r = feed(s, kEhloNoTls);
        QCOMPARE(r.events, QList<ClientEventKind>{ClientEventKind::Failed});
        QCOMPARE(r.failure.code, 454);
        QVERIFY(!r.sent.contains("AUTH"));
    }
};

QTEST_GUILESS_MAIN(TstClientSetup)
#include "tst_clientsetup.moc"
