/* output.c: messages to the user, usage, colour and JSON output */
#include "cmd/cmd.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Print "deploy: " and a formatted message to stderr. */
static void
vreport(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "deploy: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Report an error; returns EXIT_FAIL. */
int
error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

/* Report an error; returns code. */
int
error_code(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	return code;
}

/* Report a warning. */
void
warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

/* Print "usage: deploy <usage>". */
void
print_usage(FILE *f, const struct command *cmd)
{
	fprintf(f, "usage: deploy %s\n", cmd->usage);
}

/* Report a bad command line and the usage; returns EXIT_USAGE. */
int
usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	print_usage(stderr, cmd);
	return EXIT_USAGE;
}

/* Colour only on a terminal, and never with NO_COLOR set. */
bool
use_color(void)
{
	const char *nc = getenv("NO_COLOR");

	if (nc != NULL && nc[0] != '\0')
		return false;
	return isatty(STDOUT_FILENO);
}

/* Write value as indented JSON to stdout. */
int
print_json(json_t *value)
{
	if (json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
	    < 0)
		return error("cannot write JSON output");
	fputc('\n', stdout);
	return EXIT_OK;
}

/* getopt_long over the command's arguments, with our error messages. */
int
cmd_getopt(struct cmd_ctx *ctx, const char *shortopts,
	   const struct option *longopts)
{
	char spec[64];
	int c;

	snprintf(spec, sizeof spec, ":%s", shortopts);
	opterr = 0;
	c = getopt_long(ctx->argc, ctx->argv, spec, longopts, NULL);
	if (c == '?' || c == ':') {
		const struct command *cmd = command_find(ctx->argv[0]);
		const char *arg = ctx->argv[optind - 1];
		char shortopt[3] = { '-', (char)optopt, '\0' };

		if (optopt == 0 || strncmp(arg, "--", 2) == 0)
			shortopt[0] = '\0';
		if (c == ':')
			usage_error(cmd, "option '%s' needs a value",
				    shortopt[0] ? shortopt : arg);
		else
			usage_error(cmd, "unknown option '%s'",
				    shortopt[0] ? shortopt : arg);
		return '?';
	}
	return c;
}
