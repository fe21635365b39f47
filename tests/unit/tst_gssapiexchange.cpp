// SASL GSSAPI (RFC 4752), server side (auth/gssapiexchange.h), against a real
// MIT Kerberos KDC: tests/integration/kdcserver.py starts krb5kdc on 127.0.0.1
// and a free port in a temp folder (realm EXAMPLE.TEST, keytabs for
// smtp/mail.example.test, users with tickets from kinit). This test plays the
// client itself with gss_init_sec_context/gss_wrap/gss_unwrap (MIT's GSS-API,
// independent of the code under test), with the users' ticket caches named per
// credential (cred_store "ccache"); the acceptor gets the keytab path only.
// Needs krb5-kdc, krb5-admin-server and krb5-user (scripts/deps.sh).

#include "auth/gssapiexchange.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

using namespace rd::auth;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");
const QString kKrb5kdc = QStringLiteral("/usr/sbin/krb5kdc");
const QString kService = QStringLiteral("smtp/mail.example.test@EXAMPLE.TEST");
const QString kOtherService = QStringLiteral("smtp/other.example.test@EXAMPLE.TEST");
const QString kTarget = QStringLiteral("smtp@mail.example.test");       // what a client asks for
const QString kOtherTarget = QStringLiteral("smtp@other.example.test");
constexpr OM_uint32 kDefaultFlags = GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_REPLAY_FLAG;

QString gssText(OM_uint32 major, OM_uint32 minor)
{
    QString out;
    for (auto [code, type] : {std::pair{major, GSS_C_GSS_CODE}, std::pair{minor, GSS_C_MECH_CODE}}) {
        OM_uint32 ctx = 0, m = 0;
        do {
            gss_buffer_desc b{0, nullptr};
            if (GSS_ERROR(gss_display_status(&m, code, type, GSS_C_NO_OID, &ctx, &b)))
                break;
            out += QString::fromUtf8(static_cast<const char *>(b.value), int(b.length)) + QLatin1Char(' ');
            gss_release_buffer(&m, &b);
        } while (ctx);
    }
    return out.trimmed();
}

// The client side, with MIT's GSS-API directly (not the code under test).
class GssClient {
public:
    ~GssClient()
    {
        OM_uint32 m = 0;
        if (m_ctx != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&m, &m_ctx, GSS_C_NO_BUFFER);
        if (m_target != GSS_C_NO_NAME)
            gss_release_name(&m, &m_target);
        if (m_cred != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&m, &m_cred);
    }

    // Initiator credential from `ccache` (a FILE: ticket cache), target "service@host".
    bool start(const QString &ccache, const QString &target, OM_uint32 flags = kDefaultFlags)
    {
        m_flags = flags;
        OM_uint32 minor = 0;
        const QByteArray cc = ccache.toUtf8();
        gss_key_value_element_desc element{"ccache", cc.constData()};
        gss_key_value_set_desc store{1, &element};
        gss_OID_set_desc mechs{1, gss_mech_krb5};
        OM_uint32 major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                                                &store, &m_cred, nullptr, nullptr);
        if (GSS_ERROR(major))
            return setError(QStringLiteral("client acquire_cred"), major, minor);
        const QByteArray t = target.toUtf8();
        gss_buffer_desc in{size_t(t.size()), const_cast<char *>(t.constData())};
        major = gss_import_name(&minor, &in, GSS_C_NT_HOSTBASED_SERVICE, &m_target);
        if (GSS_ERROR(major))
            return setError(QStringLiteral("client import_name"), major, minor);
        return true;
    }

    // One gss_init_sec_context call with the server's token (empty at first).
    bool next(const QByteArray &serverToken, QByteArray *out)
    {
        OM_uint32 minor = 0, retFlags = 0;
        gss_buffer_desc in{size_t(serverToken.size()), const_cast<char *>(serverToken.constData())};
        gss_buffer_desc o{0, nullptr};
        const OM_uint32 major = gss_init_sec_context(&minor, m_cred, &m_ctx, m_target, gss_mech_krb5, m_flags, 0,
                                                     GSS_C_NO_CHANNEL_BINDINGS,
                                                     serverToken.isEmpty() ? GSS_C_NO_BUFFER : &in, nullptr, &o,
                                                     &retFlags, nullptr);
        *out = QByteArray(static_cast<const char *>(o.value), qsizetype(o.length));
        gss_release_buffer(&minor, &o);
        if (GSS_ERROR(major))
            return setError(QStringLiteral("client init_sec_context"), major, minor);
        m_established = !(major & GSS_S_CONTINUE_NEEDED);
        m_retFlags = retFlags;
        return true;
    }

    bool unwrap(const QByteArray &token, QByteArray *plain, int *confState)
    {
        OM_uint32 minor = 0;
        gss_buffer_desc in{size_t(token.size()), const_cast<char *>(token.constData())};
        gss_buffer_desc o{0, nullptr};
        const OM_uint32 major = gss_unwrap(&minor, m_ctx, &in, &o, confState, nullptr);
        *plain = QByteArray(static_cast<const char *>(o.value), qsizetype(o.length));
        gss_release_buffer(&minor, &o);
        if (GSS_ERROR(major))
            return setError(QStringLiteral("client unwrap"), major, minor);
        return true;
    }

    bool wrap(const QByteArray &plain, bool conf, QByteArray *token)
    {
        OM_uint32 minor = 0;
        gss_buffer_desc in{size_t(plain.size()), const_cast<char *>(plain.constData())};
        gss_buffer_desc o{0, nullptr};
        const OM_uint32 major = gss_wrap(&minor, m_ctx, conf ? 1 : 0, GSS_C_QOP_DEFAULT, &in, nullptr, &o);
        *token = QByteArray(static_cast<const char *>(o.value), qsizetype(o.length));
        gss_release_buffer(&minor, &o);
        if (GSS_ERROR(major))
            return setError(QStringLiteral("client wrap"), major, minor);
        return true;
    }

    bool established() const { return m_established; }
    OM_uint32 retFlags() const { return m_retFlags; }
    QString error() const { return m_error; }

