/* cmd_convert.c — `onnxfold convert IN OUT`: load and save, losslessly.
 *
 * Also the way to move weights into external data (--external-data) or back
 * inline (--internal). OUT is written atomically; OUT equal to IN is refused
 * unless --force, so an input is never overwritten by accident.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

static const char help[] =
    "usage: onnxfold convert IN OUT [--external-data FILE] [--external-threshold BYTES]\n"
    "                              [--internal] [--force] [--no-sync]\n"
    "\n"
    "Loads IN and writes OUT with everything IN says (a lossless round trip).\n"
    "\n"
    "  --external-data FILE       write every tensor of at least the threshold to FILE\n"
    "                             (a path relative to OUT's folder); needed past 2 GiB\n"
    "  --external-threshold BYTES threshold for --external-data (default 1024)\n"
    "  --internal                 write every tensor inside OUT (fails past 2 GiB)\n"
    "  --force                    allow OUT to be the same file as IN\n"
    "  --no-sync                  skip fsync before renaming OUT into place: faster, but\n"
    "                             a power loss right after may leave OUT empty\n"
    "\n"
    "Without options, tensors that IN keeps in external data stay external, in a\n"
    "file named OUT.data beside OUT (copied file to file); the rest stay inline.\n"
    "OUT and its data file are written to temporary files, flushed to disk and only\n"
    "then renamed into place: a failure or an interrupt (Ctrl-C) leaves both as they\n"
    "were.\n";

static int parse_bytes(const char *s, uint64_t *out)
{
    if (!*s) return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-') return 0;
    *out = v;
    return 1;
}

int cli_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    onnxfold_save_options o = {0};
    int internal = 0, force = 0, threshold_given = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (strcmp(a, "--external-data") == 0) {
            if (++i == argc) return cli_error("convert: --external-data needs a FILE");
            o.external_file = argv[i];
        } else if (strcmp(a, "--external-threshold") == 0) {
            if (++i == argc || !parse_bytes(argv[i], &o.threshold))
                return cli_error("convert: --external-threshold needs a byte count");
            threshold_given = 1;
            if (o.threshold == 0) o.threshold = 1; /* 0: every tensor; empty ones have no bytes */
        } else if (strcmp(a, "--internal") == 0) {
            internal = 1;
        } else if (strcmp(a, "--force") == 0) {
            force = 1;
        } else if (strcmp(a, "--no-sync") == 0) {
            o.no_sync = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_error("convert: unknown option '%s' (see 'onnxfold convert --help')", a);
        } else if (!in) {
            in = a;
        } else if (!out) {
            out = a;
        } else {
            return cli_error("convert: too many arguments ('%s')", a);
        }
    }
    if (!in || !out) return cli_error("convert: needs IN and OUT (see 'onnxfold convert --help')");
    if (!*in || !*out) return cli_error("convert: IN and OUT must not be empty paths");
    if (internal && (o.external_file || threshold_given))
        return cli_error("convert: --internal cannot be combined with --external-data or "
                         "--external-threshold");
    if (threshold_given && !o.external_file)
        return cli_error("convert: --external-threshold needs --external-data FILE");
    struct stat si, so;
    int same = stat(in, &si) == 0 && stat(out, &so) == 0 && si.st_dev == so.st_dev &&
               si.st_ino == so.st_ino;
    if (same && !force)
        return cli_error("convert: OUT '%s' is the input file; refusing to overwrite it "
                         "(use --force to rewrite in place)",
                         out);
    o.mode = internal          ? ONNXFOLD_EXTERNAL_INTERNAL
             : o.external_file ? ONNXFOLD_EXTERNAL_FILE
                               : ONNXFOLD_EXTERNAL_KEEP;
    o.replace_input_data = same;
    onnxfold_error err;
    onnxfold_model *m;
    if (onnxfold_model_load(in, &m, &err) != ONNXFOLD_OK) return cli_error("%s", err.message);
    onnxfold_status st = onnxfold_model_save(m, out, &o, &err);
    onnxfold_model_free(m);
    if (st != ONNXFOLD_OK) return cli_error("%s", err.message);
    return CLI_OK;
}
