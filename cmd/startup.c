/* startup.c: deploy startup [--write]: a systemd unit for the daemon */
#include "cmd/cmd.h"
#include "core/lib/fileio.h"
#include "core/lib/paths.h"
#include "core/lib/strbuf.h"
#include "core/lib/template.h"

#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#define UNIT_PATH "/etc/systemd/system/deploy.service"

/* Render the unit for this user, binary and DEPLOY_HOME into out. */
static int
render_unit(struct strbuf *out)
{
	struct passwd *pw = getpwuid(getuid());
	char *tmpl_path, *exe = self_exe(), *home = deploy_home();
	const char *path = getenv("PATH");
	struct template *t;
	struct derr e;
	json_t *ctx;
	int rc = EXIT_OK;

	tmpl_path = template_find("deploy.service", &e);
	t = tmpl_path ? template_load(tmpl_path, &e) : NULL;
	free(tmpl_path);
	if (t == NULL) {
		free(exe);
		free(home);
		return error("%s", e.msg);
	}
	ctx = json_pack("{s:s, s:s, s:s, s:s}", "user",
			pw ? pw->pw_name : "root", "home", home, "deploy", exe,
			"path", path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (template_render(t, ctx, out, &e) < 0)
		rc = error("%s", e.msg);
	json_decref(ctx);
	template_free(t);
	free(exe);
	free(home);
	return rc;
}

/* Print the unit, or write it to /etc/systemd/system with --write. */
static int
startup_run(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "write", no_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ 0 }
	};
	const char *dest = NULL;
	struct strbuf unit = STRBUF_INIT;
	struct derr e;
	int c, rc;

	while ((c = cmd_getopt(ctx, "wo:", opts)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		dest = c == 'w' ? UNIT_PATH : optarg;
	}
	if (optind < ctx->argc)
		return usage_error(&cmd_startup, "unexpected argument '%s'",
				   ctx->argv[optind]);
	rc = render_unit(&unit);
	if (rc == EXIT_OK && dest == NULL)
		fputs(unit.buf, stdout);
	else if (rc == EXIT_OK && write_file_atomic(dest, unit.buf, unit.len,
						    0644, true, &e) < 0)
		rc = error("%s", e.msg);
	else if (rc == EXIT_OK)
		printf("wrote %s; now: systemctl daemon-reload && "
		       "systemctl enable --now deploy\n", dest);
	strbuf_release(&unit);
	return rc;
}

const struct command cmd_startup = {
	.name = "startup",
	.usage = "startup [--write | -o FILE]",
	.summary = "print a systemd unit that runs the daemon at boot",
	.help = "  -w, --write     write it to " UNIT_PATH "\n"
		"  -o, --output F  write it to F\n",
	.run = startup_run,
};
