#include "pickup/pickupjobs.h"

#include "pickup/atomicrename.h"
#include "pickup/badmail.h"
#include "pickup/pickupparser.h"
#include "queue/localmessage.h"
#include "util/fsutil.h"
#include "util/ids.h"

#include <QAtomicInteger>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QSet>

namespace rd::pickup {

namespace {

const QString kProcessing = QStringLiteral(".processing");
const QString kCommitting = QStringLiteral(".committing");
const QString kDone = QStringLiteral(".done");

QString newToken()
{
    static QAtomicInteger<quint32> counter;
    return QString::number(QDateTime::currentMSecsSinceEpoch(), 36) + QLatin1Char('-')
         + QString::number(counter.fetchAndAddRelaxed(1), 36);
}

QString stemOf(const QString &name)
{
    return name.endsWith(QStringLiteral(".eml"), Qt::CaseInsensitive) ? name.chopped(4) : name;
}

} // namespace

QString claimDirFor(const QString &pickupDir)
{
    return QDir::cleanPath(pickupDir) + QStringLiteral("/.relaydesk");
}

QString originalNameOf(const QString &claimFileName)
{
    QString s = claimFileName;
    if (s.endsWith(kCommitting)) {
        s.chop(kCommitting.size());
        s = s.left(s.lastIndexOf(QLatin1Char('.'))); // the queue id
    } else if (s.endsWith(kProcessing)) {
        s.chop(kProcessing.size());
    } else if (s.endsWith(kDone)) {
        s.chop(kDone.size());
    }
    const qsizetype us = s.indexOf(QLatin1Char('_'));
    return us >= 0 ? s.mid(us + 1) : s;
}

bool scanPickupFolder(const QString &pickupDir, QList<ScannedFile> *files, QString *error)
{
    if (!QDir().mkpath(claimDirFor(pickupDir))) {
        *error = QStringLiteral("cannot create the pickup folder %1 (or its .relaydesk subfolder)").arg(pickupDir);
        return false;
    }
    const QDir dir(pickupDir);
    if (!dir.isReadable()) {
        *error = QStringLiteral("cannot read the pickup folder %1").arg(pickupDir);
        return false;
    }
    const QFileInfoList list = dir.entryInfoList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDir::NoSort);
    for (const QFileInfo &fi : list) {
        if (!fi.fileName().endsWith(QStringLiteral(".eml"), Qt::CaseInsensitive))
            continue;
        files->append(ScannedFile{fi.fileName(), fi.size(), fi.lastModified().toMSecsSinceEpoch()});
    }
    return true;
}

