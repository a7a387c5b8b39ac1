/* ready.c: non-blocking readiness probes for the daemon's poll() loop */
#include "core/probe/ready.h"
#include "core/lib/curl_dl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HTTP_DEFAULT_TIMEOUT_MS	5000
#define HTTP_BODY_MAX		65536	/* read no more of an answer */

/* ---- sd_notify ---- */

struct notify_sock {
	int fd;
	char *path;		/* the file to remove; NULL if abstract */
};

/* Fill sun from path ('@': abstract); its length, or -1. */
static int
notify_addr(const char *path, struct sockaddr_un *sun, socklen_t *len,
	    struct derr *e)
{
	size_t n = strlen(path);

	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof sun->sun_path)
		return derr_set(e, "invalid notify socket path '%s'", path);
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			   (path[0] != '@'));
	return 0;
}

/* Bind the notify socket; see ready.h. */
struct notify_sock *
notify_open(const char *path, struct derr *e)
{
	struct notify_sock *ns;
	struct sockaddr_un sun;
	struct stat st;
	socklen_t len = 0;
	int on = 1;

	if (notify_addr(path, &sun, &len, e) < 0)
		return NULL;
	ns = xcalloc(1, sizeof *ns);
	ns->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (ns->fd < 0) {
		derr_errno(e, "cannot create a socket for '%s'", path);
		free(ns);
		return NULL;
	}
	if (setsockopt(ns->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) {
		derr_errno(e, "cannot set SO_PASSCRED on '%s'", path);
		goto fail;
	}
	if (path[0] != '@' && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);		/* left by an earlier daemon */
	if (bind(ns->fd, (struct sockaddr *)&sun, len) < 0) {
		derr_errno(e, "cannot bind '%s'", path);
		goto fail;
	}
	ns->path = path[0] != '@' ? xstrdup(path) : NULL;
	return ns;
fail:
	close(ns->fd);
	free(ns);
	return NULL;
}

/* The fd to poll for POLLIN. */
int
notify_fd(const struct notify_sock *ns)
{
	return ns->fd;
}

/* Read one datagram and its sender; see ready.h. */
int
notify_recv(struct notify_sock *ns, pid_t *sender, char *buf, size_t len)
{
	/* Room for the credentials only: the kernel drops (and closes)
	 * any fds sent along, as they do not fit. */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
	};
	ssize_t n;

	*sender = 0;
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	do
		n = recvmsg(ns->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
	     c = CMSG_NXTHDR(&mh, c)) {
		struct ucred uc;

		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_CREDENTIALS ||
		    c->cmsg_len < CMSG_LEN(sizeof uc))
			continue;
		memcpy(&uc, CMSG_DATA(c), sizeof uc);
		*sender = uc.pid;
	}
	return (int)n;
}

/* True when a line of msg is exactly READY=1. */
bool
notify_has_ready(const char *msg)
{
	static const char ready[] = "READY=1";

	for (const char *p = msg;;) {
		const char *end = strchrnul(p, '\n');

		if ((size_t)(end - p) == strlen(ready) &&
		    memcmp(p, ready, strlen(ready)) == 0)
			return true;
		if (*end == '\0')
			return false;
		p = end + 1;
	}
}

/* Close the socket and remove its file. */
void
notify_close(struct notify_sock *ns)
{
	if (ns == NULL)
		return;
	close(ns->fd);
	if (ns->path != NULL)
		unlink(ns->path);
	free(ns->path);
	free(ns);
}

/* ---- HTTP ---- */

struct http_probe {
	CURL *easy;
	bool attached;		/* in the multi handle */
	int result;
	long status;
	size_t body;		/* bytes of the answer read */
	bool cut;		/* stopped reading a long answer */
	curl_socket_t fd;	/* its socket, CURL_SOCKET_BAD: none */
	char self[80];		/* "ip:port" it connected to itself
				   from (refused), "" if not */
	char error[CURL_ERROR_SIZE];
};

/* One socket curl wants watched. */
struct http_sock {
	int fd;
	short events;
};

