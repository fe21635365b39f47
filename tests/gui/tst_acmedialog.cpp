// The "Order with ACME" dialog offscreen: what it allows before an order
// (names, terms, HTTP-01 only when acme.http01_allowed), the DNS-01 records it
// shows and the confirmation it sends, the end of an order (issued / failed),
// and an order through a facade without an engine (a clear failure, nothing
// left running). The order itself runs in the engine and is tested against
// Pebble (tests/unit/tst_acmepebble.cpp, tests/integration/test_acme.py).

#include "certificates/acmedialog.h"
#include "certificates/certificatespanel.h"

#include "config/settings.h"
#include "engine/enginefacade.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using rd::config::ConfigSnapshot;
using rd::ui::AcmeDialog;
namespace keys = rd::config::keys;

namespace {

ConfigSnapshot config(bool http01)
{
    ConfigSnapshot c;
    QString e;
    c.setValue(QString::fromLatin1(keys::kHostname), QStringLiteral("Mail.Example.com"), &e);
    c.setValue(QString::fromLatin1(keys::kAcmeHttp01), http01, &e);
    c.setValue(QString::fromLatin1(keys::kAcmeEmail), QStringLiteral("admin@example.com"), &e);
    return c;
}

} // namespace

class TestAcmeDialog : public QObject {
    Q_OBJECT
private slots:
    void defaultsAndValidation();
    void http01OnlyWhenAllowed();
    void dnsRecordsShown();
    void finishedStates();
    void orderWithoutEngineFails();
    void panelOpensTheDialog();

private:
    template <typename T>
    T *child(QObject *o, const char *name)
    {
        T *w = o->findChild<T *>(QLatin1String(name));
        if (!w)
            qFatal("no child %s", name);
        return w;
    }
    QTemporaryDir m_dir;
};

void TestAcmeDialog::defaultsAndValidation()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(true));
    QCOMPARE(d.names(), QStringList{QStringLiteral("mail.example.com")}); // the host name, lower case
    QCOMPARE(d.challenge(), QStringLiteral("http-01"));
    QVERIFY(!d.orderButton()->isEnabled()); // terms not agreed yet
    child<QCheckBox>(&d, "acmeTerms")->setChecked(true);
    QVERIFY(d.orderButton()->isEnabled());
    child<QLineEdit>(&d, "acmeNames")->setText(QStringLiteral(" smtp.example.com,mail.example.com  SMTP.example.com "));
    QCOMPARE(d.names(), (QStringList{QStringLiteral("smtp.example.com"), QStringLiteral("mail.example.com")}));
    child<QLineEdit>(&d, "acmeNames")->clear();
    QVERIFY(!d.orderButton()->isEnabled());
    QVERIFY(child<QLabel>(&d, "acmeDirectory")->text().contains(QLatin1String("letsencrypt")));
}

void TestAcmeDialog::http01OnlyWhenAllowed()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(false));
    QCOMPARE(d.challenge(), QStringLiteral("dns-01")); // HTTP-01 is off: DNS-01 preselected
    QVERIFY(child<QLabel>(&d, "acmeChallengeNote")->text().contains(QLatin1String("acme.http01_allowed")));
    child<QCheckBox>(&d, "acmeTerms")->setChecked(true);
    QVERIFY(d.orderButton()->isEnabled());
    child<QComboBox>(&d, "acmeChallenge")->setCurrentIndex(0); // HTTP-01 chosen anyway
    QCOMPARE(d.challenge(), QStringLiteral("http-01"));
    QVERIFY(!d.orderButton()->isEnabled());
}

void TestAcmeDialog::dnsRecordsShown()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(false));
    child<QCheckBox>(&d, "acmeTerms")->setChecked(true);
    // Without an engine the order ends at once; show the records as an engine would mid-order.
    d.order();
    QTRY_VERIFY(!d.isRunning());
    QVERIFY(child<QLabel>(&d, "acmeResult")->text().contains(QLatin1String("no engine")));
    // What the engine reports mid-order for DNS-01: the records to publish.
    QList<rd::acme::DnsChallengeRecord> records{{QStringLiteral("_acme-challenge.mail.example.com"),
                                                 QStringLiteral("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0")}};
    d.setDnsRecords(records);
    auto *table = child<QTableWidget>(&d, "acmeDnsRecords");
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("_acme-challenge.mail.example.com"));
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));
    QVERIFY(child<QPushButton>(&d, "acmeCopyRecords")->isEnabled());
    QVERIFY(child<QPlainTextEdit>(&d, "acmeProgress")->toPlainText().contains(QLatin1String("publish the 1 TXT")));
}

void TestAcmeDialog::finishedStates()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(true));
    QSignalSpy issued(&d, &AcmeDialog::issued);
    d.setFinished(false, QStringLiteral("authorization for mail.example.com failed: urn:ietf:params:acme:error:"
                                        "connection"),
                  QString());
    QVERIFY(child<QLabel>(&d, "acmeResult")->text().startsWith(QLatin1String("The order failed: authorization")));
    QCOMPARE(issued.count(), 0);
    d.setFinished(true, QStringLiteral("certificate c-1 issued for CN=mail.example.com, valid until 2027-02-24"),
                  QStringLiteral("c-1"));
    QCOMPARE(issued.count(), 1);
    QCOMPARE(issued.first().first().toString(), QStringLiteral("c-1"));
    QVERIFY(child<QLabel>(&d, "acmeResult")->text().startsWith(QLatin1String("Issued: certificate c-1")));
    QVERIFY(!child<QPushButton>(&d, "acmeCancel")->isEnabled());
}

void TestAcmeDialog::orderWithoutEngineFails()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(true));
    QSignalSpy finished(&facade, &rd::engine::EngineFacade::acmeFinished);
    child<QCheckBox>(&d, "acmeTerms")->setChecked(true);
    QTest::mouseClick(d.orderButton(), Qt::LeftButton);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(0).toBool(), false);
    QVERIFY(!d.isRunning());
    QVERIFY(d.orderButton()->isEnabled()); // may try again
}

void TestAcmeDialog::panelOpensTheDialog()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    rd::ui::CertificatesPanel panel(&facade);
    panel.setConfig(config(false));
    auto *button = panel.findChild<QPushButton *>(QStringLiteral("acmeButton"));
    QVERIFY(button);
    QPointer<AcmeDialog> d = panel.openAcmeDialog();
    QVERIFY(d);
    QCOMPARE(d->challenge(), QStringLiteral("dns-01"));
    QCOMPARE(d->names(), QStringList{QStringLiteral("mail.example.com")});
    d->close();
}

QTEST_MAIN(TestAcmeDialog)
#include "tst_acmedialog.moc"