private:
    bool setError(const QString &what, OM_uint32 major, OM_uint32 minor)
    {
        m_error = what + QStringLiteral(": ") + gssText(major, minor);
        return false;
    }

    gss_cred_id_t m_cred = GSS_C_NO_CREDENTIAL;
    gss_name_t m_target = GSS_C_NO_NAME;
    gss_ctx_id_t m_ctx = GSS_C_NO_CONTEXT;
    OM_uint32 m_flags = 0;
    OM_uint32 m_retFlags = 0;
    bool m_established = false;
    QString m_error;
};

// What the client saw up to the server's security layer offer.
struct OfferTrace {
    QList<GssapiStep::Kind> kinds;  // the server's answers, in order
    QByteArray firstToken;          // the client's AP-REQ
    QByteArray offerPlain;          // the unwrapped offer
    int offerConf = -1;             // conf_state of the offer's wrap token
    bool emptyResponseSent = false; // the client answered an AP-REP with an empty response
};

// The client layer choice: "\x01" + max size 0 + authzid.
QByteArray layerChoice(char layer, const QByteArray &authzid = {})
{
    return QByteArray(1, layer) + QByteArray(3, '\0') + authzid;
}

} // namespace

class TstGssapiExchange : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void succeeds_data();
    void succeeds();
    void delegatedCredentialsAreDropped();
    void confidentialReplyIsFine();
    void interleavedExchangesWithDifferentKeytabs();
    void anyKeyVersusNamedPrincipal();

    void wrongKeytab_data();
    void wrongKeytab();
    void garbageTokens_data();
    void garbageTokens();
    void emptyFirstToken();
    void securityLayerOtherThanNone_data();
    void securityLayerOtherThanNone();
    void badAuthzid_data();
    void badAuthzid();
    void unwrappedOrShortReply();
    void dataWhereEmptyResponseExpected();
    void replayedTokenIsRefused();
    void stepsAfterDoneOrFailed();
    void tooLargeToken();

    void keytabProblem_data();
    void keytabProblem();

private:
    // Client `ccacheUser` authenticates against `ex` up to the offer; false + QTest failure text in *why.
    bool runToOffer(GssapiExchange &ex, GssClient &client, OfferTrace *trace, GssapiStep *offer, QString *why);
    GssapiStep fullExchange(const QString &user, const QString &keytab, const QString &servicePrincipal,
                            const QByteArray &authzid, OM_uint32 flags = kDefaultFlags,
                            const QString &target = kTarget);
    QString ccache(const QString &user) const { return m_info.value(QStringLiteral("ccaches")).toObject().value(user).toString(); }
    QString path(const char *key) const { return m_info.value(QLatin1String(key)).toString(); }

    QProcess *m_kdc = nullptr;
    QJsonObject m_info;
    QTemporaryDir m_tmp;
};

