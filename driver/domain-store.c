/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "driver/domain-store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xml/virt-error.h"

#define CONFIG_SUFFIX ".xml"
#define DIR_MODE 0700
#define CONFIG_MODE 0600

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Makes the rename itself durable. Some file systems cannot sync a
 * directory (EINVAL); the file is in place either way, so this only warns. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || (fsync(fd) < 0 && errno != EINVAL))
        g_warning(_("cannot sync directory %s: %s"), dir, g_strerror(errno));
    if (fd >= 0)
        close(fd);
}

int domain_store_write_atomic(const char *path, const char *contents, size_t len, mode_t mode,
                              GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    const char *what;
    int err;
    int fd;

    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode);
    if (fd < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot create a temporary file in %s: %s"),
                       dir, g_strerror(errno));
        return -1;
    }
    /* Exactly mode, whatever the umask. */
    if (fchmod(fd, mode) < 0) {
        what = "chmod";
        goto fail;
    }
    if (write_all(fd, contents, len) < 0) {
        what = "write";
        goto fail;
    }
    if (fsync(fd) < 0) {
        what = "fsync";
        goto fail;
    }
    if (close(fd) < 0) {
        fd = -1;
        what = "close";
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        what = "rename";
        goto fail;
    }
    sync_dir(dir);
    return 0;

fail:
    err = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot write %s (%s): %s"), path, what,
                   g_strerror(err));
    return -1;
}

char *domain_store_config_path(const char *config_dir, const char *name)
{
    g_autofree char *file = g_strconcat(name, CONFIG_SUFFIX, NULL);

    return g_build_filename(config_dir, file, NULL);
}

static int make_dir(const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, DIR_MODE) < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot create directory %s: %s"), dir,
                       g_strerror(errno));
        return -1;
    }
    return 0;
}

int domain_store_save(const char *config_dir, const domain_def *def, GError **error)
{
    g_autofree char *path = domain_store_config_path(config_dir, def->name);
    g_autofree char *xml = NULL;

    if (make_dir(config_dir, error) < 0)
        return -1;
    xml = domain_def_format(def, -1, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE);
    return domain_store_write_atomic(path, xml, strlen(xml), CONFIG_MODE, error);
}

int domain_store_remove(const char *config_dir, const char *name, GError **error)
{
    g_autofree char *path = domain_store_config_path(config_dir, name);

    if (unlink(path) < 0 && errno != ENOENT) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot remove %s: %s"), path,
                       g_strerror(errno));
        return -1;
    }
    sync_dir(config_dir);
    return 0;
}

/* One file; the message says what is wrong with it. */
static domain_def *load_one(const char *path, const char *expected_name, GError **error)
{
    g_autofree char *xml = NULL;
    g_autoptr(domain_def) def = NULL;
    struct stat st;
    size_t len;

    if (lstat(path, &st) < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, "%s", g_strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED, _("not a regular file"));
        return NULL;
    }
    if (st.st_size > DOMAIN_STORE_MAX_FILE_BYTES) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED, _("larger than %d bytes"),
                       DOMAIN_STORE_MAX_FILE_BYTES);
        return NULL;
    }
    if (!g_file_get_contents(path, &xml, &len, error))
        return NULL;
    if (strlen(xml) != len) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("the file holds a NUL byte"));
        return NULL;
    }
    def = domain_def_parse_string(xml, 0, error);
    if (!def)
        return NULL;
    if (strcmp(def->name, expected_name)) {
        virt_error_set(error, VIR_ERR_XML_ERROR,
                       _("the file name does not match the domain name '%s'"), def->name);
        return NULL;
    }
    return g_steal_pointer(&def);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *domain_store_load_all(const char *config_dir, GPtrArray *errors, GError **error)
{
    g_autoptr(GPtrArray) defs = g_ptr_array_new_with_free_func((GDestroyNotify)domain_def_free);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) dir_error = NULL;
    g_autoptr(GDir) dir = g_dir_open(config_dir, 0, &dir_error);
    const char *entry;

    if (!dir) {
        if (g_error_matches(dir_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&defs);
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot read %s: %s"), config_dir,
                       dir_error->message);
        return NULL;
    }
    /* The temporary files of an interrupted write (".<name>.xml.XXXXXX") do
     * not end in ".xml". */
    while ((entry = g_dir_read_name(dir))) {
        if (g_str_has_suffix(entry, CONFIG_SUFFIX) && strlen(entry) > strlen(CONFIG_SUFFIX))
            g_ptr_array_add(names, g_strdup(entry));
    }
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        const char *file = names->pdata[i];
        g_autofree char *name = g_strndup(file, strlen(file) - strlen(CONFIG_SUFFIX));
        g_autofree char *path = g_build_filename(config_dir, file, NULL);
        g_autoptr(GError) load_error = NULL;
        domain_def *def = load_one(path, name, &load_error);

        if (def)
            g_ptr_array_add(defs, def);
        else
            g_ptr_array_add(errors, g_strdup_printf("%s: %s", path, load_error->message));
    }
    return g_steal_pointer(&defs);
}

int domain_store_set_autostart(const char *config_dir, const char *autostart_dir,
                               const char *name, bool autostart, GError **error)
{
    g_autofree char *target = domain_store_config_path(config_dir, name);
    g_autofree char *link = domain_store_config_path(autostart_dir, name);

    if (!autostart) {
        if (unlink(link) < 0 && errno != ENOENT) {
            virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot remove %s: %s"), link,
                           g_strerror(errno));
            return -1;
        }
        return 0;
    }
    if (make_dir(autostart_dir, error) < 0)
        return -1;
    if (symlink(target, link) < 0) {
        if (errno == EEXIST && domain_store_get_autostart(autostart_dir, name))
            return 0;
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot create symlink %s: %s"), link,
                       g_strerror(errno));
        return -1;
    }
    return 0;
}

bool domain_store_get_autostart(const char *autostart_dir, const char *name)
{
    g_autofree char *link = domain_store_config_path(autostart_dir, name);
    struct stat st;

    return lstat(link, &st) == 0 && S_ISLNK(st.st_mode);
}
