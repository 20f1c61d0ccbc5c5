/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtskiffd's framing and XDR helpers (driver/rpc/packet.c) and procedure
 * table. Expected bytes are written out from RFC 4506 and libvirt's packet
 * layout by hand (the CONNECT_OPEN call is byte for byte what virsh 9.0
 * sends, see tests/fuzz/corpus/rpc-packet/001-0).
 */
#include <check.h>
#include <glib.h>
#include <string.h>

#include "rpc/packet.h"
#include "rpc/proc-table.h"

#include "testutil.h"

/* CONNECT_OPEN("skiff:///system", flags 0), serial 2. */
static const uint8_t open_call[] = {
    0x00, 0x00, 0x00, 0x38,                         /* length 56 */
    0x20, 0x00, 0x80, 0x86,                         /* prog */
    0x00, 0x00, 0x00, 0x01,                         /* vers */
    0x00, 0x00, 0x00, 0x01,                         /* proc 1 */
    0x00, 0x00, 0x00, 0x00,                         /* CALL */
    0x00, 0x00, 0x00, 0x02,                         /* serial */
    0x00, 0x00, 0x00, 0x00,                         /* OK */
    0x00, 0x00, 0x00, 0x01,                         /* name present */
    0x00, 0x00, 0x00, 0x0f,                         /* 15 bytes */
    's', 'k', 'i', 'f', 'f', ':', '/', '/', '/', 's', 'y', 's', 't', 'e', 'm', 0x00,
    0x00, 0x00, 0x00, 0x00,                         /* flags */
};

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

START_TEST(length_bounds)
{
    static const struct {
        uint32_t len;
        bool ok;
    } cases[] = {
        { 0, false }, { 4, false }, { 27, false }, { 28, true }, { 56, true },
        { 32u << 20, true }, { (32u << 20) + 1, false }, { 0xffffffffu, false },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        uint8_t buf[4];
        uint32_t total = 0;
        int r;

        be32(buf, cases[i].len);
        r = rpc_packet_parse_length(buf, &total, &err);
        if (cases[i].ok) {
            ck_assert_int_eq(r, 0);
            ck_assert_uint_eq(total, cases[i].len);
        } else {
            ck_assert_int_eq(r, -1);
            ck_assert(g_error_matches(err, RPC_PACKET_ERROR, RPC_PACKET_ERROR_LENGTH));
        }
    }
}
END_TEST

START_TEST(open_call_decodes)
{
    g_autoptr(GError) err = NULL;
    struct rpc_header hdr;
    const uint8_t *body;
    size_t body_len;
    skiff_connect_open_args args = { 0 };
    const struct rpc_proc_desc *desc;

    ck_assert_int_eq(rpc_packet_parse_header(open_call, sizeof(open_call), &hdr, &body, &body_len,
                                             &err), 0);
    ck_assert_uint_eq(hdr.prog, 0x20008086);
    ck_assert_uint_eq(hdr.vers, 1);
    ck_assert_int_eq(hdr.proc, 1);
    ck_assert_int_eq(hdr.type, RPC_TYPE_CALL);
    ck_assert_uint_eq(hdr.serial, 2);
    ck_assert_int_eq(hdr.status, RPC_STATUS_OK);
    ck_assert_uint_eq(body_len, 28);
    ck_assert_ptr_eq(body, open_call + 28);

    desc = rpc_proc_lookup(hdr.proc);
    ck_assert_ptr_nonnull(desc);
    ck_assert_str_eq(desc->name, "CONNECT_OPEN");
    ck_assert_int_eq(rpc_xdr_decode(body, body_len, desc->args_filter, &args, &err), 0);
    ck_assert_ptr_nonnull(args.name);
    ck_assert_str_eq(*args.name, "skiff:///system");
    ck_assert_uint_eq(args.flags, 0);
    rpc_xdr_free(desc->args_filter, &args);
}
END_TEST

START_TEST(truncated_refused)
{
    const struct rpc_proc_desc *desc = rpc_proc_lookup(SKIFF_PROC_CONNECT_OPEN);
    struct rpc_header hdr;
    const uint8_t *body;
    size_t body_len;

    /* Fewer bytes than the length word announces; fewer than a header. */
    for (size_t len = 0; len < sizeof(open_call); len++) {
        g_autoptr(GError) err = NULL;

        ck_assert_int_eq(rpc_packet_parse_header(open_call, len, &hdr, &body, &body_len, &err),
                         -1);
        ck_assert(g_error_matches(err, RPC_PACKET_ERROR, RPC_PACKET_ERROR_TRUNCATED));
    }
    /* Every cut of the body fails to decode and leaves nothing allocated
     * (the leak checker of a sanitizer build sees it otherwise). */
    for (size_t len = 0; len < 28; len++) {
        g_autoptr(GError) err = NULL;
        skiff_connect_open_args args = { 0 };

        ck_assert_int_eq(rpc_xdr_decode(open_call + 28, len, desc->args_filter, &args, &err), -1);
        ck_assert(g_error_matches(err, RPC_PACKET_ERROR, RPC_PACKET_ERROR_DECODE));
        ck_assert_ptr_null(args.name);
    }
}
END_TEST

