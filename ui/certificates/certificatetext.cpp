#include "certificates/certificatetext.h"

#include "certificates/certificatemodel.h"

#include "tls/certificatestore.h"

namespace rd::ui {

using rd::tls::CertificateInfo;

namespace {

QString field(const QString &key, const QString &value)
{
    return QStringLiteral("<tr><td style='padding-right:14px; white-space:nowrap'><b>%1</b></td><td>%2</td></tr>")
        .arg(key.toHtmlEscaped(), value.isEmpty() ? QStringLiteral("&mdash;") : value.toHtmlEscaped());
}

} // namespace

QString CertificateText::localTime(const QDateTime &utc)
{
    return utc.isValid() ? utc.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
}

QString CertificateText::sourceText(const QString &source)
{
    if (source == QLatin1String("pem"))
        return tr("Imported from PEM files");
    if (source == QLatin1String("pkcs12"))
        return tr("Imported from a PFX file");
    if (source == QLatin1String("self-signed"))
        return tr("Generated here (self-signed)");
    if (source == QLatin1String("csr"))
        return tr("Signed by a CA from a request made here");
    return source;
}

QString CertificateText::keyTypeText(int keyType)
{
    switch (rd::tls::KeyType(keyType)) {
    case rd::tls::KeyType::Rsa2048: return QStringLiteral("RSA-2048");
    case rd::tls::KeyType::Rsa3072: return QStringLiteral("RSA-3072");
    case rd::tls::KeyType::EcdsaP256: return QStringLiteral("ECDSA P-256");
    }
    return QString::number(keyType);
}

QString CertificateText::detailHtml(const CertificateInfo &c, const QStringList &usedBy, const QDateTime &now)
{
    const QString days = CertificateModel::daysText(c.daysLeft(now));
    QString validity = tr("%1 to %2").arg(localTime(c.notBefore), localTime(c.notAfter));
    validity += c.expiry(now) == CertificateInfo::Expired ? tr(" (expired %1)").arg(days)
                                                          : tr(" (expires %1)").arg(days);
    QString key = CertificateModel::keyText(c);
    if (c.keyBits > 0 && !key.contains(QString::number(c.keyBits)))
        key += tr(" (%1 bits)").arg(c.keyBits);
    const QString chain = c.chainLength == 1
        ? tr("1 (the certificate only)")
        : tr("%1 (the certificate and %2 CA certificates)").arg(c.chainLength).arg(c.chainLength - 1);

    QString html = QStringLiteral("<table cellspacing='2'>");
    html += field(tr("Name"), c.name);
    html += field(tr("Subject"), c.subject);
    html += field(tr("Alternative names"), c.sans.join(QStringLiteral(", ")));
    html += field(tr("Issuer"), c.issuer);
    html += field(tr("Self-signed"), c.selfSigned ? tr("Yes") : tr("No"));
    html += field(tr("Valid"), validity);
    html += field(tr("Key"), key);
    html += field(tr("Chain length"), chain);
    html += field(tr("Serial number"), c.serialNumber);
    html += field(tr("SHA-256 fingerprint"), c.sha256Fingerprint);
    html += field(tr("SHA-1 fingerprint"), c.sha1Fingerprint);
    html += field(tr("Used by"), usedBy.isEmpty() ? tr("no listener") : usedBy.join(QStringLiteral(", ")));
    html += field(tr("Source"), sourceText(c.source));
    html += field(tr("Stored"), localTime(c.created));
    html += field(tr("Id"), c.id);
    html += QStringLiteral("</table>");
    return html;
}

QStringList CertificateText::bannerLines(const QList<CertificateInfo> &certificates, const QDateTime &now)
{
    QStringList lines;
    for (const CertificateInfo &c : certificates) {
        const int days = c.daysLeft(now);
        switch (c.expiry(now)) {
        case CertificateInfo::Ok:
            break;
        case CertificateInfo::Expired:
            lines << tr("Certificate \u201c%1\u201d has expired (%2): clients will refuse TLS with it.")
                         .arg(c.name, CertificateModel::daysText(days));
            break;
        case CertificateInfo::Warn7:
        case CertificateInfo::Warn30:
            lines << (days == 0 ? tr("Certificate \u201c%1\u201d expires today.").arg(c.name)
                                : tr("Certificate \u201c%1\u201d expires %2.")
                                      .arg(c.name, CertificateModel::daysText(days)));
            break;
        }
    }
    if (!lines.isEmpty())
        lines << tr("Renew it with your certificate authority and import the new one.");
    return lines;
}

QString CertificateText::actionResult(const QString &action, const QString &subject, bool ok,
                                      const QString &message, const QStringList &warnings)
{
    if (!ok) {
        QString what;
        if (action == QLatin1String("import"))
            what = tr("Import of %1 failed").arg(subject);
        else if (action == QLatin1String("link"))
            what = tr("Could not link %1").arg(subject);
        else if (action == QLatin1String("generate"))
            what = tr("Could not create a certificate for %1").arg(subject);
        else if (action == QLatin1String("csr"))
            what = tr("Could not create a signing request for %1").arg(subject);
        else if (action == QLatin1String("complete"))
            what = tr("Import of the signed certificate %1 failed").arg(subject);
        else if (action == QLatin1String("remove"))
            what = tr("Could not remove %1").arg(subject);
        else
            what = tr("%1 failed").arg(action);
        return message.isEmpty() ? what : QStringLiteral("%1: %2").arg(what, message);
    }
    QString text;
    if (action == QLatin1String("import"))
        text = tr("Certificate imported from %1").arg(subject);
    else if (action == QLatin1String("link"))
        text = tr("Certificate linked to %1: it is reloaded when the file is renewed").arg(subject);
    else if (action == QLatin1String("generate"))
        text = tr("Self-signed certificate for %1 created").arg(subject);
    else if (action == QLatin1String("csr"))
        text = tr("Signing request for %1 created: send it to your certificate authority, then import "
                  "the signed certificate")
                   .arg(subject);
    else if (action == QLatin1String("complete"))
        text = tr("Signed certificate imported from %1").arg(subject);
    else if (action == QLatin1String("remove"))
        text = tr("%1 removed").arg(subject);
    else
        text = tr("%1: done").arg(action);
    if (!warnings.isEmpty())
        text += QLatin1String(". ") + tr("Warning: %1").arg(warnings.join(QStringLiteral("; ")));
    return text;
}

} // namespace rd::ui
