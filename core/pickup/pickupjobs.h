#pragma once
// The blocking file work of the pickup folder, as plain functions that the
// PickupService runs on its worker thread: list the folder, claim and prepare
// files (parse, spool), and recover claims left by a crash.
//
// Claiming: a file is claimed by renaming it into the private subfolder
// <pickup>/.relaydesk as "<token>_<name>.processing" (atomic; on Windows it
// fails while the writer still holds the file open). Before its commit is
// requested the claimed file is renamed "<token>_<name>.<queueid>.committing"
// and the subfolder is synced, so after a crash the queue id tells whether the
// message was committed (its spool file <spool>/<queueid>.msg exists) or not.
//
// Thread: any (blocking file I/O); one job at a time per pickup folder.

#include "queue/queuestore.h"

#include <QList>
#include <QSet>
#include <QString>

namespace rd::pickup {

// The private subfolder of a pickup folder.
QString claimDirFor(const QString &pickupDir);

struct ScannedFile {
    QString name;        // file name in the pickup folder (*.eml, any case)
    qint64 size = 0;
    qint64 mtimeMs = 0;
};

// Lists *.eml files (creating the folder and its private subfolder when
// missing). False with *error if the folder cannot be created or read.
bool scanPickupFolder(const QString &pickupDir, QList<ScannedFile> *files, QString *error);

struct PrepareItem {
    QString name;           // original file name
    QString path;           // the file in the pickup folder, or its claimed path
    bool claimed = false;   // already in the private subfolder (.processing)
    qint64 size = -1;       // as last seen by the scan (-1: do not compare)
    qint64 mtimeMs = -1;
};

struct PrepareResult {
    enum Kind {
        Skipped,   // could not be claimed (still open by its writer, or gone): try again later
        Changed,   // claimed but still growing: put back, settle again
        Badmail,   // could not be read as mail: moved to badmail (detail: reason, badPath: where)
        Deferred,  // claimed, but spooling or badmail failed (detail): retry claimedPath later
        Ready,     // spooled: commit entry/tmpPath, then remove committingPath
    };
    Kind kind = Skipped;
    QString name;
    QString claimedPath;     // Deferred: the .processing file to retry
    QString committingPath;  // Ready
    QString badPath;         // Badmail
    QString detail;
    queue::QueueEntry entry; // Ready
    QString tmpPath;         // Ready
    qint64 size = 0;
    int recipients = 0;
    QByteArray sender;
};

struct PrepareConfig {
    QString pickupDir;
    QString spoolDir;
    QString badmailDir;
    qint64 maxMessageSize = 0;
    // server.hostname: when set, each message gets a first header line
    // "Received: from pickup by <hostname> (RelayDesk pickup); <date>" (as IIS
    // adds one for its pickup service; counted by the hop limit).
    QString hostname;
};

// Claims, parses and spools each item; one sync of the private subfolder at
// the end makes every .committing rename durable before any commit starts.
QList<PrepareResult> preparePickupFiles(const PrepareConfig &config, const QList<PrepareItem> &items);

struct RecoveryResult {
    QList<PrepareItem> claimed; // .processing files to prepare again
    QStringList notes;          // one sentence per file handled
};

// Handles what a crash left in the private subfolder: ".committing" whose
// spool file exists was committed (the pickup file is removed: no duplicate);
// one without a spool file was not (back to .processing: no loss);
// ".processing" files are prepared again; ".done" files are removed.
// `busy`: paths whose commit this process still waits for (left alone).
RecoveryResult recoverClaims(const QString &pickupDir, const QString &spoolDir, const QSet<QString> &busy);

// Parts of a claimed file's name.
QString originalNameOf(const QString &claimFileName);

} // namespace rd::pickup
