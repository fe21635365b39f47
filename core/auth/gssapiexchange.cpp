#include "auth/gssapiexchange.h"

#include <QFile>
#include <QFileInfo>
#include <QStringDecoder>
#include <QStringList>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include <cstring>

namespace rd::auth {

namespace {

// ------------------------------------------------------------------ RAII for GSS-API handles

class GssName {
public:
    GssName() = default;
    ~GssName() { reset(); }
    GssName(const GssName &) = delete;
    GssName &operator=(const GssName &) = delete;
    void reset()
    {
        if (h != GSS_C_NO_NAME) {
            OM_uint32 minor = 0;
            gss_release_name(&minor, &h);
            h = GSS_C_NO_NAME;
        }
    }
    gss_name_t h = GSS_C_NO_NAME;
};

class GssCred {
public:
    GssCred() = default;
    ~GssCred() { reset(); }
    GssCred(const GssCred &) = delete;
    GssCred &operator=(const GssCred &) = delete;
    void reset()
    {
        if (h != GSS_C_NO_CREDENTIAL) {
            OM_uint32 minor = 0;
            gss_release_cred(&minor, &h);
            h = GSS_C_NO_CREDENTIAL;
        }
    }
    gss_cred_id_t h = GSS_C_NO_CREDENTIAL;
};

class GssContext {
public:
    GssContext() = default;
    ~GssContext() { reset(); }
    GssContext(const GssContext &) = delete;
    GssContext &operator=(const GssContext &) = delete;
    void reset()
    {
        if (h != GSS_C_NO_CONTEXT) {
            OM_uint32 minor = 0;
            gss_delete_sec_context(&minor, &h, GSS_C_NO_BUFFER);
            h = GSS_C_NO_CONTEXT;
        }
    }
    gss_ctx_id_t h = GSS_C_NO_CONTEXT;
};

// An output buffer allocated by the GSS-API library.
class GssBuffer {
public:
    GssBuffer() = default;
    ~GssBuffer()
    {
        OM_uint32 minor = 0;
        if (b.value)
            gss_release_buffer(&minor, &b);
    }
    GssBuffer(const GssBuffer &) = delete;
    GssBuffer &operator=(const GssBuffer &) = delete;
    QByteArray bytes() const
    {
        return b.value ? QByteArray(static_cast<const char *>(b.value), qsizetype(b.length)) : QByteArray();
    }
    gss_buffer_desc b{0, nullptr};
};

// A read-only view of our bytes as GSS-API input (the library never writes to it).
gss_buffer_desc inputBuffer(const QByteArray &bytes)
{
    return gss_buffer_desc{size_t(bytes.size()), const_cast<char *>(bytes.constData())};
}

// ------------------------------------------------------------------ error texts

// All message strings for one status code (GSS-API may chain several).
QString statusText(OM_uint32 code, int type)
{
    QStringList parts;
    OM_uint32 messageContext = 0;
    for (int guard = 0; guard < 8; ++guard) {
        GssBuffer message;
        OM_uint32 minor = 0;
        // GSS_C_NO_OID for minor codes: the mechglue remembers which mechanism a
        // minor code came from (and MIT's krb5 mech keeps the detailed text, e.g.
        // "No key table entry found for ...", per thread until the next call).
        const OM_uint32 major = gss_display_status(&minor, code, type, GSS_C_NO_OID, &messageContext, &message.b);
        if (GSS_ERROR(major))
            break;
        const QString text = QString::fromUtf8(message.bytes()).trimmed();
        if (!text.isEmpty())
            parts << text;
        if (messageContext == 0)
            break;
    }
    if (parts.isEmpty())
        parts << QStringLiteral("status 0x%1").arg(code, 8, 16, QLatin1Char('0'));
    return parts.join(QStringLiteral("; "));
}

// "<what>: <text>" -- call right after the failing call, in the same thread.
// The mechanism's minor text is the useful one ("Cannot find key for
// smtp/mail.example.test@EXAMPLE.TEST kvno 3 in keytab"); GSS_S_FAILURE's own
// text only says to look at it, so it is left out then.
QString gssError(const QString &what, OM_uint32 major, OM_uint32 minor)
{
    const QString majorText = statusText(major, GSS_C_GSS_CODE);
    QString minorText;
    if (minor != 0) {
        minorText = statusText(minor, GSS_C_MECH_CODE);
        if (minorText == QLatin1String("Success")) // a mech that set no real minor code
            minorText.clear();
    }
    QString text = what + QStringLiteral(": ");
    if (GSS_ROUTINE_ERROR(major) == GSS_S_FAILURE)
        text += minorText.isEmpty() ? QStringLiteral("unspecified GSS-API failure, no detail from the mechanism")
                                    : minorText;
    else if (minorText.isEmpty())
        text += majorText;
    else
        text += majorText + QStringLiteral(" (") + minorText + QLatin1Char(')');
    return text;
}

bool sameOid(gss_const_OID a, gss_const_OID b)
{
    return a && b && a->length == b->length && std::memcmp(a->elements, b->elements, a->length) == 0;
}

QString displayName(gss_name_t name, QString *error, gss_OID *nameType = nullptr)
{
    GssBuffer text;
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_display_name(&minor, name, &text.b, nameType);
    if (GSS_ERROR(major)) {
        *error = gssError(QStringLiteral("reading the client's principal name"), major, minor);
        return {};
    }
    return QString::fromUtf8(text.bytes());
}

// "FILE:/x" and "WRFILE:/x" name the file /x; a plain path is a file too (MIT
// treats a name without a type prefix, or starting with '/', as FILE).
// Other keytab types (MEMORY:, ...) have no file: empty.
QString keytabFilePath(const QString &keytab)
{
    if (keytab.startsWith(QLatin1Char('/')))
        return keytab;
    for (const QLatin1String prefix : {QLatin1String("FILE:"), QLatin1String("WRFILE:")})
        if (keytab.startsWith(prefix))
            return keytab.mid(prefix.size());
    return keytab.contains(QLatin1Char(':')) ? QString() : keytab;
}

// The acceptor credential: Kerberos V5 only, keys from `keytab` (per call,
// nothing process-global), for `servicePrincipal` or (empty) any key there.
bool acquireAcceptorCred(const QString &keytab, const QString &servicePrincipal, GssCred &cred, QString *error)
{
    if (keytab.isEmpty()) {
        *error = QStringLiteral("no keytab is configured for GSSAPI");
        return false;
    }
    OM_uint32 minor = 0;
    OM_uint32 major = 0;
    GssName name;
    if (!servicePrincipal.isEmpty()) {
        const QByteArray text = servicePrincipal.toUtf8();
        gss_buffer_desc in = inputBuffer(text);
        // "smtp/host@REALM" is a Kerberos principal; "smtp@host" is host-based
        // (service@host), which the krb5 mech maps to smtp/host@<realm of host>.
        const gss_OID type = servicePrincipal.contains(QLatin1Char('/')) ? GSS_KRB5_NT_PRINCIPAL_NAME
                                                                         : GSS_C_NT_HOSTBASED_SERVICE;
        major = gss_import_name(&minor, &in, type, &name.h);
        if (GSS_ERROR(major)) {
            *error = gssError(QStringLiteral("the service principal \"%1\" is not a valid name").arg(servicePrincipal),
                              major, minor);
            return false;
        }
    }
    const QByteArray keytabName = QFile::encodeName(keytab);
    gss_key_value_element_desc element{"keytab", keytabName.constData()};
    const gss_key_value_set_desc store{1, &element};
    gss_OID_set_desc mechs{1, gss_mech_krb5};
    major = gss_acquire_cred_from(&minor, name.h, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT, &store, &cred.h, nullptr,
                                  nullptr);
    if (GSS_ERROR(major)) {
        *error = gssError(servicePrincipal.isEmpty()
                              ? QStringLiteral("no acceptor credential from the keytab %1").arg(keytab)
                              : QStringLiteral("no acceptor credential for %1 from the keytab %2")
                                    .arg(servicePrincipal, keytab),
                          major, minor);
        return false;
    }
    return true;
}

// The 4 octets the server offers (RFC 4752 3.1): bit-mask of security layers,
// then the largest wrapped message it accepts (24-bit, network order). We
// offer only 0x01 "no security layer" (the session's protection is TLS), so
// the size is 0.
constexpr char kLayerNone = 0x01;
const QByteArray kServerOffer("\x01\x00\x00\x00", 4);

// Kerberos needs one round (two with DCE-style/user-to-user); more is a
// confused or hostile client.
constexpr int kMaxAcceptRounds = 4;

} // namespace

// ------------------------------------------------------------------ GssapiExchange

struct GssapiExchange::Private {
    enum class State {
        Accepting,             // feeding tokens to gss_accept_sec_context
        AwaitingEmptyResponse, // sent the final context token (AP-REP); the client must answer empty
        AwaitingLayerChoice,   // sent the wrapped offer; the client's wrapped choice + authzid comes next
        Finished,              // Done or Failed: no more steps
    };