void TstGssapiExchange::initTestCase()
{
    if (!QFile::exists(kKrb5kdc))
        QFAIL("krb5kdc not found at /usr/sbin/krb5kdc: run scripts/deps.sh (krb5-kdc krb5-admin-server krb5-user)");
    QVERIFY(m_tmp.isValid());
    const QString script = QFINDTESTDATA("../integration/kdcserver.py");
    QVERIFY2(QFile::exists(script), "tests/integration/kdcserver.py not found");
    m_kdc = new QProcess(this);
    m_kdc->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_kdc->start(kPython, {script, QStringLiteral("--kinit"), QStringLiteral("alice"), QStringLiteral("--kinit"),
                           QStringLiteral("dave"), QStringLiteral("--kinit"), QStringLiteral("bob"),
                           QStringLiteral("--stop-on-eof")});
    QVERIFY2(m_kdc->waitForStarted(5000), qPrintable(m_kdc->errorString()));
    QByteArray out;
    QVERIFY2(QTest::qWaitFor([&] {
                 out += m_kdc->readAllStandardOutput();
                 return out.contains('\n') || m_kdc->state() == QProcess::NotRunning;
             }, 60000),
             "kdcserver.py did not print ready within 60 s");
    QVERIFY2(out.startsWith("ready "), out.constData());
    QJsonParseError perr;
    m_info = QJsonDocument::fromJson(out.mid(6).trimmed(), &perr).object();
    QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(perr.errorString()));
    QCOMPARE(m_info.value(QStringLiteral("service_principal")).toString(), kService);
    QVERIFY(!ccache(QStringLiteral("alice")).isEmpty());

    // Client and acceptor read the harness's krb5.conf (realm -> 127.0.0.1:port, no DNS).
    // The acceptor gets its keytab per exchange; KRB5_KTNAME stays unset on purpose so a
    // default keytab can never stand in for the one passed.
    qputenv("KRB5_CONFIG", path("krb5_conf").toLocal8Bit());
    qputenv("KRB5RCACHEDIR", path("rcache_dir").toLocal8Bit());
    qunsetenv("KRB5_KTNAME");
    qunsetenv("KRB5CCNAME");
}

void TstGssapiExchange::cleanupTestCase()
{
    if (m_kdc) {
        m_kdc->closeWriteChannel(); // --stop-on-eof: stops krb5kdc, removes the temp folder
        if (!m_kdc->waitForFinished(15000))
            m_kdc->kill();
    }
}

bool TstGssapiExchange::runToOffer(GssapiExchange &ex, GssClient &client, OfferTrace *trace, GssapiStep *offer,
                                   QString *why)
{
    QByteArray token;
    if (!client.next({}, &token)) {
        *why = client.error();
        return false;
    }
    trace->firstToken = token;
    GssapiStep s = ex.step(token);
    trace->kinds << s.kind;
    // Context tokens until the client's side is established too.
    while (s.kind == GssapiStep::Continue && !client.established()) {
        if (!client.next(s.challenge, &token)) {
            *why = client.error();
            return false;
        }
        if (client.established() && !token.isEmpty()) {
            *why = QStringLiteral("client produced a token after establishing");
            return false;
        }
        trace->emptyResponseSent = token.isEmpty();
        s = ex.step(token);
        trace->kinds << s.kind;
    }
    *offer = s;
    if (s.kind != GssapiStep::Continue) {
        *why = QStringLiteral("server did not send an offer: ") + s.error;
        return false;
    }
    if (!client.unwrap(s.challenge, &trace->offerPlain, &trace->offerConf)) {
        *why = client.error();
        return false;
    }
    return true;
}

GssapiStep TstGssapiExchange::fullExchange(const QString &user, const QString &keytab, const QString &servicePrincipal,
                                           const QByteArray &authzid, OM_uint32 flags, const QString &target)
{
    GssapiExchange ex(keytab, servicePrincipal);
    GssClient client;
    GssapiStep failed;
    failed.kind = GssapiStep::Failed;
    if (!client.start(ccache(user), target, flags)) {
        failed.error = QStringLiteral("TEST CLIENT: ") + client.error();
        return failed;
    }
    QByteArray token;
    if (!client.next({}, &token)) {
        failed.error = QStringLiteral("TEST CLIENT: ") + client.error();
        return failed;
    }
    GssapiStep s = ex.step(token);
    while (s.kind == GssapiStep::Continue && !client.established()) {
        if (!client.next(s.challenge, &token)) {
            failed.error = QStringLiteral("TEST CLIENT: ") + client.error();
            return failed;
        }
        s = ex.step(token);
    }
    if (s.kind != GssapiStep::Continue)
        return s;
    QByteArray plain;
    int conf = -1;
    if (!client.unwrap(s.challenge, &plain, &conf) || !client.wrap(layerChoice(0x01, authzid), false, &token)) {
        failed.error = QStringLiteral("TEST CLIENT: ") + client.error();
        return failed;
    }
    return ex.step(token);
}

