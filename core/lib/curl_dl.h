/* curl_dl.h: libcurl loaded with dlopen on first use, never linked */
#ifndef DEPLOY_CURL_DL_H
#define DEPLOY_CURL_DL_H

#include <curl/curl.h>

#include "core/lib/util.h"

/* The libcurl functions deploy uses, resolved from the loaded library. */
struct curl_fns {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *h);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode code);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s,
					 int ev_bitmask, int *running);
	CURLMsg *(*multi_info_read)(CURLM *m, int *msgs_in_queue);
	CURLMcode (*multi_cleanup)(CURLM *m);
	const char *(*multi_strerror)(CURLMcode code);
};

/* The soname loaded by curl_dl. */
#define CURL_DL_SONAME "libcurl.so.4"

/*
 * libcurl, loaded and globally initialised on the first call; safe to
 * call from several threads. NULL with e filled ("cannot load
 * libcurl.so.4: <dlerror>") when it cannot be; later calls give the
 * same answer without trying again. The table is static: do not free.
 */
const struct curl_fns *curl_dl(struct derr *e);

/*
 * Load soname and resolve every function into out, without caching or
 * initialising. Returns the dlopen handle (dlclose it when done), or
 * NULL with e filled ("cannot load <soname>: <dlerror>").
 */
void *curl_dl_open(const char *soname, struct curl_fns *out,
		   struct derr *e);

#endif
