// STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN (RFC 4954) in the pure session.
#include "smtp/sasl.h"
#include "smtp/serversession.h"

#include <QTest>

using namespace rd::smtp;

namespace {

struct Fed {
    QByteArray replies;
    std::vector<Action> actions;
};

Fed feed(ServerSession &s, const QByteArray &in)
{
    Output out;
    s.feed(in, out);
    return {out.replies, out.actions};
}

bool hasAction(const Fed &f, ActionKind k)
{
    for (const Action &a : f.actions) {
        if (a.kind == k)
            return true;
    }
    return false;
}

QByteArray actionData(const Fed &f, ActionKind k)
{
    for (const Action &a : f.actions) {
        if (a.kind == k)
            return a.data;
    }
    return {};
}

SessionConfig submission()
{
    SessionConfig c;
    c.hostname = QStringLiteral("mx.test");
    c.tlsAvailable = true;
    c.authAvailable = true;
    c.authRequired = true;
    c.requireTls = true;
    return c;
}

ServerSession started(const SessionConfig &c)
{
    ServerSession s(c);
    Output out;
    s.start(out);
    return s;
}

QByteArray b64(const QByteArray &a)
{
    return a.toBase64();
}

} // namespace

class TestSessionTlsAuth : public QObject {
    Q_OBJECT
private slots:
    void ehloAdvertisesStartTlsButNotAuthBeforeTls()
    {
        ServerSession s = started(submission());
        const Fed f = feed(s, "EHLO c.test\r\n");
        QVERIFY(f.replies.contains("250 STARTTLS\r\n") || f.replies.contains("250-STARTTLS\r\n"));
        QVERIFY(!f.replies.contains("AUTH"));
    }

    void mailNeedsTlsThenAuth()
    {
        ServerSession s = started(submission());
        feed(s, "EHLO c.test\r\n");
        QCOMPARE(feed(s, "MAIL FROM:<a@b.test>\r\n").replies,
                 QByteArray("530 5.7.0 Must issue a STARTTLS command first\r\n"));
        QCOMPARE(feed(s, "AUTH PLAIN " + b64(QByteArray("\0u\0p", 4)) + "\r\n").replies,
                 QByteArray("538 5.7.11 Encryption required for requested authentication mechanism\r\n"));
    }

    void startTlsDiscardsPipelinedInput()
    {
        // CVE-2011-0411: commands pipelined after STARTTLS must never be answered.
        ServerSession s = started(submission());
        feed(s, "EHLO c.test\r\n");
        const Fed f = feed(s, "STARTTLS\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<v@y.test>\r\n");
        QCOMPARE(f.replies, QByteArray("220 2.0.0 Ready to start TLS\r\n"));
        QVERIFY(hasAction(f, ActionKind::StartTls));
        QVERIFY(s.waitingForTls());
        QCOMPARE(feed(s, "NOOP\r\n").replies, QByteArray()); // still plaintext: ignored
        Output out;
        s.tlsStarted(QStringLiteral("TLSv1.3"), QStringLiteral("TLS_AES_256_GCM_SHA384"), out);
        QCOMPARE(out.replies, QByteArray());
        QVERIFY(s.tlsActive());
        QCOMPARE(s.tlsProtocol(), QStringLiteral("TLSv1.3"));
        // Knowledge from before TLS is gone: MAIL without a new EHLO is out of sequence.
        QCOMPARE(feed(s, "MAIL FROM:<a@b.test>\r\n").replies, QByteArray("503 5.5.1 Bad sequence of commands\r\n"));
        const Fed e = feed(s, "EHLO c.test\r\n");
        QVERIFY(!e.replies.contains("STARTTLS"));
        QVERIFY(e.replies.contains("250-AUTH PLAIN LOGIN\r\n") || e.replies.contains("250 AUTH PLAIN LOGIN\r\n"));
        QCOMPARE(feed(s, "STARTTLS\r\n").replies, QByteArray("503 5.5.1 Bad sequence of commands\r\n"));
    }

    void startTlsWithoutCertificate()
    {
        SessionConfig c = submission();
        c.tlsAvailable = false;
        ServerSession s = started(c);
        feed(s, "EHLO c.test\r\n");
        const Fed f = feed(s, "STARTTLS\r\n");
        QCOMPARE(f.replies, QByteArray("454 4.7.0 TLS not available due to temporary reason\r\n"));
        QVERIFY(!hasAction(f, ActionKind::StartTls));
        QCOMPARE(feed(s, "STARTTLS now\r\n").replies.left(3), QByteArray("501"));
    }