START_TEST(string_length_over_limit)
{
    /* A string announcing SKIFF_STRING_MAX + 1 bytes is refused before its
     * bytes are looked for. */
    uint8_t body[8];
    skiff_domain_lookup_by_name_args args = { 0 };
    g_autoptr(GError) err = NULL;

    be32(body, SKIFF_STRING_MAX + 1);
    be32(body + 4, 0);
    ck_assert_int_eq(rpc_xdr_decode(body, sizeof(body),
                                    (xdrproc_t)xdr_skiff_domain_lookup_by_name_args, &args, &err),
                     -1);
    ck_assert_ptr_null(args.name);
}
END_TEST

START_TEST(reply_bytes)
{
    static const uint8_t expected[] = {
        0x00, 0x00, 0x00, 0x28,                     /* 40 */
        0x20, 0x00, 0x80, 0x86, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x03,                     /* GET_TYPE */
        0x00, 0x00, 0x00, 0x01,                     /* REPLY */
        0x00, 0x00, 0x00, 0x07,                     /* serial */
        0x00, 0x00, 0x00, 0x00,                     /* OK */
        0x00, 0x00, 0x00, 0x05, 's', 'k', 'i', 'f', 'f', 0x00, 0x00, 0x00,
    };
    struct rpc_header hdr = { 0x20008086, 1, 3, RPC_TYPE_REPLY, 7, RPC_STATUS_OK };
    skiff_connect_get_type_ret ret = { .type = (char *)"skiff" };
    g_autoptr(GBytes) pkt = rpc_packet_build(&hdr, (xdrproc_t)xdr_skiff_connect_get_type_ret,
                                             &ret, NULL);
    gsize len;
    const uint8_t *p;

    ck_assert_ptr_nonnull(pkt);
    p = g_bytes_get_data(pkt, &len);
    ck_assert_uint_eq(len, sizeof(expected));
    ck_assert_mem_eq(p, expected, sizeof(expected));
}
END_TEST

START_TEST(empty_reply)
{
    struct rpc_header hdr = { 0x6b656570, 1, 2, RPC_TYPE_MESSAGE, 0, RPC_STATUS_OK };
    g_autoptr(GBytes) pkt = rpc_packet_build(&hdr, NULL, NULL, NULL);
    const uint8_t *p;
    gsize len;

    p = g_bytes_get_data(pkt, &len);
    ck_assert_uint_eq(len, 28);
    ck_assert_mem_eq(p, "\x00\x00\x00\x1c" "keep" "\x00\x00\x00\x01" "\x00\x00\x00\x02"
                        "\x00\x00\x00\x02", 20);
}
END_TEST

START_TEST(error_body_bytes)
{
    static const uint8_t expected[] = {
        0x00, 0x00, 0x00, 0x60,                     /* 96 */
        0x20, 0x00, 0x80, 0x86, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x17,                     /* LOOKUP_BY_NAME */
        0x00, 0x00, 0x00, 0x01,                     /* REPLY */
        0x00, 0x00, 0x00, 0x09,                     /* serial */
        0x00, 0x00, 0x00, 0x01,                     /* ERROR */
        0x00, 0x00, 0x00, 0x2a,                     /* code 42 VIR_ERR_NO_DOMAIN */
        0x00, 0x00, 0x00, 0x06,                     /* domain 6 VIR_FROM_DOM */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x13,
        'D', 'o', 'm', 'a', 'i', 'n', ' ', 'n', 'o', 't', ' ', 'f', 'o', 'u', 'n', 'd', ':', ' ',
        'x', 0x00,
        0x00, 0x00, 0x00, 0x02,                     /* level: error */
        0x00, 0x00, 0x00, 0x00,                     /* no dom */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* str1..3 */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* int1, int2: -1 */
        0x00, 0x00, 0x00, 0x00,                     /* no net */
    };
    /* The call it answers: the error reply keeps prog, vers, proc, serial. */
    struct rpc_header call = { 0x20008086, 1, 23, RPC_TYPE_CALL, 9, RPC_STATUS_OK };
    g_autoptr(GBytes) pkt = rpc_packet_build_error(&call, 42, 6, "Domain not found: x");
    const uint8_t *p;
    gsize len;

    p = g_bytes_get_data(pkt, &len);
    ck_assert_uint_eq(len, sizeof(expected));
    ck_assert_mem_eq(p, expected, sizeof(expected));
}
END_TEST

