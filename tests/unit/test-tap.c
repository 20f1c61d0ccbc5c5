/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Taps (backend/devices/tap.c) on the real kernel; needs root. A tap the
 * code creates vanishes with its last descriptor (also when a check fails
 * and the test's process ends); the one persistent tap a test makes is
 * removed by the test case's teardown in the parent process.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/tap.h"

#include "testutil.h"

static char persistent_name[IFNAMSIZ];

static bool have_root(void)
{
    if (geteuid() == 0)
        return true;
    fprintf(stderr, "test-tap: taps need root: skipped\n");
    return false;
}

/* Unique per process and test: "skt-u<pid><kind>". */
static void tap_name(char *buf, char kind)
{
    g_snprintf(buf, IFNAMSIZ, "skt-u%d%c", (int)(getpid() % 100000), kind);
}

static bool iface_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

/* A tap opened by hand, as another program would; flags IFF_*. */
static int open_by_hand(const char *name, short flags)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    ck_assert_int_ge(fd, 0);
    memset(&ifr, 0, sizeof(ifr));
    g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    ifr.ifr_flags = flags;
    ck_assert_msg(ioctl(fd, TUNSETIFF, &ifr) == 0, "TUNSETIFF %s: %s", name, g_strerror(errno));
    return fd;
}

static void set_persist(const char *name, bool on)
{
    int fd = open_by_hand(name, IFF_TAP | IFF_NO_PI);

    ck_assert_int_eq(ioctl(fd, TUNSETPERSIST, on ? 1 : 0), 0);
    close(fd);
}

/* In the parent, before the tests fork: they inherit the name. */
static void name_persistent(void)
{
    tap_name(persistent_name, 'p');
}

static void remove_persistent(void)
{
    struct ifreq ifr;
    int fd;

    if (!persistent_name[0] || !iface_exists(persistent_name))
        return;
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    memset(&ifr, 0, sizeof(ifr));
    g_strlcpy(ifr.ifr_name, persistent_name, sizeof(ifr.ifr_name));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) == 0)
        ioctl(fd, TUNSETPERSIST, 0);
    if (fd >= 0)
        close(fd);
}

static uint32_t ethtool_get(const char *name, uint32_t cmd)
{
    struct ethtool_value ev = { .cmd = cmd };
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    memset(&ifr, 0, sizeof(ifr));
    g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    ifr.ifr_data = (void *)&ev;
    ck_assert_int_eq(ioctl(s, SIOCETHTOOL, &ifr), 0);
    close(s);
    return ev.data;
}

START_TEST(create_and_vanish)
{
    g_autoptr(GError) error = NULL;
    char name[IFNAMSIZ];
    struct tap t;

    if (!have_root())
        return;
    tap_name(name, 'c');
    ck_assert(!iface_exists(name));
    ck_assert_msg(tap_open(&t, name, 1, &error) == 0, "%s", error ? error->message : "");
    ck_assert(t.created);
    ck_assert(t.vnet_hdr);
    ck_assert_uint_eq(t.n_fds, 1);
    ck_assert_str_eq(t.name, name);
    ck_assert(fcntl(t.fds[0], F_GETFL) & O_NONBLOCK);
    ck_assert(fcntl(t.fds[0], F_GETFD) & FD_CLOEXEC);
    ck_assert(t.offloads & TUN_F_CSUM);
    ck_assert(t.offloads & TUN_F_TSO4);
    ck_assert(iface_exists(name));
    /* Probing left every offload off. */
    ck_assert_uint_eq(ethtool_get(name, ETHTOOL_GTXCSUM), 0);
    ck_assert_int_eq(tap_set_offload(&t, TUN_F_CSUM | TUN_F_TSO4, &error), 0);
    ck_assert_uint_eq(ethtool_get(name, ETHTOOL_GTXCSUM), 1);
    ck_assert_uint_eq(ethtool_get(name, ETHTOOL_GTSO), 1);
    ck_assert_int_eq(tap_set_offload(&t, 0, &error), 0);
    ck_assert_uint_eq(ethtool_get(name, ETHTOOL_GTSO), 0);
    tap_close(&t);
    ck_assert(!iface_exists(name));
    tap_close(&t);      /* twice is harmless */
}
END_TEST

START_TEST(existing_persistent_kept)
{
    g_autoptr(GError) error = NULL;
    struct tap t;

    if (!have_root())
        return;
    set_persist(persistent_name, true);
    ck_assert(iface_exists(persistent_name));
    ck_assert_int_eq(tap_open(&t, persistent_name, 1, &error), 0);
    ck_assert(!t.created);
    tap_close(&t);
    ck_assert(iface_exists(persistent_name));
    set_persist(persistent_name, false);
    ck_assert(!iface_exists(persistent_name));
}
END_TEST

START_TEST(multi_queue)
{
    g_autoptr(GError) error = NULL;
    char name[IFNAMSIZ];
    struct tap t;
    struct tap other;

    if (!have_root())
        return;
    tap_name(name, 'q');
    ck_assert_msg(tap_open(&t, name, 3, &error) == 0, "%s", error ? error->message : "");
    ck_assert_uint_eq(t.n_fds, 3);
    ck_assert_int_eq(tap_set_queue_enabled(&t, 2, false, &error), 0);
    ck_assert_int_eq(tap_set_queue_enabled(&t, 2, true, &error), 0);
    /* A single-queue open of a multi-queue tap is refused, clearly. */
    ck_assert_int_eq(tap_open(&other, name, 1, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "not a single-queue tap"));
    g_clear_error(&error);
    tap_close(&t);
    ck_assert(!iface_exists(name));
}
END_TEST