// ------------------------------------------------------------------ success

void TstGssapiExchange::succeeds_data()
{
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("keytabKey");
    QTest::addColumn<QString>("keytabPrefix");
    QTest::addColumn<QString>("servicePrincipal");
    QTest::addColumn<uint>("flags");
    QTest::addColumn<QByteArray>("authzid");

    const uint noMutual = GSS_C_SEQUENCE_FLAG;
    QTest::newRow("alice, mutual, no authzid") << "alice" << "keytab" << "" << kService << uint(kDefaultFlags) << QByteArray();
    QTest::newRow("alice, authzid alice") << "alice" << "keytab" << "" << kService << uint(kDefaultFlags) << QByteArray("alice");
    QTest::newRow("dave, utf-8 authzid") << "dave" << "keytab" << "" << kService << uint(kDefaultFlags)
                                         << QByteArray("j\xc3\xbcrgen@example.test");
    QTest::newRow("no mutual auth") << "alice" << "keytab" << "" << kService << noMutual << QByteArray("x");
    QTest::newRow("no flags at all") << "bob" << "keytab" << "" << kService << 0u << QByteArray();
    QTest::newRow("any key in keytab") << "alice" << "keytab" << "" << QString() << uint(kDefaultFlags) << QByteArray();
    QTest::newRow("host-based service name") << "alice" << "keytab" << "" << QStringLiteral("smtp@mail.example.test")
                                             << uint(kDefaultFlags) << QByteArray();
    QTest::newRow("principal without realm") << "alice" << "keytab" << "" << QStringLiteral("smtp/mail.example.test")
                                             << uint(kDefaultFlags) << QByteArray();
    QTest::newRow("FILE: keytab name") << "alice" << "keytab" << "FILE:" << kService << uint(kDefaultFlags) << QByteArray();
    QTest::newRow("combined keytab, named") << "alice" << "combined_keytab" << "" << kService << uint(kDefaultFlags)
                                            << QByteArray();
}

void TstGssapiExchange::succeeds()
{
    QFETCH(QString, user);
    QFETCH(QString, keytabKey);
    QFETCH(QString, keytabPrefix);
    QFETCH(QString, servicePrincipal);
    QFETCH(uint, flags);
    QFETCH(QByteArray, authzid);

    GssapiExchange ex(keytabPrefix + path(keytabKey.toLatin1().constData()), servicePrincipal);
    GssClient client;
    QVERIFY2(client.start(ccache(user), kTarget, flags), qPrintable(client.error()));
    OfferTrace trace;
    GssapiStep offer;
    QString why;
    QVERIFY2(runToOffer(ex, client, &trace, &offer, &why), qPrintable(why));
    QVERIFY(!ex.finished());

    // RFC 4752 shape: with mutual auth the AP-REP comes first and the client answers empty.
    const bool mutual = flags & GSS_C_MUTUAL_FLAG;
    QCOMPARE(client.retFlags() & GSS_C_MUTUAL_FLAG, OM_uint32(mutual ? GSS_C_MUTUAL_FLAG : 0));
    QCOMPARE(trace.kinds.size(), mutual ? 2 : 1);
    QCOMPARE(trace.emptyResponseSent, mutual);
    // The offer: integrity only, layer "none" alone, max size 0.
    QCOMPARE(trace.offerConf, 0);
    QCOMPARE(trace.offerPlain, QByteArray("\x01\x00\x00\x00", 4));

    QByteArray reply;
    QVERIFY2(client.wrap(layerChoice(0x01, authzid), false, &reply), qPrintable(client.error()));
    const GssapiStep done = ex.step(reply);
    QVERIFY2(done.kind == GssapiStep::Done, qPrintable(done.error));
    QCOMPARE(done.principal, user + QStringLiteral("@EXAMPLE.TEST"));
    QCOMPARE(done.authzid, QString::fromUtf8(authzid));
    QCOMPARE(done.servicePrincipal, kService);
    QVERIFY(done.challenge.isEmpty());
    QVERIFY(done.error.isEmpty());
    QVERIFY(ex.finished());
}

