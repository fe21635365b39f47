#include "connectors/probereporttext.h"

#include <QCoreApplication>
#include <QStringList>

namespace rd::ui {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ProbeReport", text);
}

void line(QStringList &out, const QString &label, const QString &value)
{
    out << QStringLiteral("%1 %2").arg(label.leftJustified(12), value);
}

} // namespace

QString probeReportText(const rd::delivery::ProbeReport &r)
{
    QStringList out;
    const QString where = r.target.isEmpty() ? QString() : QStringLiteral(" \u2192 %1").arg(r.target);
    out << tr("Test of \"%1\"%2 (%3 ms)").arg(r.connector, where).arg(r.ms);
    if (r.ok)
        out << tr("Result: OK. The server accepted the session; no mail was sent.");
    else
        out << tr("Result: FAILED. %1").arg(r.error.isEmpty() ? tr("unknown error") : r.error);
    out << QString();
    // OAuth connectors: the token step runs first (and may be all there is).
    if (!r.tokenResult.isEmpty())
        line(out, tr("OAuth token:"), r.tokenResult);
    if (r.banner.isEmpty() && r.ehlo.isEmpty() && r.startTlsResult.isEmpty())
        return out.join(QLatin1Char('\n')); // never connected

    line(out, tr("Banner:"), r.banner.isEmpty() ? tr("(none)") : r.banner);
    if (r.ehlo.isEmpty()) {
        line(out, tr("EHLO:"), tr("(no EHLO keywords)"));
    } else {
        line(out, tr("EHLO:"), r.ehlo.first());
        for (qsizetype i = 1; i < r.ehlo.size(); ++i)
            line(out, QString(), r.ehlo.at(i));
    }
    line(out, tr("STARTTLS:"), r.startTlsResult);
    if (!r.tlsVersion.isEmpty())
        line(out, tr("TLS:"), QStringLiteral("%1, %2").arg(r.tlsVersion, r.tlsCipher));
    if (!r.certSubject.isEmpty() || !r.certSha256.isEmpty()) {
        out << tr("Certificate:");
        line(out, tr("  Subject:"), r.certSubject);
        line(out, tr("  Issuer:"), r.certIssuer);
        if (!r.certSans.isEmpty())
            line(out, tr("  Names:"), r.certSans);
        line(out, tr("  Expires:"), r.certNotAfter);
        line(out, tr("  SHA-256:"), r.certSha256);
    }
    for (const QString &e : r.certErrors)
        line(out, tr("  Problem:"), e);
    line(out, tr("AUTH:"), r.authResult);
    return out.join(QLatin1Char('\n'));
}

} // namespace rd::ui
