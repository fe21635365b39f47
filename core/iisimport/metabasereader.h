#pragma once
// Reads the SMTP part of an IIS 6 metabase (MetaBase.xml, as still written by
// the SMTP Server feature of Windows Server 2003-2022): the IIsSmtpService
// element (/LM/SmtpSvc, defaults every virtual server inherits) and each
// IIsSmtpServer element (/LM/SmtpSvc/n, one SMTP virtual server). Pure: fed
// the file's bytes, returns the elements or an error naming the line. No I/O.

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

namespace rd::iisimport {

struct MetabaseElement {
    QString type;                    // "IIsSmtpService" or "IIsSmtpServer"
    QString location;                // e.g. "/LM/SmtpSvc/1"
    QMap<QString, QString> properties; // attribute name -> value (whitespace-normalised by XML)
    qint64 line = 0;                 // where the element starts, for the report
};

struct MetabaseContent {
    QList<MetabaseElement> services; // IIsSmtpService (normally one)
    QList<MetabaseElement> servers;  // IIsSmtpServer, in document order
    int otherElements = 0;           // elements of other types (web sites, FTP, ...), skipped
};

// Parses `xml`. False with *error (a sentence with the line number) if the
// bytes are not well-formed XML, the root is not a metabase <configuration>,
// or an SMTP element lacks its Location. A metabase without any IIsSmtpServer
// element parses fine (the importer reports it).
bool readMetabase(const QByteArray &xml, MetabaseContent *out, QString *error);

} // namespace rd::iisimport
