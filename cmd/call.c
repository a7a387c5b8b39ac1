/* call.c: one request to the daemon, with errors reported to the user */
#include "cmd/cmd.h"
#include "core/client.h"
#include "core/paths.h"

#include <stdlib.h>

/* Send req (stolen) and put the reply in *reply; an exit code. */
int
daemon_call(json_t *req, bool autostart, int timeout_ms, json_t **reply)
{
	char *home = deploy_home();
	struct derr e;
	struct client *c = client_connect(home, autostart, &e);
	json_t *r;

	*reply = NULL;
	if (c == NULL) {
		free(home);
		json_decref(req);
		return error_code(EXIT_DAEMON, "%s", e.msg);
	}
	free(home);
	r = client_call(c, req, timeout_ms, &e);
	json_decref(req);
	client_free(c);
	if (r == NULL)
		return error_code(EXIT_DAEMON, "%s", e.msg);
	if (!json_is_true(json_object_get(r, "ok"))) {
		const char *msg = json_string_value(json_object_get(r,
								    "error"));
		json_int_t code = json_integer_value(json_object_get(r,
								     "code"));
		int rc = error_code(code > 0 ? (int)code : EXIT_FAIL, "%s",
				    msg ? msg : "the daemon refused");
		json_decref(r);
		return rc;
	}
	*reply = r;
	return EXIT_OK;
}
