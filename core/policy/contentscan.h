#pragma once
// What content rules look at in a message, gathered from one MIME parse
// (core/mime): the decoded text of text/* parts and the file names of all
// parts, attached messages included. Pure; any thread.

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace rd::policy {

struct ScannedContent {
    QStringList texts;      // decoded text of each text/* leaf part, in order
    QStringList fileNames;  // every file name of every part, in order, distinct
    int defects = 0;        // MIME defects found
    bool incomplete = false; // a parse limit was hit
};

// Parses `message` and gathers texts (if `wantTexts`) and file names (if
// `wantNames`). A message/rfc822 part in base64 or quoted-printable is
// decoded and parsed as well; depth and part limits (32, 1000) count over
// all those parses together.
ScannedContent scanMessage(const QByteArray &message, bool wantTexts, bool wantNames);

// The extension a file name really has, as Windows would run it: lower case,
// without the dot, after dropping any directory part and trailing dots,
// spaces and control characters ("invoice.pdf.exe. " -> "exe"). Empty if the
// name has none.
QString fileExtension(const QString &fileName);

} // namespace rd::policy
