/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain definitions on disk: <config_dir>/<name>.xml, written atomically
 * (a temporary file in the same directory, fsync, rename over the old file,
 * fsync of the directory), so that a crash at any point leaves either the
 * old or the new file, never a torn one. Temporary files
 * (".<name>.xml.XXXXXX") do not end in ".xml" and are never loaded. Autostart is a symlink
 * <autostart_dir>/<name>.xml → <config_dir>/<name>.xml, as libvirt keeps it.
 * Errors are VIRT_ERROR (xml/virt-error.h).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "xml/domain-conf.h"

/* Larger definitions are refused at load: the remote protocol caps a string
 * at 4 MiB, so nothing bigger can have been defined through it. */
#define DOMAIN_STORE_MAX_FILE_BYTES (4 * 1024 * 1024)

/* Replaces path with contents (len bytes) atomically, with the given mode.
 * On failure the old file (if any) is untouched and no temporary file is
 * left behind. */
int domain_store_write_atomic(const char *path, const char *contents, size_t len, mode_t mode,
                              GError **error);

/* <config_dir>/<name>.xml */
char *domain_store_config_path(const char *config_dir, const char *name);

/* Writes the definition (inactive form, with secure fields) as
 * <config_dir>/<name>.xml, creating config_dir if needed. */
int domain_store_save(const char *config_dir, const domain_def *def, GError **error);
/* Removes <config_dir>/<name>.xml; a missing file is not an error. */
int domain_store_remove(const char *config_dir, const char *name, GError **error);

/* Parses every <name>.xml in config_dir (a missing directory holds none).
 * A file that cannot be read or parsed, or whose <name> differs from its
 * file name, is skipped and reported as one message in errors (char *,
 * "<path>: <reason>"); the others load. Returns domain_def * in file name
 * order, or NULL (error set) when the directory cannot be read. */
GPtrArray *domain_store_load_all(const char *config_dir, GPtrArray *errors, GError **error);

int domain_store_set_autostart(const char *config_dir, const char *autostart_dir,
                               const char *name, bool autostart, GError **error);
bool domain_store_get_autostart(const char *autostart_dir, const char *name);
