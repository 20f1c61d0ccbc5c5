/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * skiff: boots one VM from the command line and runs it until the guest
 * powers off (exit 0), resets with --no-reboot (exit 2) or fails (exit 1).
 * A guest reset without --no-reboot rebuilds the VM from the same config.
 */
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm/cli.h"
#include "vmm/log.h"
#include "vmm/vmm.h"

enum {
    EXIT_POWEROFF = 0,
    EXIT_ERROR = 1,
    EXIT_RESET = 2,
};

int main(int argc, char **argv)
{
    struct cli_options opts = { 0 };
    struct vm_persist persist = { 0 };
    g_autoptr(GError) error = NULL;
    int rc;

    /* A serial reader that goes away must cost output, not the VM. */
    signal(SIGPIPE, SIG_IGN);
    /* Only what translated messages need: loading every locale category costs
     * a file per category at each start. */
    setlocale(LC_CTYPE, "");
    setlocale(LC_MESSAGES, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    rc = cli_parse(argc, argv, &opts, &error);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "skiff: %s\n", error->message);
        cli_options_clear(&opts);
        return rc < 0 ? EXIT_ERROR : EXIT_SUCCESS;
    }
    if (opts.version) {
        printf("skiff %s\n", SKIFF_VERSION);
        cli_options_clear(&opts);
        return EXIT_SUCCESS;
    }
    if (log_init(opts.verbosity, opts.log_file, &error) < 0) {
        fprintf(stderr, "skiff: %s\n", error->message);
        cli_options_clear(&opts);
        return EXIT_ERROR;
    }

    for (;;) {
        enum vm_stop_reason reason = vm_run(&opts.vm, &persist, &error);

        if (reason == VM_STOP_POWEROFF) {
            rc = EXIT_POWEROFF;
            break;
        }
        if (reason == VM_STOP_RESET && !opts.vm.no_reboot) {
            log_info(_("guest reset: restarting the VM"));
            continue;
        }
        if (reason == VM_STOP_RESET) {
            log_notice(_("guest reset and --no-reboot given: exiting"));
            rc = EXIT_RESET;
            break;
        }
        if (error)
            log_error("%s", error->message);
        rc = EXIT_ERROR;
        break;
    }
    cli_options_clear(&opts);
    return rc;
}