void TstGssapiExchange::delegatedCredentialsAreDropped()
{
    // bob's TGT is forwardable (krb5.conf forwardable = true): the client really
    // delegates, the exchange still succeeds and the credential is released
    // (LeakSanitizer reports it in the ASan run otherwise).
    GssapiExchange ex(path("keytab"), kService);
    GssClient client;
    QVERIFY2(client.start(ccache(QStringLiteral("bob")), kTarget, kDefaultFlags | GSS_C_DELEG_FLAG),
             qPrintable(client.error()));
    OfferTrace trace;
    GssapiStep offer;
    QString why;
    QVERIFY2(runToOffer(ex, client, &trace, &offer, &why), qPrintable(why));
    QVERIFY2(client.retFlags() & GSS_C_DELEG_FLAG, "the client did not delegate: test setup problem");
    QByteArray reply;
    QVERIFY(client.wrap(layerChoice(0x01), false, &reply));
    const GssapiStep done = ex.step(reply);
    QVERIFY2(done.kind == GssapiStep::Done, qPrintable(done.error));
    QCOMPARE(done.principal, QStringLiteral("bob@EXAMPLE.TEST"));
}

void TstGssapiExchange::confidentialReplyIsFine()
{
    // The client should wrap its choice with integrity only, but encrypting it
    // as well does no harm.
    GssapiExchange ex(path("keytab"), kService);
    GssClient client;
    QVERIFY2(client.start(ccache(QStringLiteral("alice")), kTarget), qPrintable(client.error()));
    OfferTrace trace;
    GssapiStep offer;
    QString why;
    QVERIFY2(runToOffer(ex, client, &trace, &offer, &why), qPrintable(why));
    QByteArray reply;
    QVERIFY(client.wrap(layerChoice(0x01, "alice"), true, &reply));
    const GssapiStep done = ex.step(reply);
    QVERIFY2(done.kind == GssapiStep::Done, qPrintable(done.error));
    QCOMPARE(done.authzid, QStringLiteral("alice"));
}

void TstGssapiExchange::interleavedExchangesWithDifferentKeytabs()
{
    // Two exchanges in flight at once with different keytabs and services: the
    // keytab is per exchange (cred_store), nothing process-wide.
    GssapiExchange exA(path("keytab"), kService);
    GssapiExchange exB(path("other_keytab"), kOtherService);
    GssClient a, b;
    QVERIFY2(a.start(ccache(QStringLiteral("alice")), kTarget), qPrintable(a.error()));
    QVERIFY2(b.start(ccache(QStringLiteral("dave")), kOtherTarget), qPrintable(b.error()));
    QByteArray ta, tb;
    QVERIFY(a.next({}, &ta));
    QVERIFY(b.next({}, &tb));
    GssapiStep sa = exA.step(ta);
    GssapiStep sb = exB.step(tb);
    QVERIFY2(sa.kind == GssapiStep::Continue, qPrintable(sa.error));
    QVERIFY2(sb.kind == GssapiStep::Continue, qPrintable(sb.error));
    QVERIFY(a.next(sa.challenge, &ta) && a.established() && ta.isEmpty());
    QVERIFY(b.next(sb.challenge, &tb) && b.established() && tb.isEmpty());
    sb = exB.step(tb);
    sa = exA.step(ta);
    QByteArray plain;
    int conf = -1;
    QVERIFY(a.unwrap(sa.challenge, &plain, &conf));
    QVERIFY(a.wrap(layerChoice(0x01), false, &ta));
    QVERIFY(b.unwrap(sb.challenge, &plain, &conf));
    QVERIFY(b.wrap(layerChoice(0x01, "dave"), false, &tb));
    // Each context's tokens only fit that context.
    const GssapiStep crossed = GssapiExchange(path("keytab"), kService).step(tb);
    QCOMPARE(crossed.kind, GssapiStep::Failed);
    sb = exB.step(tb);
    sa = exA.step(ta);
    QVERIFY2(sa.kind == GssapiStep::Done, qPrintable(sa.error));
    QVERIFY2(sb.kind == GssapiStep::Done, qPrintable(sb.error));
    QCOMPARE(sa.principal, QStringLiteral("alice@EXAMPLE.TEST"));
    QCOMPARE(sa.servicePrincipal, kService);
    QCOMPARE(sb.principal, QStringLiteral("dave@EXAMPLE.TEST"));
    QCOMPARE(sb.servicePrincipal, kOtherService);
    QCOMPARE(sb.authzid, QStringLiteral("dave"));
}