/* The transfers of every probe: one multi handle (one thread). */
static struct {
	const struct curl_fns *c;
	CURLM *multi;
	struct http_sock *socks;
	size_t n_socks, cap_socks;
	long long timer_at;	/* CLOCK_MONOTONIC us; -1: none */
} hp = { .timer_at = -1 };

/* Microseconds on CLOCK_MONOTONIC. */
static long long
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* The index of fd in hp.socks, or -1. */
static int
http_sock_find(int fd)
{
	for (size_t i = 0; i < hp.n_socks; i++)
		if (hp.socks[i].fd == fd)
			return (int)i;
	return -1;
}

/* CURLMOPT_SOCKETFUNCTION: watch, change or forget a socket. */
static int
http_on_socket(CURL *easy, curl_socket_t s, int what, void *userp,
	       void *socketp)
{
	int i = http_sock_find(s);

	(void)easy;
	(void)userp;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		if (i >= 0)
			hp.socks[i] = hp.socks[--hp.n_socks];
		return 0;
	}
	if (i < 0) {
		ARRAY_GROW(hp.socks, hp.cap_socks, hp.n_socks + 1);
		i = (int)hp.n_socks++;
		hp.socks[i].fd = s;
	}
	hp.socks[i].events = (short)((what & CURL_POLL_IN ? POLLIN : 0) |
				     (what & CURL_POLL_OUT ? POLLOUT : 0));
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: remember when to call curl back. */
static int
http_on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	(void)userp;
	hp.timer_at = timeout_ms < 0 ? -1 : mono_us() + timeout_ms * 1000;
	return 0;
}

/* CURLOPT_WRITEFUNCTION: discard the body, giving up on a long one. */
static size_t
http_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_probe *p = userp;

	(void)data;
	p->body += size * nmemb;
	if (p->body > HTTP_BODY_MAX) {
		p->cut = true;
		return 0;		/* abort: the status is known */
	}
	return size * nmemb;
}

/* CURLOPT_SOCKOPTFUNCTION: remember the transfer's socket. */
static int
http_on_sockopt(void *userp, curl_socket_t fd, curlsocktype purpose)
{
	struct http_probe *p = userp;

	(void)purpose;
	p->fd = fd;
	return CURL_SOCKOPT_OK;
}

/*
 * CURLOPT_PREREQFUNCTION, once connected: refuse a socket connected to
 * itself. With nothing listening on a port of the ephemeral range, a
 * connect may pick that very port as its source (TCP simultaneous
 * open) and "succeed"; the probe would then occupy the app's port.
 * Reset (SO_LINGER 0: no TIME-WAIT either) and abort.
 */
static int
http_on_connected(void *userp, char *peer_ip, char *local_ip,
		  int peer_port, int local_port)
{
	struct http_probe *p = userp;
	struct linger off = { .l_onoff = 1, .l_linger = 0 };

	if (peer_port != local_port || strcmp(peer_ip, local_ip) != 0)
		return CURL_PREREQFUNC_OK;
	snprintf(p->self, sizeof p->self, "%s:%d", local_ip, local_port);
	if (p->fd != CURL_SOCKET_BAD)
		setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
	return CURL_PREREQFUNC_ABORT;
}

/* True for transfer errors that no retry will fix. */
static bool
http_code_is_fatal(CURLcode code)
{
	return code == CURLE_UNSUPPORTED_PROTOCOL ||
	       code == CURLE_URL_MALFORMAT || code == CURLE_NOT_BUILT_IN ||
	       code == CURLE_FAILED_INIT || code == CURLE_OUT_OF_MEMORY ||
	       code == CURLE_BAD_FUNCTION_ARGUMENT;
}

