SUMMARY = "UE-side MBMS security daemon (3GPP TS 33.246)"
DESCRIPTION = "GBA bootstrapping, USD-driven MBMS key management, MIKEY MSK/MTK processing and \
an SRTP bridge keyed by MKI, with a D-Bus API (org.mbmsd.Mbmsd1) and the mbmsctl tool."
HOMEPAGE = "https://github.com/mbmsd/mbmsd"
SECTION = "net"
LICENSE = "LGPL-2.1-or-later"
LIC_FILES_CHKSUM = "file://COPYING;md5=4fbd65380cdd255951079008b364516c"

SRC_URI = "git://github.com/mbmsd/mbmsd.git;protocol=https;branch=main"
# Pin a release commit in a product layer; AUTOREV follows main.
SRCREV = "${AUTOREV}"
PV = "0.1.0+git${SRCPV}"
S = "${WORKDIR}/git"

DEPENDS = "glib-2.0 glib-2.0-native libsoup openssl libsrtp libxml2"

inherit meson pkgconfig systemd bash-completion

# The test suites need the shared vectors and the lab's peers: they run in CI, not here.
EXTRA_OEMESON += "-Dtests=false"

# UICC backends. "soft-usim" installs the lab software USIM's key file (public test keys:
# lab and test images only); the daemon uses the software USIM when no card backend is
# configured. PC/SC and AT-command backends get their switches when they land.
PACKAGECONFIG ??= "pcsc at"
PACKAGECONFIG[soft-usim] = "-Dsoft_usim_config=true,-Dsoft_usim_config=false"
# real cards: a PC/SC reader (pcsc-lite; pcscd at run time) and a modem's AT port
PACKAGECONFIG[pcsc] = "-Dpcsc=enabled,-Dpcsc=disabled,pcsc-lite,pcsc-lite"
PACKAGECONFIG[at] = "-Dat=true,-Dat=false"

SYSTEMD_SERVICE:${PN} = "mbmsd.service"
# Installed, not started: a card and User Service Descriptions come first.
SYSTEMD_AUTO_ENABLE:${PN} = "disable"

FILES:${PN} += " \
    ${systemd_system_unitdir}/mbmsd.service \
    ${datadir}/dbus-1/system.d/org.mbmsd.Mbmsd1.conf \
    ${datadir}/dbus-1/system-services/org.mbmsd.Mbmsd1.service \
    ${datadir}/dbus-1/interfaces/org.mbmsd.Mbmsd1.xml \
    ${datadir}/polkit-1/actions/org.mbmsd.Mbmsd1.policy \
    ${datadir}/polkit-1/rules.d/50-mbmsd-pcscd.rules \
"
CONFFILES:${PN} = "${sysconfdir}/mbmsd/mbmsd.conf"

RDEPENDS:${PN} = "dbus glib-networking"
# polkit extends who may control mbmsd beyond its groups; without it the groups decide alone
RRECOMMENDS:${PN} = "polkit"