void TstGssapiExchange::anyKeyVersusNamedPrincipal()
{
    // A keytab holding two services' keys: with no service principal set, a
    // ticket for either is taken (documented); naming smtp/mail refuses the other.
    GssapiStep s = fullExchange(QStringLiteral("alice"), path("combined_keytab"), QString(), {}, kDefaultFlags,
                                kOtherTarget);
    QVERIFY2(s.kind == GssapiStep::Done, qPrintable(s.error));
    QCOMPARE(s.servicePrincipal, kOtherService);

    s = fullExchange(QStringLiteral("alice"), path("combined_keytab"), kService, {}, kDefaultFlags, kOtherTarget);
    QCOMPARE(s.kind, GssapiStep::Failed);
    QVERIFY2(!s.error.startsWith(QStringLiteral("TEST CLIENT")), qPrintable(s.error));
    QVERIFY2(s.error.contains(QStringLiteral("not accepted")), qPrintable(s.error));
    qInfo("named principal, ticket for another service: %s", qPrintable(s.error));
}

// ------------------------------------------------------------------ failures

void TstGssapiExchange::wrongKeytab_data()
{
    QTest::addColumn<QString>("keytab");
    QTest::addColumn<QString>("servicePrincipal");
    QTest::addColumn<QString>("errorPart");

    QTest::newRow("other service's key, any key") << path("other_keytab") << QString() << "smtp/mail.example.test";
    QTest::newRow("other service's key, named") << path("other_keytab") << kService << "smtp/mail.example.test";
    QTest::newRow("stale key version") << path("stale_keytab") << kService << "kvno";
    QTest::newRow("missing file") << m_tmp.filePath(QStringLiteral("nope.keytab")) << kService << "nope.keytab";
    QTest::newRow("missing file, any key") << m_tmp.filePath(QStringLiteral("nope.keytab")) << QString() << "nope.keytab";
    QTest::newRow("no keytab configured") << QString() << kService << "no keytab";
}

void TstGssapiExchange::wrongKeytab()
{
    QFETCH(QString, keytab);
    QFETCH(QString, servicePrincipal);
    QFETCH(QString, errorPart);
    const GssapiStep s = fullExchange(QStringLiteral("alice"), keytab, servicePrincipal, {});
    QCOMPARE(s.kind, GssapiStep::Failed);
    QVERIFY2(!s.error.startsWith(QStringLiteral("TEST CLIENT")), qPrintable(s.error));
    QVERIFY2(s.error.contains(errorPart, Qt::CaseInsensitive), qPrintable(s.error));
    QVERIFY(s.principal.isEmpty());
    qInfo("%s", qPrintable(s.error));
}

void TstGssapiExchange::garbageTokens_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::newRow("text") << QByteArray("hello world, let me in");
    QTest::newRow("one byte") << QByteArray("\x60", 1);
    QTest::newRow("GSS header, junk") << QByteArray("\x60\x82\x02\x00\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"
                                                    "\x01\x00junkjunkjunk", 29);
    QByteArray random(300, '\0');
    for (int i = 0; i < random.size(); ++i)
        random[i] = char((i * 7919 + 13) & 0xff);
    QTest::newRow("pseudo-random bytes") << random;
}

void TstGssapiExchange::garbageTokens()
{
    QFETCH(QByteArray, token);
    GssapiExchange ex(path("keytab"), kService);
    const GssapiStep s = ex.step(token);
    QCOMPARE(s.kind, GssapiStep::Failed);
    QVERIFY(!s.error.isEmpty());
    QVERIFY2(!s.error.contains(QStringLiteral("hello")), "a token must never appear in an error");
    QVERIFY(ex.finished());
    qInfo("%s", qPrintable(s.error));
}

void TstGssapiExchange::emptyFirstToken()
{
    GssapiExchange ex(path("keytab"), kService);
    const GssapiStep s = ex.step({});
    QCOMPARE(s.kind, GssapiStep::Failed);
    QVERIFY2(s.error.contains(QStringLiteral("empty initial")), qPrintable(s.error));
    QVERIFY(s.challenge.isEmpty());
    QVERIFY(ex.finished());
}

void TstGssapiExchange::securityLayerOtherThanNone_data()
{
    QTest::addColumn<int>("layer");
    QTest::newRow("integrity 0x02") << 0x02;
    QTest::newRow("confidentiality 0x04") << 0x04;
    QTest::newRow("none and integrity 0x03") << 0x03;
    QTest::newRow("all 0x07") << 0x07;
    QTest::newRow("nothing 0x00") << 0x00;
    QTest::newRow("high bit 0x81") << 0x81;
}