START_TEST(wire_sizes)
{
    struct rpc_header hdr = { 0x20008086, 1, 6, RPC_TYPE_REPLY, 1, RPC_STATUS_OK };
    skiff_node_get_info_ret info = { .model = "x86_64", .memory = 1, .cpus = 2 };
    skiff_domain_get_info_ret dinfo = { .state = 1, .nr_virt_cpu = 3 };
    g_autoptr(GBytes) a = rpc_packet_build(&hdr, (xdrproc_t)xdr_skiff_node_get_info_ret, &info,
                                           NULL);
    g_autoptr(GBytes) b = rpc_packet_build(&hdr, (xdrproc_t)xdr_skiff_domain_get_info_ret,
                                           &dinfo, NULL);
    const uint8_t *p;
    gsize len;

    /* libvirt sends the model as 32 four-byte words: 128 + 8 + 6 * 4. */
    p = g_bytes_get_data(a, &len);
    ck_assert_uint_eq(len, 28 + 160);
    ck_assert_mem_eq(p + 28, "\x00\x00\x00x\x00\x00\x00" "8", 8);
    ck_assert_mem_eq(p + 28 + 128, "\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02", 12);
    /* state (a word), maxMem, memory, nrVirtCpu (a word), cpuTime. */
    p = g_bytes_get_data(b, &len);
    ck_assert_uint_eq(len, 28 + 4 + 8 + 8 + 4 + 8);
    ck_assert_mem_eq(p + 28, "\x00\x00\x00\x01", 4);
    ck_assert_mem_eq(p + 28 + 20, "\x00\x00\x00\x03", 4);
}
END_TEST

/* What `virsh domcapabilities --virttype kvm` sends: three absent strings,
 * the virtualization type, the flags. */
START_TEST(domcaps_args_decode)
{
    static const uint8_t body[] = {
        0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
        0, 0, 0, 1,  0, 0, 0, 3,  'k', 'v', 'm', 0,
        0, 0, 0, 0,
    };
    const struct rpc_proc_desc *desc = rpc_proc_lookup(SKIFF_PROC_CONNECT_GET_DOMAIN_CAPABILITIES);
    skiff_connect_get_domain_capabilities_args args = { 0 };

    ck_assert_ptr_nonnull(desc);
    ck_assert_int_eq(rpc_xdr_decode(body, sizeof(body), desc->args_filter, &args, NULL), 0);
    ck_assert_ptr_null(args.emulatorbin);
    ck_assert_ptr_null(args.arch);
    ck_assert_ptr_null(args.machine);
    ck_assert_ptr_nonnull(args.virttype);
    ck_assert_str_eq(*args.virttype, "kvm");
    ck_assert_uint_eq(args.flags, 0);
    rpc_xdr_free(desc->args_filter, &args);
    /* One byte short: refused. */
    memset(&args, 0, sizeof(args));
    ck_assert_int_eq(rpc_xdr_decode(body, sizeof(body) - 1, desc->args_filter, &args, NULL), -1);
}
END_TEST

