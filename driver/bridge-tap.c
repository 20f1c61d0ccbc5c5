/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Taps for bridged and managed ethernet interfaces: ioctls on /dev/net/tun
 * and on a socket (SIOCSIFHWADDR, SIOCSIFMTU, SIOCSIFFLAGS, SIOCBRADDIF), and
 * one netlink request to delete (see driver/bridge-tap.h).
 */
#include "driver/bridge-tap.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/config.h"
#include "xml/virt-error.h"

#define TUN_PATH "/dev/net/tun"
/* libvirt's first byte for the host side of a guest's MAC. */
#define HOST_MAC_FIRST_BYTE 0xfe

G_STATIC_ASSERT(sizeof(BRIDGE_TAP_NAME_TEMPLATE) <= IFNAMSIZ);

static int sys_error(GError **error, int err, const char *what, const char *name)
{
    /* TRANSLATORS: "cannot create tap vnet%d: Operation not permitted" */
    virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot %s %s: %s"), what, name,
                   g_strerror(err));
    return -1;
}

/* A socket for the interface ioctls, as libvirt uses. */
static int ctl_socket(GError **error)
{
    int fd = socket(AF_LOCAL, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot create a socket: %s"),
                       g_strerror(errno));
    return fd;
}

static void ifreq_name(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    g_strlcpy(ifr->ifr_name, name, sizeof(ifr->ifr_name));
}

/* ioctl(request) on a fresh control socket; the errno on failure. */
static int if_ioctl(unsigned long request, struct ifreq *ifr, GError **error)
{
    int fd = ctl_socket(error);
    int err = 0;

    if (fd < 0)
        return -1;
    if (ioctl(fd, request, ifr) < 0)
        err = errno;
    close(fd);
    return err;
}

/* The MTU of an existing interface (a bridge). */
static int get_mtu(const char *name, unsigned *mtu, GError **error)
{
    struct ifreq ifr;
    int err;

    ifreq_name(&ifr, name);
    err = if_ioctl(SIOCGIFMTU, &ifr, error);
    if (err == ENODEV) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED, _("bridge %s does not exist"), name);
        return -1;
    }
    if (err)
        return err < 0 ? -1 : sys_error(error, err, _("read the MTU of"), name);
    *mtu = (unsigned)ifr.ifr_mtu;
    return 0;
}

/* MAC, MTU, up: in this order, since the address changes only while down. */
static int configure(const char *name, const char *mac, unsigned mtu, GError **error)
{
    struct ifreq ifr;
    uint8_t bytes[6];
    int err;

    if (mac) {
        if (vm_config_parse_mac(mac, bytes) < 0) {
            virt_error_set(error, VIR_ERR_INTERNAL_ERROR, _("invalid MAC address %s"), mac);
            return -1;
        }
        bytes[0] = HOST_MAC_FIRST_BYTE;
        ifreq_name(&ifr, name);
        ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(ifr.ifr_hwaddr.sa_data, bytes, sizeof(bytes));
        if ((err = if_ioctl(SIOCSIFHWADDR, &ifr, error)))
            return err < 0 ? -1 : sys_error(error, err, _("set the MAC address of"), name);
    }
    if (mtu) {
        ifreq_name(&ifr, name);
        ifr.ifr_mtu = (int)mtu;
        if ((err = if_ioctl(SIOCSIFMTU, &ifr, error)))
            return err < 0 ? -1 : sys_error(error, err, _("set the MTU of"), name);
    }
    ifreq_name(&ifr, name);
    if ((err = if_ioctl(SIOCGIFFLAGS, &ifr, error)))
        return err < 0 ? -1 : sys_error(error, err, _("read the flags of"), name);
    ifr.ifr_flags |= IFF_UP;
    if ((err = if_ioctl(SIOCSIFFLAGS, &ifr, error)))
        return err < 0 ? -1 : sys_error(error, err, _("bring up"), name);
    return 0;
}

int bridge_tap_create(const char *name, bool multi_queue, const char *mac, unsigned mtu,
                      char **created, GError **error)
{
    struct ifreq ifr;
    g_autoptr(GError) cleanup_error = NULL;
    int fd;

    *created = NULL;
    fd = open(TUN_PATH, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return sys_error(error, errno, _("open"), TUN_PATH);
    ifreq_name(&ifr, name);
    /* IFF_TUN_EXCL: never attach to an interface that exists already. The
     * flags are the ones skiff opens it with; only IFF_MULTI_QUEUE must
     * match, the rest is set again on each open. */
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL |
                    (multi_queue ? IFF_MULTI_QUEUE : 0);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int err = errno;

        close(fd);
        if (err == EBUSY) {
            virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                           _("cannot create tap %s: an interface of that name exists already"),
                           name);
            return -1;
        }
        return sys_error(error, err, _("create tap"), name);
    }
    /* Persistent, so that it outlives this descriptor until skiff opens it;
     * owned by the daemon's user, who also runs skiff. */
    if (ioctl(fd, TUNSETOWNER, (unsigned long)geteuid()) < 0 ||
        ioctl(fd, TUNSETPERSIST, 1UL) < 0) {
        int err = errno;

        close(fd);
        return sys_error(error, err, _("make persistent tap"), ifr.ifr_name);
    }
    close(fd);
    if (configure(ifr.ifr_name, mac, mtu, error) < 0) {
        if (bridge_tap_delete(ifr.ifr_name, &cleanup_error) < 0)
            g_warning("%s", cleanup_error->message);
        return -1;
    }
    *created = g_strndup(ifr.ifr_name, sizeof(ifr.ifr_name));
    return 0;
}