START_TEST(not_a_tap)
{
    g_autoptr(GError) error = NULL;
    struct tap t;

    if (!have_root())
        return;
    ck_assert_int_eq(tap_open(&t, "lo", 1, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "lo exists and is not a single-queue tap"));
    g_clear_error(&error);
    ck_assert_int_eq(tap_open(&t, "0123456789abcdef", 1, &error), -1);
    ck_assert_uint_eq(t.n_fds, 0);
}
END_TEST

START_TEST(adopt_inherited)
{
    g_autoptr(GError) error = NULL;
    char name[IFNAMSIZ];
    char other[IFNAMSIZ];
    struct tap t;
    int fds[2];
    int p[2];

    if (!have_root())
        return;
    tap_name(name, 'f');
    tap_name(other, 'g');
    /* Without IFF_VNET_HDR: accepted, and no offloads. */
    fds[0] = open_by_hand(name, IFF_TAP | IFF_NO_PI);
    ck_assert_msg(tap_adopt(&t, fds, 1, &error) == 0, "%s", error ? error->message : "");
    ck_assert(!t.vnet_hdr);
    ck_assert(!t.created);
    ck_assert_uint_eq(t.offloads, 0);
    ck_assert_str_eq(t.name, name);
    ck_assert_int_ne(t.fds[0], fds[0]);
    ck_assert(fcntl(t.fds[0], F_GETFL) & O_NONBLOCK);
    tap_close(&t);
    ck_assert_int_ge(fcntl(fds[0], F_GETFD), 0);   /* the inherited one stays open */
    ck_assert(iface_exists(name));
    close(fds[0]);
    ck_assert(!iface_exists(name));

    /* Queues of two different taps, a tun, a tap with packet info, a pipe. */
    fds[0] = open_by_hand(name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
    fds[1] = open_by_hand(other, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
    ck_assert_int_eq(tap_adopt(&t, fds, 2, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "not a queue of tap"));
    g_clear_error(&error);
    close(fds[0]);
    close(fds[1]);
    fds[0] = open_by_hand(name, IFF_TUN | IFF_NO_PI);
    ck_assert_int_eq(tap_adopt(&t, fds, 1, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "tun device"));
    g_clear_error(&error);
    close(fds[0]);
    /* (A tap without IFF_NO_PI is refused only where TUNGETIFF tells: some
     * kernels report IFF_NO_PI whether or not it was asked for.) Two queues
     * need a multi-queue tap. */
    fds[0] = open_by_hand(name, IFF_TAP | IFF_NO_PI);
    fds[1] = fds[0];
    ck_assert_int_eq(tap_adopt(&t, fds, 2, &error), -1);
    g_clear_error(&error);
    close(fds[0]);
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(tap_adopt(&t, p, 1, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "not an attached tap"));
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(host_side)
{
    g_autoptr(GError) error = NULL;
    char name[IFNAMSIZ];
    struct sockaddr_in sin;
    struct ifreq ifr;
    struct tap t;
    int s;

    if (!have_root())
        return;
    tap_name(name, 'h');
    ck_assert_int_eq(tap_open(&t, name, 1, &error), 0);
    ck_assert_int_eq(tap_set_mtu(&t, 1280, &error), 0);
    ck_assert_int_eq(tap_set_address(&t, "198.18.250.1", "255.255.255.192", &error), 0);
    ck_assert_int_eq(tap_set_up(&t, &error), 0);
    ck_assert_int_eq(tap_set_up(&t, &error), 0);     /* already up: fine */

    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&ifr, 0, sizeof(ifr));
    g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    ck_assert_int_eq(ioctl(s, SIOCGIFMTU, &ifr), 0);
    ck_assert_int_eq(ifr.ifr_mtu, 1280);
    ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    ck_assert(ifr.ifr_flags & IFF_UP);
    ck_assert_int_eq(ioctl(s, SIOCGIFADDR, &ifr), 0);
    memcpy(&sin, &ifr.ifr_addr, sizeof(sin));
    ck_assert_str_eq(inet_ntoa(sin.sin_addr), "198.18.250.1");
    ck_assert_int_eq(ioctl(s, SIOCGIFNETMASK, &ifr), 0);
    memcpy(&sin, &ifr.ifr_netmask, sizeof(sin));
    ck_assert_str_eq(inet_ntoa(sin.sin_addr), "255.255.255.192");
    close(s);

    ck_assert_int_eq(tap_set_address(&t, "198.18.250.1", "not-a-mask", &error), -1);
    g_clear_error(&error);
    /* Over the tap's maximum. */
    ck_assert_int_eq(tap_set_mtu(&t, 70000, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, name));
    tap_close(&t);
    ck_assert(!iface_exists(name));
}
END_TEST

static Suite *tap_suite(void)
{
    Suite *s = suite_create("tap");
    TCase *tc = tcase_create("tap");

    tcase_add_unchecked_fixture(tc, name_persistent, remove_persistent);
    tcase_add_test(tc, create_and_vanish);
    tcase_add_test(tc, existing_persistent_kept);
    tcase_add_test(tc, multi_queue);
    tcase_add_test(tc, not_a_tap);
    tcase_add_test(tc, adopt_inherited);
    tcase_add_test(tc, host_side);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(tap_suite());
}
