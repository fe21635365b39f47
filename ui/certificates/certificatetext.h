#pragma once
// What the Certificates panel says: the detail pane's HTML, the expiry
// banner's lines and the status line after an action. Pure functions over
// value types (no widgets), so their wording is in one place.
// Thread: any.

#include "tls/certificateinfo.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

namespace rd::ui {

class CertificateText {
    Q_DECLARE_TR_FUNCTIONS(CertificateText)
public:
    // Every field of `info` as an HTML table (escaped), with the listeners
    // that use it.
    static QString detailHtml(const rd::tls::CertificateInfo &info, const QStringList &usedBy,
                              const QDateTime &now);
    // One line per certificate expiring within 30 days or expired
    // ("Certificate “X” expires in 9 days."), plus advice; empty when none is.
    static QStringList bannerLines(const QList<rd::tls::CertificateInfo> &certificates, const QDateTime &now);
    // The status line for AdminService::certificateActionFinished. action:
    // "import", "generate", "csr", "complete", "remove"; subject: what the
    // panel asked about (file name, common name, certificate name).
    static QString actionResult(const QString &action, const QString &subject, bool ok, const QString &message,
                                const QStringList &warnings);
    static QString keyTypeText(int keyType); // int(rd::tls::KeyType) -> "RSA-2048"
    static QString sourceText(const QString &source);
    static QString localTime(const QDateTime &utc);
};

} // namespace rd::ui