START_TEST(encode_over_limit)
{
    struct rpc_header hdr = { 0x20008086, 1, 7, RPC_TYPE_REPLY, 1, RPC_STATUS_OK };
    g_autofree char *big = g_malloc(SKIFF_STRING_MAX + 2);
    skiff_connect_get_capabilities_ret caps;
    skiff_connect_list_all_domains_ret list = { 0 };
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;
    GBytes *pkt;

    memset(big, 'a', SKIFF_STRING_MAX + 1);
    big[SKIFF_STRING_MAX + 1] = '\0';
    caps.capabilities = big;
    pkt = rpc_packet_build(&hdr, (xdrproc_t)xdr_skiff_connect_get_capabilities_ret, &caps, &err);
    ck_assert_ptr_null(pkt);
    ck_assert(g_error_matches(err, RPC_PACKET_ERROR, RPC_PACKET_ERROR_ENCODE));

    big[SKIFF_STRING_MAX] = '\0';
    pkt = rpc_packet_build(&hdr, (xdrproc_t)xdr_skiff_connect_get_capabilities_ret, &caps, NULL);
    ck_assert_ptr_nonnull(pkt);
    ck_assert_uint_eq(g_bytes_get_size(pkt), 28 + 4 + SKIFF_STRING_MAX);
    g_bytes_unref(pkt);

    list.domains.domains_len = SKIFF_DOMAIN_LIST_MAX + 1;
    list.domains.domains_val = g_new0(skiff_nonnull_domain, SKIFF_DOMAIN_LIST_MAX + 1);
    for (unsigned i = 0; i <= SKIFF_DOMAIN_LIST_MAX; i++)
        list.domains.domains_val[i].name = (char *)"d";
    pkt = rpc_packet_build(&hdr, (xdrproc_t)xdr_skiff_connect_list_all_domains_ret, &list, &err2);
    ck_assert_ptr_null(pkt);
    ck_assert(g_error_matches(err2, RPC_PACKET_ERROR, RPC_PACKET_ERROR_ENCODE));
    g_free(list.domains.domains_val);
}
END_TEST

/* Feeds bytes to a reader step bytes at a time; returns the packets. */
static GPtrArray *read_stream(const uint8_t *data, size_t len, size_t step, int *result)
{
    GPtrArray *pkts = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    rpc_reader r = { 0 };
    size_t off = 0;

    *result = 0;
    while (off < len) {
        uint8_t *dst;
        size_t n = MIN(MIN(rpc_reader_want(&r, &dst), step), len - off);

        ck_assert_uint_gt(n, 0);
        memcpy(dst, data + off, n);
        off += n;
        *result = rpc_reader_advance(&r, n, NULL);
        if (*result < 0)
            break;
        if (*result > 0) {
            size_t plen;
            uint8_t *p = rpc_reader_take(&r, &plen);

            g_ptr_array_add(pkts, g_bytes_new_take(p, plen));
        }
    }
    if (*result >= 0)
        *result = rpc_reader_in_packet(&r) ? 2 : 0;
    rpc_reader_clear(&r);
    return pkts;
}

START_TEST(reader_splits_stream)
{
    uint8_t stream[sizeof(open_call) + 28 + 10];
    static const size_t steps[] = { 1, 3, 4, 5, 56, 4096 };

    /* open_call, a keepalive PING, then 10 bytes of a next packet. */
    memcpy(stream, open_call, sizeof(open_call));
    memcpy(stream + sizeof(open_call),
           "\x00\x00\x00\x1c" "keep" "\x00\x00\x00\x01" "\x00\x00\x00\x01" "\x00\x00\x00\x02"
           "\x00\x00\x00\x00" "\x00\x00\x00\x00", 28);
    memcpy(stream + sizeof(open_call) + 28, open_call, 10);
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        int result;
        g_autoptr(GPtrArray) pkts = read_stream(stream, sizeof(stream), steps[i], &result);

        ck_assert_int_eq(result, 2);            /* stopped inside the third */
        ck_assert_uint_eq(pkts->len, 2);
        ck_assert_uint_eq(g_bytes_get_size(pkts->pdata[0]), sizeof(open_call));
        ck_assert_mem_eq(g_bytes_get_data(pkts->pdata[0], NULL), open_call, sizeof(open_call));
        ck_assert_uint_eq(g_bytes_get_size(pkts->pdata[1]), 28);
    }
}
END_TEST

START_TEST(reader_bad_length)
{
    int result;
    g_autoptr(GPtrArray) pkts = read_stream((const uint8_t *)"\x00\x00\x00\x1b" "junk", 8, 1,
                                            &result);

    ck_assert_int_eq(result, -1);
    ck_assert_uint_eq(pkts->len, 0);
}
END_TEST

START_TEST(reader_allocates_as_bytes_arrive)
{
    rpc_reader r = { 0 };
    uint8_t *dst;
    size_t want;

    /* A 32 MiB packet announced: the buffer starts at one chunk. */
    want = rpc_reader_want(&r, &dst);
    ck_assert_uint_eq(want, 4);
    be32(dst, RPC_PACKET_MAX);
    ck_assert_int_eq(rpc_reader_advance(&r, 4, NULL), 0);
    ck_assert_uint_eq(r.pkt_cap, RPC_READER_CHUNK);
    want = rpc_reader_want(&r, &dst);
    ck_assert_uint_eq(want, RPC_READER_CHUNK - 4);
    memset(dst, 0, want);
    ck_assert_int_eq(rpc_reader_advance(&r, want, NULL), 0);
    want = rpc_reader_want(&r, &dst);
    ck_assert_uint_eq(r.pkt_cap, 2 * RPC_READER_CHUNK);
    ck_assert_uint_eq(want, RPC_READER_CHUNK);
    rpc_reader_clear(&r);
}
END_TEST

