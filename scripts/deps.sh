#!/usr/bin/env bash
# Install what RelayDesk needs to build, run and test on Debian bookworm.
# Idempotent and quick: apt runs only when a package is missing (checked with dpkg-query).
# Source it (". scripts/deps.sh") or run it (bash scripts/deps.sh). Needs root or sudo.
set -euo pipefail

RELAYDESK_BUILD_PKGS=(
    cmake ninja-build g++ ccache pkg-config dpkg-dev file clang libclang-rt-14-dev lld
    qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite libqt6sql6-psql libssl-dev libsqlite3-dev
    libc-ares-dev libldap-dev libkrb5-dev publicsuffix qt6-networkauth-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev
)
RELAYDESK_TEST_PKGS=(
    python3 sqlite3
    postfix swaks libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl curl msmtp
    nsd python3-dkim python3-spf python3-dnspython python3-yaml psl python3-authres python3-nacl
    python3-oauthlib python3-jwt python3-cryptography dovecot-core dovecot-submissiond
    xvfb xauth imagemagick x11-utils iproute2
    pebble openssl unbound ldnsutils knot knot-dnsutils
    slapd ldap-utils krb5-kdc krb5-admin-server krb5-user python3-gssapi
    samba samba-dsdb-modules samba-ad-provision haproxy
    postgresql-15 postgresql-client-15
)

relaydesk_missing_pkgs() {
    local p status
    for p in "$@"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [[ "$status" == "installed" ]] || echo "$p"
    done
}

relaydesk_install_deps() {
    local missing sudo=""
    mapfile -t missing < <(relaydesk_missing_pkgs "${RELAYDESK_BUILD_PKGS[@]}" "${RELAYDESK_TEST_PKGS[@]}")
    if ((${#missing[@]} == 0)); then
        echo "deps: all ${#RELAYDESK_BUILD_PKGS[@]}+${#RELAYDESK_TEST_PKGS[@]} packages already installed"
        return 0
    fi
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
        sudo="sudo"
    fi
    echo "deps: installing ${missing[*]}"
    # Postfix is only here for /usr/sbin/smtp-sink: no system mail server must start.
    # NSD is only here for the tests' own instances (tests/integration/dnsserver.py, on
    # 127.0.0.1 and a free high port); whether apt starts its system service does not matter.
    # The same goes for Unbound (the validating resolver of the DANE tests), Pebble
    # (Let's Encrypt's test ACME server, started by tst_acmepebble on loopback) and Knot DNS
    # (the RFC 2136 update server of the ACME DNS-01 tests, tests/integration/knotserver.py),
    # OpenLDAP's slapd, MIT's krb5kdc and Samba (an AD domain controller): the directory and
    # Kerberos tests run their own in temp folders (tests/integration/slapdserver.py,
    # kdcserver.py, sambadc.py on 127.0.0.88); apt may start system smbd/nmbd, which use
    # other ports and do not matter.
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    # slapd without a system directory: otherwise its postinst starts one on *:389, the
    # port the Samba AD test's DC needs on 127.0.0.88.
    echo "slapd slapd/no_configuration boolean true" | $sudo debconf-set-selections
    # PostgreSQL 15 is only here for the cluster tests' own servers (tests/integration/pgserver.py,
    # initdb in a temp folder): no system cluster on 5432.
    $sudo mkdir -p /etc/postgresql-common
    if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
        echo "create_main_cluster = false" | $sudo tee -a /etc/postgresql-common/createcluster.conf >/dev/null
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    # Where apt started system daemons on the AD ports (389/636/88/464), stop them: the tests
    # run their own. (Postfix, NSD, Unbound, Knot and Dovecot use other ports or none here.)
    local svc
    for svc in slapd krb5-kdc krb5-admin-server samba-ad-dc haproxy; do
        if [[ -x /etc/init.d/$svc ]]; then
            $sudo /etc/init.d/$svc stop >/dev/null 2>&1 || true
        fi
    done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    relaydesk_install_deps
fi