    QString keytab;
    QString servicePrincipal;
    State state = State::Accepting;
    int rounds = 0;
    GssCred cred;
    GssContext context;
    QString principal;
    QString target;

    GssapiStep fail(const QString &error)
    {
        finish();
        GssapiStep s;
        s.kind = GssapiStep::Failed;
        s.error = error;
        return s;
    }

    static GssapiStep challenge(const QByteArray &token)
    {
        GssapiStep s;
        s.kind = GssapiStep::Continue;
        s.challenge = token;
        return s;
    }

    // Nothing outlives the exchange's outcome: the context (session keys) and
    // the credential (keytab keys in memory) go as soon as it is decided.
    void finish()
    {
        state = State::Finished;
        context.reset();
        cred.reset();
    }

    GssapiStep accept(const QByteArray &token);
    GssapiStep sendOffer();
    GssapiStep readLayerChoice(const QByteArray &token);
};

GssapiStep GssapiExchange::Private::accept(const QByteArray &token)
{
    if (token.isEmpty())
        return fail(rounds == 0 ? QStringLiteral("the client sent an empty initial GSSAPI token")
                                : QStringLiteral("the client sent an empty GSSAPI token"));
    if (++rounds > kMaxAcceptRounds)
        return fail(QStringLiteral("the GSSAPI context was not established after %1 tokens").arg(kMaxAcceptRounds));

    if (cred.h == GSS_C_NO_CREDENTIAL) {
        QString error;
        if (!acquireAcceptorCred(keytab, servicePrincipal, cred, &error))
            return fail(error);
    }

    gss_buffer_desc in = inputBuffer(token);
    GssBuffer out;
    GssName source;
    GssCred delegated; // released when this function returns: a relay never keeps or uses them
    gss_OID mech = GSS_C_NO_OID;
    OM_uint32 flags = 0;
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_accept_sec_context(&minor, &context.h, cred.h, &in, GSS_C_NO_CHANNEL_BINDINGS,
                                                   &source.h, &mech, &out.b, &flags, nullptr, &delegated.h);
    if (GSS_ERROR(major)) {
        // An error token the mech may have produced (KRB-ERROR) is not sent:
        // RFC 4752 has no place for it, the session answers 535.
        return fail(gssError(QStringLiteral("the client's GSSAPI token was not accepted"), major, minor));
    }
    if (major & GSS_S_CONTINUE_NEEDED) {
        if (out.b.length == 0)
            return fail(QStringLiteral("GSSAPI wants another token but produced no challenge"));
        return challenge(out.bytes());
    }

    // Established. Check what kind of context it is before trusting its name.
    if (!sameOid(mech, gss_mech_krb5))
        return fail(QStringLiteral("the client used a GSS-API mechanism other than Kerberos V5"));
    if (flags & GSS_C_ANON_FLAG)
        return fail(QStringLiteral("the client authenticated anonymously"));
    if (source.h == GSS_C_NO_NAME)
        return fail(QStringLiteral("GSSAPI gave no client principal"));
    QString error;
    gss_OID nameType = GSS_C_NO_OID;
    principal = displayName(source.h, &error, &nameType);
    if (!error.isEmpty())
        return fail(error);
    if (principal.isEmpty() || sameOid(nameType, GSS_C_NT_ANONYMOUS))
        return fail(QStringLiteral("the client authenticated anonymously"));

    // The service principal the ticket was for (for the log; with an empty
    // servicePrincipal it tells which key of the keytab was used).
    GssName targetName;
    if (!GSS_ERROR(gss_inquire_context(&minor, context.h, nullptr, &targetName.h, nullptr, nullptr, nullptr, nullptr,
                                       nullptr))
        && targetName.h != GSS_C_NO_NAME) {
        QString ignored;
        target = displayName(targetName.h, &ignored);
    }

    // With mutual authentication the establishing call also produced the
    // AP-REP: it goes to the client first, whose answer must be empty.
    if (out.b.length != 0) {
        state = State::AwaitingEmptyResponse;
        return challenge(out.bytes());
    }
    return sendOffer();
}

GssapiStep GssapiExchange::Private::sendOffer()
{
    gss_buffer_desc in = inputBuffer(kServerOffer);
    GssBuffer out;
    OM_uint32 minor = 0;
    // conf_req_flag 0: RFC 4752 asks for integrity protection only here.
    const OM_uint32 major = gss_wrap(&minor, context.h, 0, GSS_C_QOP_DEFAULT, &in, nullptr, &out.b);
    if (GSS_ERROR(major))
        return fail(gssError(QStringLiteral("wrapping the security layer offer failed"), major, minor));
    state = State::AwaitingLayerChoice;
    return challenge(out.bytes());
}

GssapiStep GssapiExchange::Private::readLayerChoice(const QByteArray &token)
{
    if (token.isEmpty())
        return fail(QStringLiteral("the client sent no security layer choice"));
    gss_buffer_desc in = inputBuffer(token);
    GssBuffer out;
    OM_uint32 minor = 0;
    // Unwrap verifies the MIC with this context's key: the choice and the
    // authzid below really come from the authenticated client.
    const OM_uint32 major = gss_unwrap(&minor, context.h, &in, &out.b, nullptr, nullptr);
    if (GSS_ERROR(major))
        return fail(gssError(QStringLiteral("the client's security layer choice did not unwrap"), major, minor));
    const QByteArray plain = out.bytes();
    if (plain.size() < 4)
        return fail(QStringLiteral("the client's security layer choice is %1 bytes long, at least 4 expected")
                        .arg(plain.size()));
    // Exactly "no security layer": anything else (integrity, confidentiality,
    // several bits, none) was not offered, and accepting it would leave the
    // client thinking its later traffic is protected when it is not.
    if (plain.at(0) != kLayerNone)
        return fail(QStringLiteral("the client chose security layer 0x%1; only 0x01 (none) is offered")
                        .arg(quint8(plain.at(0)), 2, 16, QLatin1Char('0')));
    // Octets 1-3 are the client's max size; without a security layer they mean
    // nothing (RFC 4752 wants 0 only from clients without layer support).
    const QByteArray authzidBytes = plain.mid(4);
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString authzid = utf8(authzidBytes);
    if (utf8.hasError())
        return fail(QStringLiteral("the client's authorization identity is not valid UTF-8"));
    for (const QChar c : authzid) {
        // NUL would cut C strings, CR/LF and the other controls would forge log lines.
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return fail(QStringLiteral("the client's authorization identity contains control characters"));
    }
    GssapiStep s;
    s.kind = GssapiStep::Done;
    s.principal = principal;
    s.authzid = authzid;
    s.servicePrincipal = target;
    finish();
    return s;
}

GssapiExchange::GssapiExchange(const QString &keytab, const QString &servicePrincipal)
    : d(std::make_unique<Private>())
{
    d->keytab = keytab;
    d->servicePrincipal = servicePrincipal;
}

GssapiExchange::~GssapiExchange() = default;

bool GssapiExchange::finished() const
{
    return d->state == Private::State::Finished;
}

GssapiStep GssapiExchange::step(const QByteArray &clientToken)
{
    switch (d->state) {
    case Private::State::Finished: {
        // A session that keeps calling after Done/Failed is a bug; refusing
        // keeps it from turning one success into several.
        GssapiStep s;
        s.kind = GssapiStep::Failed;
        s.error = QStringLiteral("the GSSAPI exchange is already finished");
        return s;
    }
    case Private::State::Accepting:
    case Private::State::AwaitingLayerChoice:
        if (clientToken.size() > kMaxTokenSize)
            return d->fail(QStringLiteral("the client's GSSAPI token is too large (%1 bytes)").arg(clientToken.size()));
        return d->state == Private::State::Accepting ? d->accept(clientToken) : d->readLayerChoice(clientToken);
    case Private::State::AwaitingEmptyResponse:
        if (!clientToken.isEmpty())
            return d->fail(QStringLiteral("the client answered the final GSSAPI context token with data; "
                                          "an empty response was expected"));
        return d->sendOffer();
    }
    return d->fail(QStringLiteral("the GSSAPI exchange is in an unknown state"));
}

// ------------------------------------------------------------------ startup check

QString gssapiKeytabProblem(const QString &keytab, const QString &servicePrincipal)
{
    if (keytab.isEmpty())
        return QStringLiteral("No keytab is configured for GSSAPI.");
    const QString path = keytabFilePath(keytab);
    if (!path.isEmpty()) {
        const QFileInfo info(path);
        if (!info.exists())
            return QStringLiteral("The keytab file %1 does not exist.").arg(path);
        if (info.isDir())
            return QStringLiteral("The keytab %1 is a folder, not a keytab file.").arg(path);
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return QStringLiteral("The keytab file %1 cannot be read by this program: %2.")
                .arg(path, file.errorString());
        if (file.size() == 0)
            return QStringLiteral("The keytab file %1 is empty.").arg(path);
    }
    GssCred cred;
    QString error;
    if (!acquireAcceptorCred(keytab, servicePrincipal, cred, &error)) {
        error[0] = error[0].toUpper();
        return error + QLatin1Char('.');
    }
    return {};
}

} // namespace rd::auth