START_TEST(proc_table_consistent)
{
    size_t n;
    const struct rpc_proc_desc *procs = rpc_proc_table(&n);

    ck_assert_uint_gt(n, 40);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            ck_assert_int_lt(procs[i - 1].proc, procs[i].proc);
        ck_assert_ptr_eq(rpc_proc_lookup(procs[i].proc), &procs[i]);
        ck_assert_int_eq(!procs[i].args_filter, procs[i].args_size == 0);
        ck_assert_int_eq(!procs[i].ret_filter, procs[i].ret_size == 0);
        /* Every argument struct has a field: an empty body is truncated. */
        if (procs[i].args_filter) {
            g_autofree void *args = g_malloc0(procs[i].args_size);

            ck_assert_int_eq(rpc_xdr_decode((const uint8_t *)"", 0, procs[i].args_filter, args,
                                            NULL), -1);
        }
    }
    /* Numbers libvirt has and virtskiffd does not implement. */
    ck_assert_ptr_null(rpc_proc_lookup(0));
    ck_assert_ptr_null(rpc_proc_lookup(8));
    ck_assert_ptr_null(rpc_proc_lookup(160));     /* ATTACH_DEVICE_FLAGS */
    ck_assert_ptr_null(rpc_proc_lookup(-1));
    ck_assert_ptr_null(rpc_proc_lookup(100000));
    /* What virsh relies on reaching: the calls of LIBVIRT-RPC.md's table. */
    ck_assert_ptr_nonnull(rpc_proc_lookup(66));
    ck_assert_ptr_nonnull(rpc_proc_lookup(273));
    ck_assert_ptr_nonnull(rpc_proc_lookup(350));
    ck_assert_ptr_nonnull(rpc_proc_lookup(361));
    ck_assert_ptr_nonnull(rpc_proc_lookup(201));     /* OPEN_CONSOLE */
    ck_assert_ptr_nonnull(rpc_proc_lookup(316));     /* event callbacks */
    ck_assert_ptr_nonnull(rpc_proc_lookup(317));
    ck_assert_ptr_nonnull(rpc_proc_lookup(342));     /* domain capabilities (virt-manager) */
    ck_assert(rpc_proc_lookup(342)->flags & RPC_PROC_READONLY);
    /* virt-manager asks for storage pools (281, 77), networks (52) and node
     * devices (111) and copes with NO_SUPPORT. */
    ck_assert_ptr_null(rpc_proc_lookup(281));
    ck_assert_ptr_null(rpc_proc_lookup(77));
    ck_assert_ptr_null(rpc_proc_lookup(52));
    ck_assert_ptr_null(rpc_proc_lookup(111));
    /* Events are messages the daemon sends: never a call it answers. */
    ck_assert_ptr_null(rpc_proc_lookup(318));
    ck_assert(!(rpc_proc_lookup(201)->flags & RPC_PROC_READONLY));
    ck_assert(rpc_proc_lookup(316)->flags & RPC_PROC_READONLY);
    ck_assert(rpc_proc_lookup(11)->flags & RPC_PROC_DOMAIN);
    ck_assert(!(rpc_proc_lookup(11)->flags & RPC_PROC_READONLY));
    ck_assert(rpc_proc_lookup(23)->flags & RPC_PROC_READONLY);
    ck_assert(rpc_proc_lookup(60)->flags & RPC_PROC_BEFORE_OPEN);
}
END_TEST

static Suite *rpc_packet_suite(void)
{
    Suite *s = suite_create("rpc-packet");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, length_bounds);
    tcase_add_test(tc, open_call_decodes);
    tcase_add_test(tc, truncated_refused);
    tcase_add_test(tc, string_length_over_limit);
    tcase_add_test(tc, reply_bytes);
    tcase_add_test(tc, empty_reply);
    tcase_add_test(tc, error_body_bytes);
    tcase_add_test(tc, wire_sizes);
    tcase_add_test(tc, domcaps_args_decode);
    tcase_add_test(tc, encode_over_limit);
    tcase_add_test(tc, reader_splits_stream);
    tcase_add_test(tc, reader_bad_length);
    tcase_add_test(tc, reader_allocates_as_bytes_arrive);
    tcase_add_test(tc, proc_table_consistent);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(rpc_packet_suite());
}