/* Record how p's transfer ended and take it out of the multi handle. */
static void
http_finish(struct http_probe *p, CURLcode code)
{
	long status = 0;

	hp.c->easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
	p->status = status;
	hp.c->multi_remove_handle(hp.multi, p->easy);
	p->attached = false;
	if (code == CURLE_WRITE_ERROR && p->cut)
		code = CURLE_OK;
	if (p->self[0] != '\0') {
		p->result = READY_NO;
		snprintf(p->error, sizeof p->error, "refused a connection of "
			 "%s to itself (nothing listens there)", p->self);
	} else if (code != CURLE_OK) {
		p->result = http_code_is_fatal(code) ? READY_ERROR : READY_NO;
		if (p->error[0] == '\0')
			snprintf(p->error, sizeof p->error, "%s",
				 hp.c->easy_strerror(code));
	} else if (status >= 200 && status < 300) {
		p->result = READY_YES;
		p->error[0] = '\0';
	} else {
		p->result = READY_NO;
		snprintf(p->error, sizeof p->error, "HTTP %ld", status);
	}
}

/* Collect the transfers curl has finished. */
static void
http_collect(void)
{
	CURLMsg *msg;
	int left;

	while ((msg = hp.c->multi_info_read(hp.multi, &left)) != NULL) {
		CURL *easy = msg->easy_handle;
		CURLcode code = msg->data.result;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		hp.c->easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if (priv != NULL)
			http_finish((struct http_probe *)(void *)priv, code);
	}
}

/* Create the multi handle on first use. */
static int
http_multi(struct derr *e)
{
	if (hp.multi != NULL)
		return 0;
	hp.c = curl_dl(e);
	if (hp.c == NULL)
		return -1;
	hp.multi = hp.c->multi_init();
	if (hp.multi == NULL)
		return derr_set(e, "cannot create a libcurl multi handle");
	hp.c->multi_setopt(hp.multi, CURLMOPT_SOCKETFUNCTION, http_on_socket);
	hp.c->multi_setopt(hp.multi, CURLMOPT_TIMERFUNCTION, http_on_timer);
	return 0;
}

