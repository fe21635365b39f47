// OutboundConnection: the MX TLS policy part (MTA-STS, RFC 8461; DANE,
// RFC 7672): what TLS must prove on an MX connection, the checks after the
// handshake, and the TLS-RPT outcome. The rest is in outboundconnection.cpp.

#include "delivery/outboundconnection.h"

#include <QLoggingCategory>
#include <QSslSocket>

#include <algorithm>

namespace rd::delivery {

namespace {
Q_LOGGING_CATEGORY(lcMxTls, "relaydesk.delivery.outbound", QtInfoMsg)
}

QString OutboundConnection::tlsErrorType(const QList<QSslError> &errors)
{
    const auto any = [&errors](std::initializer_list<QSslError::SslError> codes) {
        return std::any_of(errors.begin(), errors.end(), [&codes](const QSslError &e) {
            return std::find(codes.begin(), codes.end(), e.error()) != codes.end();
        });
    };
    if (any({QSslError::HostNameMismatch}))
        return QStringLiteral("certificate-host-mismatch");
    if (any({QSslError::CertificateExpired, QSslError::CertificateNotYetValid}))
        return QStringLiteral("certificate-expired");
    return QStringLiteral("certificate-not-trusted");
}

bool OutboundConnection::mxTlsErrorsIgnored(const QList<QSslError> &errors)
{
    if (m_mx.kind != MxTlsPolicy::Kind::MtaSts || !m_mx.testing)
        return false;
    // RFC 8461 5: testing mode reports the failure and delivers anyway.
    const QString type = m_tlsErrorType;
    const QString detail = QStringLiteral("MTA-STS (testing): certificate of %1 not valid for %2 (%3)")
                               .arg(peerText(), m_mx.mxHost, m_tlsErrors.join(QStringLiteral("; ")));
    qCInfo(lcMxTls).noquote() << QStringLiteral("event=mtasts_testing_failure conn=%1 domain=%2 mx=%3 result=%4 "
                                              "detail=\"%5\"")
                                   .arg(m_connId, m_mx.domain, m_mx.mxHost, type, detail);
    reportTls(false, type, detail);
    m_socket->ignoreSslErrors(errors);
    return true;
}

bool OutboundConnection::failMxTlsCertificate()
{
    if (m_mx.kind != MxTlsPolicy::Kind::MtaSts)
        return false;
    const QString detail = QStringLiteral("MTA-STS: certificate of %1 not valid for %2 (%3); mode enforce, "
                                          "not delivering to this MX")
                               .arg(peerText(), m_mx.mxHost, m_tlsErrors.join(QStringLiteral("; ")));
    const QString type = m_tlsErrorType;
    qCInfo(lcMxTls).noquote() << QStringLiteral("event=mtasts_enforced conn=%1 domain=%2 mx=%3 result=%4 detail=\"%5\"")
                                   .arg(m_connId, m_mx.domain, m_mx.mxHost, type, detail);
    reportTls(false, type, detail);
    failConnection(detail);
    return true;
}

void OutboundConnection::setMxTlsPolicy(const MxTlsPolicy &policy)
{
    if (m_conn != Conn::Unconnected)
        return;
    m_mx = policy;
    if (m_mx.kind == MxTlsPolicy::Kind::Opportunistic)
        return;
    if (!m_mx.mxHost.isEmpty())
        m_opt.tlsName = m_mx.mxHost;
    if (m_mx.enforced())
        m_opt.tls = TlsMode::Required; // no STARTTLS, no delivery
    else if (m_opt.tls == TlsMode::None)
        m_opt.tls = TlsMode::Opportunistic;
    m_session = smtp::ClientSession(baseSessionOptions());
}

QList<QByteArray> OutboundConnection::peerChainDer() const
{
    QList<QByteArray> out;
    for (const QSslCertificate &c : m_socket->peerCertificateChain())
        out << c.toDer();
    if (out.isEmpty() && !m_socket->peerCertificate().isNull())
        out << m_socket->peerCertificate().toDer();
    return out;
}

bool OutboundConnection::checkMxTls()
{
    switch (m_mx.kind) {
    case MxTlsPolicy::Kind::Opportunistic:
        return true;
    case MxTlsPolicy::Kind::MtaSts:
        // The handshake only completes with a valid certificate (enforce) or
        // with its errors already reported (testing).
        if (m_tlsErrors.isEmpty())
            reportTls(true, QString(), QStringLiteral("MTA-STS: certificate of %1 valid for %2").arg(peerText(), m_mx.mxHost));
        return true;
    case MxTlsPolicy::Kind::Dane: {
        const dane::DaneMatch m = dane::matchChain(peerChainDer(), m_mx.tlsa, {m_mx.mxHost});
        if (m.matched) {
            qCInfo(lcMxTls).noquote() << QStringLiteral("event=dane_verified conn=%1 domain=%2 mx=%3 peer=%4 detail=\"%5\"")
                                           .arg(m_connId, m_mx.domain, m_mx.mxHost, m_peerAddress, m.detail);
            reportTls(true, QString(), m.detail);
            return true;
        }
        const QString detail = QStringLiteral("DANE: certificate of %1 does not match the TLSA records of _25._tcp.%2 (%3)")
                                   .arg(peerText(), m_mx.mxHost, m.detail);
        reportTls(false, m.resultType.isEmpty() ? QStringLiteral("validation-failure") : m.resultType, detail);
        failConnection(detail);
        return false;
    }
    }
    return true;
}

void OutboundConnection::reportTls(bool success, const QString &resultType, const QString &detail)
{
    if (m_tlsReported || m_mx.kind == MxTlsPolicy::Kind::Opportunistic)
        return;
    m_tlsReported = true;
    TlsCheck c;
    c.policy = m_mx;
    c.peerAddress = m_peerAddress;
    c.success = success;
    c.resultType = resultType;
    c.detail = detail;
    emit tlsChecked(c);
}

} // namespace rd::delivery
