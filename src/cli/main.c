/* main.c — onnxfold's entry point: dispatches to a subcommand.
 *
 * SIGINT, SIGTERM and SIGHUP remove the temporary files of a save in progress
 * (onnxfold_remove_temporaries, async-signal-safe) and then end the process
 * with the signal's default action, so an interrupted convert leaves OUT as
 * it was and nothing else. A signal ignored at startup (nohup) stays ignored.
 * SIGXFSZ (a write past `ulimit -f`) is ignored, so that the write fails with
 * EFBIG and takes the error path (message, exit 2, temporaries removed)
 * instead of killing the process with a half-written temporary left behind.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: onnxfold COMMAND [ARGS]\n"
    "\n"
    "Prepares ONNX models for constrained back ends (zkML provers, edge devices).\n"
    "\n"
    "commands:\n"
    "  info MODEL [--json]           what a model holds: IR version, opsets, inputs and\n"
    "                                outputs, node counts by op, initializers, external data\n"
    "  convert IN OUT [options]      load and save (lossless); move weights into or out of\n"
    "                                external data\n"
    "  optimize IN OUT [options]     fold constants, fuse BatchNormalization, remove dead code;\n"
    "                                OUT computes exactly what IN computes\n"
    "  run MODEL [options]           run a model with onnxfold's executor; inputs from files or\n"
    "                                random, outputs to .pb or .npy files\n"
    "  verify A B [options]          run two models on the same inputs and compare outputs\n"
    "  slice MODEL OUTDIR [options]  cut a model into standalone slices for proving piece by\n"
    "                                piece, with metadata.json; 'slice --check OUTDIR' checks\n"
    "                                a folder against its metadata\n"
    "  run-slices OUTDIR [options]   run the slices in a chain; the model's outputs, and each\n"
    "                                slice's inputs and outputs with --per-slice\n"
    "\n"
    "Run 'onnxfold COMMAND --help' for a command's options.\n"
    "Exit status: 0 success, 1 verify found a difference, 2 bad usage or bad input (the\n"
    "message names the file, node or tensor).\n";

/* Messages quote names from the model: escaped like `info`'s text, so the
 * line stays one line and no escape sequence reaches the terminal. */
int cli_error(const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fputs("onnxfold: ", stderr);
    text_string(stderr, msg);
    fputc('\n', stderr);
    return CLI_FAIL;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static void on_signal(int sig)
{
    onnxfold_remove_temporaries();
    raise(sig); /* SA_RESETHAND restored the default action: ends the process */
}

static void catch_signals(void)
{
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = (int)SA_RESETHAND;
        (void)sigaction(sigs[i], &sa, NULL);
    }
    (void)signal(SIGXFSZ, SIG_IGN);
}

int main(int argc, char **argv)
{
    catch_signals();
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_FAIL;
    }
    const char *cmd = argv[1];
    if (cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("onnxfold %s\n", ONNXFOLD_VERSION);
        return CLI_OK;
    }
    if (strcmp(cmd, "info") == 0) return cli_info(argc - 2, argv + 2);
    if (strcmp(cmd, "convert") == 0) return cli_convert(argc - 2, argv + 2);
    if (strcmp(cmd, "run") == 0) return cli_run(argc - 2, argv + 2);
    if (strcmp(cmd, "optimize") == 0) return cli_optimize(argc - 2, argv + 2);
    if (strcmp(cmd, "verify") == 0) return cli_verify(argc - 2, argv + 2);
    if (strcmp(cmd, "slice") == 0) return cli_slice(argc - 2, argv + 2);
    if (strcmp(cmd, "run-slices") == 0) return cli_run_slices(argc - 2, argv + 2);
    return cli_error("unknown command '%s' (see 'onnxfold --help')", cmd);
}