/* Set the options of p's transfer of url; 0 or a CURLcode. */
static CURLcode
http_setup(struct http_probe *p, const char *url, long timeout_ms)
{
	const struct curl_fns *c = hp.c;
	CURLcode rc;

	rc = c->easy_setopt(p->easy, CURLOPT_URL, url);
	if (rc != CURLE_OK)
		return rc;
	c->easy_setopt(p->easy, CURLOPT_PRIVATE, (char *)(void *)p);
	c->easy_setopt(p->easy, CURLOPT_ERRORBUFFER, p->error);
	c->easy_setopt(p->easy, CURLOPT_WRITEFUNCTION, http_on_body);
	c->easy_setopt(p->easy, CURLOPT_WRITEDATA, (void *)p);
	c->easy_setopt(p->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	c->easy_setopt(p->easy, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(p->easy, CURLOPT_PROXY, "");
	c->easy_setopt(p->easy, CURLOPT_FORBID_REUSE, 1L);
	c->easy_setopt(p->easy, CURLOPT_FRESH_CONNECT, 1L);
	c->easy_setopt(p->easy, CURLOPT_FOLLOWLOCATION, 0L);
	c->easy_setopt(p->easy, CURLOPT_SOCKOPTFUNCTION, http_on_sockopt);
	c->easy_setopt(p->easy, CURLOPT_SOCKOPTDATA, (void *)p);
#if LIBCURL_VERSION_NUM >= 0x075000
	c->easy_setopt(p->easy, CURLOPT_PREREQFUNCTION, http_on_connected);
	c->easy_setopt(p->easy, CURLOPT_PREREQDATA, (void *)p);
#endif
#if LIBCURL_VERSION_NUM >= 0x075500
	/* older libraries at run time ignore it: the scheme check stays */
	c->easy_setopt(p->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
#ifdef DEPLOY_VERSION
	c->easy_setopt(p->easy, CURLOPT_USERAGENT,
		       "deploy-health/" DEPLOY_VERSION);
#endif
	return CURLE_OK;
}

/* Start a GET of url; see ready.h. */
struct http_probe *
http_probe_start(const char *url, long timeout_ms, struct derr *e)
{
	struct http_probe *p;
	CURLcode rc;
	CURLMcode mrc;

	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) {
		derr_set(e, "invalid health URL '%s': expected http:// or "
			 "https://", url);
		return NULL;
	}
	if (http_multi(e) < 0)
		return NULL;
	p = xcalloc(1, sizeof *p);
	p->result = READY_PENDING;
	p->fd = CURL_SOCKET_BAD;
	p->easy = hp.c->easy_init();
	if (p->easy == NULL) {
		derr_set(e, "cannot create a libcurl handle");
		free(p);
		return NULL;
	}
	rc = http_setup(p, url,
			timeout_ms > 0 ? timeout_ms : HTTP_DEFAULT_TIMEOUT_MS);
	if (rc != CURLE_OK) {
		derr_set(e, "cannot probe '%s': %s", url,
			 hp.c->easy_strerror(rc));
		http_probe_free(p);
		return NULL;
	}
	mrc = hp.c->multi_add_handle(hp.multi, p->easy);
	if (mrc != CURLM_OK) {
		derr_set(e, "cannot probe '%s': %s", url,
			 hp.c->multi_strerror(mrc));
		http_probe_free(p);
		return NULL;
	}
	p->attached = true;
	return p;
}

/* The probe's verdict so far. */
int
http_probe_result(const struct http_probe *p)
{
	return p->result;
}

/* The answer's status code, 0 when none. */
long
http_probe_status(const struct http_probe *p)
{
	return p->status;
}

/* Why the probe failed, "" if it did not. */
const char *
http_probe_error(const struct http_probe *p)
{
	return p->result == READY_PENDING ? "" : p->error;
}

/* Cancel and free a probe. */
void
http_probe_free(struct http_probe *p)
{
	if (p == NULL)
		return;
	if (p->attached)
		hp.c->multi_remove_handle(hp.multi, p->easy);
	if (p->easy != NULL)
		hp.c->easy_cleanup(p->easy);
	free(p);
}

/* How many fds the probes want polled. */
int
http_probes_nfds(void)
{
	return (int)hp.n_socks;
}

/* Copy the probes' fds and events into out. */
int
http_probes_pollfds(struct pollfd *out, int max)
{
	int n = 0;

	for (size_t i = 0; i < hp.n_socks && n < max; i++, n++) {
		out[n].fd = hp.socks[i].fd;
		out[n].events = hp.socks[i].events;
		out[n].revents = 0;
	}
	return n;
}

/* Milliseconds until the probes' timer, rounded up; -1 for none. */
long
http_probes_timeout_ms(void)
{
	long long left;

	if (hp.timer_at < 0)
		return -1;
	left = hp.timer_at - mono_us();
	return left <= 0 ? 0 : (long)((left + 999) / 1000);
}

/* Tell curl what poll() saw on one of its sockets. */
void
http_probes_on_fd(int fd, short revents)
{
	int mask = 0, running;

	if (hp.multi == NULL || revents == 0 || http_sock_find(fd) < 0)
		return;
	if (revents & (POLLIN | POLLHUP))
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLNVAL))
		mask |= CURL_CSELECT_ERR;
	hp.c->multi_socket_action(hp.multi, fd, mask, &running);
	http_collect();
}

/* Run curl's timer if due and collect finished transfers. */
void
http_probes_run(void)
{
	int running;

	if (hp.multi == NULL)
		return;
	if (hp.timer_at >= 0 && mono_us() >= hp.timer_at) {
		hp.timer_at = -1;
		hp.c->multi_socket_action(hp.multi, CURL_SOCKET_TIMEOUT, 0,
					  &running);
	}
	http_collect();
}

/* Hand poll()'s results for the probes' fds to curl. */
void
http_probes_on_poll(const struct pollfd *fds, int n)
{
	for (int i = 0; i < n; i++)
		http_probes_on_fd(fds[i].fd, fds[i].revents);
	http_probes_run();
}

/* Free the multi handle and the socket list. */
void
http_probes_shutdown(void)
{
	if (hp.multi != NULL)
		hp.c->multi_cleanup(hp.multi);
	hp.multi = NULL;
	free(hp.socks);
	hp.socks = NULL;
	hp.n_socks = hp.cap_socks = 0;
	hp.timer_at = -1;
}