    void authPlainInitialResponse()
    {
        SessionConfig c = submission();
        c.tlsActive = true; // implicit TLS
        ServerSession s = started(c);
        feed(s, "EHLO c.test\r\n");
        const Fed f = feed(s, "AUTH PLAIN " + b64(QByteArray("\0alice\0s3cret!", 14)) + "\r\nMAIL FROM:<a@b.test>\r\n");
        QCOMPARE(f.replies, QByteArray()); // waiting for the verdict; MAIL is held
        QCOMPARE(actionData(f, ActionKind::Authenticate), QByteArray("alice\0s3cret!", 13));
        QVERIFY(s.waitingForAuth());
        Output out;
        s.authFinished({AuthOutcome::Success, true}, out);
        QCOMPARE(out.replies, QByteArray("235 2.7.0 Authentication successful\r\n250 2.1.0 Sender OK\r\n"));
        QCOMPARE(s.authenticatedUser(), QByteArray("alice"));
        // Authenticated with relay right: any domain.
        QCOMPARE(feed(s, "RCPT TO:<x@anywhere.example>\r\n").replies, QByteArray("250 2.1.5 Recipient OK\r\n"));
        // A second AUTH is out of sequence (and AUTH inside a transaction too).
        QCOMPARE(feed(s, "AUTH PLAIN =\r\n").replies.left(3), QByteArray("503"));
    }

    void authLoginChallenges()
    {
        SessionConfig c = submission();
        c.tlsActive = true;
        ServerSession s = started(c);
        feed(s, "EHLO c.test\r\n");
        QCOMPARE(feed(s, "AUTH LOGIN\r\n").replies, QByteArray("334 VXNlcm5hbWU6\r\n"));
        QCOMPARE(feed(s, b64("bob") + "\r\n").replies, QByteArray("334 UGFzc3dvcmQ6\r\n"));
        const Fed f = feed(s, b64("hunter2") + "\r\n");
        QCOMPARE(actionData(f, ActionKind::Authenticate), QByteArray("bob\0hunter2", 11));
        Output out;
        s.authFinished({AuthOutcome::Failure, false}, out);
        QCOMPARE(out.replies, QByteArray("535 5.7.8 Authentication credentials invalid\r\n"));
        QVERIFY(s.authenticatedUser().isEmpty());
        // A failed AUTH never grants anything.
        QCOMPARE(feed(s, "MAIL FROM:<a@b.test>\r\n").replies, QByteArray("530 5.7.0 Authentication required\r\n"));
        // ... and a LOGIN that succeeds names the user and lets MAIL through.
        QCOMPARE(feed(s, "AUTH LOGIN " + b64("carol") + "\r\n").replies, QByteArray("334 UGFzc3dvcmQ6\r\n"));
        feed(s, b64("pw") + "\r\n");
        Output ok;
        s.authFinished({AuthOutcome::Success, true}, ok);
        QCOMPARE(s.authenticatedUser(), QByteArray("carol"));
        QCOMPARE(feed(s, "MAIL FROM:<a@b.test>\r\n").replies, QByteArray("250 2.1.0 Sender OK\r\n"));
    }

    void gssapiExchange()
    {
        SessionConfig c = submission();
        c.gssapiAvailable = true;
        ServerSession s = started(c);
        // Never offered before TLS, even where PLAIN is allowed in plaintext.
        QVERIFY(!feed(s, "EHLO c.test\r\n").replies.contains("GSSAPI"));
        Output tls;
        feed(s, "STARTTLS\r\n");
        s.tlsStarted(QStringLiteral("TLSv1.3"), QStringLiteral("TLS_AES_256_GCM_SHA384"), tls);
        QVERIFY(feed(s, "EHLO c.test\r\n").replies.contains("AUTH GSSAPI PLAIN LOGIN\r\n"));
        // No initial response: an empty challenge, then the token arrives on its own line.
        Fed f = feed(s, "AUTH GSSAPI\r\n");
        QVERIFY(hasAction(f, ActionKind::GssapiBegin));
        QCOMPARE(f.replies, QByteArray("334 \r\n"));
        // A Kerberos AP-REQ is larger than 512 octets: 6000 base64 characters pass.
        const QByteArray ticket(4500, 'T');
        f = feed(s, b64(ticket) + "\r\n");
        QCOMPARE(actionData(f, ActionKind::GssapiStep), ticket);
        QVERIFY(s.waitingForAuth());
        Output out;
        s.saslChallenge("server-token", out);
        QCOMPARE(out.replies, "334 " + b64("server-token") + "\r\n");
        // The client answers a token-less round with an empty line.
        f = feed(s, "\r\n");
        QVERIFY(hasAction(f, ActionKind::GssapiStep));
        QCOMPARE(actionData(f, ActionKind::GssapiStep), QByteArray());
        AuthOutcome ok{AuthOutcome::Success, true};
        ok.user = "alice@EXAMPLE.TEST";
        Output done;
        s.authFinished(ok, done);
        QCOMPARE(done.replies, QByteArray("235 2.7.0 Authentication successful\r\n"));
        QCOMPARE(s.authenticatedUser(), QByteArray("alice@EXAMPLE.TEST"));
        // saslChallenge outside an exchange does nothing.
        Output none;
        s.saslChallenge("x", none);
        QVERIFY(none.replies.isEmpty());
    }

