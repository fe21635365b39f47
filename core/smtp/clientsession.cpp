#include "smtp/clientsession.h"
#include "smtp/clientreply.h"

#include <cstring>
#include <utility>

namespace rd::smtp {

using namespace clientreply;

namespace {

void appendEvent(ClientOutput &out, ClientEventKind kind)
{
    out.events.push_back(ClientEvent{kind, {}, {}});
}

ClientOptions withHelo(QByteArray heloName)
{
    ClientOptions o;
    o.heloName = std::move(heloName);
    return o;
}

} // namespace

ClientSession::ClientSession(QByteArray heloName)
    : ClientSession(withHelo(std::move(heloName)))
{
}

ClientSession::ClientSession(ClientOptions options)
    : m_opt(std::move(options))
    , m_heloName(m_opt.heloName)
    , m_tlsActive(m_opt.tlsActive)
{
    if (m_heloName.isEmpty())
        m_heloName = "localhost";
}

void ClientSession::feed(QByteArrayView serverBytes, ClientOutput &out)
{
    if (m_state == State::Closed)
        return;
    m_in.append(serverBytes);
    processInput(out);
}

void ClientSession::processInput(ClientOutput &out)
{
    while (m_state != State::Content && m_state != State::Closed && m_state != State::TlsHandshake) {
        const char *base = m_in.constData();
        const qsizetype size = m_in.size();
        const void *hit = m_scan < size ? std::memchr(base + m_scan, '\n', size_t(size - m_scan)) : nullptr;
        if (!hit) {
            if (size - m_scan > kMaxReplyLine)
                connectionFailed(localReply(0, {}, "malformed reply from server: line too long"), true, out);
            break;
        }
        const qsizetype lf = static_cast<const char *>(hit) - base;
        const qsizetype end = (lf > m_scan && base[lf - 1] == '\r') ? lf - 1 : lf;
        const QByteArrayView line(base + m_scan, end - m_scan);
        m_scan = lf + 1;

        const bool wellFormed = line.size() >= 3 && line.size() <= kMaxReplyLine && isDigit(line[0])
            && isDigit(line[1]) && isDigit(line[2]) && (line.size() == 3 || line[3] == ' ' || line[3] == '-');
        const int code = wellFormed ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') : 0;
        if (!wellFormed || (m_replyLines > 0 && code != m_replyCode) || m_replyLines >= kMaxReplyLines) {
            connectionFailed(localReply(0, {}, "malformed reply from server: \"" + printable(line) + '"'), true,
                             out);
            break;
        }
        m_replyCode = code;
        ++m_replyLines;
        if (line.size() > 3 && line[3] == '-')
            continue;

        const QByteArrayView block(base + m_replyStart, m_scan - m_replyStart);
        const ServerReply reply = parseReply(block);
        if (m_state == State::Ehlo && reply.success())
            parseCapabilities(block, m_caps);
        m_replyStart = m_scan;
        m_replyLines = 0;
        handleReply(reply, out);
    }

    if (m_state == State::Closed || m_state == State::TlsHandshake) {
        // After 220 to STARTTLS nothing sent in clear may be used (RFC 3207 5).
        m_in.clear();
        m_replyStart = m_scan = 0;
        m_replyLines = 0;
    } else if (m_replyStart == m_in.size()) {
        m_in.resize(0); // keeps the capacity
        m_replyStart = m_scan = 0;
    } else if (m_replyStart > 0) {
        m_in.remove(0, m_replyStart);
        m_scan -= m_replyStart;
        m_replyStart = 0;
    }
}

void ClientSession::handleReply(const ServerReply &reply, ClientOutput &out)
{
    if (m_state == State::Quit) { // any answer to QUIT ends the session
        connectionFailed(reply, false, out);
        return;
    }
    if (reply.code == 421) { // RFC 5321 3.8: the server is closing the channel
        connectionFailed(reply, true, out);
        return;
    }
    switch (m_state) {
    case State::Greeting:
        m_greeting = reply;
        if (reply.code == 220) {
            out.toSend += "EHLO " + m_heloName + "\r\n";
            m_state = State::Ehlo;
        } else {
            failAndQuit(reply, out);
        }
        break;
    case State::Ehlo:
        if (reply.success()) {
            afterHello(out);
        } else if (reply.permanent()) { // RFC 5321 3.2: fall back to HELO
            out.toSend += "HELO " + m_heloName + "\r\n";
            m_state = State::Helo;
        } else {
            failAndQuit(reply, out);
        }
        break;
    case State::Helo:
        if (reply.success()) {
            m_caps = ServerCapabilities();
            m_caps.serverName = firstWord(reply.text);
            afterHello(out);
        } else {
            failAndQuit(reply, out);
        }
        break;
    case State::StartTls:
        handleStartTlsReply(reply, out);
        break;
    case State::Auth:
        handleAuthReply(reply, out);
        break;
    case State::Transaction:
        handleTransactionReply(reply, out);
        break;
    case State::TlsHandshake:
    case State::Idle:
    case State::Content:
    case State::Quit:
    case State::Closed:
        connectionFailed(localReply(0, {}, "unexpected reply from server: \"" + printable(reply.toString()) + '"'),
                         true, out);
        break;
    }
}

void ClientSession::handleTransactionReply(const ServerReply &reply, ClientOutput &out)
{
    if (m_expectHead >= qsizetype(m_expect.size())) {
        connectionFailed(localReply(0, {}, "unexpected reply from server: \"" + printable(reply.toString()) + '"'),
                         true, out);
        return;
    }
    const Expect e = m_expect[size_t(m_expectHead++)];
    const bool pipelined = m_caps.pipelining;
    switch (e.cmd) {
    case Cmd::Mail:
        if (reply.success()) {
            m_mailAccepted = true;
            if (!pipelined)
                sendNextRcptOrData(out);
        } else {
            decide(reply);
            if (!pipelined)
                finishMessage(out); // no transaction was opened: no RSET
        }
        break;
    case Cmd::Rcpt:
        if (!m_decided) {
            m_result.rcpts[e.rcpt].reply = reply;
            if (reply.success())
                ++m_accepted;
        }
        if (!pipelined) {
            sendNextRcptOrData(out);
        } else if (!m_decided && m_accepted == 0 && m_expectHead < qsizetype(m_expect.size())
                   && m_expect[size_t(m_expectHead)].cmd == Cmd::Data) {
            decideAllRejected();
        }
        break;
    case Cmd::Data:
        if (reply.code == 354) {
            if (!m_decided && m_accepted > 0) {
                m_state = State::Content;
                appendEvent(out, ClientEventKind::SendContent);
                return;
            }
            // RFC 2920 3.1: DATA accepted although no recipient was; end it
            // with a lone "." and keep the failure already decided.
            out.toSend += ".\r\n";
            expect(Cmd::Dot);
        } else {
            // Anything but 354 ends the transaction; a 2xx here is a protocol
            // error, never a delivery (the content was not sent).
            if (!m_decided)
                decide(reply.success() ? localReply(451, "4.5.0",
                                                    "protocol error: the server answered DATA with \"" +
                                                        reply.toString() + "\" instead of 354")
                                       : reply);
            if (m_mailAccepted) {
                out.toSend += "RSET\r\n";
                expect(Cmd::Rset);
            } else {
                finishMessage(out);
            }
        }
        break;
    case Cmd::Dot:
        if (!m_decided)
            decide(reply);
        finishMessage(out);
        break;
    case Cmd::Rset:
        finishMessage(out);
        break;
    }
}

void ClientSession::sendNextRcptOrData(ClientOutput &out)
{
    const int count = int(m_msg.rcpts.size());
    while (m_nextRcpt < count && m_result.rcpts[m_nextRcpt].reply.local)
        ++m_nextRcpt; // unusable address, refused locally
    if (m_nextRcpt < count) {
        out.toSend += "RCPT TO:<" + m_msg.rcpts[m_nextRcpt] + ">\r\n";
        expect(Cmd::Rcpt, m_nextRcpt);
        ++m_nextRcpt;
    } else if (m_accepted > 0) {
        out.toSend += "DATA\r\n";
        expect(Cmd::Data);
    } else {
        decideAllRejected();
        out.toSend += "RSET\r\n";
        expect(Cmd::Rset);
    }
}

void ClientSession::decide(const ServerReply &reply)
{
    m_result.reply = reply;
    for (RecipientReply &r : m_result.rcpts) {
        if (r.reply.code == 0 && !r.reply.local)
            r.reply = reply; // never answered
    }
    m_decided = true;
}

void ClientSession::decideAllRejected()
{
    const RecipientReply *chosen = nullptr;
    for (const RecipientReply &r : std::as_const(m_result.rcpts)) {
        if (!chosen)
            chosen = &r;
        if (r.reply.temporary()) {
            chosen = &r;
            break;
        }
    }
    if (chosen)
        decide(chosen->reply);
    else
        decide(localReply(554, "5.5.1", "no recipients"));
}

void ClientSession::finishMessage(ClientOutput &out)
{
    ClientEvent ev{ClientEventKind::MessageDone, std::move(m_result), {}};
    out.events.push_back(std::move(ev));
    m_result = MessageResult();
    m_msg = ClientMessage();
    m_expect.clear();
    m_expectHead = 0;
    m_nextRcpt = 0;
    m_accepted = 0;
    m_mailAccepted = false;
    m_decided = false;
    m_state = State::Idle;
}

void ClientSession::failAndQuit(const ServerReply &reply, ClientOutput &out)
{
    if (!m_failedReported) {
        m_failedReported = true;
        out.events.push_back(ClientEvent{ClientEventKind::Failed, {}, reply, phase()});
    }
    out.toSend += "QUIT\r\n";
    m_state = State::Quit;
}

void ClientSession::connectionFailed(const ServerReply &reply, bool reportFailed, ClientOutput &out)
{
    if (m_state == State::Closed)
        return;
    const ClientPhase failedIn = phase();
    if (m_state == State::Transaction || m_state == State::Content) {
        if (!m_decided)
            decide(reply);
        m_result.connectionError = reply.toString();
        finishMessage(out);
    }
    if (reportFailed && !m_failedReported) {
        m_failedReported = true;
        out.events.push_back(ClientEvent{ClientEventKind::Failed, {}, reply, failedIn});
    }
    m_state = State::Closed;
    appendEvent(out, ClientEventKind::Closed);
}

void ClientSession::expect(Cmd cmd, int rcpt)
{
    m_expect.push_back(Expect{cmd, rcpt});
}

void ClientSession::sendMessage(const ClientMessage &message, ClientOutput &out)
{
    if (m_state != State::Idle) {
        MessageResult r;
        r.reply = localReply(0, {}, QByteArray("SMTP session not ready for a message (") + phaseName(phase()) + ')');
        for (const QByteArray &rcpt : message.rcpts)
            r.rcpts.append(RecipientReply{rcpt, r.reply});
        out.events.push_back(ClientEvent{ClientEventKind::MessageDone, std::move(r), {}});
        return;
    }

    m_msg = message;
    m_result = MessageResult();
    m_result.rcpts.reserve(message.rcpts.size());
    int usable = 0;
    for (const QByteArray &rcpt : message.rcpts) {
        RecipientReply rr{rcpt, {}};
        if (usableAddress(rcpt))
            ++usable;
        else
            rr.reply = localReply(553, "5.1.3", "recipient address contains CR, LF or NUL");
        m_result.rcpts.append(std::move(rr));
    }
    m_state = State::Transaction; // finishMessage() returns to Idle

    if (m_caps.sizeLimit > 0 && message.size > m_caps.sizeLimit) {
        decide(localReply(552, "5.3.4",
                          "message too big for next hop (SIZE " + QByteArray::number(m_caps.sizeLimit) + ')'));
        finishMessage(out);
        return;
    }
    if (message.smtpUtf8 && !m_caps.smtpUtf8) {
        // RFC 6531 3.4: do not downgrade; the next hop cannot take this message.
        decide(localReply(553, "5.6.7", "next hop does not support SMTPUTF8, which this message needs"));
        finishMessage(out);
        return;
    }
    if (!usableAddress(message.mailFrom)) {
        decide(localReply(553, "5.1.7", "sender address contains CR, LF or NUL"));
        finishMessage(out);
        return;
    }
    if (usable == 0) {
        decideAllRejected();
        finishMessage(out);
        return;
    }

    QByteArray &o = out.toSend;
    o += "MAIL FROM:<";
    o += message.mailFrom;
    o += '>';
    if (m_caps.sizeSupported && message.size > 0) {
        o += " SIZE=";
        o += QByteArray::number(message.size);
    }
    if (m_caps.eightBitMime && message.eightBit)
        o += " BODY=8BITMIME";
    if (message.smtpUtf8)
        o += " SMTPUTF8";
    o += "\r\n";
    expect(Cmd::Mail);
    if (!m_caps.pipelining)
        return; // RCPTs follow the MAIL reply one by one

    // RFC 2920: MAIL, every RCPT and DATA in one write; replies come in order.
    for (int i = 0; i < int(message.rcpts.size()); ++i) {
        if (m_result.rcpts[i].reply.local)
            continue;
        o += "RCPT TO:<";
        o += message.rcpts[i];
        o += ">\r\n";
        expect(Cmd::Rcpt, i);
    }
    o += "DATA\r\n";
    expect(Cmd::Data);
}

void ClientSession::contentDone(const DotStuffState &state, ClientOutput &out)
{
    if (m_state != State::Content)
        return;
    appendEndOfData(state, out.toSend);
    m_state = State::Transaction;
    expect(Cmd::Dot);
    processInput(out); // replies that arrived while content was sent
}

void ClientSession::quit(ClientOutput &out)
{
    switch (m_state) {
    case State::Idle:
        out.toSend += "QUIT\r\n";
        m_state = State::Quit;
        break;
    case State::Quit:
    case State::Closed:
        break;
    default:
        connectionFailed(localReply(0, {}, "connection closed by the client"), false, out);
        break;
    }
}

void ClientSession::abort(QByteArrayView reason, ClientOutput &out)
{
    if (m_state == State::Closed)
        return;
    if (m_state == State::Quit) {
        m_state = State::Closed;
        appendEvent(out, ClientEventKind::Closed);
        return;
    }
    connectionFailed(localReply(0, {}, reason), true, out);
}

bool ClientSession::readyForMessage() const
{
    return m_state == State::Idle;
}

bool ClientSession::closed() const
{
    return m_state == State::Closed;
}

bool ClientSession::awaitingReply() const
{
    switch (m_state) {
    case State::Greeting:
    case State::Ehlo:
    case State::Helo:
    case State::StartTls:
    case State::TlsHandshake: // the handshake gets the same time as a reply
    case State::Auth:
    case State::Transaction:
    case State::Quit:
        return true;
    default:
        return false;
    }
}

ClientPhase ClientSession::phase() const
{
    switch (m_state) {
    case State::Greeting: return ClientPhase::Greeting;
    case State::Ehlo: return ClientPhase::Ehlo;
    case State::Helo: return ClientPhase::Helo;
    case State::StartTls:
    case State::TlsHandshake: return ClientPhase::StartTls;
    case State::Auth: return ClientPhase::Auth;
    case State::Idle: return ClientPhase::Idle;
    case State::Content: return ClientPhase::Content;
    case State::Quit: return ClientPhase::Quit;
    case State::Closed: return ClientPhase::Closed;
    case State::Transaction: break;
    }
    if (m_expectHead >= qsizetype(m_expect.size()))
        return ClientPhase::Mail;
    switch (m_expect[size_t(m_expectHead)].cmd) {
    case Cmd::Mail: return ClientPhase::Mail;
    case Cmd::Rcpt: return ClientPhase::Rcpt;
    case Cmd::Data: return ClientPhase::Data;
    case Cmd::Dot: return ClientPhase::EndOfData;
    case Cmd::Rset: return ClientPhase::Rset;
    }
    return ClientPhase::Mail;
}

const char *ClientSession::phaseName(ClientPhase phase)
{
    switch (phase) {
    case ClientPhase::Greeting: return "greeting";
    case ClientPhase::Ehlo: return "EHLO";
    case ClientPhase::Helo: return "HELO";
    case ClientPhase::StartTls: return "STARTTLS";
    case ClientPhase::Auth: return "AUTH";
    case ClientPhase::Idle: return "idle";
    case ClientPhase::Mail: return "MAIL";
    case ClientPhase::Rcpt: return "RCPT";
    case ClientPhase::Data: return "DATA";
    case ClientPhase::Content: return "message content";
    case ClientPhase::EndOfData: return "end of data";
    case ClientPhase::Rset: return "RSET";
    case ClientPhase::Quit: return "QUIT";
    case ClientPhase::Closed: return "closed";
    }
    return "unknown";
}

void ClientSession::dotStuff(QByteArrayView chunk, DotStuffState &state, QByteArray &out)
{
    if (chunk.isEmpty())
        return;
    const char *const begin = chunk.data();
    const char *const end = begin + chunk.size();
    const qsizetype needed = out.size() + chunk.size() + chunk.size() / 32 + 16;
    if (out.capacity() < needed)
        out.reserve(needed);

    if (state.atLineStart && *begin == '.')
        out.append('.');
    const char *run = begin; // start of the octets not yet copied
    const char *p = begin;
    while (p < end) {
        const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
        if (!nl)
            break;
        const bool hadCR = nl > begin ? nl[-1] == '\r' : state.afterCR;
        if (!hadCR) { // bare LF: make it CRLF
            out.append(run, nl - run);
            out.append("\r\n", 2);
            run = nl + 1;
        }
        if (nl + 1 < end && nl[1] == '.') {
            out.append(run, nl + 1 - run);
            out.append('.');
            run = nl + 1; // the original "." is copied with the next run
        }
        p = nl + 1;
    }
    out.append(run, end - run);
    state.atLineStart = end[-1] == '\n';
    state.afterCR = end[-1] == '\r';
}

void ClientSession::appendEndOfData(const DotStuffState &state, QByteArray &out)
{
    if (state.afterCR)
        out.append("\n.\r\n", 4);
    else if (state.atLineStart)
        out.append(".\r\n", 3);
    else
        out.append("\r\n.\r\n", 5);
}

} // namespace rd::smtp