void TstGssapiExchange::securityLayerOtherThanNone()
{
    QFETCH(int, layer);
    GssapiExchange ex(path("keytab"), kService);
    GssClient client;
    QVERIFY2(client.start(ccache(QStringLiteral("alice")), kTarget), qPrintable(client.error()));
    OfferTrace trace;
    GssapiStep offer;
    QString why;
    QVERIFY2(runToOffer(ex, client, &trace, &offer, &why), qPrintable(why));
    QByteArray reply;
    QVERIFY(client.wrap(layerChoice(char(layer), "alice"), false, &reply));
    const GssapiStep s = ex.step(reply);
    QCOMPARE(s.kind, GssapiStep::Failed);
    QVERIFY2(s.error.contains(QStringLiteral("security layer")), qPrintable(s.error));
    QVERIFY(s.principal.isEmpty());
    QVERIFY(ex.finished());
}

void TstGssapiExchange::badAuthzid_data()
{
    QTest::addColumn<QByteArray>("authzid");
    QTest::newRow("invalid UTF-8") << QByteArray("al\xff\xfeice");
    QTest::newRow("NUL") << QByteArray("alice\0bob", 9);
    QTest::newRow("CR LF") << QByteArray("alice\r\nX-Forged: yes");
}

void TstGssapiExchange::badAuthzid()
{
    QFETCH(QByteArray, authzid);
    const GssapiStep s = fullExchange(QStringLiteral("alice"), path("keytab"), kService, authzid);
    QCOMPARE(s.kind, GssapiStep::Failed);
    QVERIFY2(s.error.contains(QStringLiteral("authorization identity")), qPrintable(s.error));
}

void TstGssapiExchange::unwrappedOrShortReply()
{
    for (int variant = 0; variant < 3; ++variant) {
        GssapiExchange ex(path("keytab"), kService);
        GssClient client;
        QVERIFY2(client.start(ccache(QStringLiteral("alice")), kTarget), qPrintable(client.error()));
        OfferTrace trace;
        GssapiStep offer;
        QString why;
        QVERIFY2(runToOffer(ex, client, &trace, &offer, &why), qPrintable(why));
        QByteArray reply;
        if (variant == 0)
            reply = layerChoice(0x01, "alice"); // plain, not wrapped: no proof it came from the client
        else if (variant == 1)
            QVERIFY(client.wrap(QByteArray("\x01\x00\x00", 3), false, &reply)); // 3 bytes
        else
            reply = offer.challenge; // the server's own offer sent back
        const GssapiStep s = ex.step(reply);
        QCOMPARE(s.kind, GssapiStep::Failed);
        QVERIFY(s.principal.isEmpty());
        qInfo("variant %d: %s", variant, qPrintable(s.error));
    }
}

void TstGssapiExchange::dataWhereEmptyResponseExpected()
{
    GssapiExchange ex(path("keytab"), kService);
    GssClient client;
    QVERIFY2(client.start(ccache(QStringLiteral("alice")), kTarget), qPrintable(client.error()));
    QByteArray token;
    QVERIFY(client.next({}, &token));
    const GssapiStep s1 = ex.step(token);
    QCOMPARE(s1.kind, GssapiStep::Continue); // the AP-REP
    QVERIFY(client.next(s1.challenge, &token));
    QVERIFY(client.established());
    const GssapiStep s2 = ex.step(QByteArray("\x01\x00\x00\x00", 4));
    QCOMPARE(s2.kind, GssapiStep::Failed);
    QVERIFY2(s2.error.contains(QStringLiteral("empty response")), qPrintable(s2.error));
}

void TstGssapiExchange::replayedTokenIsRefused()
{
    // An eavesdropper replaying a client's AP-REQ (to another connection) is
    // stopped by the acceptor's replay cache, even with no flags requested.
    GssClient client;
    QVERIFY2(client.start(ccache(QStringLiteral("dave")), kTarget, 0), qPrintable(client.error()));
    QByteArray token;
    QVERIFY(client.next({}, &token));
    GssapiExchange first(path("keytab"), kService);
    const GssapiStep s1 = first.step(token);
    QVERIFY2(s1.kind == GssapiStep::Continue, qPrintable(s1.error));
    GssapiExchange second(path("keytab"), kService);
    const GssapiStep s2 = second.step(token);
    QCOMPARE(s2.kind, GssapiStep::Failed);
    QVERIFY2(s2.error.contains(QStringLiteral("replay"), Qt::CaseInsensitive), qPrintable(s2.error));
}