    void gssapiCancelAndNotOffered()
    {
        SessionConfig c = submission();
        c.tlsActive = true;
        ServerSession plain = started(c); // GSSAPI not configured
        feed(plain, "EHLO c.test\r\n");
        QCOMPARE(feed(plain, "AUTH GSSAPI " + b64("t") + "\r\n").replies.left(3), QByteArray("504"));
        // Without GSSAPI a 4500-octet line is too long.
        QCOMPARE(feed(plain, "NOOP " + QByteArray(4500, 'x') + "\r\n").replies.left(3), QByteArray("500"));

        c.gssapiAvailable = true;
        ServerSession s = started(c);
        feed(s, "EHLO c.test\r\n");
        Fed f = feed(s, "AUTH GSSAPI " + b64("first") + "\r\n");
        QCOMPARE(actionData(f, ActionKind::GssapiStep), QByteArray("first"));
        Output out;
        s.saslChallenge("more", out);
        QCOMPARE(feed(s, "*\r\n").replies.left(3), QByteArray("501"));
        QVERIFY(s.authenticatedUser().isEmpty());
        QCOMPARE(feed(s, "MAIL FROM:<a@b.test>\r\n").replies.left(3), QByteArray("530"));
    }

    void senderCheckLimitsMailFrom()
    {
        SessionConfig c = submission();
        c.tlsActive = true;
        ServerSession s = started(c);
        feed(s, "EHLO c.test\r\n");
        feed(s, "AUTH PLAIN " + b64(QByteArray("\0erin\0pw", 8)) + "\r\n");
        AuthOutcome ok{AuthOutcome::Success, true};
        ok.restrictSenders = true;
        ok.ownAddresses = {QStringLiteral("erin@example.test"), QStringLiteral("e.smith@example.test")};
        Output out;
        s.authFinished(ok, out);
        QCOMPARE(feed(s, "MAIL FROM:<boss@example.test>\r\n").replies,
                 QByteArray("553 5.7.1 Sender address not owned by the authenticated user\r\n"));
        QCOMPARE(feed(s, "MAIL FROM:<E.Smith@Example.TEST>\r\n").replies, QByteArray("250 2.1.0 Sender OK\r\n"));
        feed(s, "RSET\r\n");
        QCOMPARE(feed(s, "MAIL FROM:<>\r\n").replies, QByteArray("250 2.1.0 Sender OK\r\n"));
    }

    void authWithoutRelayRight()
    {
        SessionConfig c = submission();
        c.tlsActive = true;
        c.authRequired = false;
        ServerSession s = started(c);
        feed(s, "EHLO c.test\r\n");
        feed(s, "AUTH PLAIN " + b64(QByteArray("\0u\0p", 4)) + "\r\n");
        Output out;
        s.authFinished({AuthOutcome::Success, false}, out);
        feed(s, "MAIL FROM:<a@b.test>\r\n");
        QCOMPARE(feed(s, "RCPT TO:<x@anywhere.example>\r\n").replies, QByteArray("554 5.7.1 Relay access denied\r\n"));
    }

