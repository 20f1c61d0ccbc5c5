/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tap devices. A tap skiff creates is never made persistent: the kernel
 * deletes it when its last descriptor closes, so it goes when skiff exits,
 * even when skiff is killed. A tap that existed is only attached to (and its
 * address, MTU and link state set when asked), never deleted.
 *
 * The host-side settings go through ioctls on an AF_INET datagram socket
 * (SIOCSIFADDR and SIOCSIFNETMASK exist only there); it is never bound or
 * connected.
 */
#include "devices/tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/error.h"

#define TUN_PATH "/dev/net/tun"

/* What virtio-net may ask of the tap, most to least. */
static const unsigned offload_sets[] = {
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_UFO,
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
    TUN_F_CSUM,
};

void tap_init(struct tap *t)
{
    memset(t, 0, sizeof(*t));
    for (unsigned i = 0; i < TAP_MAX_QUEUES; i++)
        t->fds[i] = -1;
}

void tap_close(struct tap *t)
{
    for (unsigned i = 0; i < t->n_fds; i++) {
        if (t->fds[i] >= 0)
            close(t->fds[i]);
        t->fds[i] = -1;
    }
    t->n_fds = 0;
}

static int inet_socket(const char *name, GError **error)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (s < 0)
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("--net: tap %s: cannot make a socket to configure it: %s"), name,
                    g_strerror(errno));
    return s;
}

static void ifreq_for(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    g_strlcpy(ifr->ifr_name, name, sizeof(ifr->ifr_name));
}

/* 1 when an interface has that name, 0 when none, -1 on error. */
static int iface_exists(const char *name, GError **error)
{
    struct ifreq ifr;
    int s = inet_socket(name, error);
    int rc;

    if (s < 0)
        return -1;
    ifreq_for(&ifr, name);
    rc = ioctl(s, SIOCGIFINDEX, &ifr);
    if (rc < 0 && errno != ENODEV) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("--net: tap %s: %s"), name,
                    g_strerror(errno));
        close(s);
        return -1;
    }
    close(s);
    return rc == 0;
}

static int set_vnet_hdr_len(struct tap *t, GError **error)
{
    int len = TAP_VNET_HDR_LEN;

    if (ioctl(t->fds[0], TUNSETVNETHDRSZ, &len) < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("--net: tap %s: cannot set the virtio header size: %s"), t->name,
                    g_strerror(errno));
        return -1;
    }
    return 0;
}

/* Learns which offloads the tap takes, then leaves them all off until a
 * driver asks for them. */
static int probe_offloads(struct tap *t, GError **error)
{
    t->offloads = 0;
    if (!t->vnet_hdr)
        return 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(offload_sets); i++) {
        if (ioctl(t->fds[0], TUNSETOFFLOAD, (unsigned long)offload_sets[i]) == 0) {
            t->offloads = offload_sets[i];
            break;
        }
    }
    return tap_set_offload(t, 0, error);
}

static int open_queue(const char *name, bool multi_queue, bool existed, GError **error)
{
    struct ifreq ifr;
    int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    int err;

    if (fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("--net: cannot open %s: %s"),
                    TUN_PATH, g_strerror(errno));
        return -1;
    }
    ifreq_for(&ifr, name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi_queue ? IFF_MULTI_QUEUE : 0);
    if (ioctl(fd, TUNSETIFF, &ifr) == 0)
        return fd;
    err = errno;
    close(fd);
    if (err == EINVAL && existed)
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    multi_queue ? _("--net: %s exists and is not a multi-queue tap")
                                : _("--net: %s exists and is not a single-queue tap"), name);
    else if (err == EBUSY)
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_EXISTS,
                    _("--net: tap %s is in use by another process"), name);
    else
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    existed ? _("--net: cannot open tap %s: %s")
                            : _("--net: cannot create tap %s: %s"), name, g_strerror(err));
    return -1;
}

int tap_open(struct tap *t, const char *name, unsigned n, GError **error)
{
    int existed;

    g_return_val_if_fail(n >= 1 && n <= TAP_MAX_QUEUES, -1);
    tap_init(t);
    if (!*name || strlen(name) >= IFNAMSIZ) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--net: tap name \"%s\" is not 1 to %d characters"), name, IFNAMSIZ - 1);
        return -1;
    }
    g_strlcpy(t->name, name, sizeof(t->name));
    existed = iface_exists(name, error);
    if (existed < 0)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        int fd = open_queue(name, n > 1, existed, error);

        if (fd < 0) {
            tap_close(t);
            return -1;
        }
        t->fds[t->n_fds++] = fd;
    }
    t->created = !existed;
    t->vnet_hdr = true;
    if (set_vnet_hdr_len(t, error) < 0 || probe_offloads(t, error) < 0) {
        tap_close(t);
        return -1;
    }
    return 0;
}

/* Checks one inherited descriptor; fills *ifr with its interface. */
static int check_inherited(int fd, bool multi_queue, struct ifreq *ifr, GError **error)
{
    memset(ifr, 0, sizeof(*ifr));
    if (ioctl(fd, TUNGETIFF, ifr) < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--net: fd=%d is not an attached tap descriptor: %s"), fd,
                    g_strerror(errno));
        return -1;
    }
    if ((ifr->ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--net: fd=%d is a tun device, not a tap"), fd);
        return -1;
    }
    if (!(ifr->ifr_flags & IFF_NO_PI)) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--net: fd=%d: the tap was opened without IFF_NO_PI"), fd);
        return -1;
    }
    if (multi_queue && !(ifr->ifr_flags & IFF_MULTI_QUEUE)) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--net: fd=%d: several queues need a tap opened with IFF_MULTI_QUEUE"),
                    fd);
        return -1;
    }
    return 0;
}