QList<PrepareResult> preparePickupFiles(const PrepareConfig &config, const QList<PrepareItem> &items)
{
    QList<PrepareResult> results;
    const QString claimDir = claimDirFor(config.pickupDir);
    const Badmail badmail(config.badmailDir);
    bool renamed = false;
    for (const PrepareItem &item : items) {
        PrepareResult r;
        r.name = item.name;
        QString claimed = item.path;
        if (!item.claimed) {
            claimed = claimDir + QLatin1Char('/') + newToken() + QLatin1Char('_') + item.name + kProcessing;
            if (!atomicRename(item.path, claimed)) {
                results.append(r); // Skipped: still open by its writer, or gone
                continue;
            }
            const QFileInfo after(claimed);
            if (item.size >= 0
                && (after.size() != item.size || after.lastModified().toMSecsSinceEpoch() != item.mtimeMs)) {
                // Still being written (POSIX lets us rename an open file): put it back.
                r.kind = atomicRename(claimed, item.path) ? PrepareResult::Changed : PrepareResult::Deferred;
                r.claimedPath = claimed;
                r.detail = QStringLiteral("the file changed while it was claimed");
                results.append(r);
                continue;
            }
        }
        r.claimedPath = claimed;

        QFile f(claimed);
        QString error;
        QByteArray data;
        const qint64 size = QFileInfo(claimed).size();
        r.size = size;
        PickupParseResult parsed;
        if (config.maxMessageSize > 0 && size > config.maxMessageSize) {
            parsed.error = QStringLiteral("the message is %1 bytes, more than the message size limit of %2 bytes "
                                          "(smtp.max_message_size)")
                               .arg(size)
                               .arg(config.maxMessageSize);
        } else if (!f.open(QIODevice::ReadOnly)) {
            r.kind = PrepareResult::Deferred;
            r.detail = QStringLiteral("cannot read %1: %2").arg(claimed, f.errorString());
            results.append(r);
            continue;
        } else {
            data = f.readAll();
            f.close();
            parsed = parsePickupFile(data, config.maxMessageSize);
        }
        if (!parsed.ok()) {
            QString stored;
            if (badmail.moveIn(claimed, stemOf(item.name), QStringLiteral("pickup"), parsed.error, &stored, &error)) {
                r.kind = PrepareResult::Badmail;
                r.badPath = stored;
                r.detail = parsed.error;
            } else {
                r.kind = PrepareResult::Deferred;
                r.detail = QStringLiteral("%1; and it cannot go to badmail: %2").arg(parsed.error, error);
            }
            results.append(r);
            continue;
        }

        const PickupMessage &m = parsed.message;
        queue::LocalMessage lm;
        lm.sender = m.sender;
        lm.recipients = m.recipients;
        QList<QByteArray> params;
        if (m.eightBit)
            params << "BODY=8BITMIME";
        if (m.smtpUtf8)
            params << "SMTPUTF8";
        lm.mailParams = params.join(' ');
        lm.content = m.content;
        if (!config.hostname.isEmpty()) {
            const QString date = QLocale::c().toString(QDateTime::currentDateTimeUtc(),
                                                       QStringLiteral("ddd, dd MMM yyyy hh:mm:ss +0000"));
            lm.content.prepend(QStringLiteral("Received: from pickup by %1 (RelayDesk pickup);\r\n\t%2\r\n")
                                   .arg(config.hostname, date)
                                   .toUtf8());
        }
        lm.origin = QStringLiteral("pickup");
        lm.eightBit = m.eightBit;
        lm.smtpUtf8 = m.smtpUtf8;
        queue::QueueEntry entry;
        QString tmp;
        if (!queue::writeLocalMessage(config.spoolDir, lm, &entry, &tmp, &error)) {
            r.kind = PrepareResult::Deferred;
            r.detail = QStringLiteral("cannot write the spool file: %1").arg(error);
            results.append(r);
            continue;
        }
        const QString committing = claimDir + QLatin1Char('/') + QFileInfo(claimed).fileName().chopped(kProcessing.size())
                                 + QLatin1Char('.') + entry.info.queueId + kCommitting;
        if (!atomicRename(claimed, committing, &error)) {
            QFile::remove(tmp);
            r.kind = PrepareResult::Deferred;
            r.detail = error;
            results.append(r);
            continue;
        }
        renamed = true;
        r.kind = PrepareResult::Ready;
        r.committingPath = committing;
        r.claimedPath = claimed;
        r.entry = entry;
        r.tmpPath = tmp;
        r.sender = m.sender;
        r.recipients = int(m.recipients.size());
        results.append(r);
    }
    if (renamed) {
        QString error;
        util::syncDir(claimDir, &error); // best effort: a failure only risks a duplicate after a crash
    }
    return results;
}

RecoveryResult recoverClaims(const QString &pickupDir, const QString &spoolDir, const QSet<QString> &busy)
{
    RecoveryResult out;
    const QString claimDir = claimDirFor(pickupDir);
    const QFileInfoList list = QDir(claimDir).entryInfoList(QDir::Files | QDir::Hidden, QDir::Name);
    for (const QFileInfo &fi : list) {
        const QString path = fi.absoluteFilePath();
        const QString file = fi.fileName();
        if (busy.contains(path))
            continue;
        const QString name = originalNameOf(file);
        if (file.endsWith(kDone)) {
            QFile::remove(path);
        } else if (file.endsWith(kCommitting)) {
            const QString base = file.chopped(kCommitting.size());
            const QString queueId = base.mid(base.lastIndexOf(QLatin1Char('.')) + 1);
            const bool committed = util::isValidQueueId(queueId)
                                && QFileInfo::exists(spoolDir + QLatin1Char('/') + queueId + QStringLiteral(".msg"));
            if (committed) {
                QFile::remove(path);
                out.notes << QStringLiteral("%1 was queued as %2 before a restart; the pickup file is removed")
                                 .arg(name, queueId);
                continue;
            }
            const QString processing = claimDir + QLatin1Char('/') + base.left(base.lastIndexOf(QLatin1Char('.')))
                                     + kProcessing;
            if (atomicRename(path, processing)) {
                out.claimed.append(PrepareItem{name, processing, true});
                out.notes << QStringLiteral("%1 was not queued before a restart; it is picked up again").arg(name);
            }
        } else if (file.endsWith(kProcessing)) {
            out.claimed.append(PrepareItem{name, path, true});
            out.notes << QStringLiteral("%1 was claimed before a restart; it is picked up again").arg(name);
        }
    }
    return out;
}

} // namespace rd::pickup
