/* curl_dl.c: libcurl loaded with dlopen on first use, never linked */
#include "core/lib/curl_dl.h"
#include "core/lib/dlsyms.h"

#include <pthread.h>

/* Each symbol and where its pointer goes in struct curl_fns. */
static const struct dl_sym curl_syms[] = {
#define SYM(field, name) { name, offsetof(struct curl_fns, field) }
	SYM(global_init, "curl_global_init"),
	SYM(easy_init, "curl_easy_init"),
	SYM(easy_setopt, "curl_easy_setopt"),
	SYM(easy_getinfo, "curl_easy_getinfo"),
	SYM(easy_perform, "curl_easy_perform"),
	SYM(easy_cleanup, "curl_easy_cleanup"),
	SYM(easy_strerror, "curl_easy_strerror"),
	SYM(multi_init, "curl_multi_init"),
	SYM(multi_setopt, "curl_multi_setopt"),
	SYM(multi_add_handle, "curl_multi_add_handle"),
	SYM(multi_remove_handle, "curl_multi_remove_handle"),
	SYM(multi_socket_action, "curl_multi_socket_action"),
	SYM(multi_info_read, "curl_multi_info_read"),
	SYM(multi_cleanup, "curl_multi_cleanup"),
	SYM(multi_strerror, "curl_multi_strerror"),
#undef SYM
};

/* Load soname and fill out, uncached. */
void *
curl_dl_open(const char *soname, struct curl_fns *out, struct derr *e)
{
	return dl_load((const char *const[]){ soname, NULL }, curl_syms,
		       ARRAY_SIZE(curl_syms), out, e);
}

/* curl_global_init, once. */
static int
curl_init(const void *table, struct derr *e)
{
	const struct curl_fns *c = table;
	CURLcode rc = c->global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
		return derr_set(e, "cannot initialise %s: %s", CURL_DL_SONAME,
				c->easy_strerror(rc));
	return 0;
}

static struct curl_fns curl_fns;
static struct dl_lib curl_lib = {
	CURL_DL_SONAME, curl_syms, ARRAY_SIZE(curl_syms), &curl_fns, curl_init,
	false, { "" },
};

/* pthread_once's function. */
static void
curl_load(void)
{
	dl_lib_load(&curl_lib);
}

/* The process-wide libcurl, loaded once. */
const struct curl_fns *
curl_dl(struct derr *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, curl_load);
	return dl_lib_table(&curl_lib, e);
}