void TstGssapiExchange::stepsAfterDoneOrFailed()
{
    // After Done.
    {
        GssapiExchange ex(path("keytab"), kService);
        GssClient client;
        QVERIFY2(client.start(ccache(QStringLiteral("alice")), kTarget), qPrintable(client.error()));
        OfferTrace trace;
        GssapiStep offer;
        QString why;
        QVERIFY2(runToOffer(ex, client, &trace, &offer, &why), qPrintable(why));
        QByteArray reply;
        QVERIFY(client.wrap(layerChoice(0x01), false, &reply));
        QCOMPARE(ex.step(reply).kind, GssapiStep::Done);
        for (const QByteArray &again : {reply, QByteArray(), trace.firstToken}) {
            const GssapiStep s = ex.step(again);
            QCOMPARE(s.kind, GssapiStep::Failed);
            QVERIFY(s.principal.isEmpty());
            QVERIFY2(s.error.contains(QStringLiteral("already finished")), qPrintable(s.error));
        }
    }
    // After Failed: a good token does not revive it.
    {
        GssapiExchange ex(path("keytab"), kService);
        QCOMPARE(ex.step(QByteArray("junk")).kind, GssapiStep::Failed);
        GssClient client;
        QVERIFY2(client.start(ccache(QStringLiteral("alice")), kTarget), qPrintable(client.error()));
        QByteArray token;
        QVERIFY(client.next({}, &token));
        const GssapiStep s = ex.step(token);
        QCOMPARE(s.kind, GssapiStep::Failed);
        QVERIFY2(s.error.contains(QStringLiteral("already finished")), qPrintable(s.error));
    }
}

void TstGssapiExchange::tooLargeToken()
{
    GssapiExchange ex(path("keytab"), kService);
    const GssapiStep s = ex.step(QByteArray(GssapiExchange::kMaxTokenSize + 1, '\x60'));
    QCOMPARE(s.kind, GssapiStep::Failed);
    QVERIFY2(s.error.contains(QStringLiteral("too large")), qPrintable(s.error));
}

// ------------------------------------------------------------------ startup check

void TstGssapiExchange::keytabProblem_data()
{
    QTest::addColumn<QString>("keytab");
    QTest::addColumn<QString>("servicePrincipal");
    QTest::addColumn<QString>("errorPart"); // empty: no problem

    QFile garbage(m_tmp.filePath(QStringLiteral("garbage.keytab")));
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    garbage.write("this is not a keytab\n");
    garbage.close();
    QFile empty(m_tmp.filePath(QStringLiteral("empty.keytab")));
    QVERIFY(empty.open(QIODevice::WriteOnly));
    empty.close();

    QTest::newRow("good, named") << path("keytab") << kService << "";
    QTest::newRow("good, any key") << path("keytab") << QString() << "";
    QTest::newRow("good, host-based") << path("keytab") << QStringLiteral("smtp@mail.example.test") << "";
    QTest::newRow("good, FILE:") << QStringLiteral("FILE:") + path("keytab") << kService << "";
    QTest::newRow("combined, other service") << path("combined_keytab") << kOtherService << "";
    // A stale key cannot be told from here (only a client's ticket shows it).
    QTest::newRow("stale key version") << path("stale_keytab") << kService << "";
    QTest::newRow("missing file") << m_tmp.filePath(QStringLiteral("nope.keytab")) << kService << "does not exist";
    QTest::newRow("missing file, FILE:") << QStringLiteral("FILE:") + m_tmp.filePath(QStringLiteral("nope.keytab"))
                                         << kService << "does not exist";
    QTest::newRow("folder") << m_tmp.path() << kService << "folder";
    QTest::newRow("empty file") << empty.fileName() << kService << "is empty";
    QTest::newRow("not a keytab") << garbage.fileName() << kService << "garbage.keytab";
    QTest::newRow("wrong principal") << path("other_keytab") << kService << "smtp/mail.example.test";
    QTest::newRow("unknown host-based") << path("keytab") << QStringLiteral("smtp@other.example.test")
                                        << "smtp@other.example.test";
    QTest::newRow("nothing configured") << QString() << kService << "No keytab";
    QTest::newRow("malformed principal") << path("keytab") << QStringLiteral("smtp/a@B@C") << "smtp/a@B@C";
}

void TstGssapiExchange::keytabProblem()
{
    QFETCH(QString, keytab);
    QFETCH(QString, servicePrincipal);
    QFETCH(QString, errorPart);
    const QString problem = gssapiKeytabProblem(keytab, servicePrincipal);
    if (errorPart.isEmpty()) {
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        return;
    }
    QVERIFY2(problem.contains(errorPart), qPrintable(problem));
    QVERIFY(problem.endsWith(QLatin1Char('.')));
    QVERIFY(problem.at(0).isUpper());
    qInfo("%s", qPrintable(problem));
}

QTEST_GUILESS_MAIN(TstGssapiExchange)
#include "tst_gssapiexchange.moc"