/* A copy of fd, close-on-exec and non-blocking (the flag is shared with the
 * inherited descriptor: both are the same open file). */
static int take_copy(int fd, GError **error)
{
    int copy = dup(fd);
    int fl;

    if (copy < 0 || fcntl(copy, F_SETFD, FD_CLOEXEC) < 0 ||
        (fl = fcntl(copy, F_GETFL)) < 0 || fcntl(copy, F_SETFL, fl | O_NONBLOCK) < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("--net: fd=%d: %s"), fd,
                    g_strerror(errno));
        if (copy >= 0)
            close(copy);
        return -1;
    }
    return copy;
}

int tap_adopt(struct tap *t, const int *fds, unsigned n, GError **error)
{
    g_return_val_if_fail(n >= 1 && n <= TAP_MAX_QUEUES, -1);
    tap_init(t);
    for (unsigned i = 0; i < n; i++) {
        struct ifreq ifr;
        bool vnet_hdr;
        int copy;

        if (check_inherited(fds[i], n > 1, &ifr, error) < 0) {
            tap_close(t);
            return -1;
        }
        vnet_hdr = ifr.ifr_flags & IFF_VNET_HDR;
        if (i == 0) {
            g_strlcpy(t->name, ifr.ifr_name, sizeof(t->name));
            t->vnet_hdr = vnet_hdr;
        } else if (strcmp(t->name, ifr.ifr_name) != 0 || t->vnet_hdr != vnet_hdr) {
            g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                        _("--net: fd=%d is not a queue of tap %s opened like fd=%d"), fds[i],
                        t->name, fds[0]);
            tap_close(t);
            return -1;
        }
        copy = take_copy(fds[i], error);
        if (copy < 0) {
            tap_close(t);
            return -1;
        }
        t->fds[t->n_fds++] = copy;
    }
    if ((t->vnet_hdr && set_vnet_hdr_len(t, error) < 0) || probe_offloads(t, error) < 0) {
        tap_close(t);
        return -1;
    }
    return 0;
}

int tap_set_offload(const struct tap *t, unsigned tun_flags, GError **error)
{
    if (!t->vnet_hdr)
        return 0;
    if (ioctl(t->fds[0], TUNSETOFFLOAD, (unsigned long)tun_flags) < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("tap %s: cannot set offloads 0x%x: %s"), t->name, tun_flags,
                    g_strerror(errno));
        return -1;
    }
    return 0;
}

int tap_set_queue_enabled(const struct tap *t, unsigned i, bool on, GError **error)
{
    struct ifreq ifr;

    g_return_val_if_fail(i < t->n_fds, -1);
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
    /* Attaching an attached queue is EINVAL, as is detaching a detached one. */
    if (ioctl(t->fds[i], TUNSETQUEUE, &ifr) < 0 && errno != EINVAL) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    on ? _("tap %s: cannot attach queue %u: %s")
                       : _("tap %s: cannot detach queue %u: %s"), t->name, i,
                    g_strerror(errno));
        return -1;
    }
    return 0;
}

static int host_failed(const struct tap *t, const char *what, GError **error)
{
    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("--net: tap %s: cannot %s: %s"),
                t->name, what, g_strerror(errno));
    return -1;
}

int tap_set_mtu(const struct tap *t, unsigned mtu, GError **error)
{
    struct ifreq ifr;
    int s = inet_socket(t->name, error);
    int rc = 0;

    if (s < 0)
        return -1;
    ifreq_for(&ifr, t->name);
    if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
        rc = host_failed(t, _("read the MTU"), error);
    } else if ((unsigned)ifr.ifr_mtu != mtu) {
        /* Only a change needs privileges: an inherited tap may already be right. */
        ifr.ifr_mtu = (int)mtu;
        if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
            rc = host_failed(t, _("set the MTU"), error);
    }
    close(s);
    return rc;
}

static void set_in_addr(struct sockaddr *sa, const struct in_addr *a)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = *a };

    memcpy(sa, &sin, sizeof(sin));
}

int tap_set_address(const struct tap *t, const char *ip, const char *mask, GError **error)
{
    struct in_addr addr;
    struct in_addr netmask;
    struct ifreq ifr;
    int rc = 0;
    int s;

    if (inet_pton(AF_INET, ip, &addr) != 1 || inet_pton(AF_INET, mask, &netmask) != 1) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--net: ip=%s and mask=%s are not IPv4 addresses"), ip, mask);
        return -1;
    }
    s = inet_socket(t->name, error);
    if (s < 0)
        return -1;
    ifreq_for(&ifr, t->name);
    set_in_addr(&ifr.ifr_addr, &addr);
    if (ioctl(s, SIOCSIFADDR, &ifr) < 0) {
        rc = host_failed(t, _("set the IPv4 address"), error);
    } else {
        ifreq_for(&ifr, t->name);
        set_in_addr(&ifr.ifr_netmask, &netmask);
        if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
            rc = host_failed(t, _("set the netmask"), error);
    }
    close(s);
    return rc;
}

int tap_set_up(const struct tap *t, GError **error)
{
    struct ifreq ifr;
    int s = inet_socket(t->name, error);
    int rc = 0;

    if (s < 0)
        return -1;
    ifreq_for(&ifr, t->name);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        rc = host_failed(t, _("read the link flags"), error);
    } else if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
            rc = host_failed(t, _("bring the link up"), error);
    }
    close(s);
    return rc;
}