    void authErrors_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("reply");
        QTest::newRow("unknown mech") << QByteArray("AUTH CRAM-MD5\r\n") << QByteArray("504 5.5.4 Unrecognized authentication type\r\n");
        QTest::newRow("no mech") << QByteArray("AUTH\r\n") << QByteArray("501 5.5.4 Syntax error in parameters or arguments\r\n");
        QTest::newRow("bad base64") << QByteArray("AUTH PLAIN !!!!\r\n") << QByteArray("501 5.5.2 Cannot decode authentication response\r\n");
        QTest::newRow("plain no nul") << QByteArray("AUTH PLAIN " + QByteArray("useronly").toBase64() + "\r\n")
                                      << QByteArray("501 5.5.2 Cannot decode authentication response\r\n");
        QTest::newRow("plain empty pass") << QByteArray("AUTH PLAIN " + QByteArray("\0u\0", 3).toBase64() + "\r\n")
                                          << QByteArray("501 5.5.2 Cannot decode authentication response\r\n");
        QTest::newRow("cancel") << QByteArray("AUTH LOGIN\r\n*\r\n")
                                << QByteArray("334 VXNlcm5hbWU6\r\n501 5.0.0 Authentication cancelled\r\n");
    }
    void authErrors()
    {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, reply);
        SessionConfig c = submission();
        c.tlsActive = true;
        ServerSession s = started(c);
        feed(s, "EHLO c.test\r\n");
        const Fed f = feed(s, input);
        QCOMPARE(f.replies, reply);
        QVERIFY(!hasAction(f, ActionKind::Authenticate));
    }

    void authDisconnectAndTemporary()
    {
        SessionConfig c = submission();
        c.tlsActive = true;
        ServerSession s = started(c);
        feed(s, "EHLO c.test\r\n");
        feed(s, "AUTH PLAIN " + b64(QByteArray("\0u\0p", 4)) + "\r\n");
        Output out;
        s.authFinished({AuthOutcome::Temporary, false}, out);
        QCOMPARE(out.replies, QByteArray("454 4.7.0 Temporary authentication failure\r\n"));
        feed(s, "AUTH PLAIN " + b64(QByteArray("\0u\0p", 4)) + "\r\n");
        Output out2;
        s.authFinished({AuthOutcome::Disconnect, false}, out2);
        QCOMPARE(out2.replies, QByteArray("421 4.7.0 Too many authentication failures\r\n"));
        QVERIFY(s.closed());
    }

    void plaintextAuthOnlyWhenAllowed()
    {
        SessionConfig c = submission();
        c.requireTls = false;
        c.plaintextAuthAllowed = true; // loopback listener
        ServerSession s = started(c);
        QVERIFY(feed(s, "EHLO c.test\r\n").replies.contains("AUTH PLAIN LOGIN"));
        const Fed f = feed(s, "AUTH PLAIN " + b64(QByteArray("\0u\0p", 4)) + "\r\n");
        QVERIFY(hasAction(f, ActionKind::Authenticate));
    }

    void rejectionsNeverCarryCredentials()
    {
        SessionConfig c = submission();
        c.tlsActive = true;
        ServerSession s = started(c);
        feed(s, "EHLO c.test\r\n");
        Output out;
        s.feed("AUTH PLAIN " + b64(QByteArray("\0alice\0topsecret", 16)) + "\r\n", out);
        Output out2;
        s.authFinished({AuthOutcome::Failure, false}, out2);
        QCOMPARE(int(out2.rejections.size()), 1);
        QVERIFY(!out2.rejections.front().command.contains(b64(QByteArray("\0alice\0topsecret", 16))));
        QVERIFY(!out2.rejections.front().command.contains("topsecret"));
        Output out3;
        s.feed("AUTH LOGIN\r\n" + b64("alice") + "\r\n!!notbase64\r\n", out3);
        for (const Rejection &r : out3.rejections)
            QVERIFY2(!r.command.contains("notbase64"), r.command.constData());
    }

    void saslBase64Strict()
    {
        QCOMPARE(decodeSaslBase64("="), std::optional<QByteArray>(QByteArray()));
        QCOMPARE(decodeSaslBase64("YWJj"), std::optional<QByteArray>(QByteArray("abc")));
        QVERIFY(!decodeSaslBase64("YWJ"));      // not a multiple of 4
        QVERIFY(!decodeSaslBase64("YW=j"));     // padding in the middle
        QVERIFY(!decodeSaslBase64("YW Jj"));    // whitespace
        QVERIFY(!decodeSaslBase64(""));
        QVERIFY(parsePlain(QByteArray("authz\0u\0p", 9)).has_value());
        QVERIFY(!parsePlain(QByteArray("\0u\0p\0x", 6)));
    }
};

QTEST_APPLESS_MAIN(TestSessionTlsAuth)
#include "tst_sessiontlsauth.moc"
