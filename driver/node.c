/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "driver/node.h"

#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#define SYS_NODE_DIR "/sys/devices/system/node"

/* The value of the first "key<TAB>: value" line of /proc/cpuinfo. */
static char *cpuinfo_field(const char *cpuinfo, const char *key)
{
    g_auto(GStrv) lines = g_strsplit(cpuinfo, "\n", -1);
    size_t klen = strlen(key);

    for (size_t i = 0; lines[i]; i++) {
        const char *colon;

        if (strncmp(lines[i], key, klen) != 0 || !strchr(" \t:", lines[i][klen]))
            continue;
        colon = strchr(lines[i] + klen, ':');
        if (colon)
            return g_strstrip(g_strdup(colon + 1));
    }
    return NULL;
}

/* Distinct values of a cpuinfo key (physical id: the sockets). */
static unsigned cpuinfo_distinct(const char *cpuinfo, const char *key)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) lines = g_strsplit(cpuinfo, "\n", -1);
    size_t klen = strlen(key);

    for (size_t i = 0; lines[i]; i++) {
        const char *colon;

        if (strncmp(lines[i], key, klen) != 0 || !strchr(" \t:", lines[i][klen]))
            continue;
        colon = strchr(lines[i] + klen, ':');
        if (colon)
            g_hash_table_add(seen, g_strstrip(g_strdup(colon + 1)));
    }
    return g_hash_table_size(seen);
}

static int cpuinfo_int(const char *cpuinfo, const char *key)
{
    g_autofree char *v = cpuinfo_field(cpuinfo, key);

    return v ? atoi(v) : 0;
}

static gint cmp_uint(gconstpointer a, gconstpointer b)
{
    unsigned x = *(const unsigned *)a;
    unsigned y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

/* NUMA node numbers present under SYS_NODE_DIR, sorted; empty without NUMA. */
static GArray *numa_nodes(void)
{
    GArray *nodes = g_array_new(FALSE, FALSE, sizeof(unsigned));
    g_autoptr(GDir) dir = g_dir_open(SYS_NODE_DIR, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        char *end;
        unsigned long id;

        if (strncmp(name, "node", 4) != 0 || !g_ascii_isdigit(name[4]))
            continue;
        id = strtoul(name + 4, &end, 10);
        if (*end == '\0' && id < 65536) {
            unsigned u = (unsigned)id;

            g_array_append_val(nodes, u);
        }
    }
    g_array_sort(nodes, cmp_uint);
    return nodes;
}

void node_get_info(struct node_info *info)
{
    g_autofree char *cpuinfo = NULL;
    g_autoptr(GArray) nodes = numa_nodes();
    struct utsname uts;
    struct sysinfo si;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned packages = 0;
    int siblings = 0;

    memset(info, 0, sizeof(*info));
    g_strlcpy(info->model, uname(&uts) == 0 ? uts.machine : "unknown", sizeof(info->model));
    if (sysinfo(&si) == 0)
        info->memory_kib = (uint64_t)si.totalram * si.mem_unit / 1024;
    info->cpus = online > 0 ? (int)MIN(online, G_MAXINT) : 1;
    info->nodes = nodes->len ? (int)nodes->len : 1;
    if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
        info->mhz = cpuinfo_int(cpuinfo, "cpu MHz");
        packages = cpuinfo_distinct(cpuinfo, "physical id");
        info->cores = cpuinfo_int(cpuinfo, "cpu cores");
        siblings = cpuinfo_int(cpuinfo, "siblings");
    }
    info->sockets = packages && packages % (unsigned)info->nodes == 0
                    ? (int)(packages / (unsigned)info->nodes) : 0;
    info->threads = info->cores > 0 && siblings % info->cores == 0 ? siblings / info->cores : 0;
    /* libvirt's rule: the product must be the CPU count, else the flat view. */
    if ((int64_t)info->nodes * info->sockets * info->cores * info->threads != info->cpus) {
        info->nodes = 1;
        info->sockets = 1;
        info->cores = info->cpus;
        info->threads = 1;
    }
}
