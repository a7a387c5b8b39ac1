/* validate.c: deploy validate [--print]: check the ecosystem file */
#include "cmd/cmd.h"

#include "core/listeners.h"
#include "core/nginx.h"

#include <getopt.h>

/* Count every instance of every app. */
static int
count_instances(const struct ecosystem *eco)
{
	int n = 0;

	for (size_t i = 0; i < eco->n_apps; i++)
		n += eco->apps[i].instances;
	return n;
}

/* The "nginx" objects are read by `deploy nginx`: check them here too. */
static int
check_nginx_keys(const struct ecosystem *eco)
{
	struct nginx_settings ns = { 0 };
	struct derr e;
	int rc = EXIT_OK;

	if (nginx_settings_read(eco, &ns, &e) < 0)
		rc = error_code(EXIT_CONFIG, "%s", e.msg);
	nginx_settings_clear(&ns);
	return rc;
}

/* Say the file is valid, or print it fully resolved with --print. */
static int
validate_run(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "print", no_argument, NULL, 'p' },
		{ 0 }
	};
	const struct ecosystem *eco = ctx->eco;
	char **pw;
	bool print = false;
	json_t *out;
	int c, rc;

	while ((c = cmd_getopt(ctx, "p", opts)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		print = true;
	}
	if (optind < ctx->argc)
		return usage_error(&cmd_validate, "unexpected argument '%s'",
				   ctx->argv[optind]);
	if (check_nginx_keys(eco) != EXIT_OK)
		return EXIT_CONFIG;
	pw = eco_port_warnings("/proc", ctx->eco);
	for (char **w = pw; *w != NULL; w++)
		warning("%s", *w);
	strv_free(pw);
	if (print) {
		out = ecosystem_to_json(eco);
		rc = print_json(out);
		json_decref(out);
		return rc;
	}
	if (ctx->json) {
		json_t *warnings = json_array();

		for (char **w = eco->warnings; w && *w; w++)
			json_array_append_new(warnings, json_string(*w));
		out = json_pack("{s:b, s:s, s:I, s:i, s:I, s:o}", "valid", 1,
				"file", eco->path,
				"apps", (json_int_t)eco->n_apps,
				"instances", count_instances(eco),
				"targets", (json_int_t)eco->n_targets,
				"warnings", warnings);
		rc = print_json(out);
		json_decref(out);
		return rc;
	}
	printf("%s: valid: %zu app%s, %d instance%s, %zu deploy target%s\n",
	       eco->path, eco->n_apps, eco->n_apps == 1 ? "" : "s",
	       count_instances(eco), count_instances(eco) == 1 ? "" : "s",
	       eco->n_targets, eco->n_targets == 1 ? "" : "s");
	return EXIT_OK;
}

const struct command cmd_validate = {
	.name = "validate",
	.usage = "validate [-c FILE] [--env NAME] [--print] [--json]",
	.summary = "check the ecosystem file; --print shows it resolved",
	.help = "  -p, --print   print the resolved config as JSON (defaults,\n"
		"                merged env, every instance with its PORT)\n",
	.flags = CMD_CONFIG | CMD_JSON,
	.run = validate_run,
};