int bridge_tap_enslave(const char *tap, const char *bridge, GError **error)
{
    struct ifreq ifr;
    unsigned index = if_nametoindex(tap);
    int err;

    if (!index)
        return sys_error(error, errno, _("find interface"), tap);
    ifreq_name(&ifr, bridge);
    ifr.ifr_ifindex = (int)index;
    err = if_ioctl(SIOCBRADDIF, &ifr, error);
    if (!err)
        return 0;
    if (err < 0)
        return -1;
    if (err == ENODEV)
        virt_error_set(error, VIR_ERR_OPERATION_FAILED, _("bridge %s does not exist"), bridge);
    else if (err == EOPNOTSUPP || err == EINVAL)
        virt_error_set(error, VIR_ERR_OPERATION_FAILED, _("%s is not a bridge"), bridge);
    else
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot add %s to bridge %s: %s"), tap,
                       bridge, g_strerror(err));
    return -1;
}

/* RTM_DELLINK for one interface index, and the kernel's answer. */
static int netlink_delete(unsigned index, const char *name, GError **error)
{
    struct {
        struct nlmsghdr nh;
        struct ifinfomsg ifi;
    } req = {
        .nh = {
            .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
            .nlmsg_type = RTM_DELLINK,
            .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
            .nlmsg_seq = 1,
        },
        .ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)index },
    };
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    union {
        struct nlmsghdr nh;
        char buf[512];
    } ans;
    struct nlmsgerr *e;
    ssize_t n;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

    if (fd < 0)
        return sys_error(error, errno, _("open a netlink socket to delete"), name);
    if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        int err = errno;

        close(fd);
        return sys_error(error, err, _("delete"), name);
    }
    /* The ack is immediate: the kernel handles the request in sendto(). */
    do {
        n = recv(fd, &ans, sizeof(ans), 0);
    } while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return sys_error(error, errno, _("read the answer to deleting"), name);
    if ((size_t)n < NLMSG_LENGTH(sizeof(*e)) || ans.nh.nlmsg_type != NLMSG_ERROR) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("unexpected netlink answer to deleting %s"), name);
        return -1;
    }
    e = NLMSG_DATA(&ans.nh);
    if (e->error == -ENODEV)
        return 0;
    if (e->error)
        return sys_error(error, -e->error, _("delete"), name);
    return 0;
}

int bridge_tap_delete(const char *name, GError **error)
{
    g_autofree char *dir = g_build_filename("/sys/class/net", name, NULL);
    g_autofree char *tun_flags = g_build_filename(dir, "tun_flags", NULL);
    unsigned index;

    index = if_nametoindex(name);
    if (!index)
        return errno == ENODEV || errno == ENXIO ? 0 : sys_error(error, errno, _("find"), name);
    /* Only a tun device has tun_flags: never delete another kind of link
     * that took the name meanwhile. */
    if (!g_file_test(tun_flags, G_FILE_TEST_EXISTS)) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("not deleting %s: it is no longer a tap"), name);
        return -1;
    }
    return netlink_delete(index, name, error);
}

/* One interface's tap: created, named, enslaved; undone on failure. */
static int prepare_one(struct domain_net *net, GError **error)
{
    g_autofree char *created = NULL;
    g_autoptr(GError) cleanup_error = NULL;
    unsigned mtu = net->mtu;

    /* libvirt gives the tap the bridge's MTU unless <mtu> says otherwise;
     * asking first also names a missing bridge before anything exists. */
    if (net->type == DOMAIN_NET_BRIDGE && !mtu && get_mtu(net->bridge, &mtu, error) < 0)
        return -1;
    if (bridge_tap_create(net->target_dev ? net->target_dev : BRIDGE_TAP_NAME_TEMPLATE,
                          net->queues > 1, net->mac, mtu, &created, error) < 0)
        return -1;
    if (net->type == DOMAIN_NET_BRIDGE && bridge_tap_enslave(created, net->bridge, error) < 0) {
        if (bridge_tap_delete(created, &cleanup_error) < 0)
            g_warning("%s", cleanup_error->message);
        return -1;
    }
    if (!net->target_dev)
        net->target_dev = g_steal_pointer(&created);
    net->tap_created = true;
    return 0;
}

int bridge_tap_prepare(domain_def *def, GError **error)
{
    for (guint i = 0; i < def->nets->len; i++) {
        struct domain_net *net = g_ptr_array_index(def->nets, i);

        if (!domain_net_daemon_creates_tap(net) || net->tap_created)
            continue;
        if (prepare_one(net, error) < 0) {
            g_prefix_error(error, _("interface %u: "), i);
            bridge_tap_release(def);
            return -1;
        }
    }
    return 0;
}

void bridge_tap_release(domain_def *def)
{
    for (guint i = 0; def && i < def->nets->len; i++) {
        struct domain_net *net = g_ptr_array_index(def->nets, i);
        g_autoptr(GError) error = NULL;

        if (!net->tap_created)
            continue;
        if (bridge_tap_delete(net->target_dev, &error) < 0)
            g_warning(_("interface %u: %s"), i, error->message);
        net->tap_created = false;
        /* A generated name: the parser never keeps one (DOMAIN_NET_TAP_PREFIX). */
        if (g_str_has_prefix(net->target_dev, DOMAIN_NET_TAP_PREFIX))
            g_clear_pointer(&net->target_dev, g_free);
    }
}
